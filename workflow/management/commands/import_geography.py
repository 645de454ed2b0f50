from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from workflow.errors import DomainError
from workflow.importers import geography_import
from workflow.services.system import acting_user_for


class Command(BaseCommand):
    help = (
        "Create or update Thailand's provinces, districts and subdistricts from a directory holding "
        "provinces.csv, districts.csv and sub_districts.csv (DOPA codes). All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="Directory with the three CSV files.")
        parser.add_argument(
            "--actor", metavar="USERNAME", help="User the change is recorded under (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = geography_import(
                directory=options["directory"], acting_user=acting_user_for(options["actor"])
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(provinces)s provinces, %(districts)s districts "
                    "and %(subdistricts)s subdistricts."
                )
                % counts
            )
        )
