from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Report book")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The submission's book is stored inside the district's submission (one transaction,
        # one audit event holding its SHA-256; printed between its passes, with no lock held),
        # and mailed to the centre after commit.
        from workflow import events
        from workflow.demo import seed

        from . import demo, handlers

        events.register_submission_document(handlers.submission_document)
        events.register_submission_document(handlers.letter_document)  # the covering letter
        events.register(handlers.on_domain_event)
        seed.register_before_submission(demo.seed_book_parts)
