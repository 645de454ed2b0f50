from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workflow import checkpoints


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of every audit chain's head (chain, sequence, hash) to FILE: "
        "keep it outside the database; verify_audit --checkpoint FILE checks the trail against it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--out", help="the file to write ('-': standard output)")
        where.add_argument(
            "--daily",
            action="store_true",
            help="today's checkpoint under MEDIA_ROOT/audit-checkpoints/, e-mailed to the centre; run "
            "it daily with send_digest (a second run the same day does nothing)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["daily"]:
            written = checkpoints.checkpoint_send_daily()
            if written is None:
                self.stdout.write("today's audit checkpoint was written already")
            else:
                self.stdout.write(f"audit checkpoint written to {written} and sent to the centre")
            return
        body = checkpoints.checkpoint_build()
        text = checkpoints.dumps(body)
        if options["out"] == "-":
            self.stdout.write(text, ending="")
            return
        Path(options["out"]).write_text(text, encoding="utf-8")
        self.stderr.write(f"checkpoint of {len(body['chains'])} chain(s) written to {options['out']}")
