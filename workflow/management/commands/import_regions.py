from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from workflow.errors import DomainError
from workflow.importers import regions_import
from workflow.services.system import acting_user_for


class Command(BaseCommand):
    help = (
        "Create or update inspection regions from a CSV with the header region_code,region_name,"
        "province_code. Each listed region gets exactly the file's provinces. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file (UTF-8).")
        parser.add_argument(
            "--actor", metavar="USERNAME", help="User the change is recorded under (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = regions_import(path=options["file"], acting_user=acting_user_for(options["actor"]))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(regions)s inspection regions covering %(provinces)s provinces "
                    "(%(added)s added, %(removed)s removed)."
                )
                % counts
            )
        )
