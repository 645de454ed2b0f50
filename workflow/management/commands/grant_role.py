from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow.errors import DomainError
from workflow.models import Role
from workflow.services.roles import role_grant, user_create
from workflow.services.system import acting_user_for


class Command(BaseCommand):
    help = "Grant USERNAME the ROLE over AREA_CODE (a DOPA district or province code, a region code, or TH)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=[r.value for r in Role])
        parser.add_argument("area_code")
        parser.add_argument("--create-user", action="store_true", help="create the user if it does not exist")
        parser.add_argument("--password", help="password of a created user")
        parser.add_argument("--email", default="", help="e-mail of a created user")
        parser.add_argument("--valid-from", type=datetime.date.fromisoformat, help="YYYY-MM-DD (CE)")
        parser.add_argument("--valid-until", type=datetime.date.fromisoformat, help="YYYY-MM-DD (CE)")
        parser.add_argument("--actor", help="record the change under this user (default: system)")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            actor = acting_user_for(options["actor"])
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                if not options["create_user"]:
                    raise CommandError(f"no user {options['username']!r} (use --create-user)")
                user = user_create(
                    acting_user=actor,
                    username=options["username"],
                    password=options["password"],
                    email=options["email"],
                )
            membership = role_grant(
                acting_user=actor,
                user=user,
                role=options["role"],
                area_code=options["area_code"],
                valid_from=options["valid_from"],
                valid_until=options["valid_until"],
            )
        except DomainError as exc:
            detail = (
                "; ".join(f"{e['field']} [{e['code']}]: {e['message']}" for e in exc.errors)
                or f"[{exc.code}] {exc}"
            )
            raise CommandError(detail) from exc
        self.stdout.write(f"{user.username}: {membership.role} over {membership.area_code}")
