"""E-mail: immediately after commit, or a daily digest in Thai, or never (per user).

The backend comes from settings (console by default). Users without an address are skipped.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Sequence
from itertools import groupby

from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from workflow.dates import format_date

from .models import EmailMode, Notification, NotificationPreference

logger = logging.getLogger(__name__)

SUBJECT = _("[Role Model] %(text)s")
FOOTER = _("You can choose how you receive these e-mails under notification preferences.")
DIGEST_SUBJECT = ngettext_lazy(
    "[Role Model] %(count)d unread notice", "[Role Model] %(count)d unread notices", "count"
)
DIGEST_INTRO = ngettext_lazy(
    "You have %(count)d unread notice since the last digest:",
    "You have %(count)d unread notices since the last digest:",
    "count",
)
SUBJECT_LENGTH = 150


def _one_line(text: str, limit: int = SUBJECT_LENGTH) -> str:
    """A header-safe subject: no line breaks, not too long."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def immediate_message(address: str, notification: Notification) -> EmailMessage:
    """Thai subject and body, the English text below."""
    with translation.override("th"):
        subject = _one_line(str(SUBJECT) % {"text": notification.text_th})
        footer_th = str(FOOTER)
    with translation.override("en"):
        footer_en = str(FOOTER)
    body = f"{notification.text_th}\n\n{footer_th}\n\n----\n\n{notification.text_en}\n\n{footer_en}\n"
    return EmailMessage(subject=subject, body=body, to=[address])


def send_immediate(items: Sequence[tuple[str, Notification]]) -> int:
    """Send one e-mail per ``(address, notice)``; runs after commit. A failure is logged."""
    sent = 0
    try:
        connection = get_connection()
        connection.open()
    except Exception:
        logger.warning("could not open the mail connection; %d e-mail(s) not sent", len(items), exc_info=True)
        return 0
    try:
        for address, notification in items:
            try:
                sent += connection.send_messages([immediate_message(address, notification)]) or 0
            except Exception:
                logger.warning("e-mail for notification %s failed", notification.pk, exc_info=True)
    finally:
        connection.close()
    return sent


def digest_message(address: str, notifications: Sequence[Notification]) -> EmailMessage:
    """One e-mail in Thai listing the notices (BE dates)."""
    count = len(notifications)
    with translation.override("th"):
        subject = DIGEST_SUBJECT % {"count": count}
        lines = [DIGEST_INTRO % {"count": count}, ""]
        for n in notifications:
            day = format_date(timezone.localdate(n.created_at), "th")
            lines.append(f"- {day}: {n.text_th}")
        lines.extend(["", str(FOOTER)])
    return EmailMessage(subject=_one_line(subject), body="\n".join(lines) + "\n", to=[address])


def _digest_rows(now: datetime.datetime) -> QuerySet[Notification]:
    """Unread notices of digest users created since their last digest, in one query."""
    pref = "recipient__notification_preference"
    return (
        Notification.objects.filter(read_at__isnull=True, created_at__lte=now)
        .filter(recipient__is_active=True)
        .exclude(recipient__email="")
        .filter(Q(**{f"{pref}__isnull": True}) | Q(**{f"{pref}__email_mode": EmailMode.DIGEST}))
        .filter(
            Q(**{f"{pref}__last_digest_at__isnull": True}) | Q(created_at__gt=F(f"{pref}__last_digest_at"))
        )
        .select_related("recipient")
        .order_by("recipient_id", "id")
    )


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """One digest per user in digest mode (the default) with unread notices since their last
    digest; records ``last_digest_at``. Running it again sends nothing new. Returns e-mails sent.
    """
    cutoff = now or timezone.now()
    sent = 0
    connection = get_connection()
    connection.open()
    try:
        for _user_id, group in groupby(list(_digest_rows(cutoff)), key=lambda n: n.recipient_id):
            rows = list(group)
            user = rows[0].recipient
            try:
                delivered = connection.send_messages([digest_message(user.email, rows)]) or 0
            except Exception:
                logger.warning("digest for user %s failed", user.pk, exc_info=True)
                continue
            sent += delivered
            NotificationPreference.objects.update_or_create(
                user_id=user.pk, defaults={"last_digest_at": cutoff}
            )
    finally:
        connection.close()
    return sent
