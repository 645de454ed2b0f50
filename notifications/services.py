"""Writing notices and a recipient's own changes to them (read, preferences).

``deliver`` is the one place rows are written: one ``bulk_create`` in the caller's
transaction, then pushes and immediate e-mails scheduled with ``transaction.on_commit``.
A constant number of queries whatever the number of recipients.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import sql
from workflow.errors import FieldError, InvalidInput
from workflow.models import AuditEvent, Project

from . import push, selectors
from .email import send_immediate
from .models import EmailMode, Kind, Notification, NotificationPreference


@dataclass
class Draft:
    """One notice to be written."""

    recipient_id: int
    kind: str
    text_th: str
    text_en: str
    task_id: int | None = None


def deliver(
    drafts: Sequence[Draft],
    *,
    project: Project | None = None,
    event: AuditEvent | None = None,
    addresses: dict[int, str] | None = None,
) -> list[Notification]:
    """Write the notices (one insert) and schedule their pushes and immediate e-mails.

    ``addresses`` (active recipients who want e-mail at once, with their address) saves a query
    when the caller read them with the recipients. Must run inside the transaction of the
    change that caused them.
    """
    if not drafts:
        return []
    now = timezone.now()
    rows = [
        sql.new(
            Notification,
            recipient_id=d.recipient_id,
            kind=d.kind,
            project=project,
            task_id=d.task_id,
            event=event,
            text_th=d.text_th,
            text_en=d.text_en,
            created_at=now,
        )
        for d in drafts
    ]
    sql.insert_referring(event, rows)  # with the event itself while it is being written
    recipient_ids = [d.recipient_id for d in drafts]
    if addresses is None:
        addresses = dict(
            NotificationPreference.objects.filter(user_id__in=recipient_ids, email_mode=EmailMode.IMMEDIATE)
            .filter(user__is_active=True)
            .exclude(user__email="")
            .values_list("user_id", "user__email")
        )
    transaction.on_commit(partial(push.push_notifications, rows), robust=True)
    mails = [(addresses[row.recipient_id], row) for row in rows if row.recipient_id in addresses]
    if mails:
        transaction.on_commit(partial(send_immediate, mails), robust=True)
    return rows


def _user_ids(recipients: Iterable[Any]) -> list[int]:
    ids: dict[int, None] = {}
    for recipient in recipients:
        pk = recipient if isinstance(recipient, int) else getattr(recipient, "pk", None)
        if pk is not None:
            ids[int(pk)] = None
    return list(ids)


@transaction.atomic
def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    project: Project | None,
    text_th: str,
    text_en: str,
    event: AuditEvent | None = None,
    task_id: int | None = None,
) -> list[Notification]:
    """Tell ``recipients`` (users, user ids or a user queryset) the same thing.

    For the timers (overdue, reminder, escalation) and anything else that is not a domain
    event. The caller chose the recipients by role and area (``workflow.access``), so they
    may see the project. Runs in the caller's transaction if there is one.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    drafts = [
        Draft(recipient_id=uid, kind=kind, text_th=text_th, text_en=text_en, task_id=task_id)
        for uid in _user_ids(recipients)
    ]
    return deliver(drafts, project=project, event=event)


def _schedule_read_push(user_id: int, ids: list[int], all_read: bool) -> None:
    def send() -> None:
        count = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
        push.push_read(user_id=user_id, ids=ids, all_read=all_read, unread_count=count)

    transaction.on_commit(send, robust=True)


@transaction.atomic
def notification_mark_read(*, notification: Notification | int, acting_user: Any) -> Notification:
    """The recipient marks one of their notices read (another user's is 404)."""
    pk = notification.pk if isinstance(notification, Notification) else notification
    row = selectors.notification_get_own(acting_user, pk, for_update=True)
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
        _schedule_read_push(acting_user.pk, [row.pk], all_read=False)
    return row


@transaction.atomic
def notification_mark_all_read(*, acting_user: Any) -> int:
    """The recipient marks every unread notice read; returns how many changed."""
    marked = Notification.objects.filter(recipient_id=acting_user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        _schedule_read_push(acting_user.pk, [], all_read=True)
    return marked


@dataclass(frozen=True)
class ProjectRead:
    """What opening a project did to its viewer's notices: how many it marked read and, when it
    marked any, the viewer's unread count after it (the page's header shows that number)."""

    marked: int
    unread_count: int | None = None


@transaction.atomic(savepoint=False)  # one UPDATE: inside a caller's transaction it needs no savepoint
def notification_mark_read_for_project(*, project: Project | int, acting_user: Any) -> ProjectRead:
    """The viewer opened ``project``: their unread notices about it are read now.

    One UPDATE of the viewer's own rows (nobody else's notices change); reading is not a change of
    the service's facts, so no audit event. When it marked any, the viewer's other tabs are told
    (after commit) with the unread count, which is read here once and returned for the page.
    The caller has checked that the viewer may see the project.
    """
    project_id = project if isinstance(project, int) else int(project.pk)
    marked = Notification.objects.filter(
        recipient_id=acting_user.pk, project_id=project_id, read_at__isnull=True
    ).update(read_at=timezone.now())
    if not marked:
        return ProjectRead(marked=0)
    unread = selectors.unread_count(acting_user)
    transaction.on_commit(
        partial(push.push_read, user_id=acting_user.pk, ids=[], all_read=False, unread_count=unread),
        robust=True,
    )
    return ProjectRead(marked=marked, unread_count=unread)


@transaction.atomic
def preference_set(*, acting_user: Any, email_mode: str) -> NotificationPreference:
    """How the user wants e-mail: immediately, in a daily digest, or not at all."""
    if email_mode not in EmailMode.values:
        raise InvalidInput([FieldError("email_mode", "invalid_choice", _("Unknown e-mail setting."))])
    preference, _created = NotificationPreference.objects.update_or_create(
        user_id=acting_user.pk, defaults={"email_mode": email_mode}
    )
    return preference
