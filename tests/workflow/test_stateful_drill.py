"""Drill (issue 12, item 4): random users of random roles and areas doing random actions on
random projects, through the services, with the programme's invariants checked after every step.

What it drives (a Hypothesis ``RuleBasedStateMachine``): a small country, two provinces
(50 in region R15, 51 in region R16) of two districts each (5001, 5002; 5101, 5102), an officer
and a chief in every district (and a second officer in 5001), a provincial officer per province,
an inspector per region, a central planner, an auditor, an administrator and a user without any
role; an active edition with the guideline's cap of 150,000 baht per district, every district a
Role Model district, four bank entries per district. Each step is one of:

- ``project_create`` (the plan complete or not, budgets that make the cap bite), ``project_update``;
- a transition (``approve``, ``return``, ``reject``, ``withdraw``, ``resubmit``, ``implement``
  with spending that may pass the approved budget or the cap, ``monitor``, ``report``),
  with or without the comment the transition may require;
- ``project_comment``, ``project_progress_add``, ``project_supervision_add``;
- ``district_disbursement_record``, ``district_submit``;
- ``delegation_create``, ``delegation_revoke``;
- ``task_claim``, ``task_unclaim``, ``task_assign`` (``approvals.services``).

Half of the time the acting user is the one the transition table names for the step (in the
project's district, so that projects do travel through their life), otherwise any user; half of
the time the project is one the action can be taken from.

What it checks, after every step:

1. Every project's state is the one a model of the programme expects: changed only when the
   service returned, and then only along a row of ``workflow.transitions`` that django-fsm also
   declares on ``Project.state``; the project's last audit event ends in its state and its
   open flow step is the one its state waits in.
2. A refused action (``DomainError``: 404, 403, 409, 422; or ``PermissionDenied``) changed
   nothing: the same states, budget and spend lines, disbursements, audit events, tasks,
   delegations, comments and progress entries. Any other exception fails the drill.
3. No district above its cap: the budget committed by its live projects, what they spent, and
   what the province disbursed.
4. A successful action appended exactly the audit events it is meant to: one per change,
   and for a district's submission one ``submit`` per project it submits plus its own
   ``district_submit``; none for a claim of one's own task, an assignment to the task's holder,
   or a revocation of a revoked delegation.
5. Every audit chain verifies (``workflow.audit.check``).
6. Nobody sees a project outside their areas: ``selectors.project_list_visible`` (and the tasks
   of ``approvals.selectors.task_list_for``) against the districts each user's role memberships
   cover, worked out here from the roles alone.

The number of examples and steps it ran is printed at the end (it is one of the counts of
``docs/reliability.md``). In CI (``CI`` set) the examples are derandomised: the same run each time.
Each example runs inside a savepoint of the test's transaction, rolled back when it ends; a
longer run: ``DRILL_EXAMPLES=100 DRILL_STEPS=80 pytest tests/workflow/test_stateful_drill.py``.
"""

from __future__ import annotations

import datetime
import os
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from viewflow.workflow.models import Task

from approvals import selectors as task_selectors
from approvals import services as task_services
from tests import factories as f
from workflow import access, audit, flows, selectors, transitions
from workflow.errors import DomainError
from workflow.models import (
    AuditEvent,
    BudgetLine,
    Delegation,
    Disbursement,
    District,
    DistrictSubmission,
    MonitoringRecord,
    ProgressUpdate,
    Project,
    Role,
    SpendLine,
    State,
)
from workflow.models.projects import RELEASED_STATES
from workflow.services import delegation as delegation_svc
from workflow.services import money as money_svc
from workflow.services import progress as progress_svc
from workflow.services import projects as svc

CAP = Decimal("150000.00")
IN_CI = bool(os.environ.get("CI"))
# About 40 s on SQLite on one core of the CI machine.
EXAMPLES = int(os.environ.get("DRILL_EXAMPLES", "15"))
STEPS = int(os.environ.get("DRILL_STEPS", "50"))

PROVINCES = {"50": ("5001", "5002"), "51": ("5101", "5102")}
REGIONS = {"R15": ("50",), "R16": ("51",)}
DISTRICT_CODES = tuple(code for codes in PROVINCES.values() for code in codes)
PROVINCE_OF = {d: p for p, codes in PROVINCES.items() for d in codes}
BUDGETS = ("20000.00", "45000.00", "70000.00", "100000.00")
SPENDS = ("15000.00", "45000.00", "90000.00", "160000.00")
TRANCHES = ("30000.00", "75000.00", "150000.00")
# How far along its life a project in each state is (the order of the flow's steps).
STAGE = {step.state: n for n, step in enumerate(transitions.STEPS)}
# The natural way of a project from selected to reported.
WALK = ("approve", "implement", "monitor", "report")
FSM_EDGES = {
    (source, t.target)
    for t in Project._meta.get_field("state").get_all_transitions(Project)
    for source in ([t.source] if isinstance(t.source, str) else t.source)
}


@dataclass
class Person:
    """A user of the drill and the districts its role covers, worked out from the role alone."""

    key: str
    role: str | None
    districts: frozenset[str]
    user: Any = None


def _people() -> list[Person]:
    people: list[Person] = []
    for code in DISTRICT_CODES:
        people.append(Person(f"officer_{code}", Role.DISTRICT_OFFICER, frozenset({code})))
        people.append(Person(f"chief_{code}", Role.DISTRICT_CHIEF, frozenset({code})))
    people.append(Person("officer2_5001", Role.DISTRICT_OFFICER, frozenset({"5001"})))
    for province, codes in PROVINCES.items():
        people.append(Person(f"provincial_{province}", Role.PROVINCIAL_OFFICER, frozenset(codes)))
    for region, provinces in REGIONS.items():
        covered = frozenset(d for p in provinces for d in PROVINCES[p])
        people.append(Person(f"inspector_{region}", Role.REGIONAL_INSPECTOR, covered))
    everywhere = frozenset(DISTRICT_CODES)
    people.append(Person("planner", Role.CENTRAL_PLANNER, everywhere))
    people.append(Person("auditor", Role.AUDITOR, everywhere))
    people.append(Person("admin", Role.ADMIN, everywhere))
    people.append(Person("nobody", None, frozenset()))
    return people


PEOPLE_KEYS = tuple(p.key for p in _people())


@dataclass
class Tally:
    """What the drill did, for the summary (and docs/reliability.md)."""

    examples: int = 0
    steps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    transitions: Counter[str] = field(default_factory=Counter)


TALLY = Tally()


def build_world() -> dict[str, Any]:
    """The small country, its people, the edition and the bank (built once per test)."""
    geo = f.geography()  # 50 (5001, 5002) in R15, 51 (5101) in R16, three subdistricts each
    District.objects.create(code="5102", province=geo["p51"], name_th="ป่าซาง", name_en="Pa Sang")
    from workflow.models import Subdistrict

    for n in (1, 2, 3):
        code = f"5102{n:02d}"
        Subdistrict.objects.create(code=code, district_id="5102", name_th=f"ตำบล {code}", name_en=code)
    edition = f.active_edition(cap=str(CAP))
    people = {p.key: p for p in _people()}
    areas = {"R15": geo["region"], "R16": geo["region2"], "50": geo["p50"], "51": geo["p51"]}
    for person in people.values():
        area: Any = None
        if person.role in (Role.DISTRICT_OFFICER, Role.DISTRICT_CHIEF):
            area = District.objects.get(code=person.key.rsplit("_", 1)[1])
        elif person.role in (Role.PROVINCIAL_OFFICER, Role.REGIONAL_INSPECTOR):
            area = areas[person.key.rsplit("_", 1)[1]]
        person.user = f.user_with(person.key, person.role, area)
    entries = []
    for code in DISTRICT_CODES:
        for n in range(4):
            sub = f"{code}0{n % 3 + 1}"
            entries.append(f.bank_entry(geo["subs"].get(sub) or _sub(sub), f"B-{code}-{n}"))
    return {"people": people, "entries": entries, "edition": edition}


def _sub(code: str) -> Any:
    from workflow.models import Subdistrict

    return Subdistrict.objects.get(code=code)


def fingerprint() -> tuple[Any, ...]:
    """Everything an action may change, in a few statements."""
    return (
        AuditEvent.objects.count(),
        tuple(Project.objects.order_by("pk").values_list("pk", "state", "title")),
        tuple(
            BudgetLine.objects.order_by("project_id")
            .values("project_id")
            .annotate(n=Count("id"), s=Sum("amount"))
            .values_list("project_id", "n", "s")
        ),
        tuple(
            SpendLine.objects.order_by("project_id")
            .values("project_id")
            .annotate(n=Count("id"), s=Sum("amount"))
            .values_list("project_id", "n", "s")
        ),
        tuple(Disbursement.objects.order_by("pk").values_list("pk", "amount")),
        tuple(Delegation.objects.order_by("pk").values_list("pk", "revoked_at")),
        tuple(
            Task.objects.filter(flow_task_type="HUMAN").order_by("pk").values_list("pk", "status", "owner_id")
        ),
        ProgressUpdate.objects.count(),
        MonitoringRecord.objects.count(),
        DistrictSubmission.objects.count(),
    )


class ProgrammeDrill(RuleBasedStateMachine):
    world: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint of the test's transaction, rolled back in teardown.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.people: dict[str, Person] = self.world["people"]
        self.entries: list[Any] = self.world["entries"]
        self.expected: dict[int, str] = {}  # project id -> the state the model expects
        self.counter = 0
        self.inbox_turn = 0
        self.delegations = 0
        TALLY.examples += 1
        self._forget()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- Helpers ---------------------------------------------------------------------------

    def _forget(self) -> None:
        """A fresh request each step: nobody's grants are cached from the step before."""
        for person in self.people.values():
            access.forget(person.user)

    def _holder(self, role: str, district: str, pick: int) -> Person:
        holders = [p for p in self.people.values() if p.role == role and district in p.districts]
        return holders[pick % len(holders)]

    def _who(self, who: str, role: str, district: str, pick: int) -> Person:
        return self._holder(role, district, pick) if who == "natural" else self.people[who]

    def _project(self, pick: int, fit: bool, states: tuple[str, ...]) -> Project | None:
        ids = sorted(self.expected)
        if not ids:
            return None
        if fit:
            fitting = [pk for pk in ids if self.expected[pk] in states]
            ids = fitting or ids
        return Project.objects.select_related("district").get(pk=ids[pick % len(ids)])

    def _attempt(self, name: str, call: Any, expect_actions: list[str], on_success: Any = None) -> Any:
        """Run one service call; check what it appended, or that a refusal changed nothing."""
        TALLY.steps += 1
        self._forget()
        before = fingerprint()
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            result = call()
        except (DomainError, PermissionDenied) as refused:
            code = getattr(refused, "code", "permission_denied")
            TALLY.outcomes[f"{name}: refused {code}"] += 1
            after = fingerprint()
            assert after == before, f"{name} was refused ({code}) but changed something"
            return None
        TALLY.outcomes[f"{name}: done"] += 1
        appended = list(
            AuditEvent.objects.filter(pk__gt=last).order_by("pk").values_list("action", flat=True)
        )
        assert appended == expect_actions, f"{name}: audit events {appended}, expected {expect_actions}"
        if on_success is not None:
            on_success(result)
        self._forget()
        return result

    def _moved(self, pk: int, action: str) -> None:
        """The model's side of a successful transition: the table's row from the expected state."""
        source = self.expected[pk]
        row = transitions.row_for(action, source)
        assert row is not None, f"{action} succeeded from {source}, which no row of the table allows"
        assert (source, row.target) in FSM_EDGES, f"{source} -> {row.target} is no transition of the FSM"
        self.expected[pk] = row.target
        TALLY.transitions[f"{action}: {source} -> {row.target}"] += 1

    # --- Rules -------------------------------------------------------------------------------

    @initialize(
        starts=st.lists(
            st.tuples(st.sampled_from(DISTRICT_CODES), st.integers(0, len(WALK) + 1)), min_size=1, max_size=4
        )
    )
    def start(self, starts: list[tuple[str, int]]) -> None:
        """A few projects already on their way: each taken by the users the table names, through
        the same checked calls as every step, as far as its drawn stage (selected to reported)."""
        assert Project.objects.count() == 0
        for district, stage in starts:
            taken = set(Project.objects.values_list("bank_entry_id", flat=True))
            free = [e for e in self.entries if e.subdistrict.district_id == district and e.pk not in taken]
            if not free:
                continue
            self.create("natural", self.entries.index(free[0]), BUDGETS[1], True)
            project = Project.objects.order_by("-pk").first()
            for action in WALK[:stage]:
                if project is None or transitions.row_for(action, self.expected[project.pk]) is None:
                    break
                self.transition(action, "natural", 0, False, "", SPENDS[0], project=project.pk)
        for district in sorted({d for d, stage in starts if stage > len(WALK)}):
            # ... and then the province pays and the chief submits the district's book.
            self.disburse("natural", district, TRANCHES[0])
            self.submit("natural", district)

    @rule(
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        entry=st.integers(0, 10**6),
        budget=st.sampled_from(BUDGETS),
        plan=st.booleans(),
    )
    def create(self, who: str, entry: int, budget: str, plan: bool) -> None:
        bank = self.entries[entry % len(self.entries)]
        district = bank.subdistrict.district_id
        person = self._who(who, Role.DISTRICT_OFFICER, district, entry)
        blanks = {} if plan else {"method": "", "indicators": ""}
        data = f.good_input([bank.subdistrict_id], budget, **blanks)

        def created(project: Project) -> None:
            assert project.district_id == district and project.state == State.SELECTED
            self.expected[project.pk] = State.SELECTED
            TALLY.transitions["create: -> selected"] += 1

        self._attempt(
            "create",
            lambda: svc.project_create(acting_user=person.user, bank_entry=bank.pk, data=data),
            ["create"],
            created,
        )

    @precondition(lambda self: bool(self.expected))
    @rule(
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        pick=st.integers(0, 10**6),
        fit=st.booleans(),
        budget=st.sampled_from(BUDGETS),
        plan=st.booleans(),
    )
    def update(self, who: str, pick: int, fit: bool, budget: str, plan: bool) -> None:
        project = self._project(pick, fit, (State.SELECTED, State.RETURNED))
        if project is None:
            return
        person = self._who(who, Role.DISTRICT_OFFICER, project.district_id, pick)
        self.counter += 1
        data = svc.ProjectInput(
            title=f"โครงการทดสอบ {self.counter}",  # always a change: exactly one event
            budget_lines=[svc.LineInput("วัสดุ", "activity_materials", Decimal(budget))],
        )
        if plan:
            for name, text in f.PLAN.items():
                setattr(data, name, text)
        self._attempt(
            "update",
            lambda: svc.project_update(acting_user=person.user, project=project.pk, data=data),
            ["update"],
        )

    @precondition(lambda self: bool(self.expected))
    @rule(
        action=st.sampled_from(transitions.PROJECT_ACTIONS),
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        pick=st.integers(0, 10**6),
        fit=st.booleans(),
        comment=st.sampled_from(("เห็นควรตามเสนอ", "")),
        spend=st.sampled_from(SPENDS),
    )
    def transition(
        self,
        action: str,
        who: str,
        pick: int,
        fit: bool,
        comment: str,
        spend: str,
        project: int | None = None,
    ) -> None:
        if project is not None:
            chosen = Project.objects.select_related("district").get(pk=project)
        elif fit:  # a live project, and an action its state allows
            live = sorted(
                (pk for pk, state in self.expected.items() if STAGE.get(state, 99) < STAGE[State.REPORTED]),
                key=lambda pk: (STAGE[self.expected[pk]], pk),
            )
            # Half of the time the live project furthest along: deep paths, not only first steps.
            pk = (live[-1] if pick % 2 else live[pick % len(live)]) if live else min(self.expected)
            choices = [a for a in transitions.PROJECT_ACTIONS if transitions.row_for(a, self.expected[pk])]
            action = choices[pick % len(choices)] if choices else action
            chosen = Project.objects.select_related("district").get(pk=pk)
        else:
            found = self._project(pick, False, ())
            assert found is not None
            chosen = found
        self._transition(chosen, action, who, pick, comment, spend)

    def _transition(
        self, project: Project, action: str, who: str, pick: int, comment: str, spend: str
    ) -> None:
        state = self.expected[project.pk]
        row = transitions.row_for(action, state) or transitions.first(action)
        person = self._who(who, row.role, project.district_id, pick)
        inputs: dict[str, Any] = {}
        if action == "implement":
            inputs["record"] = svc.ImplementationInput(
                spend_lines=[svc.LineInput("ค่าวัสดุ", "activity_materials", Decimal(spend))],
                activities_done="อบรมอาชีพ 3 ครั้ง",
                villages_reached=3,
                households_reached=110,
            )
        elif action == "monitor":
            inputs = {"findings": "ดำเนินการจริงตามแผน", "recommendations": "ขยายผล"}
        elif action == "report":
            inputs = {"result_narrative": "ครัวเรือนมีรายได้เพิ่มขึ้น", "problems": "", "suggestions": ""}
        self._attempt(
            action,
            lambda: svc.project_transition(
                action=action, project=project.pk, acting_user=person.user, comment=comment, **inputs
            ),
            [action],
            lambda _: self._moved(project.pk, action),
        )

    @precondition(lambda self: bool(self.expected))
    @rule(
        who=st.one_of(st.just("natural"), st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        pick=st.integers(0, 10**6),
        comment=st.sampled_from(("เห็นควรตามเสนอ", "")),
        spend=st.sampled_from(SPENDS),
    )
    def advance(self, who: str, pick: int, comment: str, spend: str) -> None:
        """A transition the project's state allows (more often by the user the table names):
        as many of these as of the random ones, so that projects travel through their life."""
        self.transition(transitions.ACTIONS[0], who, pick, True, comment, spend)

    @precondition(lambda self: bool(self.expected))
    @rule(
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        pick=st.integers(0, 10**6),
        text=st.sampled_from(("ขอให้เร่งดำเนินการ", "")),
    )
    def comment(self, who: str, pick: int, text: str) -> None:
        project = self._project(pick, False, ())
        if project is None:
            return
        person = self._who(who, Role.DISTRICT_CHIEF, project.district_id, pick)
        self._attempt(
            "comment",
            lambda: svc.project_comment(project=project.pk, acting_user=person.user, comment=text),
            ["comment"],
        )

    @precondition(lambda self: bool(self.expected))
    @rule(
        kind=st.sampled_from(("progress", "supervision")),
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        pick=st.integers(0, 10**6),
        fit=st.booleans(),
    )
    def progress(self, kind: str, who: str, pick: int, fit: bool) -> None:
        project = self._project(pick, fit, (State.APPROVED,))
        if project is None:
            return
        today = timezone.localdate()
        if kind == "progress":
            person = self._who(who, Role.DISTRICT_OFFICER, project.district_id, pick)
            self._attempt(
                "progress_add",
                lambda: progress_svc.project_progress_add(
                    project=project.pk,
                    acting_user=person.user,
                    as_of=today,
                    percent_done=40,
                    text="ก่อสร้างแล้ว",
                ),
                ["progress_add"],
            )
        else:
            role = Role.REGIONAL_INSPECTOR if pick % 2 else Role.DISTRICT_CHIEF
            person = self._who(who, role, project.district_id, pick)
            self._attempt(
                "supervision_add",
                lambda: progress_svc.project_supervision_add(
                    project=project.pk, acting_user=person.user, text="ติดตามแล้ว", recommendations="ให้เร่ง"
                ),
                ["supervision_add"],
            )

    @rule(
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        district=st.sampled_from(DISTRICT_CODES),
        amount=st.sampled_from(TRANCHES),
    )
    def disburse(self, who: str, district: str, amount: str) -> None:
        person = self._who(who, Role.PROVINCIAL_OFFICER, district, 0)
        self._attempt(
            "disbursement_record",
            lambda: money_svc.district_disbursement_record(
                acting_user=person.user,
                district=district,
                amount=amount,
                paid_on=timezone.localdate(),
                reference="ปค 0018.2/1",
            ),
            ["disbursement_record"],
        )

    @precondition(lambda self: any(s in (State.MONITORED, State.REPORTED) for s in self.expected.values()))
    @rule(
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        district=st.sampled_from(DISTRICT_CODES),
    )
    def submit(self, who: str, district: str) -> None:
        person = self._who(who, Role.DISTRICT_CHIEF, district, 0)
        reported = [
            pk
            for pk, state in sorted(self.expected.items())
            if state == State.REPORTED and Project.objects.filter(pk=pk, district_id=district).exists()
        ]

        def submitted(_: Any) -> None:
            for pk in reported:
                self._moved(pk, "submit")

        self._attempt(
            "district_submit",
            lambda: svc.district_submit(district=district, acting_user=person.user, comment="ส่งรายงาน"),
            ["submit"] * len(reported) + ["district_submit"],
            submitted,
        )

    @rule(
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        district=st.sampled_from(DISTRICT_CODES),
        delegate=st.sampled_from(PEOPLE_KEYS),
        days=st.sampled_from((-1, 0, 7)),
    )
    def delegate(self, who: str, district: str, delegate: str, days: int) -> None:
        person = self._who(who, Role.DISTRICT_CHIEF, district, 0)
        today = timezone.localdate()
        deputy = self.people[delegate].user
        self._attempt(
            "delegation_create",
            lambda: delegation_svc.delegation_create(
                acting_user=person.user,
                district=district,
                delegate=deputy,
                starts_on=today,
                ends_on=today + datetime.timedelta(days=days),
            ),
            ["delegation_create"],
            lambda _: setattr(self, "delegations", self.delegations + 1),
        )

    @precondition(lambda self: self.delegations > 0)
    @rule(who=st.sampled_from(PEOPLE_KEYS), pick=st.integers(0, 10**6))
    def revoke(self, who: str, pick: int) -> None:
        delegations = list(Delegation.objects.order_by("pk"))
        if not delegations:
            return
        target = delegations[pick % len(delegations)]
        person = self.people[target.delegator.username] if pick % 2 else self.people[who]
        expected = [] if target.revoked_at is not None else ["delegation_revoke"]
        self._attempt(
            "delegation_revoke",
            lambda: delegation_svc.delegation_revoke(acting_user=person.user, delegation=target.pk),
            expected,
        )

    @precondition(lambda self: bool(self.expected))
    @rule(
        verb=st.sampled_from(("claim", "unclaim", "assign")),
        who=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        assignee=st.one_of(st.just("natural"), st.sampled_from(PEOPLE_KEYS)),
        pick=st.integers(0, 10**6),
    )
    def task(self, verb: str, who: str, assignee: str, pick: int) -> None:
        project = self._project(pick, True, tuple(s.state for s in transitions.STEPS))
        if project is None:
            return
        task = flows.open_step_task(project)
        if task is None:
            return
        step = transitions.STEP_BY_NAME[flows.step_name(task)]
        role = Role.DISTRICT_CHIEF if verb == "assign" else step.role
        person = self._who(who, role, project.district_id, pick)
        if verb == "claim":
            expected = [] if task.owner_id == person.user.pk else ["task_claim"]
            call: Any = lambda: task_services.task_claim(task=task.pk, acting_user=person.user)  # noqa: E731
        elif verb == "unclaim":
            expected = ["task_unclaim"]
            call = lambda: task_services.task_unclaim(task=task.pk, acting_user=person.user)  # noqa: E731
        else:
            other = self._who(assignee, step.role, project.district_id, pick + 1)
            expected = [] if task.owner_id == other.user.pk else ["task_assign"]
            call = lambda: task_services.task_assign(  # noqa: E731
                task=task.pk, acting_user=person.user, assignee=other.user
            )
        self._attempt(f"task_{verb}", call, expected)

    # --- Invariants ---------------------------------------------------------------------------

    @invariant()
    def states_are_the_models(self) -> None:
        stored = dict(Project.objects.values_list("pk", "state"))
        assert stored == self.expected
        last_event = {}
        for pk, to_state in (
            AuditEvent.objects.filter(project__isnull=False)
            .order_by("pk")
            .values_list("project_id", "to_state")
        ):
            last_event[pk] = to_state
        assert last_event == stored, "a project's state is not where its last audit event left it"
        open_steps = {
            project_id: str(node.name)
            for project_id, node in Task.objects.filter(
                status__in=flows.ACTIVE_STATUSES, flow_task_type="HUMAN"
            ).values_list("process__projectprocess__project_id", "flow_task")
        }
        expected_steps = {pk: transitions.step_of(state) for pk, state in stored.items()}
        assert open_steps == {pk: step for pk, step in expected_steps.items() if step is not None}

    @invariant()
    def no_district_above_its_cap(self) -> None:
        edition = self.world["edition"]
        for code in DISTRICT_CODES:
            committed = selectors.committed_budget(district_code=code, edition_id=edition.pk)
            spent = selectors.spent_budget(district_code=code, edition_id=edition.pk)
            disbursed = selectors.disbursed_total(district_code=code, edition_id=edition.pk)
            assert committed <= CAP, f"{code}: committed {committed} above the cap"
            assert spent <= CAP, f"{code}: spent {spent} above the cap"
            assert disbursed <= CAP, f"{code}: disbursed {disbursed} above the cap"
        # And independently of the selectors: the live projects' lines, summed here.
        live = Project.objects.exclude(state__in=RELEASED_STATES)
        for code, total in (
            BudgetLine.objects.filter(project__in=live)
            .values_list("project__district_id")
            .annotate(s=Sum("amount"))
            .values_list("project__district_id", "s")
        ):
            assert total <= CAP, f"{code}: committed {total} above the cap"

    @invariant()
    def every_chain_verifies(self) -> None:
        assert audit.verify() == []

    @invariant()
    def nobody_sees_outside_their_areas(self) -> None:
        districts = dict(Project.objects.values_list("pk", "district_id"))
        for person in self.people.values():
            access.forget(person.user)
            visible = set(selectors.project_list_visible(person.user).values_list("pk", flat=True))
            should = {pk for pk, code in districts.items() if code in person.districts}
            assert visible == should, f"{person.key} sees {sorted(visible)}, should see {sorted(should)}"
        # The inbox (a costlier query): one user per step, in turn.
        self.inbox_turn += 1
        person = list(self.people.values())[self.inbox_turn % len(self.people)]
        tasks = task_selectors.task_list_for(person.user).values_list(
            "process__projectprocess__project__district_id", flat=True
        )
        assert set(tasks) <= person.districts, f"{person.key} has tasks outside their areas"


@pytest.mark.django_db
def test_random_users_doing_random_things_keep_the_programme_whole(request: pytest.FixtureRequest) -> None:
    ProgrammeDrill.world = build_world()
    drill_settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=IN_CI,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        print_blob=True,  # a failure prints the blob that replays it (@reproduce_failure)
        database=None,  # no .hypothesis/ folder in the checkout
    )
    try:
        run_state_machine_as_test(ProgrammeDrill, settings=drill_settings)
    finally:
        _summary(request)
    assert TALLY.outcomes, "the drill ran no step"
    # The drill reached deep into the life of a project, not only its first step.
    assert any(key.startswith("monitor") for key in TALLY.transitions), TALLY.transitions


def _summary(request: pytest.FixtureRequest) -> None:
    lines = [
        f"stateful drill: {TALLY.examples} examples, {TALLY.steps} service calls "
        f"({sum(n for k, n in TALLY.outcomes.items() if k.endswith('done'))} done, "
        f"{sum(n for k, n in TALLY.outcomes.items() if 'refused' in k)} refused), "
        f"{sum(TALLY.transitions.values())} state changes",
        "  transitions: " + ", ".join(f"{k} ×{n}" for k, n in sorted(TALLY.transitions.items())),
        "  outcomes: " + ", ".join(f"{k} ×{n}" for k, n in sorted(TALLY.outcomes.items())),
    ]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))
