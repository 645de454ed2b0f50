from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow import audit
from workflow.models import AuditChain, AuditEvent


class Command(BaseCommand):
    help = "Recompute the audit hash chains; exit non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", help="verify one district's chain (its DOPA code)")

    def handle(self, *args: Any, **options: Any) -> None:
        district = options["district"]
        breaks = audit.verify(district_code=district)
        if breaks:
            first = min(breaks, key=lambda b: (b.event_id is None, b.event_id or 0))
            for b in breaks:
                self.stderr.write(f"chain {b.chain}: event #{b.event_id} (seq {b.chain_seq}): {b.reason}")
            raise CommandError(
                f"audit chain broken at event #{first.event_id} "
                f"(chain {first.chain}, seq {first.chain_seq}): {first.reason}"
            )
        chain_qs = AuditChain.objects.filter(key=district) if district else AuditChain.objects.all()
        event_qs = AuditEvent.objects.filter(chain=district) if district else AuditEvent.objects.all()
        chains, events = chain_qs.count(), event_qs.count()
        self.stdout.write(f"OK: {chains} chain(s), {events} event(s) verified")
