"""Daily e-mail digest (Thai) of unread notices for users in digest mode. Safe to run twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.email import send_digests


class Command(BaseCommand):
    help = "E-mail each digest-mode user their unread notices since the last digest (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_digests()
        self.stdout.write(f"{sent} digest(s) sent")
