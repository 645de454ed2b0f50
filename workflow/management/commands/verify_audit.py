from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow import audit


class Command(BaseCommand):
    help = "Recompute the audit hash chains; exit non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", help="verify one district's chain (its DOPA code)")
        parser.add_argument(
            "--workers",
            type=int,
            default=audit.default_workers(),
            help=(
                "processes verifying the chains side by side, each with its own database connection "
                "(default: the CPUs this process may use, at most 8; 1: verify in this process)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        district = options["district"]
        result = audit.check(district_code=district, workers=max(1, options["workers"]))
        if result.breaks:
            first = min(result.breaks, key=lambda b: (b.event_id is None, b.event_id or 0))
            for b in result.breaks:
                self.stderr.write(f"chain {b.chain}: event #{b.event_id} (seq {b.chain_seq}): {b.reason}")
            raise CommandError(
                f"audit chain broken at event #{first.event_id} "
                f"(chain {first.chain}, seq {first.chain_seq}): {first.reason}"
            )
        self.stdout.write(f"OK: {result.chains} chain(s), {result.events} event(s) verified")
