"""The report book as a PDF, printed by Chromium (Debian's ``chromium``, headless).

Why Chromium and not WeasyPrint: both lay Thai out well with Debian's HarfBuzz and libthai
(stacked vowels and tone marks, line breaks at word boundaries), but WeasyPrint's PDF text
layer gives back wrong Thai for some clusters (``ผู้ใหญ่บ้าน`` copies as ``ผู้ใหญ่บ้้ำน``), and a
book the centre searches and copies from must give back what the district wrote. Chromium's
text layer round-trips (tested with ``pdftotext`` in tests/reports/test_book_pdf.py).

Chromium has no ``target-counter()``, so the book is printed twice by one browser (see
``reports.chromium``): the first print gives the page of every heading (the named destination
Chromium writes for each ``id`` the contents link to); the numbers are written into the
loaded page and it is printed again. The contents' lines keep their width, so the second
print breaks pages exactly as the first.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader

from workflow.templatetags.rolemodel import thaidatetime

from .book import Book, html_digits, thai_digits
from .chromium import ChromiumError, open_page
from .errors import BookRenderError, BookTooLong
from .thaibreak import keep_words_whole

log = logging.getLogger(__name__)

# Photos are scaled to fit this box before printing: sharp on A4, small in the file, and
# light on Chromium (each decoded photo is held in its memory: 900 px took the print of a
# 30-project book to 823 MB for the whole process tree; issue 11's budget is 600 MB).
PHOTO_BOX = (600, 600)  # about 200 dpi at the 7.5 cm the book prints them
PHOTO_CACHE = "book-photos"
PHOTO_QUALITY = 80


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int
    toc_pages: dict[str, int]


def _fonts() -> dict[str, str]:
    fonts: dict[str, str] = dict(settings.REPORT_BOOK_FONTS)
    for kind in ("regular", "bold"):
        path = fonts.get(kind, "")
        if not path or not Path(path).is_file():
            raise BookRenderError(
                _("The report book's font is missing (%(kind)s: %(path)s).") % {"kind": kind, "path": path},
                "book_font_missing",
            )
    return {
        kind: Path(path).resolve().as_uri() for kind, path in fonts.items() if path and Path(path).is_file()
    }


def _chromium() -> str:
    configured = settings.REPORT_BOOK_CHROMIUM
    path = configured if Path(configured).is_file() else shutil.which(configured)
    if not path:
        raise BookRenderError(
            _("The PDF renderer (Chromium) is not installed here."), "book_renderer_missing"
        )
    return path


def scaled_photo(name: str, sha256: str) -> bytes | None:
    """The photo scaled to ``PHOTO_BOX`` as JPEG, cached in storage by content (``None``: unreadable).

    A preview is asked for again and again; each photo is scaled once, the first time.
    """
    cached = f"{PHOTO_CACHE}/{sha256[:2]}/{sha256}-{PHOTO_BOX[0]}.jpg" if sha256 else ""
    if cached and default_storage.exists(cached):
        with default_storage.open(cached, "rb") as handle:
            data: bytes = handle.read()
            return data
    try:
        with default_storage.open(name, "rb") as handle, Image.open(handle) as opened:
            opened.draft("RGB", PHOTO_BOX)  # JPEG: decode at a fraction of the size, much faster
            image = ImageOps.exif_transpose(opened)
            image.thumbnail(PHOTO_BOX)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=PHOTO_QUALITY)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        log.warning("report book: photo %s could not be read; left out", name)
        return None
    data = buffer.getvalue()
    if cached:
        default_storage.save(cached, ContentFile(data))
    return data


# The scaled size of each photo, by content: a photo's size never changes, so composing the
# same book again (a cached draft, the submission's check under its lock) reads no image.
_PHOTO_SIZES: dict[tuple[str, tuple[int, int]], tuple[int, int] | None] = {}
_PHOTO_SIZES_MAX = 20_000


def _photo_size(name: str, sha256: str) -> tuple[int, int] | None:
    """The scaled photo's (width, height), ``None`` if it cannot be read."""
    cache_key = (sha256, PHOTO_BOX)
    if sha256 and cache_key in _PHOTO_SIZES:
        return _PHOTO_SIZES[cache_key]
    data = scaled_photo(name, sha256)
    size: tuple[int, int] | None = None
    if data is not None:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            size = image.size
    if sha256:
        if len(_PHOTO_SIZES) >= _PHOTO_SIZES_MAX:
            _PHOTO_SIZES.clear()
        _PHOTO_SIZES[cache_key] = size
    return size


def _place_photos(book: Book) -> list[tuple[str, str, str]]:
    """Point each photo at its file next to the page (``photo-<id>.jpg``, relative, so the
    page's text is the same wherever it is printed); (file, storage name, SHA-256) of each."""
    placed: list[tuple[str, str, str]] = []
    for part in book.projects:
        for photo in part.photos:
            size = _photo_size(photo.name, photo.sha256)
            if size is None:
                photo.src = ""
                continue
            photo.src = f"photo-{photo.evidence_id}.jpg"
            photo.width, photo.height = size
            placed.append((photo.src, photo.name, photo.sha256))
    return placed


def _html(book: Book, fonts: dict[str, str]) -> str:
    counter_style = "thai" if book.thai_digits else "decimal"
    toc = [
        {
            "anchor": entry.anchor,
            "title": entry.title,
            "level": entry.level,
        }
        for entry in book.toc
    ]
    draft_footer = _("Draft made %(when)s – not the submitted book") % {
        "when": thaidatetime(book.generated_at)
    }
    if book.thai_digits:
        draft_footer = thai_digits(draft_footer)
    html = render_to_string(
        "reports/book.html",
        {
            "book": book,
            "toc": toc,
            "fonts": fonts,
            "font_size": settings.REPORT_BOOK_FONT_SIZE,
            "counter_style": counter_style,
            "draft_footer": draft_footer,
            "language": translation.get_language() or "th",
        },
    )
    page = keep_words_whole(html)  # no line breaks inside บูรณาการ (reports/thaibreak.py)
    return html_digits(page) if book.thai_digits else page


def _read_pdf(path: Path, *, anchors: bool = False) -> tuple[int, dict[str, int]]:
    """The page count of a printed PDF and, if asked, its anchors' pages.

    Read through an open file: given a path, pypdf copies the whole file into memory, and its
    reader (held in reference cycles) keeps that copy until the garbage collector's next full
    pass, some 10–20 MB per book that a server process would carry from one print into the next.
    """
    with path.open("rb") as handle:
        reader = PdfReader(handle)
        return len(reader.pages), (_anchor_pages(reader) if anchors else {})


def _anchor_pages(reader: PdfReader) -> dict[str, int]:
    """Anchor id → 1-based page, from the named destinations Chromium writes for ``id``s."""
    pages: dict[str, int] = {}
    for name, destination in reader.named_destinations.items():
        number = reader.get_destination_page_number(destination)
        if number is not None:
            pages[str(name).lstrip("/")] = number + 1
    return pages


# Bump when a change outside the page's HTML changes what Chromium prints (print options in
# reports/chromium.py, how the photos are scaled): cached drafts made before are then unused.
RENDERER_VERSION = "2"


@dataclass(frozen=True)
class PdfSource:
    """Everything one print needs, composed from a ``Book`` (cheap: no browser).

    ``key`` is the SHA-256 of what the book prints: the page's HTML, each photo's content
    (SHA-256, scaled to ``PHOTO_BOX``), the renderer's settings and fonts. Two sources with
    the same key print the same book.
    """

    html: str
    photos: tuple[tuple[str, str, str], ...]
    anchors: tuple[str, ...]
    thai_digits: bool
    key: str


def _renderer_fingerprint(fonts: dict[str, str]) -> list[str]:
    parts = [RENDERER_VERSION, repr(PHOTO_BOX), str(PHOTO_QUALITY)]
    parts.append(" ".join(getattr(settings, "REPORT_BOOK_CHROMIUM_ARGS", [])))
    configured = settings.REPORT_BOOK_CHROMIUM
    binary = configured if Path(configured).is_file() else (shutil.which(configured) or configured)
    for path in (binary, *sorted(fonts.values())):
        local = Path(path.removeprefix("file://")) if path.startswith("file://") else Path(path)
        try:
            stat = local.stat()
        except OSError:
            parts.append(f"{path}:missing")
        else:
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return parts


def compose(book: Book) -> PdfSource:
    """The book's page and photos, ready to print, and the key of what it prints."""
    fonts = _fonts()
    photos = tuple(_place_photos(book))
    html = _html(book, fonts)
    digest = hashlib.sha256()
    for part in _renderer_fingerprint(fonts):
        digest.update(part.encode() + b"\0")
    for filename, _name, sha256 in photos:
        digest.update(f"{filename}={sha256}".encode() + b"\0")
    digest.update(html.encode("utf-8", "surrogatepass"))
    return PdfSource(
        html=html,
        photos=photos,
        anchors=tuple(entry.anchor for entry in book.toc),
        thai_digits=book.thai_digits,
        key=digest.hexdigest(),
    )


def print_source(source: PdfSource, *, max_pages: int | None = None) -> RenderedPdf:
    """Print a composed book (two prints, see the module's note) with one Chromium.

    Waits for a free render slot first (``reports.render.render_slot``: at most
    ``REPORT_BOOK_MAX_RENDERS`` Chromiums at once in this process; ``RenderBusy`` when none
    frees up in time). A book longer than ``max_pages`` (default ``REPORT_BOOK_MAX_PAGES``) is
    refused after the first print with ``BookTooLong``. Raises ``BookRenderError``.
    """
    from .render import render_slot

    chromium = _chromium()
    # What the last book left in reference cycles (pypdf's readers, the book's objects) would
    # otherwise wait for the collector's next full pass and sit in this process while Chromium
    # runs: 10–20 MB per print before (docs/benchmarks.md). A full pass costs about 70 ms here.
    gc.collect()
    limit = max_pages if max_pages is not None else int(getattr(settings, "REPORT_BOOK_MAX_PAGES", 200))
    too_long = 0
    with tempfile.TemporaryDirectory(prefix="rolemodel-book-") as tmp:
        folder = Path(tmp)
        for filename, name, sha256 in source.photos:
            data = scaled_photo(name, sha256)
            if data is not None:
                (folder / filename).write_bytes(data)
        page_file = folder / "book.html"
        page_file.write_text(source.html, encoding="utf-8", errors="surrogatepass")
        final = folder / "book.pdf"
        toc_pages: dict[str, int] = {}
        try:
            with (
                render_slot(),
                open_page(
                    chromium,
                    page_file.as_uri(),
                    folder / "profile",
                    settings.REPORT_BOOK_TIMEOUT,
                    getattr(settings, "REPORT_BOOK_CHROMIUM_ARGS", ()),
                ) as page,
            ):
                first = folder / "first.pdf"
                page.print_pdf(first)
                first_pages, anchors = _read_pdf(first, anchors=True)
                if limit and first_pages > limit:
                    too_long = first_pages  # the browser is closed normally, then refused
                else:
                    toc_pages = {a: anchors[a] for a in source.anchors if a in anchors}
                    shown = {
                        a: thai_digits(str(n)) if source.thai_digits else str(n) for a, n in toc_pages.items()
                    }
                    page.evaluate(
                        "(function(pages){document.documentElement.classList.remove('measuring');"
                        "for (const [a, n] of Object.entries(pages)) {"
                        "const cell = document.querySelector('.toc .page[data-anchor=\"' + a + '\"]');"
                        "if (cell) cell.textContent = n;}})(%s)" % json.dumps(shown)
                    )
                    page.print_pdf(final)
        except ChromiumError as exc:
            log.error("chromium failed: %s", exc)
            if "timed out" in str(exc):
                raise BookRenderError(_("Making the PDF took too long."), "book_renderer_timeout") from exc
            raise BookRenderError() from exc
        if too_long:
            raise BookTooLong(too_long, limit)
        pages, _anchors = _read_pdf(final)
        content = final.read_bytes()
    return RenderedPdf(content=content, pages=pages, toc_pages=toc_pages)


def render_pdf(book: Book) -> RenderedPdf:
    """Compose and print the book (no cache: see ``reports.render`` for the drafts' cache)."""
    return print_source(compose(book))
