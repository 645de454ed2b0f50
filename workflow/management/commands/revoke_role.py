from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow.errors import DomainError
from workflow.models import Role
from workflow.services.roles import role_revoke
from workflow.services.system import acting_user_for


class Command(BaseCommand):
    help = "Revoke USERNAME's ROLE over AREA_CODE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=[r.value for r in Role])
        parser.add_argument("area_code")
        parser.add_argument("--actor", help="record the change under this user (default: system)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            count = role_revoke(
                acting_user=acting_user_for(options["actor"]),
                user=user,
                role=options["role"],
                area_code=options["area_code"],
            )
        except DomainError as exc:
            detail = (
                "; ".join(f"{e['field']} [{e['code']}]: {e['message']}" for e in exc.errors)
                or f"[{exc.code}] {exc}"
            )
            raise CommandError(detail) from exc
        self.stdout.write(f"{user.username}: {count} membership(s) of {options['role']} revoked")
