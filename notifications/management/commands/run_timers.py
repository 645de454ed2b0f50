from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.timers import timers_run


class Command(BaseCommand):
    help = "Send due reminders and escalations (each once). Safe every minute from cron, or --loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, every --interval seconds")
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, help="pretend today is YYYY-MM-DD (CE)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            summary = timers_run(today=options["today"])
            self.stdout.write(
                f"reminders sent: {summary.reminders}, escalations sent: {summary.escalations}, "
                f"progress reminders sent: {summary.progress_reminders}"
            )
            if not options["loop"]:
                return
            time.sleep(max(1, options["interval"]))
