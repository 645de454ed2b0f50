from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reports.mail import books_not_yet_sent, send_book_to_centre


class Command(BaseCommand):
    help = (
        "E-mail to the centre every submitted report book whose e-mail has not gone yet "
        "(run it from cron beside run_timers; safe to run again)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        pending = books_not_yet_sent()
        sent = sum(1 for pk in pending if send_book_to_centre(submission_id=pk))
        self.stdout.write(
            f"Report books waiting: {len(pending)}; sent now: {sent}; still waiting: {len(pending) - sent}"
        )
