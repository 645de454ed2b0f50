"""The timeline while a project runs: the officer's progress updates and the supervision notes of
the district chief and the regional inspector (the guideline's "การกำกับ ติดตามความก้าวหน้า").

Both are allowed only while the project is approved and not yet implemented (409
``not_running`` otherwise). Neither changes the project's state nor its flow's task: each is
one ``ProgressUpdate`` row (with its photos for a progress update) and one audit event whose
``from_state`` and ``to_state`` are the project's state, in the same transaction, under the
project row's lock. The notices follow from the event (``notifications.progress``).
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, audit, events, selectors, uploads
from ..audit_actions import AuditAction
from ..errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from ..models import EvidenceFile, ProgressUpdate, Project, State

# The state in which a project "runs": approved, not yet implemented.
RUNNING_STATES = frozenset({State.APPROVED})
MAX_TEXT = 5000
MAX_PHOTOS = 5

Kind = ProgressUpdate.Kind


def photo_errors(photos: Sequence[Any]) -> list[FieldError]:
    """At most ``MAX_PHOTOS`` photos, each a JPEG, PNG or WebP image by its content and within the
    upload limit (``workflow.uploads``, the rule of every upload). Every problem is listed."""
    return uploads.upload_errors("photos", list(photos), allowed=uploads.PHOTOS, max_count=MAX_PHOTOS)


def _text_errors(name: str, text: str, *, required: bool, message: Any) -> list[FieldError]:
    if required and not text.strip():
        return [FieldError(name, "required", message)]
    if len(text) > MAX_TEXT:
        return [
            FieldError(
                name, "too_long", _("Write at most %(count)s characters.") % {"count": f"{MAX_TEXT:,}"}
            )
        ]
    return []


def _date_errors(as_of: datetime.date | None, *, required: bool) -> list[FieldError]:
    if as_of is None:
        return [FieldError("as_of", "required", _("Enter the date."))] if required else []
    if as_of > timezone.localdate():
        return [FieldError("as_of", "future_date", _("The date cannot be in the future."))]
    return []


def progress_input_errors(
    *, as_of: datetime.date | None, percent_done: int | None, text: str, photos: Sequence[Any] = ()
) -> list[FieldError]:
    """Every problem of a progress update's input, at once (nothing is read from the database)."""
    errors = _date_errors(as_of, required=True)
    if percent_done is None:
        errors.append(FieldError("percent_done", "required", _("Enter the percent done (0 to 100).")))
    elif not 0 <= percent_done <= 100:
        errors.append(FieldError("percent_done", "out_of_range", _("The percent done is from 0 to 100.")))
    errors += _text_errors("text", text, required=True, message=_("Describe the progress."))
    errors += photo_errors(photos)
    return errors


def supervision_input_errors(
    *, text: str, recommendations: str = "", as_of: datetime.date | None = None
) -> list[FieldError]:
    """Every problem of a supervision note's input, at once."""
    errors = _date_errors(as_of, required=False)
    errors += _text_errors("text", text, required=True, message=_("Write the supervision note."))
    errors += _text_errors("recommendations", recommendations, required=False, message="")
    return errors


# --- Who may, when ------------------------------------------------------------------------


def _pk(project: Project | int) -> Any:
    return project.pk if isinstance(project, Project) else project


def not_running() -> Conflict:
    return Conflict(
        _(
            "Progress and supervision notes are added only while the project is approved and not yet implemented."
        ),
        "not_running",
    )


def _check(principal: access.Principal, project: Project, kind: str) -> access.Grant:
    """Role, then state: 403 before 409 (as the transitions)."""
    grant = access.progress_grant(principal, project, kind)
    if grant is None:
        if kind == Kind.SUPERVISION:
            message = _("Only the district's chief or the region's inspector may add supervision notes.")
        else:
            message = _("Only an officer of the project's district may post progress updates.")
        raise Forbidden(message, "forbidden")
    if project.state not in RUNNING_STATES:
        raise not_running()
    return grant


def progress_precheck(*, project: Project | int, acting_user: Any, kind: str = Kind.PROGRESS) -> Project:
    """Whether the user may add a ``kind`` entry to the project's timeline now (404, 403, 409),
    changing nothing; the API and the pages ask before they look at the input."""
    principal = access.principal_for(acting_user)
    visible = selectors.project_get_visible(acting_user, _pk(project))
    if kind not in Kind.values:
        raise InvalidInput([FieldError("kind", "invalid_choice", _("Unknown kind of entry."))])
    _check(principal, visible, kind)
    return visible


def may_add(principal: access.Principal, project: Project, kind: str) -> bool:
    """What the project page offers: the user's role allows ``kind`` and the project runs."""
    return project.state in RUNNING_STATES and access.progress_grant(principal, project, kind) is not None


def _begin(
    acting_user: Any, project: Project | int, kind: str
) -> tuple[access.Principal, Project, access.Grant]:
    principal = access.principal_for(acting_user)
    if principal.user is None or not principal.user.is_authenticated:
        raise NotFound()
    locked = selectors.project_get_visible(acting_user, _pk(project), for_update=True)
    return principal, locked, _check(principal, locked, kind)


def _actor(principal: access.Principal, grant: access.Grant) -> audit.Actor:
    return audit.Actor(
        user=principal.user, role=grant.role, area_code=grant.area_code, acting_for=grant.acting_for
    )


def _publish(
    principal: access.Principal,
    grant: access.Grant,
    project: Project,
    update: ProgressUpdate,
    payload: dict[str, Any],
) -> None:
    action = AuditAction.PROGRESS_ADD if update.kind == Kind.PROGRESS else AuditAction.SUPERVISION_ADD
    events.publish(
        actor=_actor(principal, grant),
        action=action,
        object_type="progress_update",
        object_id=update.pk,
        project=project,
        from_state=project.state,
        to_state=project.state,
        is_late=timezone.localdate() > project.edition.deadline,
        payload={"progress_update": update.pk, "kind": update.kind, "as_of": update.as_of, **payload},
    )


# --- The services -----------------------------------------------------------------------------


@transaction.atomic
def project_progress_add(
    *,
    project: Project | int,
    acting_user: Any,
    as_of: datetime.date | None,
    percent_done: int | None,
    text: str,
    photos: Sequence[Any] = (),
) -> ProgressUpdate:
    """The officer's progress update: the date it describes, the percent done, what was done, and
    up to five photos. 404 outside the user's areas, 403 for another role, 409 ``not_running``
    unless the project is approved, 422 listing every invalid field; nothing stored then."""
    principal, locked, grant = _begin(acting_user, project, Kind.PROGRESS)
    photos = list(photos)
    errors = progress_input_errors(as_of=as_of, percent_done=percent_done, text=text, photos=photos)
    if errors:
        raise InvalidInput(errors)
    assert as_of is not None and percent_done is not None
    update = ProgressUpdate.objects.create(
        project=locked,
        kind=Kind.PROGRESS,
        author=acting_user,
        author_role=grant.role,
        as_of=as_of,
        percent_done=percent_done,
        text=text.strip(),
    )
    stored = [_store_photo(locked, update, uploaded, acting_user) for uploaded in photos]
    _publish(
        principal,
        grant,
        locked,
        update,
        {
            "percent_done": percent_done,
            "text": update.text,
            "photos": [{"id": e.pk, "name": e.file.name, "sha256": e.sha256} for e in stored],
        },
    )
    return update


def _store_photo(project: Project, update: ProgressUpdate, uploaded: Any, user: Any) -> EvidenceFile:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    photo = EvidenceFile(
        project=project,
        kind=EvidenceFile.Kind.PROGRESS_PHOTO,
        progress_update=update,
        file=uploaded,
        # Stored under a random name (``uploads.stored_name``): the sender's name is the caption.
        caption=os.path.basename(str(getattr(uploaded, "name", "") or ""))[:500],
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    photo._sniffed = uploads.sniff(uploaded)  # type: ignore[attr-defined]  # its stored extension
    photo.save()
    return photo


@transaction.atomic
def project_supervision_add(
    *,
    project: Project | int,
    acting_user: Any,
    text: str,
    recommendations: str = "",
    as_of: datetime.date | None = None,
) -> ProgressUpdate:
    """A supervision note of the district's chief or the region's inspector, with their
    recommendations (optional); dated today unless ``as_of`` says otherwise (not in the future).
    The project's officers and creator are told (``notifications.progress``)."""
    principal, locked, grant = _begin(acting_user, project, Kind.SUPERVISION)
    errors = supervision_input_errors(text=text, recommendations=recommendations, as_of=as_of)
    if errors:
        raise InvalidInput(errors)
    update = ProgressUpdate.objects.create(
        project=locked,
        kind=Kind.SUPERVISION,
        author=acting_user,
        author_role=grant.role,
        as_of=as_of or timezone.localdate(),
        text=text.strip(),
        recommendations=recommendations.strip(),
    )
    _publish(
        principal, grant, locked, update, {"text": update.text, "recommendations": update.recommendations}
    )
    return update
