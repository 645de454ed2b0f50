"""The catalogue of the audit trail's words: every code an event can hold, with its label.

One place for what the audit page, a project's timeline, the exports and the history API show:

- the actions (``AuditAction``, ``action_label``): the codes are stored in ``AuditEvent.action``
  as they are written here (existing rows, the exports and the API's clients depend on them), so
  a member's value never changes; a new kind of audited change is a new member;
- the objects (``OBJECT_TYPES``, ``object_type_label``, ``object_label``): what ``object_type``
  names, and one event's object as a person would name it ("report book, version 1");
- the keys of ``payload``, ``budget`` and ``rule_results`` (``PAYLOAD_KEYS``, ``key_label``) and
  the names of the fields a payload lists as changed (``field_label``);
- the values that are codes: states and roles (their models' labels, as every page shows
  them), kinds of files and updates, steps, warnings (``value_label``);
- a payload as a list of labelled, formatted details (``payload_details``), where a stored file
  shows as its caption with a download link for viewers who may download it (``file_index``),
  never as its storage path.

The labels are English msgids, Thai in the catalogue (``locale/th``). A code the catalogue does
not know (old data) shows as itself.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # A project's own changes and transitions (``workflow.services.projects``).
    CREATE = "create", _("Selected (created)")
    UPDATE = "update", _("Updated")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned for revision")
    REJECT = "reject", _("Rejected")
    WITHDRAW = "withdraw", _("Withdrawn")
    RESUBMIT = "resubmit", _("Resubmitted")
    IMPLEMENT = "implement", _("Implementation recorded")
    MONITOR = "monitor", _("Monitored")
    REPORT = "report", _("Result reported")
    SUBMIT = "submit", _("Submitted")
    DISTRICT_SUBMIT = "district_submit", _("District report book submitted")
    COMMENT = "comment", _("Comment")
    EVIDENCE_ADD = "evidence_add", _("Evidence added")
    PROGRESS_ADD = "progress_add", _("Progress update posted")
    SUPERVISION_ADD = "supervision_add", _("Supervision note added")
    # The province's disbursement (``workflow.services.money``).
    DISBURSEMENT_RECORD = "disbursement_record", _("Disbursement recorded")
    # The report book (``reports``).
    SUBMISSION_ACKNOWLEDGE = "submission_acknowledge", _("Receipt of the report book acknowledged")
    PROFILE_UPDATE = "profile_update", _("District profile (part 1) saved")
    DRIVE_REPORT_UPDATE = "drive_report_update", _("Driving the project (part 2) saved")
    # Tasks (``approvals.services``) and their timers (``notifications.timers``).
    TASK_CLAIM = "task_claim", _("Task claimed")
    TASK_UNCLAIM = "task_unclaim", _("Task released")
    TASK_ASSIGN = "task_assign", _("Task assigned")
    REMINDER = "reminder", _("Reminder of a task falling due")
    ESCALATION = "escalation", _("Overdue task escalated to the superiors")
    PROGRESS_REMINDER = "progress_reminder", _("Reminder of a missing progress update")
    # Roles, editions, acting officials, imports and the admin site.
    ROLE_GRANT = "role_grant", _("Role granted")
    ROLE_REVOKE = "role_revoke", _("Role revoked")
    EDITION_CREATE = "edition_create", _("Edition created")
    EDITION_UPDATE = "edition_update", _("Edition changed")
    EDITION_DISTRICTS_REPLACE = "edition_districts_replace", _("Role Model districts designated")
    DELEGATION_CREATE = "delegation_create", _("Acting official named")
    DELEGATION_REVOKE = "delegation_revoke", _("Acting official revoked")
    GEOGRAPHY_IMPORT = "geography_import", _("Geography imported")
    REGIONS_IMPORT = "regions_import", _("Inspection regions imported")
    BANK_IMPORT = "bank_import", _("Project bank imported")
    ADMIN_CHANGE = "admin_change", _("Changed in the admin site")
    ADMIN_DELETE = "admin_delete", _("Deleted in the admin site")


_LABELS = dict(AuditAction.choices)


def action_label(code: str) -> str:
    """The label of ``code`` in the active language; an unknown code (old data) shows as itself."""
    label = _LABELS.get(code)
    return str(label) if label is not None else code


# --- Objects ----------------------------------------------------------------------------------------

# Every ``object_type`` the services write (an admin site change writes its model's
# ``app_label.model_name`` instead: its label is the model's name, see ``object_type_label``).
OBJECT_TYPES: dict[str, Promise] = {
    "project": _("Project"),
    "submission": _("District report book"),
    "delegation": _("Appointment of an acting official"),
    "profile": _("District profile (part 1)"),
    "drive_report": _("Driving the project (part 2)"),
    "disbursement": _("Disbursement"),
    "edition": _("Edition"),
    "role_membership": _("Role assignment"),
    "task": _("Task"),
    "evidence": _("Evidence file"),
    "progress_update": _("Progress update or supervision note"),
    "geography": _("Administrative areas"),
    "inspection_region": _("Inspection regions"),
    "bank_entry": _("Tambon Project Bank"),
}

# The model whose fields a payload's ``changed``, ``after`` and ``values`` name, per object type.
OBJECT_MODELS: dict[str, str] = {
    "project": "workflow.Project",
    "submission": "workflow.DistrictSubmission",
    "delegation": "workflow.Delegation",
    "profile": "reports.DistrictProfile",
    "drive_report": "reports.DriveReport",
    "disbursement": "workflow.Disbursement",
    "edition": "workflow.Edition",
    "role_membership": "workflow.RoleMembership",
    "evidence": "workflow.EvidenceFile",
    "progress_update": "workflow.ProgressUpdate",
}


def _model(object_type: str) -> type[models.Model] | None:
    from django.apps import apps

    label = OBJECT_MODELS.get(object_type, object_type)
    if "." not in label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def object_type_label(code: str) -> str:
    """The label of an ``object_type``: the catalogue's, or the model's name for an admin site
    change (``workflow.holiday``); an unknown code shows as itself."""
    label = OBJECT_TYPES.get(code)
    if label is not None:
        return str(label)
    model = _model(code) if "." in code else None
    if model is not None:
        return str(capfirst(model._meta.verbose_name))
    return code


# --- Payload keys -------------------------------------------------------------------------------------

# Every key a service writes into an event's ``payload`` (nested ones included), ``budget`` or
# ``rule_results``; in the order a timeline lists them.
PAYLOAD_KEYS: dict[str, Promise] = {
    # A project: created, changed, implemented, monitored, reported, submitted.
    "title": _("Project title"),
    "bank_entry": _("Project bank entry"),
    "budget": _("Budget"),
    "approved_budget": _("Approved budget"),
    "spent": _("Spent"),
    "warnings": _("Warnings"),
    "villages_reached": _("Villages reached"),
    "households_reached": _("Households reached"),
    "evidence": _("Evidence files"),
    "monitoring_record": _("Monitoring record"),
    "findings": _("Findings"),
    "recommendations": _("Recommendations"),
    "result_narrative": _("Results achieved"),
    "problems": _("Problems and obstacles"),
    "suggestions": _("Suggestions"),
    "submission": _("Submission of the report book"),
    # Files, progress updates and supervision notes.
    "name": _("File"),
    "caption": _("Caption"),
    "kind": _("Kind"),
    "progress_update": _("Progress update"),
    "as_of": _("As of"),
    "percent_done": _("Percent done"),
    "text": _("Text"),
    "photos": _("Photos"),
    # The district's submission, its report book and covering letter, the receipt.
    "edition": _("Edition"),
    "version": _("Version"),
    "projects": _("Projects"),
    "newly_submitted": _("Projects submitted this time"),
    "book": _("Report book"),
    "letter": _("Covering letter"),
    "number": _("Letter number"),
    "date": _("Date"),
    "pages": _("Number of pages"),
    "size": _("File size"),
    "sha256": _("SHA-256 fingerprint"),
    "docx_sha256": _("SHA-256 fingerprint of the DOCX"),
    # Money.
    "amount": _("Amount"),
    "paid_on": _("Date of disbursement"),
    "reference": _("Reference document"),
    "disbursed_total": _("Disbursed in all"),
    "cap": _("Budget cap"),
    "committed": _("Committed"),
    "remaining": _("Remaining"),
    # People, roles, tasks and their timers.
    "user": _("User"),
    "role": _("Role"),
    "area": _("Area"),
    "valid_from": _("Valid from"),
    "valid_until": _("Valid until"),
    "delegate": _("Acting official"),
    "starts_on": _("Starts on"),
    "ends_on": _("Ends on"),
    "step": _("Step"),
    "assignee": _("Assigned to"),
    "previous_owner": _("Previous holder"),
    "due": _("Due date"),
    "level": _("Escalation level"),
    "recipients": _("Recipients"),
    "last_update": _("Last progress update"),
    "working_days": _("Working days without an update"),
    "threshold": _("Reminder after (working days)"),
    # The report book's parts 1 and 2.
    "created": _("Newly created"),
    "copied_from": _("Copied from"),
    "facts": _("Rows of the small tables"),
    "team": _("Team members"),
    "meetings": _("Meetings"),
    "activities": _("Activities"),
    # Editions, designations, the admin site, imports.
    "changed": _("What changed"),
    "after": _("Values"),
    "values": _("Values when deleted"),
    "object": _("Record"),
    "is_new": _("Newly added"),
    "added": _("Added"),
    "removed": _("Removed"),
    "count": _("Number in all"),
    "source": _("Source file"),
    "provinces": _("Provinces"),
    "districts": _("Districts"),
    "subdistricts": _("Subdistricts"),
    "regions": _("Inspection regions"),
    "entries": _("Entries"),
    "updated": _("Entries updated"),
    # Inside lists and changes: a file's number, a value before and after; a rule's result.
    "id": _("Record number"),
    "from": _("Before"),
    "to": _("After"),
    "code": _("Rule"),
    "passed": _("Passed"),
}

# Names a payload lists as changed that are not a field of the object's model (or whose field
# has no label of its own).
FIELD_LABELS: dict[str, Promise] = {
    "subdistricts": _("Subdistricts"),
    "budget_lines": _("Budget lines"),
    "spend_lines": _("Spending lines"),
    "do_checklist": _("Do checklist"),
    "facts": _("Rows of the small tables"),
    "team": _("Team members"),
    "meetings": _("Meetings"),
    "activities": _("Activities"),
}


def key_label(key: str) -> str:
    """The label of a payload, budget or rule-result key; an unknown key shows as itself."""
    label = PAYLOAD_KEYS.get(key)
    return str(label) if label is not None else key


def _model_field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist: an old or a form-only name
        return None


def field_label(object_type: str, name: str) -> str:
    """The label of a field of the object's model that a payload names (``changed``, ``after``,
    ``values``); else the payload key's label; an unknown name shows as itself."""
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    model_field = _model_field(_model(object_type), name)
    verbose = getattr(model_field, "verbose_name", None)
    if isinstance(verbose, Promise):  # given (and translated), not made up from the name
        return str(capfirst(str(verbose)))
    related = getattr(model_field, "related_model", None)
    if related is not None and not isinstance(related, str) and name not in PAYLOAD_KEYS:
        meta = related._meta
        plural = model_field.one_to_many or model_field.many_to_many
        return str(capfirst(str(meta.verbose_name_plural if plural else meta.verbose_name)))
    return key_label(name)


# --- Values that are codes --------------------------------------------------------------------------

# What a warning recorded with an implementation means (the Don't rules: their messages).
WARNING_LABELS: dict[str, Promise] = {
    "spend_over_approved": _("Spending above the approved budget"),
}
HIDDEN_VALUE = "(changed)"  # workflow.services.admin_changes.HIDDEN: a secret's new value, unrecorded


def state_label(code: str) -> str:
    """A project state's label: the one the pages show (``Project.state``'s choices)."""
    from workflow.templatetags.rolemodel import state_label as label

    return label(code) if code else ""


def role_label(code: str) -> str:
    from workflow.templatetags.rolemodel import role_label as label

    return label(code) if code else ""


def kind_label(code: str) -> str:
    """A file's kind (evidence, monitoring photo, progress photo) or an update's (progress,
    supervision)."""
    from workflow.models import EvidenceFile, ProgressUpdate

    for choices in (EvidenceFile.Kind, ProgressUpdate.Kind):
        if code in choices.values:
            return str(choices(code).label)
    return code


def step_label(code: str) -> str:
    from workflow.transitions import STEP_BY_NAME

    step = STEP_BY_NAME.get(code)
    return str(step.label) if step is not None else code


def warning_label(code: str) -> str:
    from workflow.rules import RULES

    if code in WARNING_LABELS:
        return str(WARNING_LABELS[code])
    rule = RULES.get(code)
    return str(rule.message) if rule is not None else code


def value_label(key: str, value: Any) -> str:
    """A payload value that is a code, by its key: its label (an unknown code shows as itself)."""
    code = str(value)
    if key == "role":
        return role_label(code)
    if key == "kind":
        return kind_label(code)
    if key == "step":
        return step_label(code)
    if key in ("warnings", "code"):
        return warning_label(code)
    if key in ("from_state", "to_state", "state"):
        return state_label(code)
    if key in ("dimension", "dimensions"):
        return dimension_label(code)
    return code


def dimension_label(code: str) -> str:
    """A development dimension's label (an edition's ``dimensions``, a project's ``dimension``)."""
    from .models import Dimension

    labels = dict(Dimension.choices)
    return str(labels[code]) if code in labels else code


# --- Formatting ------------------------------------------------------------------------------------------

MONEY_KEYS = frozenset(
    {"budget", "approved_budget", "spent", "amount", "disbursed_total", "cap", "committed", "remaining"}
)
CODE_KEYS = frozenset({"role", "kind", "step", "warnings"})
ID_KEYS = frozenset({"progress_update", "monitoring_record", "submission", "copied_from", "id"})
PROJECT_LIST_KEYS = frozenset({"projects", "newly_submitted"})
FILE_LIST_KEYS = frozenset({"evidence", "photos"})
DOCUMENT_KEYS = frozenset({"book", "letter"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def format_datetime(value: datetime.datetime) -> str:
    """``6 ธ.ค. 2569 14:05`` in Thai, ``6 Dec 2026 14:05`` in English (Asia/Bangkok)."""
    from workflow.dates import format_date

    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(local.date())} {local:%H:%M}"


def _date_text(value: str) -> str | None:
    from workflow.dates import format_date

    try:
        if _ISO_DATE.match(value):
            return format_date(datetime.date.fromisoformat(value))
        if _ISO_DATETIME.match(value):
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return format_datetime(moment)
    except ValueError:
        return None
    return None


def money_text(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return gettext("%(amount)s baht") % {"amount": f"{amount.quantize(Decimal('0.01')):,}"}


def number_text(value: Any) -> str:
    return gettext("no. %(number)s") % {"number": value}


def plain_text(value: Any, key: str = "", object_type: str = "") -> str:
    """Any payload value as text: dates in the Buddhist Era in Thai, amounts in baht, booleans
    as yes or no, codes by their labels, lists joined, dictionaries as labelled pairs."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list | tuple):
        return ", ".join(plain_text(item, key, object_type) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(object_type, str(k))}: {plain_text(v, str(k), object_type)}"
            for k, v in value.items()
        )
    if key in MONEY_KEYS:
        return money_text(value)
    if key in CODE_KEYS:
        return value_label(key, value)
    if key in ID_KEYS or key in PROJECT_LIST_KEYS:
        return number_text(value)
    if key == "percent_done":
        return f"{value}%"
    if value == HIDDEN_VALUE:
        return gettext("(changed; the value is not recorded)")
    if isinstance(value, str):
        return _date_text(value) or value
    if isinstance(value, int | float | Decimal):
        return f"{value:,}"
    return str(value)


def _field_value(object_type: str, name: str, value: Any) -> str:
    """A value of a model's field (an edition's or an admin change's): its choice's label, an
    amount in baht, a date in the Buddhist Era; else as any payload value."""
    if isinstance(value, list | tuple):  # a list of values (an edition's dimensions ...): each labelled
        return ", ".join(_field_value(object_type, name, item) for item in value) or "—"
    if name in ("dimension", "dimensions") and isinstance(value, str):
        return dimension_label(value)
    model_field = _model_field(_model(object_type), name)
    if model_field is not None and value not in (None, "", HIDDEN_VALUE):
        choices = dict(getattr(model_field, "flatchoices", None) or [])
        if value in choices:
            return str(choices[value])
        if isinstance(model_field, models.DecimalField):
            return money_text(value)
        if isinstance(model_field, models.FileField):
            return gettext("a stored file") if value else "—"
    return plain_text(value, name, object_type)


# --- Files --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRef:
    """A stored file as a person knows it: its caption or original name (never its storage
    path), with a download link where the viewer may download it."""

    label: str
    url: str = ""


@dataclass
class FileIndex:
    """The stored files some events refer to, read once for a page: evidence files by number
    (their caption, or the kind of file when it is gone) and the submitted documents' links."""

    evidence: dict[int, FileRef] = field(default_factory=dict)
    documents: dict[tuple[str, int], str] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _evidence_ids(event: Any) -> set[int]:
    payload = event.payload or {}
    ids = {
        _int(item.get("id"))
        for key in FILE_LIST_KEYS
        for item in payload.get(key) or []
        if isinstance(item, dict)
    }
    if event.object_type == "evidence":
        ids.add(_int(event.object_id))
    return {i for i in ids if i is not None}


def file_index(events: Iterable[Any], user: Any) -> FileIndex:
    """The files ``events`` refer to, with a download link for those ``user`` may download: at
    most three statements, whatever the number of events."""
    from django.urls import NoReverseMatch, reverse

    from workflow import access, selectors
    from workflow.models import District, EvidenceFile

    events = list(events)
    index = FileIndex()
    wanted = set().union(*(_evidence_ids(e) for e in events)) if events else set()
    if wanted:
        rows = list(EvidenceFile.objects.filter(pk__in=wanted).only("pk", "caption", "kind", "project_id"))
        visible = set(
            selectors.project_list_visible(user, pk__in={r.project_id for r in rows}).values_list(
                "pk", flat=True
            )
        )
        for row in rows:
            url = (
                reverse("evidence-download", args=[row.project_id, row.pk])
                if row.project_id in visible
                else ""
            )
            index.evidence[row.pk] = FileRef(row.caption or kind_label(row.kind), url)
    submissions = {
        (e.district_id, _int(e.object_id))
        for e in events
        if e.object_type == "submission" and any(k in (e.payload or {}) for k in DOCUMENT_KEYS)
    }
    if submissions:
        principal = access.principal_for(user)
        seen = set(
            District.objects.filter(
                principal.district_q(), code__in={d for d, _pk in submissions}
            ).values_list("code", flat=True)
        )
        for district, pk in submissions:
            if pk is None or district not in seen:
                continue
            for key, name in (("book", "submission-book"), ("letter", "submission-letter-pdf")):
                try:
                    index.documents[(key, pk)] = reverse(name, args=[pk])
                except NoReverseMatch:  # the reports app is not installed
                    continue
    return index


DOCUMENT_LABELS: dict[str, Promise] = {
    "book": _("The submitted report book (PDF)"),
    "letter": _("The covering letter (PDF)"),
}


def _evidence_ref(file_id: Any, files: FileIndex | None, caption: str = "", kind: str = "") -> FileRef:
    known = files.evidence.get(_int(file_id) or 0) if files is not None else None
    if known is not None:
        return known
    return FileRef(caption or (kind_label(kind) if kind else gettext("A stored file")))


# --- An event's object and details --------------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    """One payload entry as shown: its label, its value as text, and the files it refers to."""

    key: str
    label: str
    text: str = ""
    files: tuple[FileRef, ...] = ()


def _project_title(event: Any) -> str:
    from workflow.models import AuditEvent

    if event.project_id and AuditEvent.project.is_cached(event) and event.project is not None:
        return str(event.project.title)
    return ""


def object_label(event: Any, files: FileIndex | None = None) -> str:
    """The event's object as a person names it ("District report book, version 1"), from the
    event alone (no statement): its type's label with what the payload says of it."""
    kind, pk, payload = event.object_type, event.object_id, event.payload or {}
    if kind == "project":
        title = _project_title(event)
        if title:
            return gettext("Project “%(title)s”") % {"title": title}
        return gettext("Project no. %(number)s") % {"number": pk}
    if kind == "submission":
        if payload.get("version"):
            return gettext("District report book, version %(version)s") % {"version": payload["version"]}
        return gettext("District report book no. %(number)s") % {"number": pk}
    if kind == "delegation" and payload.get("delegate"):
        return gettext("Acting official %(user)s") % {"user": payload["delegate"]}
    if kind in ("profile", "drive_report") and payload.get("edition"):
        return gettext("%(part)s, edition %(edition)s") % {
            "part": object_type_label(kind),
            "edition": payload["edition"],
        }
    if kind == "disbursement" and payload.get("amount"):
        paid_on = _date_text(str(payload.get("paid_on") or "")) or ""
        return gettext("Disbursement of %(amount)s on %(date)s") % {
            "amount": money_text(payload["amount"]),
            "date": paid_on or "—",
        }
    if kind == "edition" and pk:
        return gettext("Edition %(code)s") % {"code": pk}
    if kind == "role_membership" and payload.get("role"):
        return gettext("Role “%(role)s” of %(user)s") % {
            "role": role_label(str(payload["role"])),
            "user": payload.get("user", ""),
        }
    if kind == "task" and payload.get("step"):
        return gettext("Task “%(step)s”") % {"step": step_label(str(payload["step"]))}
    if kind == "evidence":
        ref = _evidence_ref(pk, files, str(payload.get("caption") or ""), str(payload.get("kind") or ""))
        return gettext("File “%(name)s”") % {"name": ref.label}
    if kind == "progress_update" and payload.get("kind"):
        as_of = payload.get("as_of")
        day = _date_text(str(as_of)) if as_of else None
        label = kind_label(str(payload["kind"]))
        return gettext("%(kind)s of %(date)s") % {"kind": label, "date": day} if day else label
    if kind in OBJECT_TYPES:
        return object_type_label(kind)
    if "." in kind and payload.get("object"):
        return f"{object_type_label(kind)} “{payload['object']}”"
    return f"{object_type_label(kind)} {pk}".strip()


def _order(key: str) -> tuple[int, str]:
    keys = list(PAYLOAD_KEYS)
    return (keys.index(key) if key in keys else len(keys), key)


def _document(key: str, value: Any, event: Any, files: FileIndex | None) -> Detail:
    record = value if isinstance(value, dict) else {}
    url = files.documents.get((key, _int(event.object_id) or 0), "") if files is not None else ""
    facts = "; ".join(
        f"{key_label(k)}: {plain_text(v, k, event.object_type)}"
        for k, v in record.items()
        if k != "name" and v not in (None, "")
    )
    return Detail(key, key_label(key), facts, (FileRef(str(DOCUMENT_LABELS[key]), url),))


def _changes(event: Any, value: Any) -> str:
    kind = event.object_type
    if isinstance(value, dict):
        lines = []
        for name, change in value.items():
            label = field_label(kind, str(name))
            if isinstance(change, dict) and set(change) == {"from", "to"}:
                before = _field_value(kind, str(name), change["from"])
                after = _field_value(kind, str(name), change["to"])
                lines.append(f"{label}: {before} → {after}")
            else:
                lines.append(f"{label}: {_field_value(kind, str(name), change)}")
        return "\n".join(lines)
    if isinstance(value, list | tuple):
        return ", ".join(field_label(kind, str(name)) for name in value) or "—"
    return plain_text(value, "changed", kind)


def _values(event: Any, value: Any) -> str:
    if not isinstance(value, dict):
        return plain_text(value, "", event.object_type)
    return "\n".join(
        f"{field_label(event.object_type, str(k))}: {_field_value(event.object_type, str(k), v)}"
        for k, v in value.items()
    )


def payload_detail(event: Any, key: str, value: Any, files: FileIndex | None = None) -> Detail:
    """One payload entry of ``event`` as a labelled text (and the files it refers to)."""
    label = key_label(key)
    payload = event.payload or {}
    if key == "name" and event.object_type == "evidence":
        ref = _evidence_ref(
            event.object_id, files, str(payload.get("caption") or ""), str(payload.get("kind") or "")
        )
        return Detail(key, label, "", (ref,))
    if key in FILE_LIST_KEYS and isinstance(value, list):
        refs = tuple(_evidence_ref(item.get("id"), files) for item in value if isinstance(item, dict))
        return Detail(key, label, "" if refs else "—", refs)
    if key in DOCUMENT_KEYS and isinstance(value, dict):
        return _document(key, value, event, files)
    if key == "changed":
        return Detail(key, label, _changes(event, value))
    if key in ("after", "values"):
        return Detail(key, label, _values(event, value))
    return Detail(key, label, plain_text(value, key, event.object_type))


def payload_details(event: Any, files: FileIndex | None = None) -> list[Detail]:
    """The event's payload as labelled details, in the catalogue's order; files by their
    captions (with a link where ``files`` has one), never by their storage paths."""
    items = sorted((event.payload or {}).items(), key=lambda item: _order(str(item[0])))
    return [payload_detail(event, str(key), value, files) for key, value in items]


def labels_of(choices: Mapping[str, Promise] | Iterable[tuple[str, Any]]) -> dict[str, str]:
    """``{code: label}`` in the active language, taken now (for a file written later)."""
    pairs = choices.items() if isinstance(choices, Mapping) else choices
    return {str(code): str(label) for code, label in pairs}
