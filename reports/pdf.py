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
from .errors import BookRenderError

log = logging.getLogger(__name__)

# Photos are scaled to fit this box before printing: sharp on A4, small in the file.
PHOTO_BOX = (900, 900)  # about 270 dpi at the 8.5 cm the book prints them
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


def _prepare_photos(book: Book, folder: Path) -> None:
    """Put each photo, scaled, into ``folder`` and point the book at the copy."""
    for part in book.projects:
        for photo in part.photos:
            data = scaled_photo(photo.name, photo.sha256)
            if data is None:
                photo.src = ""
                continue
            target = folder / f"photo-{photo.evidence_id}.jpg"
            target.write_bytes(data)
            photo.src = target.as_uri()
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                photo.width, photo.height = image.size


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
    return html_digits(html) if book.thai_digits else html


def _anchor_pages(reader: PdfReader) -> dict[str, int]:
    """Anchor id → 1-based page, from the named destinations Chromium writes for ``id``s."""
    pages: dict[str, int] = {}
    for name, destination in reader.named_destinations.items():
        number = reader.get_destination_page_number(destination)
        if number is not None:
            pages[str(name).lstrip("/")] = number + 1
    return pages


def render_pdf(book: Book) -> RenderedPdf:
    """Print the book (two prints, see the module's note). Raises ``BookRenderError``."""
    fonts = _fonts()
    chromium = _chromium()
    with tempfile.TemporaryDirectory(prefix="rolemodel-book-") as tmp:
        folder = Path(tmp)
        _prepare_photos(book, folder)
        source = folder / "book.html"
        source.write_text(_html(book, fonts), encoding="utf-8")
        try:
            with open_page(
                chromium, source.as_uri(), folder / "profile", settings.REPORT_BOOK_TIMEOUT
            ) as page:
                first = folder / "first.pdf"
                page.print_pdf(first)
                anchors = _anchor_pages(PdfReader(first))
                toc_pages = {e.anchor: anchors[e.anchor] for e in book.toc if e.anchor in anchors}
                shown = {a: book.number(str(n)) for a, n in toc_pages.items()}
                page.evaluate(
                    "(function(pages){document.documentElement.classList.remove('measuring');"
                    "for (const [a, n] of Object.entries(pages)) {"
                    "const cell = document.querySelector('.toc .page[data-anchor=\"' + a + '\"]');"
                    "if (cell) cell.textContent = n;}})(%s)" % json.dumps(shown)
                )
                final = folder / "book.pdf"
                page.print_pdf(final)
        except ChromiumError as exc:
            log.error("chromium failed: %s", exc)
            if "timed out" in str(exc):
                raise BookRenderError(_("Making the PDF took too long."), "book_renderer_timeout") from exc
            raise BookRenderError() from exc
        pages = len(PdfReader(final).pages)
        content = final.read_bytes()
    return RenderedPdf(content=content, pages=pages, toc_pages=toc_pages)
