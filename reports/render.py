"""Rendering the book so that a crowd cannot exhaust the server.

* **A gate.** At most ``REPORT_BOOK_MAX_RENDERS`` Chromiums run at once in one server process
  (default 2; each takes about 0.5 GB while it prints). A render waits at most
  ``REPORT_BOOK_RENDER_WAIT`` seconds for a slot, then fails with ``RenderBusy`` (503 with
  ``Retry-After``). ``reports.pdf.print_source`` takes the slot, so every print goes through it
  — drafts, submissions, commands. A threading semaphore: the sync views run in threads under
  ASGI as under WSGI.
* **A cache of drafts.** A draft is keyed by the SHA-256 of what it prints (``PdfSource.key``:
  the page's HTML, the photos' SHA-256, the renderer's settings), composed with the time it is
  made left out; asking again for an unchanged draft sends the stored PDF (which says when it
  was made) and starts no browser. Files under ``REPORT_BOOK_DRAFT_CACHE_DIR`` (default
  ``MEDIA_ROOT/cache/book-drafts``), the least recently used removed beyond
  ``REPORT_BOOK_DRAFT_CACHE_BYTES``. A book over its page budget is remembered too, so asking
  again is refused without a print. The same draft asked for by many at once is printed once
  (the others wait for it, within the same bounded wait).
* **A shortcut to the key.** Composing the page to learn its key costs more than the rest of
  an unchanged draft's request. Everything a book prints is written by a service that appends
  an audit event to the district's chain or the national one (projects, parts 1 and 2, money,
  evidence, roles, acting officials, and the admin site's changes of names, bank entries,
  editions and settings), and chain heads only move forward. So each process remembers, for
  the district's and the national chain heads (with the edition, the language, the day and the
  renderer), which key they composed to (``draft_token``); while neither head has moved, an
  unchanged draft is served without reading the book at all. The token is read before the book
  is, so a change committed in between can only make the token name a newer book, never an
  older one; a change made outside the services (a hand-edited database) is seen once any
  audited change of the district or the country moves a head, or the process restarts.
* **The submitted book, printed with no lock held.** ``prepare_final`` prints a book composed
  inside the submission's first (rolled back) pass and keeps it for ``take_prepared``, which
  the second pass calls under the lock with the key of what it would print now (see
  ``workflow.services.projects.district_submit``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import logging
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from . import pdf
from .book import Book

if TYPE_CHECKING:
    from workflow.models import District, Edition
from .errors import BookTooLong, RenderBusy

log = logging.getLogger(__name__)

DEFAULT_MAX_RENDERS = 2
DEFAULT_RENDER_WAIT = 10.0
DEFAULT_CACHE_BYTES = 512 * 1024 * 1024
# A draft's key is composed with this in place of the time it is made (see the module's note).
_KEY_TIME = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


# --- The gate ---------------------------------------------------------------------------------

_gates_guard = threading.Lock()
_gates: dict[int, threading.BoundedSemaphore] = {}
_active = 0
_active_guard = threading.Lock()


def max_renders() -> int:
    return max(1, int(getattr(settings, "REPORT_BOOK_MAX_RENDERS", DEFAULT_MAX_RENDERS)))


def render_wait() -> float:
    return max(0.0, float(getattr(settings, "REPORT_BOOK_RENDER_WAIT", DEFAULT_RENDER_WAIT)))


def _gate() -> threading.BoundedSemaphore:
    size = max_renders()
    with _gates_guard:
        gate = _gates.get(size)
        if gate is None:
            gate = _gates[size] = threading.BoundedSemaphore(size)
        return gate


def _retry_after() -> int:
    return max(5, math.ceil(render_wait()))


def active_renders() -> int:
    """How many renders hold a slot in this process now (for the benchmark and tests)."""
    return _active


@contextlib.contextmanager
def render_slot(deadline: float | None = None) -> Iterator[None]:
    """Hold one of the process's render slots; ``RenderBusy`` if none frees up in time."""
    global _active
    gate = _gate()
    deadline = deadline if deadline is not None else current_deadline()
    wait = render_wait() if deadline is None else max(0.0, deadline - time.monotonic())
    if not gate.acquire(timeout=wait):
        log.warning("report book: every render slot busy for %.1f s; refused", wait)
        raise RenderBusy(_retry_after())
    with _active_guard:
        _active += 1
    try:
        yield
    finally:
        with _active_guard:
            _active -= 1
        gate.release()


# --- One print per key at a time ----------------------------------------------------------------


@dataclass
class _Flight:
    lock: threading.Lock = field(default_factory=threading.Lock)
    callers: int = 0


_flights_guard = threading.Lock()
_flights: dict[str, _Flight] = {}


@contextlib.contextmanager
def _single_flight(key: str, deadline: float) -> Iterator[None]:
    """One print of ``key`` at a time in this process: later callers wait for the first."""
    with _flights_guard:
        flight = _flights.setdefault(key, _Flight())
        flight.callers += 1
    try:
        if not flight.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise RenderBusy(_retry_after())
        try:
            yield
        finally:
            flight.lock.release()
    finally:
        with _flights_guard:
            flight.callers -= 1
            if flight.callers == 0:
                _flights.pop(key, None)


# --- The drafts' cache ----------------------------------------------------------------------


def cache_folder() -> Path:
    configured = getattr(settings, "REPORT_BOOK_DRAFT_CACHE_DIR", "")
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "cache" / "book-drafts"


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def cached(key: str) -> pdf.RenderedPdf | None:
    """The stored draft of ``key``; raises ``BookTooLong`` if it is known to be too long."""
    folder = cache_folder()
    try:
        meta = json.loads((folder / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    limit = int(getattr(settings, "REPORT_BOOK_MAX_PAGES", 200))
    if "too_long" in meta:
        if limit and int(meta["too_long"]) > limit:
            raise BookTooLong(int(meta["too_long"]), limit)
        return None
    try:
        content = (folder / f"{key}.pdf").read_bytes()
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.utime(folder / f"{key}.pdf")  # recently used: kept longest
    return pdf.RenderedPdf(content=content, pages=int(meta["pages"]), toc_pages=dict(meta["toc_pages"]))


def _store(key: str, rendered: pdf.RenderedPdf | None, too_long: int = 0) -> None:
    folder = cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if rendered is not None:
            _write_atomic(folder / f"{key}.pdf", rendered.content)
            meta = {"pages": rendered.pages, "toc_pages": rendered.toc_pages}
        else:
            meta = {"too_long": too_long}
        _write_atomic(folder / f"{key}.json", json.dumps(meta).encode())
        _trim(folder)
    except OSError:  # a cache that cannot be written costs renders, never a failure
        log.warning("report book: the drafts' cache %s cannot be written", folder, exc_info=True)


def _trim(folder: Path) -> None:
    """Remove the least recently used drafts while the folder is over its size cap."""
    cap = int(getattr(settings, "REPORT_BOOK_DRAFT_CACHE_BYTES", DEFAULT_CACHE_BYTES))
    files: list[tuple[float, int, Path]] = []
    total = 0
    for entry in os.scandir(folder):
        if entry.name.endswith(".pdf") and entry.is_file():
            stat = entry.stat()
            files.append((stat.st_mtime, stat.st_size, Path(entry.path)))
            total += stat.st_size
    if total <= cap:
        return
    for _mtime, size, path in sorted(files):
        with contextlib.suppress(OSError):
            path.with_suffix(".json").unlink()
            path.unlink()
            total -= size
        if total <= cap * 0.8:
            break


def draft_key(book: Book) -> pdf.PdfSource:
    """The draft composed with the time it is made left out: its ``key`` names it in the cache."""
    made = book.generated_at
    book.generated_at = _KEY_TIME
    try:
        return pdf.compose(book)
    finally:
        book.generated_at = made


# --- The shortcut to a draft's key (see the module's note) -----------------------------------------

_TOKENS_MAX = 1024
_tokens: OrderedDict[tuple[object, ...], str] = OrderedDict()
_tokens_guard = threading.Lock()


def draft_token(district: District, edition: Edition) -> tuple[object, ...]:
    """What a district's draft depends on, in one statement: the district's and the national
    audit chain heads, with the edition, the language, the day and the renderer."""
    from workflow.audit import NATIONAL_CHAIN
    from workflow.models import AuditChain

    heads = sorted(
        AuditChain.objects.filter(key__in=(district.code, NATIONAL_CHAIN)).values_list(
            "key", "last_seq", "last_hash"
        )
    )
    renderer = tuple(pdf._renderer_fingerprint(pdf._fonts()))
    language = translation.get_language() or settings.LANGUAGE_CODE
    return (district.code, edition.pk, language, timezone.localdate(), tuple(heads), renderer)


def cached_by_token(token: tuple[object, ...]) -> pdf.RenderedPdf | None:
    """The stored draft that ``token`` composed to, if this process has seen it and the file is
    still in the cache (raises ``BookTooLong`` as ``cached`` does)."""
    with _tokens_guard:
        key = _tokens.get(token)
        if key is not None:
            _tokens.move_to_end(token)
    return cached(key) if key is not None else None


def _remember(token: tuple[object, ...] | None, key: str) -> None:
    if token is None:
        return
    with _tokens_guard:
        _tokens[token] = key
        _tokens.move_to_end(token)
        while len(_tokens) > _TOKENS_MAX:
            _tokens.popitem(last=False)


def draft_pdf(book: Book, *, token: tuple[object, ...] | None = None) -> pdf.RenderedPdf:
    """The draft book as a PDF: from the cache when nothing it prints has changed. ``token``:
    the ``draft_token`` read before the book was, remembered with the key it composed to.

    Raises ``RenderBusy`` (no slot in time), ``BookTooLong``, ``BookRenderError``.
    """
    keyed = draft_key(book)
    _remember(token, keyed.key)
    hit = cached(keyed.key)
    if hit is not None:
        return hit
    deadline = time.monotonic() + render_wait()
    with _single_flight(keyed.key, deadline):
        hit = cached(keyed.key)  # printed by another request while this one waited
        if hit is not None:
            return hit
        source = pdf.compose(book)
        try:
            with _deadline(deadline):
                rendered = pdf.print_source(source)
        except BookTooLong as exc:
            _store(keyed.key, None, too_long=exc.pages)
            raise
        _store(keyed.key, rendered)
        return rendered


_deadline_local = threading.local()


@contextlib.contextmanager
def _deadline(deadline: float) -> Iterator[None]:
    """Let the render slot's wait end at ``deadline`` (what the single flight left of it)."""
    _deadline_local.value = deadline
    try:
        yield
    finally:
        _deadline_local.value = None


def current_deadline() -> float | None:
    value: float | None = getattr(_deadline_local, "value", None)
    return value


# --- The submitted book -------------------------------------------------------------------------

_prepared_guard = threading.Lock()
_prepared: OrderedDict[str, pdf.RenderedPdf] = OrderedDict()
_PREPARED_MAX = 8


def prepare_final(source: pdf.PdfSource) -> None:
    """Print a submitted document (the book, its covering letter) composed under the
    submission's lock — now, with none held."""
    rendered = pdf.print_source(source)
    with _prepared_guard:
        _prepared[source.key] = rendered
        while len(_prepared) > _PREPARED_MAX:
            _prepared.popitem(last=False)


def take_prepared(key: str) -> pdf.RenderedPdf | None:
    """The print of ``key`` made by ``prepare_final``. Dropped once the transaction that uses
    it commits; kept if it rolls back (another document of the submission may not be ready)."""
    with _prepared_guard:
        rendered = _prepared.get(key)
    if rendered is not None:
        transaction.on_commit(functools.partial(_drop_prepared, key))
    return rendered


def _drop_prepared(key: str) -> None:
    with _prepared_guard:
        _prepared.pop(key, None)
