"""Reading a printed book back as boxes (``pdftotext -bbox-layout``), to check its layout.

Every word poppler finds on a page, with its box in PostScript points (origin top left), and
the lines they make. The checks: every word inside the page's margins (the page number in the
top margin and the draft line in the bottom one are the only text allowed there), no two
words overlapping, no line starting with a Thai combining mark.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CM = 72 / 2.54
# Thai official margins as the book prints them (reports/templates/reports/book_layout.css).
MARGINS = {"top": 2.5 * CM, "right": 2 * CM, "bottom": 2 * CM, "left": 3 * CM}
# Points a word may cross a side margin by (rounding, a hanging full stop).
TOLERANCE = 2.0
# Thai characters that never start a line: the vowels and signs written above or below a
# consonant (U+0E31, U+0E34–U+0E3A) and the tone and other marks (U+0E47–U+0E4E).
COMBINING = frozenset(
    "\u0e31" + "".join(chr(c) for c in range(0x0E34, 0x0E3B)) + "".join(chr(c) for c in range(0x0E47, 0x0E4F))
)

_NS = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    lines: list[list[Word]] = field(default_factory=list)


def read_pages(pdf: Path) -> list[Page]:
    """The words and lines of every page of ``pdf``."""
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is installed by `make test`"
    xhtml = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(pdf), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    root = ET.fromstring(xhtml)  # noqa: S314 - poppler's own output for our own file
    pages: list[Page] = []
    for number, element in enumerate(root.iter(f"{_NS}page"), start=1):
        page = Page(number, float(element.get("width", 0)), float(element.get("height", 0)))
        for line in element.iter(f"{_NS}line"):
            words = [
                Word(
                    (word.text or "").strip(),
                    float(word.get("xMin", 0)),
                    float(word.get("yMin", 0)),
                    float(word.get("xMax", 0)),
                    float(word.get("yMax", 0)),
                )
                for word in line.iter(f"{_NS}word")
            ]
            words = [w for w in words if w.text]
            if words:
                page.lines.append(words)
                page.words.extend(words)
        pages.append(page)
    return pages


def _running(pages: list[Page]) -> set[tuple[str, int, int]]:
    """Words printed at the same place on at least half the pages: a running footer."""
    seen: dict[tuple[str, int, int], int] = {}
    for page in pages:
        for word in set(page.words):
            key = (word.text, round(word.x0), round(word.centre))
            seen[key] = seen.get(key, 0) + 1
    return {key for key, count in seen.items() if count * 2 >= len(pages) and len(pages) > 1}


def outside_margins(pages: list[Page]) -> list[tuple[int, Word]]:
    """(page, word) for every word that crosses its page's margins.

    Horizontally a word's box must lie between the left and right margins. Vertically its
    middle must lie between the top and bottom margins (a box is the glyphs' em box, or for
    Chromium's Type 3 fonts the font's whole bounding box: taller than the line, centred on
    it). In the top margin only the page number is allowed; in the bottom one only a running
    line (the draft's footer, printed at the same place on every page).
    """
    running = _running(pages)
    wrong = []
    for page in pages:
        left = MARGINS["left"] - TOLERANCE
        right = page.width - MARGINS["right"] + TOLERANCE
        top = MARGINS["top"]
        bottom = page.height - MARGINS["bottom"]
        for word in page.words:
            if word.x0 < left or word.x1 > right:
                wrong.append((page.number, word))
            elif word.centre < top:
                if not (_page_number(word.text) and word.y0 >= 0):
                    wrong.append((page.number, word))
            elif word.centre > bottom:
                if (word.text, round(word.x0), round(word.centre)) not in running or word.y1 > page.height:
                    wrong.append((page.number, word))
    return wrong


class _Text(HTMLParser):
    """The text a page shows: everything in its body outside ``style`` and ``script``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _letters(text: str) -> Counter[str]:
    return Counter(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def lost_text(pages: list[Page], html: str) -> Counter[str]:
    """The characters of the printed page's text that the PDF's words lack, with how many.

    A PDF can lose text without a word outside the margins: Chromium's headless shell clips
    what runs past the page's content box, so a table too wide prints its amounts cut short
    ("1,234,56") rather than in the margin. Every letter, digit and mark the page shows must
    therefore come back from the text layer at least as often (the PDF may have more: page
    numbers, the contents' numbers written in after the first print, running lines).
    """
    parser = _Text()
    parser.feed(html)
    printed: Counter[str] = Counter()
    for page in pages:
        for word in page.words:
            printed.update(_letters(word.text))
    return _letters("".join(parser.parts)) - printed


def body_height(pages: list[Page], *, cover: bool = True) -> float:
    """The height of the words most often printed (the body text's; after the cover, if there is
    one), in points to a tenth: it is smaller on every page when Chromium shrinks a page too wide
    to fit."""
    heights = Counter(round(w.height, 1) for page in pages[1 if cover else 0 :] for w in page.words)
    return heights.most_common(1)[0][0]


def _page_number(text: str) -> bool:
    stripped = text.strip("-")
    return not stripped or all(c.isdigit() for c in stripped)


def overlapping(
    page: Page, *, slack: float = 1.0, ignore: frozenset[str] = frozenset()
) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other: their boxes share more than ``slack`` points
    across and they sit on (nearly) the same line: their middles are closer than a quarter of
    the smaller box's height (a box is taller than its line, see ``outside_margins``).
    Words in ``ignore`` (a draft's watermark, drawn over the page on purpose) are left out."""
    pairs = []
    words = sorted((w for w in page.words if w.text not in ignore), key=lambda w: w.x0)
    for i, word in enumerate(words):
        for other in words[i + 1 :]:
            if other.x0 >= word.x1 - slack:
                break
            across = min(word.x1, other.x1) - max(word.x0, other.x0)
            if across > slack and abs(word.centre - other.centre) < 0.25 * min(word.height, other.height):
                pairs.append((word, other))
    return pairs


def lines_starting_with_a_mark(page: Page) -> list[list[Word]]:
    """Lines whose first character is a Thai combining mark: a cluster torn by a line break."""
    return [line for line in page.lines if line[0].text[:1] in COMBINING]


def words_starting_with_a_mark(page: Page) -> list[Word]:
    """Any word (not only a line's first) that begins with a combining mark: a cluster torn apart."""
    return [word for word in page.words if word.text[:1] in COMBINING]
