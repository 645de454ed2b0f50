"""Who is told about the progress timeline of a running project (``workflow.services.progress``).

* a supervision note (the chief's or the inspector's): the project's creator and the officers of
  its district — ``progress``;
* a progress update (the officer's): the district's chief, acting officials included —
  ``progress``.

Registered as a domain-event handler (``notifications.apps``): the notices are written in the
change's transaction, their pushes and immediate e-mails after commit (``services.deliver``).
Nobody is told about their own note.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from workflow import access, events
from workflow.audit_actions import AuditAction
from workflow.dates import format_date
from workflow.models import AuditEvent, District, Project, Role

from .models import Kind
from .services import Draft, deliver

SUPERVISION_NOTICE = _("%(actor)s (%(role)s) added a supervision note to «%(title)s»: %(text)s")
PROGRESS_NOTICE = _(
    "%(actor)s posted progress of «%(title)s» (%(district)s): %(percent)s%% done on %(date)s."
)
RECOMMENDATIONS = _("Recommendations: %(text)s")
# A notice quotes at most this much of a note.
QUOTE = 300


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


def _person(user: Any) -> str:
    if user is None:
        return ""
    full = (user.get_full_name() or "").strip()
    return full or str(user.get_username())


def _district_name(district: District, language: str) -> str:
    return (district.name_en or district.name_th) if language == "en" else district.name_th


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def _render(event: AuditEvent, project: Project) -> tuple[str, str]:
    payload = event.payload or {}
    texts = []
    for language in ("th", "en"):
        with translation.override(language):
            values = {
                "actor": _person(event.actor),
                "role": _role_label(event.role),
                "title": project.title,
                "district": _district_name(project.district, language),
                "text": _quote(str(payload.get("text", ""))),
                "percent": payload.get("percent_done", ""),
                "date": format_date(_as_of(payload), language),
            }
            if event.action == AuditAction.SUPERVISION_ADD:
                text = str(SUPERVISION_NOTICE % values)
                if payload.get("recommendations"):
                    text += " " + str(RECOMMENDATIONS % {"text": _quote(str(payload["recommendations"]))})
            else:
                text = str(PROGRESS_NOTICE % values)
            texts.append(text)
    return texts[0], texts[1]


def _as_of(payload: dict[str, Any]) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(payload.get("as_of", "")))
    except ValueError:
        return None


def recipients(event: AuditEvent, project: Project) -> list[int]:
    """Who hears of the entry: officers and creator for a note, the chief for an update."""
    district = project.district
    users: set[int] = set()
    if event.action == AuditAction.SUPERVISION_ADD:
        users.update(access.users_holding(Role.DISTRICT_OFFICER, district).values_list("pk", flat=True))
        if project.created_by.is_active:
            users.add(project.created_by_id)
    else:
        users.update(access.users_holding(Role.DISTRICT_CHIEF, district).values_list("pk", flat=True))
    users.discard(event.actor_id or 0)
    return sorted(users)


def on_domain_event(event: AuditEvent, context: events.Context = events.NO_CONTEXT) -> None:
    if event.action not in (AuditAction.PROGRESS_ADD, AuditAction.SUPERVISION_ADD) or not event.project_id:
        return
    project: Project = event.project  # type: ignore[assignment]
    user_ids = recipients(event, project)
    if not user_ids:
        return
    text_th, text_en = _render(event, project)
    deliver(
        [Draft(user_id, Kind.PROGRESS, text_th, text_en) for user_id in user_ids],
        project=project,
        event=event,
    )
