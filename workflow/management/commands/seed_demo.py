from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from workflow.demo.seed import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Load demo data (idempotent): areas, an open edition, bank entries, a user per role, projects."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_seed()
        self.stdout.write(f"Geography: {summary.geography}")
        self.stdout.write(f"Demo projects created now: {summary.projects_created}")
        self.stdout.write("")
        self.stdout.write("Demo logins (password for all: %s)" % DEMO_PASSWORD)
        self.stdout.write(f"  {'username':<12} {'role':<20} area")
        for username, role, area in summary.users:
            self.stdout.write(f"  {username:<12} {role:<20} {area}")
