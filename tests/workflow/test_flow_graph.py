"""The viewflow flow and the django-fsm state machine are the same graph (house rule 1)."""

from __future__ import annotations

from workflow import access, flows
from workflow.models import Project, State
from workflow.services.projects import FSM_METHOD


def fsm_edges() -> set[tuple[str, str]]:
    field = Project._meta.get_field("state")
    return {(str(t.source), str(t.target)) for t in field.get_all_transitions(Project)}


def flow_edges() -> set[tuple[str, str]]:
    edges = set()
    for step, source in flows.STEP_STATE.items():
        switch = flows.step_node(step)._next
        for node, condition in switch._activate_next:
            target = flows.STEP_STATE.get(node.name) or flows.END_STATE[node.name]
            # The switch routes to a node exactly when the project is in that node's state.
            assert condition.state == target, (step, node.name)
            edges.add((str(source), str(target)))
    return edges


def test_flow_and_fsm_have_the_same_edges():
    assert flow_edges() == fsm_edges()


def test_every_state_has_one_home_in_the_flow():
    flow_states = set(flows.STEP_STATE.values()) | set(flows.END_STATE.values())
    assert flow_states == set(State.values)
    assert len(flows.STEP_STATE) + len(flows.END_STATE) == len(State.values)


def test_flow_starts_where_the_fsm_starts():
    first_step = flows.ProjectFlow.start._next.name
    assert flows.STEP_STATE[first_step] == Project._meta.get_field("state").default


def test_every_service_transition_is_an_fsm_transition_with_a_role():
    transitions = {
        (str(t.source), t.name): str(t.target)
        for t in Project._meta.get_field("state").get_all_transitions(Project)
    }
    for (action, state), method in FSM_METHOD.items():
        assert (str(state), method) in transitions, (action, state)
        assert access.ACTION_ROLES[action][state], (action, state)
    # and every FSM transition is reachable through exactly one service action
    reachable = {(str(state), method) for (action, state), method in FSM_METHOD.items()}
    assert reachable == set(transitions)


def test_end_nodes_are_final_states():
    for node_name, state in flows.END_STATE.items():
        node = flows.step_node(node_name)
        assert type(node).__name__ == "End"
        outgoing = [
            (str(t.source), t.name) for t in Project._meta.get_field("state").get_all_transitions(Project)
        ]
        assert all(source != state for source, _ in outgoing), state
