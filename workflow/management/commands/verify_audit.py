from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow import audit, checkpoints


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

        parser.add_argument(
            "--checkpoint",
            help="also check the trail against this signed checkpoint (audit_checkpoint): fails when "
            "a chain is shorter than it or differs from it",
        )
        parser.add_argument(
            "--checkpoint-key",
            help="the key the checkpoint was signed with, if not the current AUDIT_CHECKPOINT_KEY (rotation)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["checkpoint"]:
            self._check_checkpoint(options["checkpoint"], options.get("checkpoint_key"))
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

    def _check_checkpoint(self, path: str, key: str | None) -> None:
        try:
            body = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the checkpoint {path}: {exc}") from exc
        findings = checkpoints.checkpoint_check(body, key=key.encode("utf-8") if key else None)
        if findings:
            for finding in findings:
                self.stderr.write(f"chain {finding.chain} seq {finding.seq}: {finding.reason}")
            first = findings[0]
            raise CommandError(
                f"the trail differs from the checkpoint of {body.get('created_at', '?')}: "
                f"chain {first.chain}, seq {first.seq}: {first.reason}"
            )
        self.stdout.write(f"checkpoint of {body.get('created_at')}: {len(body['chains'])} chain(s) agree")
