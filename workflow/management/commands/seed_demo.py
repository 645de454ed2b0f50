from __future__ import annotations

from typing import Any

from django.core import mail
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from workflow.demo.seed import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Load demo data (idempotent): areas, an open edition, bank entries, a user per role, projects."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's e-mails (notices, the submitted book to the centre) are kept, not sent or
        # printed: a 100 KB PDF in base64 would bury the logins below.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            summary = demo_seed()
            kept = len(mail.outbox)
        self.stdout.write(f"Geography: {summary.geography}")
        self.stdout.write(f"E-mails the demo data would have sent (not sent): {kept}")
        self.stdout.write(f"Demo projects created now: {summary.projects_created}")
        self.stdout.write("")
        self.stdout.write("Demo logins (password for all: %s)" % DEMO_PASSWORD)
        self.stdout.write(f"  {'username':<12} {'role':<20} area")
        for username, role, area in summary.users:
            self.stdout.write(f"  {username:<12} {role:<20} {area}")
