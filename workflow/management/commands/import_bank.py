from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from workflow.errors import DomainError
from workflow.importers import bank_import
from workflow.services.system import acting_user_for


class Command(BaseCommand):
    help = (
        "Create or update Tambon Project Bank entries (matched by code) from a .csv or .xlsx file with "
        "the header code,subdistrict_code,title,description,dimension,estimated_budget[,source_year]. "
        "All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="A .csv (UTF-8) or .xlsx file.")
        parser.add_argument(
            "--actor", metavar="USERNAME", help="User the change is recorded under (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = bank_import(path=options["file"], acting_user=acting_user_for(options["actor"]))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(entries)s project bank entries (%(created)s new, %(updated)s updated).")
                % counts
            )
        )
