"""Every change to a project: create, update, each transition, comments, the district's submission.

Each service is keyword-only, runs in one transaction, checks access and the guideline's
rules, applies the FSM transition, completes the flow's step and appends the audit event
(which is also the domain event handed to ``workflow.events``).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from .. import access, audit, events, flows, limits, part3, selectors, sql, transitions, uploads
from ..audit_actions import AuditAction
from ..errors import (
    ConcurrentChange,
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from ..models import (
    BankEntry,
    BudgetLine,
    District,
    DistrictSubmission,
    Edition,
    EvidenceFile,
    LineCategory,
    MonitoringRecord,
    PrimaryObjective,
    Project,
    RoleModelDistrict,
    SpendLine,
    State,
    Subdistrict,
    TrainingKind,
)
from ..models.programme import Dimension
from ..models.projects import RELEASED_STATES
from ..rules import ProjectFacts, evaluate, failures, money

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
# Budget lines, and spend lines, per project (issue 12): the report book prints each one.
MAX_LINES = 50
# What a district's project can reach: far above any real one, far below what a column holds.
MAX_VILLAGES = 5_000
MAX_HOUSEHOLDS = 1_000_000
LIMITS = {
    "target_villages": MAX_VILLAGES,
    "villages_reached": MAX_VILLAGES,
    "target_households": MAX_HOUSEHOLDS,
    "households_reached": MAX_HOUSEHOLDS,
}


def _count_errors(**counts: int | None) -> list[FieldError]:
    """A number below 0 or above its limit (``LIMITS``), by field."""
    errors: list[FieldError] = []
    for name, value in counts.items():
        if value is None:
            continue
        if value < 0:
            errors.append(FieldError(name, "invalid", _("Enter a number of at least 0.")))
        elif value > LIMITS[name]:
            errors.append(
                FieldError(
                    name, "max_value", _("Enter a number of at most %(max)s.") % {"max": f"{LIMITS[name]:,}"}
                )
            )
    return errors


@dataclass(frozen=True)
class LineInput:
    description: str
    category: str
    amount: Decimal


@dataclass
class ProjectInput:
    """Fields of a project as a client sends them. ``None`` means "not given" (keep as is)."""

    title: str | None = None
    dimension: str | None = None
    dimension_other: str | None = None
    subdistricts: Sequence[str] | None = None
    target_villages: int | None = None
    target_households: int | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    primary_objective: str | None = None
    training_kind: str | None = None
    training_target_local: bool | None = None
    budget_lines: Sequence[LineInput] | None = None
    do_checklist: dict[str, bool] | None = None
    # Part 3 of the book, the plan (``workflow.part3``): may be blank in a draft, needed to approve.
    rationale: str | None = None
    objectives: str | None = None
    method: str | None = None
    indicators: str | None = None
    expected_results: str | None = None
    given: set[str] = field(default_factory=set)  # names explicitly sent (dates may be sent as null)


@dataclass(frozen=True)
class ImplementationInput:
    spend_lines: Sequence[LineInput]
    activities_done: str
    villages_reached: int
    households_reached: int
    evidence_ids: Sequence[int] = ()


# --- Helpers ---------------------------------------------------------------------------


def _is_late(edition: Edition) -> bool:
    return timezone.localdate() > edition.deadline


def _actor(principal: access.Principal, grant: access.Grant | None) -> audit.Actor:
    return audit.Actor(
        user=principal.user,
        role=grant.role if grant else "",
        area_code=grant.area_code if grant else "",
        acting_for=grant.acting_for if grant else None,
    )


def _validate_lines(lines: Sequence[LineInput], prefix: str) -> list[FieldError]:
    if len(lines) > MAX_LINES:  # one error, not one per line: the book prints every line
        return [
            FieldError(
                prefix,
                "too_many_lines",
                _("Use at most %(max)s lines per project (this has %(count)s).")
                % {"max": MAX_LINES, "count": f"{len(lines):,}"},
            )
        ]
    errors: list[FieldError] = []
    valid_categories = set(LineCategory.values)
    for index, line in enumerate(lines):
        where = f"{prefix}[{index}]"
        if not line.description.strip():
            errors.append(FieldError(f"{where}.description", "required", _("Describe the budget line.")))
        errors.extend(limits.text_errors(limits.SHORT, **{f"{where}.description": line.description}))
        if line.category not in valid_categories:
            errors.append(FieldError(f"{where}.category", "invalid_choice", _("Unknown category.")))
        try:
            amount = Decimal(line.amount)
        except (InvalidOperation, TypeError, ValueError):
            errors.append(FieldError(f"{where}.amount", "invalid", _("Enter an amount in baht.")))
            continue
        if amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
            errors.append(
                FieldError(
                    f"{where}.amount", "invalid", _("Enter a non-negative amount with at most two decimals.")
                )
            )
    return errors


def _validate_input(data: ProjectInput) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.title is not None and not data.title.strip():
        errors.append(FieldError("title", "required", _("Give the project a title.")))
    errors.extend(limits.text_errors(limits.SHORT, title=data.title, dimension_other=data.dimension_other))
    if data.dimension not in (None, "") and data.dimension not in Dimension.values:
        errors.append(FieldError("dimension", "invalid_choice", _("Unknown development dimension.")))
    if data.primary_objective is not None and data.primary_objective not in PrimaryObjective.values:
        errors.append(FieldError("primary_objective", "invalid_choice", _("Unknown objective.")))
    if data.training_kind not in (None, "") and data.training_kind not in TrainingKind.values:
        errors.append(FieldError("training_kind", "invalid_choice", _("Unknown kind of training.")))
    errors.extend(
        _count_errors(target_villages=data.target_villages, target_households=data.target_households)
    )
    if data.budget_lines is not None:
        errors.extend(_validate_lines(data.budget_lines, "budget_lines"))
    if data.do_checklist is not None:
        unknown = set(data.do_checklist) - {"fits_district_plan", "feasible", "area_ready", "permitted"}
        if unknown:
            errors.append(FieldError("do_checklist", "invalid", _("Unknown checklist item.")))
    errors.extend(_too_long(**{name: getattr(data, name) for name in part3.PLAN_FIELDS}))
    return errors


def _too_long(**texts: str | None) -> list[FieldError]:
    """A ``too_long`` error for each part 3 text over ``part3.MAX_LENGTH`` characters."""
    return [
        FieldError(
            name,
            "too_long",
            _("%(part)s: use at most %(max)s characters (this has %(length)s).")
            % {"part": part3.label(name), "max": f"{part3.MAX_LENGTH:,}", "length": f"{len(value or ''):,}"},
        )
        for name, value in texts.items()
        if part3.too_long(name, value)
    ]


def _require_plan(project: Project) -> None:
    """Approval needs the whole plan (part 3): one error per blank part, read from the locked row."""
    missing = part3.missing_for_approval(project)
    if missing:
        raise InvalidInput(
            [
                FieldError(
                    name,
                    "required_for_approval",
                    _("Fill in “%(part)s” (part 3 of the report book) before the project can be approved.")
                    % {"part": part3.label(name)},
                )
                for name in missing
            ],
            _("The project's plan is incomplete: the officer must fill in every part before approval."),
        )


def _resolve_subdistricts(codes: Sequence[str]) -> list[Subdistrict]:
    found = {s.code: s for s in Subdistrict.objects.filter(code__in=list(codes))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise InvalidInput(
            [
                FieldError(
                    "subdistricts",
                    "unknown_subdistrict",
                    _("Unknown subdistrict code: %(codes)s") % {"codes": ", ".join(missing)},
                )
            ]
        )
    return [found[code] for code in dict.fromkeys(codes)]


def _facts_for(
    project: Project | None,
    district_code: str,
    data: ProjectInput,
    subdistricts: list[Subdistrict] | None,
) -> ProjectFacts:
    """The rules' view of the project as it would be after applying ``data``."""

    def pick(name: str, current: Any) -> Any:
        value = getattr(data, name)
        if name in data.given or value is not None:
            return value
        return current

    if project is not None:
        current_lines = [
            LineInput(line.description, line.category, line.amount) for line in project.budget_lines.all()
        ]
        current_subs = [s.district_id for s in project.subdistricts.all()]
        checklist = project.do_checklist
    else:
        current_lines, current_subs, checklist = [], [], {}
    lines = list(data.budget_lines) if data.budget_lines is not None else current_lines
    sub_districts = [s.district_id for s in subdistricts] if subdistricts is not None else current_subs
    merged_checklist = {**checklist, **(data.do_checklist or {})}
    return ProjectFacts(
        district_code=district_code,
        dimension=pick("dimension", project.dimension if project else "") or "",
        dimension_other=pick("dimension_other", project.dimension_other if project else "") or "",
        subdistrict_districts=sub_districts,
        target_villages=pick("target_villages", project.target_villages if project else 0) or 0,
        target_households=pick("target_households", project.target_households if project else 0) or 0,
        start_date=pick("start_date", project.start_date if project else None),
        end_date=pick("end_date", project.end_date if project else None),
        primary_objective=pick("primary_objective", project.primary_objective if project else "development")
        or "development",
        training_kind=pick("training_kind", project.training_kind if project else "") or "",
        training_target_local=bool(
            pick("training_target_local", project.training_target_local if project else False)
        ),
        line_categories=[line.category for line in lines],
        budget=sum((Decimal(line.amount) for line in lines), Decimal("0.00")),
        do_checklist=merged_checklist,
    )


def _check_rules(
    facts: ProjectFacts, edition: Edition, *, exclude_project_id: int | None
) -> list[dict[str, Any]]:
    other = selectors.committed_budget(
        district_code=facts.district_code, edition_id=edition.pk, exclude_project_id=exclude_project_id
    )
    results = evaluate(facts, selectors.edition_facts(edition), other)
    failed = failures(results)
    if failed:
        raise RuleViolation([r.as_error() for r in failed])
    return [r.snapshot() for r in results]


# The project's own fields a client sets directly (lines, subdistricts and the checklist apart).
SIMPLE_FIELDS = (
    "title",
    "dimension",
    "dimension_other",
    "target_villages",
    "target_households",
    "start_date",
    "end_date",
    "primary_objective",
    "training_kind",
    "training_target_local",
    *part3.PLAN_FIELDS,
)

# What a field becomes when a client sends it as null.
CLEARED: dict[str, Any] = {
    "title": "",
    "dimension": "",
    "dimension_other": "",
    "training_kind": "",
    "target_villages": 0,
    "target_households": 0,
    "training_target_local": False,
    "primary_objective": PrimaryObjective.DEVELOPMENT,
    "start_date": None,
    "end_date": None,
    **dict.fromkeys(part3.PLAN_FIELDS, ""),
}


def _apply(project: Project, data: ProjectInput, subdistricts: list[Subdistrict] | None) -> list[str]:
    """Write ``data`` onto the project; return the names of the fields that changed."""
    changed: list[str] = []
    for name in SIMPLE_FIELDS:
        value = getattr(data, name)
        if value is None and name not in data.given:
            continue
        if value is None:  # sent as null: back to the field's empty value
            value = CLEARED.get(name)
        if getattr(project, name) != value:
            setattr(project, name, value)
            changed.append(name)
    if data.do_checklist is not None:
        for key, value in data.do_checklist.items():
            attr = f"do_{key}"
            if getattr(project, attr) != bool(value):
                setattr(project, attr, bool(value))
                changed.append("do_checklist")
    project.save()
    if subdistricts is not None:
        before = sorted(s.code for s in project.subdistricts.all())
        project.subdistricts.set(subdistricts)
        if before != sorted(s.code for s in subdistricts):
            changed.append("subdistricts")
    if data.budget_lines is not None:
        before_lines = [(b.description, b.category, b.amount) for b in project.budget_lines.all()]
        after_lines = [(line.description, line.category, Decimal(line.amount)) for line in data.budget_lines]
        if before_lines != after_lines:
            project.budget_lines.all().delete()
            sql.insert(_line_rows(BudgetLine, project, data.budget_lines))
            changed.append("budget_lines")
    return sorted(set(changed))


def _line_rows(
    model: type[BudgetLine] | type[SpendLine], project: Project, lines: Sequence[LineInput]
) -> list[Any]:
    """The budget or spend lines as rows of ``model``, in the order given."""
    return [
        model(
            project=project,
            position=i,
            description=line.description,
            category=line.category,
            amount=Decimal(line.amount),
        )
        for i, line in enumerate(lines)
    ]


def _budget_snapshot(district_code: str, edition: Edition) -> dict[str, str]:
    return selectors.budget_of(district_code=district_code, edition=edition).as_dict()


# --- Create and update --------------------------------------------------------------------


def _not_participating(edition: Edition, district: District) -> DomainError:
    """Only the edition's Role Model districts (อำเภอต้นแบบ) select projects."""
    return DomainError(
        _("%(district)s is not a Role Model district of edition %(edition)s: it cannot select projects.")
        % {"district": district.name_th, "edition": edition.code},
        "not_participating",
        422,
    )


def _bank_entry_taken(edition: Edition, entry: BankEntry) -> DomainError:
    """A bank entry is taken once per district and edition while its project is live."""
    holder = Project.objects.committed().filter(edition=edition, bank_entry=entry).only("pk", "title").first()
    message = _("This bank entry is already selected in this edition: project “%(title)s” (no. %(id)s).") % {
        "title": holder.title if holder else entry.title,
        "id": holder.pk if holder else "-",
    }
    return DomainError(
        message, "bank_entry_taken", 422, [FieldError("bank_entry", "bank_entry_taken", message).as_dict()]
    )


@transaction.atomic
def project_create(*, acting_user: Any, bank_entry: BankEntry | int, data: ProjectInput) -> Project:
    principal = access.principal_for(acting_user)
    try:
        entry = BankEntry.objects.select_related("subdistrict__district__province").get(
            pk=bank_entry.pk if isinstance(bank_entry, BankEntry) else bank_entry
        )
    except (BankEntry.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            [FieldError("bank_entry", "unknown_bank_entry", _("Unknown bank entry."))]
        ) from None
    district = entry.subdistrict.district
    grant = access.create_grant(principal, district)
    if grant is None:
        raise Forbidden(
            _("Only an officer of the bank entry's district may select it."), "not_district_officer"
        )
    edition = selectors.active_edition()
    if edition is None:
        raise Conflict(_("No programme edition is open for selection."), "no_active_edition")
    if not RoleModelDistrict.objects.filter(edition=edition, district=district).exists():
        raise _not_participating(edition, district)
    if data.title is None:
        data.title = entry.title
    if data.dimension is None and "dimension" not in data.given:
        data.dimension = entry.dimension
    errors = _validate_input(data)
    if errors:
        raise InvalidInput(errors)
    subdistricts = _resolve_subdistricts(data.subdistricts) if data.subdistricts is not None else []
    selectors.district_for_update(district.code)
    if Project.objects.committed().filter(edition=edition, bank_entry=entry).exists():
        raise _bank_entry_taken(edition, entry)
    facts = _facts_for(None, district.code, data, subdistricts)
    rule_snapshot = _check_rules(facts, edition, exclude_project_id=None)
    project = Project(edition=edition, district=district, bank_entry=entry, created_by=acting_user)
    try:
        with transaction.atomic():  # the partial unique index decides a race the lock did not
            project.save()
    except IntegrityError:
        raise _bank_entry_taken(edition, entry) from None
    _apply(project, data, subdistricts)
    flows.process_start(project=project)
    events.publish(
        actor=_actor(principal, grant),
        action=AuditAction.CREATE,
        object_type="project",
        object_id=project.pk,
        project=project,
        to_state=project.state,
        is_late=_is_late(edition),
        rule_results=rule_snapshot,
        budget=_budget_snapshot(district.code, edition),
        payload={"bank_entry": entry.code, "title": project.title, "budget": str(facts.budget)},
    )
    return project


@transaction.atomic
def project_update(*, acting_user: Any, project: Project | int, data: ProjectInput) -> Project:
    principal = access.principal_for(acting_user)
    locked = selectors.project_get_visible(acting_user, _pk(project), for_update=True)
    if not access.may_act_at_all(principal, locked, "update"):
        raise Forbidden(_("Only an officer of the project's district may change it."), "forbidden")
    grant = access.action_grant(principal, locked, "update")
    if grant is None:
        raise IllegalTransition(
            _("A project can only be changed while it is selected or returned for revision.")
        )
    errors = _validate_input(data)
    if errors:
        raise InvalidInput(errors)
    subdistricts = _resolve_subdistricts(data.subdistricts) if data.subdistricts is not None else None
    selectors.district_for_update(locked.district_id)
    facts = _facts_for(locked, locked.district_id, data, subdistricts)
    rule_snapshot = _check_rules(facts, locked.edition, exclude_project_id=locked.pk)
    changed = _apply(locked, data, subdistricts)
    if changed:
        events.publish(
            actor=_actor(principal, grant),
            action=AuditAction.UPDATE,
            object_type="project",
            object_id=locked.pk,
            project=locked,
            from_state=locked.state,
            to_state=locked.state,
            is_late=_is_late(locked.edition),
            rule_results=rule_snapshot,
            budget=_budget_snapshot(locked.district_id, locked.edition),
            payload={"changed": changed, "budget": str(facts.budget)},
        )
    return locked


def _pk(project: Project | int) -> Any:
    return project.pk if isinstance(project, Project) else project


# --- Transitions --------------------------------------------------------------------------
# What each transition is comes from ``workflow.transitions``; these names are derived from it.

FSM_METHOD: dict[tuple[str, str], str] = {key: row.method for key, row in transitions.BY_ACTION_STATE.items()}
COMMENT_REQUIRED = frozenset(a for a in transitions.ACTIONS if transitions.first(a).comment_required)
OVERRIDES_CLAIM = frozenset(a for a in transitions.ACTIONS if transitions.first(a).overrides_claim)


# What every transition writes to the project's row (besides the ``written`` fields of its service).
TRANSITION_WRITES = ("state", "state_changed_at")
IMPLEMENT_WRITES = ("activities_done", "villages_reached", "households_reached")
REPORT_WRITES = ("result_narrative", "problems", "suggestions")


def _check(
    principal: access.Principal, project: Project, action: str
) -> tuple[access.Grant, transitions.Transition, flows.OpenStep | None]:
    """Role, then state, then the creator and claim rules: 403 before 409.

    ``project`` was read by ``selectors.project_for_transition`` (its open step with it).
    """
    if not access.may_act_at_all(principal, project, action):
        raise Forbidden(_("Your role may not do this to this project."), "forbidden")
    row = transitions.row_for(action, project.state)
    if row is None:
        raise IllegalTransition()
    grant = access.action_grant(principal, project, action)
    if grant is None:
        raise Forbidden(_("Your role may not do this to the project in its current state."), "forbidden")
    if row.not_by_creator and access.is_creator(principal, project):
        raise Forbidden(_("You may not decide on a project you created."), "own_project")
    step = flows.open_step_of(project)
    owner_id = step.owner_id if step is not None else None
    if not row.overrides_claim and owner_id is not None and owner_id != principal.user.pk:
        owner = get_user_model().objects.get(pk=owner_id)
        raise Conflict(_("%(name)s has claimed this task.") % {"name": owner.get_username()}, "task_claimed")
    return grant, row, step


def transition_precheck(*, project: Project | int, acting_user: Any, action: str) -> None:
    """Whether the user may take ``action`` now (404, 403, 409), changing nothing.

    The API asks this before it reads the request body, so that a wrong role or state is
    reported as such and not as an incomplete form.
    """
    principal = access.principal_for(acting_user)
    _check(principal, selectors.project_for_transition(acting_user, _pk(project)), action)


@dataclass
class _Begun:
    principal: access.Principal
    project: Project
    grant: access.Grant
    row: transitions.Transition
    step: flows.OpenStep | None


def _begin(acting_user: Any, project: Project | int, action: str) -> _Begun:
    """Read and lock the project (with the district's row when the action changes its budget;
    with the user's grants, where they are read with it)."""
    if acting_user is None or not acting_user.is_authenticated:
        raise NotFound()
    lock_district = any(row.locks_district for row in transitions.rows(action))
    locked = selectors.project_for_transition(
        acting_user, _pk(project), for_update=True, lock_district=lock_district
    )
    principal = access.principal_for(acting_user)  # read with the project, or before it
    grant, row, step = _check(principal, locked, action)
    return _Begun(principal, locked, grant, row, step)


def _require_comment(action: str, comment: str) -> None:
    if action in COMMENT_REQUIRED and not comment.strip():
        raise InvalidInput([FieldError("comment", "required", _("A comment is required."))])


def _transition(
    begun: _Begun,
    *,
    comment: str,
    payload: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
    facts: selectors.TransitionFacts | None = None,
    written: tuple[str, ...] = (),
    inserts: Sequence[Sequence[Any]] = (),
) -> Project:
    """Apply the FSM transition, close the flow's step, append the event: a fixed number of statements.

    ``written``: the project's fields the service set besides the state (the UPDATE writes
    those, the state and its time, and ``updated_at``). ``inserts``: the service's own rows
    (batches of one model each), written with the step; a ``payload`` given as a function is
    asked for once they are (it may name their keys)."""
    project, row, principal = begun.project, begun.row, begun.principal
    too_long = limits.text_errors(limits.LONG, comment=comment)
    if too_long:
        raise InvalidInput(too_long)
    from_state = project.state
    try:
        getattr(project, row.method)()
    except TransitionNotAllowed:
        raise IllegalTransition() from None
    project.state_changed_at = timezone.now()
    if begun.step is None:
        raise RuntimeError(f"project {project.pk} has no open step")
    if row.action == AuditAction.APPROVE and facts is None:
        facts = selectors.transition_facts(project)
    due = row.action == AuditAction.APPROVE and facts is not None and facts.first_approval_undisbursed
    # The rules' facts not read yet are read with the step (the snapshot before its own writes,
    # which change none of them).
    also = [] if facts is not None else [selectors.transition_facts_read(project)]
    try:
        # The row written as ``ConcurrentTransitionMixin.save`` writes it (only if the state
        # is still the one read), with the step, the chain's head and the people to tell.
        change = flows.step_complete(
            project=project,
            step=begun.step,
            user=principal.user,
            overrides_claim=row.overrides_claim,
            update=sql.RowUpdate(
                project,
                (*TRANSITION_WRITES, *written),
                {"state": from_state},
                project.district_id,
                getattr(project, "_chain_head", None),
            ),
            people=flows.People(project.district, project.created_by_id, disbursement_due=due),
            also=also,
            inserts=inserts,
        )
    except flows.StepMoved:
        raise ConcurrentChange() from None
    project._update_initial_state()
    if facts is None:
        facts = selectors.transition_facts_from(project, change.found[0])
    events.publish(
        actor=_actor(principal, begun.grant),
        action=row.action,
        object_type="project",
        object_id=project.pk,
        project=project,
        from_state=from_state,
        to_state=project.state,
        comment=comment,
        is_late=_is_late(project.edition),
        rule_results=facts.snapshot(project.edition),
        budget=facts.budget_after(project).as_dict(),
        payload=(payload() if callable(payload) else payload) or {},
        chain_head=change.head,
        context=events.Context(step=change, disbursement_due=due),
    )
    return project


def _transition_rechecking_rules(
    acting_user: Any,
    project: Project | int,
    action: str,
    comment: str,
    check: Callable[[Project], None] | None = None,
) -> Project:
    """Run the guideline's rules again under the district's lock (422 on failure), then transition.

    ``check`` looks at the locked project first (after the access and state checks, before the
    rules), without reading anything more."""
    begun = _begin(acting_user, project, action)
    if check is not None:
        check(begun.project)
    facts = selectors.transition_facts(begun.project)
    failed = failures(facts.results(begun.project.edition))
    if failed:
        raise RuleViolation([r.as_error() for r in failed])
    return _transition(begun, comment=comment, facts=facts)


@transaction.atomic
def project_approve(*, project: Project | int, acting_user: Any, comment: str = "") -> Project:
    return _transition_rechecking_rules(acting_user, project, "approve", comment, check=_require_plan)


@transaction.atomic
def project_return(*, project: Project | int, acting_user: Any, comment: str) -> Project:
    begun = _begin(acting_user, project, "return")
    _require_comment("return", comment)
    return _transition(begun, comment=comment)


@transaction.atomic
def project_reject(*, project: Project | int, acting_user: Any, comment: str) -> Project:
    begun = _begin(acting_user, project, "reject")
    _require_comment("reject", comment)
    return _transition(begun, comment=comment)


@transaction.atomic
def project_withdraw(*, project: Project | int, acting_user: Any, comment: str = "") -> Project:
    return _transition(_begin(acting_user, project, "withdraw"), comment=comment)


@transaction.atomic
def project_resubmit(*, project: Project | int, acting_user: Any, comment: str = "") -> Project:
    return _transition_rechecking_rules(acting_user, project, "resubmit", comment)


@transaction.atomic
def project_implement(
    *, project: Project | int, acting_user: Any, record: ImplementationInput, comment: str = ""
) -> Project:
    begun = _begin(acting_user, project, "implement")
    locked = begun.project
    errors = _validate_lines(record.spend_lines, "spend_lines")
    if not record.activities_done.strip():
        errors.append(FieldError("activities_done", "required", _("Describe the activities done.")))
    errors.extend(limits.text_errors(limits.LONG, activities_done=record.activities_done))
    for name in ("villages_reached", "households_reached"):
        if getattr(record, name) is None:
            errors.append(FieldError(name, "required", _("Enter a number of at least 0.")))
    errors.extend(
        _count_errors(villages_reached=record.villages_reached, households_reached=record.households_reached)
    )
    wanted = set(record.evidence_ids)
    evidence = list(EvidenceFile.objects.filter(project=locked, pk__in=list(wanted))) if wanted else []
    if len(evidence) != len(wanted):
        errors.append(FieldError("evidence", "unknown_evidence", _("Unknown evidence file.")))
    if errors:
        raise InvalidInput(errors)
    spent = sum((Decimal(line.amount) for line in record.spend_lines), Decimal("0.00"))
    # The project's approved budget, the district's committed budget and what its other live
    # projects spent: one statement, under the district's lock (the row says ``locks_district``).
    facts = selectors.transition_facts(locked).spending(spent)
    spend_rule = facts.spend_result(locked.edition)
    if not spend_rule.passed:
        raise RuleViolation([spend_rule.as_error()])
    approved = facts.facts.budget
    over_approved = spent > approved
    if over_approved and not comment.strip():
        raise InvalidInput(
            [
                FieldError(
                    "comment",
                    "spend_over_approved",
                    _("The spending is above the approved budget of %(budget)s baht: say why in the comment.")
                    % {"budget": money(approved)},
                )
            ]
        )
    if locked._has_spend_lines:  # type: ignore[attr-defined]  # read with the project
        locked.spend_lines.all().delete()
    locked.activities_done = record.activities_done
    locked.villages_reached = record.villages_reached
    locked.households_reached = record.households_reached
    payload = {
        "spent": str(spent),
        "approved_budget": str(approved),
        "warnings": ["spend_over_approved"] if over_approved else [],
        "villages_reached": record.villages_reached,
        "households_reached": record.households_reached,
        "evidence": [{"id": e.pk, "sha256": e.sha256} for e in evidence],
    }
    return _transition(
        begun,
        comment=comment,
        payload=payload,
        facts=facts,
        written=IMPLEMENT_WRITES,
        inserts=[_line_rows(SpendLine, locked, record.spend_lines)],
    )


@transaction.atomic
def project_monitor(
    *, project: Project | int, acting_user: Any, findings: str, recommendations: str = "", comment: str = ""
) -> Project:
    begun = _begin(acting_user, project, "monitor")
    if not findings.strip():
        raise InvalidInput([FieldError("findings", "required", _("Record the findings."))])
    if problems := limits.text_errors(limits.LONG, findings=findings, recommendations=recommendations):
        raise InvalidInput(problems)
    record = MonitoringRecord(
        project=begun.project, inspector=acting_user, findings=findings, recommendations=recommendations
    )

    def payload() -> dict[str, Any]:  # the record's key once it is written, with the step
        return {"monitoring_record": record.pk, "findings": findings, "recommendations": recommendations}

    return _transition(begun, comment=comment, payload=payload, inserts=[[record]])


@transaction.atomic
def project_report(
    *,
    project: Project | int,
    acting_user: Any,
    result_narrative: str,
    problems: str = "",
    suggestions: str = "",
    comment: str = "",
) -> Project:
    """The results achieved (required), problems and obstacles, suggestions: part 3's end."""
    begun = _begin(acting_user, project, "report")
    errors: list[FieldError] = []
    if not result_narrative.strip():
        errors.append(FieldError("result_narrative", "required", _("Write the results achieved.")))
    errors.extend(_too_long(result_narrative=result_narrative, problems=problems, suggestions=suggestions))
    if errors:
        raise InvalidInput(errors)
    locked = begun.project
    locked.result_narrative = result_narrative
    locked.problems = problems
    locked.suggestions = suggestions
    payload = {"result_narrative": result_narrative, "problems": problems, "suggestions": suggestions}
    return _transition(begun, comment=comment, payload=payload, written=REPORT_WRITES)


TRANSITION_SERVICES: dict[str, Callable[..., Project]] = {
    "approve": project_approve,
    "return": project_return,
    "reject": project_reject,
    "withdraw": project_withdraw,
    "resubmit": project_resubmit,
    "implement": project_implement,
    "monitor": project_monitor,
    "report": project_report,
}


def project_transition(
    *, action: str, project: Project | int, acting_user: Any, comment: str = "", **inputs: Any
) -> Project:
    """Take ``action`` with the input its row of ``workflow.transitions`` declares (API and pages)."""
    row = transitions.first(action)
    unexpected = set(inputs) - set(row.arguments)
    if not row.per_project or unexpected:
        raise ValueError(f"{action!r} takes {row.arguments}, not {sorted(inputs)}")
    return TRANSITION_SERVICES[action](project=project, acting_user=acting_user, comment=comment, **inputs)


# --- Comments and evidence ------------------------------------------------------------


@transaction.atomic
def project_comment(*, project: Project | int, acting_user: Any, comment: str) -> Any:
    principal = access.principal_for(acting_user)
    locked = selectors.project_get_visible(acting_user, _pk(project))
    grant = access.comment_grant(principal, locked)
    if grant is None:
        raise Forbidden(_("Your role may not comment on projects."), "forbidden")
    if not comment.strip():
        raise InvalidInput([FieldError("comment", "required", _("Write a comment."))])
    if problems := limits.text_errors(limits.LONG, comment=comment):
        raise InvalidInput(problems)
    return events.publish(
        actor=_actor(principal, grant),
        action=AuditAction.COMMENT,
        object_type="project",
        object_id=locked.pk,
        project=locked,
        from_state=locked.state,
        to_state=locked.state,
        comment=comment,
        is_late=_is_late(locked.edition),
    )


@transaction.atomic
def evidence_add(
    *, project: Project | int, acting_user: Any, uploaded: Any, caption: str = "", kind: str = "evidence"
) -> EvidenceFile:
    """Attach a file: officers while implementing, inspectors' photos while monitoring."""
    principal = access.principal_for(acting_user)
    locked = selectors.project_get_visible(acting_user, _pk(project), for_update=True)
    action = "monitor" if kind == EvidenceFile.Kind.MONITORING_PHOTO else "implement"
    if not access.may_act_at_all(principal, locked, action):
        raise Forbidden()
    grant = access.action_grant(principal, locked, action)
    if grant is None:
        raise IllegalTransition(_("Files can be added only while the step they belong to is open."))
    allowed = uploads.PHOTOS if kind == EvidenceFile.Kind.MONITORING_PHOTO else uploads.EVIDENCE
    problems = uploads.upload_errors("file", [uploaded], allowed=allowed, max_count=1)
    problems += limits.text_errors(limits.SHORT, caption=caption)
    if problems:
        raise InvalidInput(problems)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    evidence = EvidenceFile(
        project=locked,
        kind=kind,
        file=uploaded,
        # Stored under a random name: the sender's name is kept only as the default caption.
        caption=caption or os.path.basename(str(uploaded.name or ""))[:500],
        sha256=digest.hexdigest(),
        uploaded_by=acting_user,
    )
    evidence._sniffed = uploads.sniff(uploaded)  # type: ignore[attr-defined]  # its stored extension
    evidence.save()
    events.publish(
        actor=_actor(principal, grant),
        action=AuditAction.EVIDENCE_ADD,
        object_type="evidence",
        object_id=evidence.pk,
        project=locked,
        from_state=locked.state,
        to_state=locked.state,
        payload={"name": evidence.file.name, "sha256": evidence.sha256, "kind": kind, "caption": caption},
    )
    return evidence


# --- The district's submission -----------------------------------------------------------


# Prints of the book one submission may make when what it prints keeps changing meanwhile.
SUBMIT_DOCUMENT_ATTEMPTS = 3
_P = ParamSpec("_P")


def _documents_made_outside_the_lock(
    submit: Callable[_P, DistrictSubmission],
) -> Callable[_P, DistrictSubmission]:
    """Run the submission so that its book is printed with no transaction or lock held.

    The first pass takes the district's lock, makes every change and composes the book (cheap:
    its page, not the print); the book's renderer has no print of it yet, so it raises
    ``events.DocumentNotReady`` and the pass rolls back. The print is made then, outside any
    transaction; the next pass takes the lock again, makes the same changes and stores the
    print only if what the book would print now is exactly what was printed (the renderer
    compares the key of both) — otherwise it asks for another print. The submission's time is
    fixed once, so passes that see the same data print the same book. (Called inside an outer
    transaction, as the demo's seed does, the passes are savepoints and that transaction's
    locks stay held while the book prints.)
    """

    @functools.wraps(submit)
    def attempt(*args: _P.args, **kwargs: _P.kwargs) -> DistrictSubmission:
        kwargs.setdefault("submitted_at", timezone.now())
        for prints in range(SUBMIT_DOCUMENT_ATTEMPTS + 1):
            try:
                return submit(*args, **kwargs)
            except events.DocumentNotReady as pending:
                if prints == SUBMIT_DOCUMENT_ATTEMPTS:
                    break
                pending.prepare()
        raise Conflict(
            _("The district's projects kept changing while the report book was being made. Submit again."),
            "submission_changed",
        )

    return attempt


LETTER_NUMBER_MAX = 100
_LETTER_NUMBER_LABEL = re.compile(r"^\s*ที่(?=\s|มท)\s*")  # "ที่ มท …": the form prints "ที่" itself


def _covering_letter(number: str, date: datetime.date | None) -> tuple[str, datetime.date, list[FieldError]]:
    """The covering letter's number and date as the chief gave them, and what is wrong with them.

    Both may be left out (the API's older clients): the number is then blank (the printed
    letter leaves it to be written in by hand) and the date is the day of submission.
    """
    errors: list[FieldError] = []
    text = " ".join(_LETTER_NUMBER_LABEL.sub("", number or "").split())
    if len(text) > LETTER_NUMBER_MAX:
        errors.append(
            FieldError(
                "letter_number",
                "max_length",
                _("Enter at most %(limit)s characters.") % {"limit": LETTER_NUMBER_MAX},
            )
        )
    elif text and not (text.startswith("มท") and "/" in text):
        errors.append(
            FieldError(
                "letter_number",
                "invalid",
                _("Write the letter's number as the office's register gives it, e.g. มท ๐๓๑๘.๑/๑๒๓."),
            )
        )
    today = timezone.localdate()
    if date is not None and date > today:
        errors.append(FieldError("letter_date", "future", _("The letter cannot be dated after today.")))
    return text, date or today, errors


@_documents_made_outside_the_lock
@transaction.atomic
def district_submit(
    *,
    district: District | str,
    acting_user: Any,
    comment: str = "",
    letter_number: str = "",
    letter_date: datetime.date | None = None,
    submitted_at: datetime.datetime | None = None,
) -> DistrictSubmission:
    """Submit the district's report book with every reported project of the active edition.

    The first submission moves every live project from reported to submitted. A later one is
    a correction: a new version of the book (the earlier versions stay as they were), which
    needs a comment saying what changed and takes any project reported since.

    ``letter_number`` and ``letter_date`` are the covering letter's (หนังสือนำส่ง), stored with
    the submission; see ``_covering_letter`` for what is accepted and the defaults.

    The book is printed outside this transaction (``_documents_made_outside_the_lock``, which
    fixes ``submitted_at`` once for every pass).
    """
    principal = access.principal_for(acting_user)
    code = district.code if isinstance(district, District) else district
    visible = selectors.district_get_visible(acting_user, code)
    grant = access.submit_grant(principal, visible)
    if grant is None:
        raise Forbidden(_("Only the district's chief may submit."), "forbidden")
    edition = selectors.active_edition()
    if edition is None:
        raise Conflict(_("No programme edition is open."), "no_active_edition")
    locked_district = selectors.district_for_update(code)
    live = list(
        selectors.projects_for_transition()
        .select_for_update(of=("self",), no_key=True)
        .filter(district_id=code, edition=edition)
        .exclude(state__in=RELEASED_STATES)
        .order_by("id")
    )
    projects = [p for p in live if p.state == State.REPORTED]
    already = [p for p in live if p.state == State.SUBMITTED]
    not_ready = [p for p in live if p.state not in (State.REPORTED, State.SUBMITTED)]
    previous = (
        DistrictSubmission.objects.filter(district_id=code, edition=edition).aggregate(v=Max("version"))["v"]
        or 0
    )
    if not_ready or not live or (not projects and not previous):
        raise Conflict(
            _("Every live project of the district must be reported before submission."),
            "submission_not_ready",
        )
    if selectors.disbursed_total(district_code=code, edition_id=edition.pk) <= 0:
        raise Conflict(
            _(
                "The provincial office has not recorded the disbursement of the district's allocation "
                "yet: the report book can be submitted once it is recorded."
            ),
            "not_disbursed",
        )
    comment = comment.strip()
    number, letter_day, problems = _covering_letter(letter_number, letter_date)
    if previous and not comment:
        problems.insert(
            0,
            FieldError(
                "comment",
                "correction_reason_required",
                _("Say what this corrected version changes."),
            ),
        )
    if problems:
        raise InvalidInput(
            problems,
            _("A corrected version needs a comment.")
            if problems[0].field == "comment"
            else _("Check the covering letter's number and date."),
        )
    late = _is_late(edition)
    version = previous + 1
    submission = DistrictSubmission.objects.create(
        district=locked_district,
        edition=edition,
        version=version,
        submitted_by=acting_user,
        submitted_at=submitted_at or timezone.now(),
        is_late=late,
        comment=comment,
        acting_for_id=grant.acting_for_id,
        letter_number=number,
        letter_date=letter_day,
    )
    submission.projects.set(already + projects)
    submit = transitions.row_for("submit", State.REPORTED)
    assert submit is not None
    for project in projects:
        _transition(
            _Begun(principal, project, grant, submit, flows.open_step_of(project)),
            comment=comment,
            payload={"submission": submission.pk, "version": version},
        )
    # The final book is made from what the transaction now holds, and its fingerprint goes
    # into the submission's own event.
    documents = events.submission_documents(submission)
    events.publish(
        actor=_actor(principal, grant),
        action=AuditAction.DISTRICT_SUBMIT,
        object_type="submission",
        object_id=submission.pk,
        district=locked_district,
        comment=comment,
        is_late=late,
        budget=_budget_snapshot(code, edition),
        payload={
            "version": version,
            "projects": [p.pk for p in already + projects],
            "newly_submitted": [p.pk for p in projects],
            "edition": edition.code,
            **documents,
        },
    )
    return submission
