"""Domain events: every audit event is one. Other apps register handlers at start-up.

Handlers run inside the transaction of the change, in registration order; they write their
own rows (notifications) and schedule anything that leaves the process with
``transaction.on_commit``. Nothing here hides in a Django signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import audit, flows, sql
from .models import AuditEvent


@dataclass(frozen=True)
class Context:
    """What the change already knows, handed to the handlers so that they need not read it again."""

    step: flows.StepChange | None = None  # the flow step a transition closed and the one it opened
    # An approval that is the district's first while nothing is disbursed: the province's
    # provincial officers are told to record the disbursement (read with the transition's facts).
    disbursement_due: bool = False


NO_CONTEXT = Context()
Handler = Callable[[AuditEvent, Context], None]
_handlers: list[Handler] = []


def register(handler: Handler) -> Handler:
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def dispatch(event: AuditEvent, context: Context = NO_CONTEXT) -> None:
    for handler in _handlers:
        handler(event, context)


def publish(*, context: Context = NO_CONTEXT, **record: Any) -> AuditEvent:
    """Append the audit event (``audit.build``'s arguments) and hand it to the handlers.

    On PostgreSQL the handlers see the event before its row is written (its key is not set
    yet), and the rows they write that refer to it (``sql.insert_referring``: the notices) are
    written in the event's own statement. Elsewhere the event is written first."""
    event = audit.build(**record)
    if sql.db().vendor != "postgresql":
        audit.append(event)
        dispatch(event, context)
        return event
    with sql.with_event(event) as referring:
        dispatch(event, context)
    audit.append(event, referring)
    return event


# --- The submission's document ---------------------------------------------------------
# The district's submission asks the registered renderer (the report book, in ``reports``)
# for the final document while its transaction is open; what the renderer returns (file
# name, SHA-256, size, pages) goes into the submission's audit event. ``workflow`` does not
# know how the book is made.
#
# Making the document is slow (a browser prints it), and no write transaction may be held
# while it runs. So a renderer that has no print yet of exactly what the submission holds
# raises ``DocumentNotReady`` with the work to do: the submission rolls back, runs
# ``prepare()`` with no transaction or lock held, and tries again; the renderer then checks,
# under the lock, that what it would print is what was printed (else it asks again).

SubmissionDocument = Callable[[Any], dict[str, Any]]


class DocumentNotReady(Exception):
    """Raised by a submission's document renderer inside the transaction: roll back, run
    ``prepare`` outside any transaction, then submit again."""

    def __init__(self, prepare: Callable[[], None]) -> None:
        super().__init__("the submission's document must be made outside the transaction")
        self.prepare = prepare


_documents: list[SubmissionDocument] = []


def register_submission_document(renderer: SubmissionDocument) -> SubmissionDocument:
    if renderer not in _documents:
        _documents.append(renderer)
    return renderer


def submission_documents(submission: Any) -> dict[str, Any]:
    """Render every registered document of ``submission``; their records, merged.

    Every renderer is asked (the book, the covering letter…): those not ready are prepared
    together, in one round outside the transaction, not one round each.
    """
    records: dict[str, Any] = {}
    pending: list[Callable[[], None]] = []
    for renderer in _documents:
        try:
            records.update(renderer(submission))
        except DocumentNotReady as not_ready:
            pending.append(not_ready.prepare)
    if pending:

        def prepare_all() -> None:
            for prepare in pending:
                prepare()

        raise DocumentNotReady(prepare_all)
    return records
