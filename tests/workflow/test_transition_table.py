"""The one table of transitions (``workflow.transitions``) and everything that must agree with it.

The services, ``access``, the flow's step maps, the API and the pages read the table; what is
written elsewhere by hand (the FSM decorators on ``Project``, the viewflow graph, the services'
keyword arguments, the notification kinds, the audit catalogue) is checked against it here.
"""

from __future__ import annotations

import inspect

import pytest
from django.utils import translation

from notifications.models import Kind
from workflow import access, flows, transitions
from workflow.audit_actions import AuditAction
from workflow.models import Project, State
from workflow.services import projects as svc


def test_every_fsm_transition_of_project_is_a_row_and_every_row_an_fsm_transition():
    field = Project._meta.get_field("state")
    fsm = {(t.name, str(t.source), str(t.target)) for t in field.get_all_transitions(Project)}
    table = {
        (row.method, str(source), str(row.target))
        for row in transitions.TRANSITIONS
        for source in row.sources
    }
    assert fsm == table


def test_the_flow_routes_each_row_from_its_step_to_the_node_of_its_target():
    routed = set()
    for step in transitions.STEPS:
        switch = flows.step_node(step.name)._next
        for node, condition in switch._branches:
            target = flows.STEP_STATE.get(node.name) or flows.END_STATE[node.name]
            assert condition.state == target, (step.name, node.name)
            routed.add((step.state, target))
    table = {(source, row.target) for row in transitions.TRANSITIONS for source in row.sources}
    assert routed == table


def test_each_state_has_one_step_or_end_and_every_row_leaves_a_state_with_a_step():
    waiting = [step.state for step in transitions.STEPS] + list(transitions.END_STEPS.values())
    assert sorted(waiting) == sorted(State.values)
    for row in transitions.TRANSITIONS:
        for source in row.sources:
            assert transitions.step_of(source) is not None, (row.action, source)


def test_one_row_per_action_and_state():
    keys = [(row.action, source) for row in transitions.TRANSITIONS for source in row.sources]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("action", transitions.PROJECT_ACTIONS)
def test_each_service_takes_exactly_the_input_its_row_declares(action):
    parameters = set(inspect.signature(svc.TRANSITION_SERVICES[action]).parameters)
    assert parameters == {"project", "acting_user", "comment", *transitions.first(action).arguments}


def test_the_services_offer_exactly_the_per_project_actions():
    assert set(svc.TRANSITION_SERVICES) == set(transitions.PROJECT_ACTIONS)
    assert "submit" not in transitions.PROJECT_ACTIONS  # it goes with the district's submission


def test_roles_in_access_are_the_rows_roles():
    for row in transitions.TRANSITIONS:
        for source in row.sources:
            assert access.ACTION_ROLES[row.action][source] == row.role
            if not row.overrides_claim:  # the officer's withdrawal closes the chief's review
                assert flows.STEP_ROLE[transitions.step_of(source)] == row.role, (row.action, source)


def test_every_action_is_in_the_audit_catalogue_and_every_notice_kind_is_a_notification_kind():
    for row in transitions.TRANSITIONS:
        assert row.action in AuditAction.values
        assert row.notice_kind in Kind.values
        assert row.notice is not None


@pytest.mark.parametrize("language", ["th", "en"])
def test_labels_and_notices_render_in_both_languages(language):
    values = {"title": "T", "district": "D", "actor": "A", "comment": "C"}
    with translation.override(language):
        for row in transitions.TRANSITIONS:
            assert str(row.label).strip()
            if row.per_project:
                assert str(row.help).strip() and str(row.success).strip()
            text = str(row.notice) % values
            assert "T" in text and "A" in text
        for step in transitions.STEPS:
            assert str(step.label).strip() and str(step.task_phrase).strip()
    if language == "th":
        with translation.override("th"):
            untranslated = [str(row.label) for row in transitions.TRANSITIONS if str(row.label).isascii()]
        assert untranslated == []
