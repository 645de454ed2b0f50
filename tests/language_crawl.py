"""Crawl every page a role can reach and read its visible text for the wrong language.

Used by ``tests/test_every_page_language.py``. Four parts:

* the catalogues: the English msgids of ours (``locale/th``) and of the libraries the pages use
  (Django, its admin and auth, DRF, axes, viewflow, django-filter), read from their ``.po``/``.mo``
  files, and the Latin words our Thai translations keep on purpose ("Role Model", "PDF");
* the visible text of a page: ``<script>``/``<style>`` and attributes left out except ``title``,
  ``placeholder``, ``aria-label``, ``alt`` and the labels of buttons; each piece knows whether it
  sits in ``<code>``/``<kbd>``, a quote, a form's value or an element marked in another language;
* the checks: untranslated English, a CE year where a BE date belongs, a raw code where a label
  belongs (Thai mode); Thai script outside the dataset's names and quotes, a BE year in a date
  (English mode). The dataset's own strings (names, titles, comments) are taken out first;
* the crawler: every same-site link of every page (GET only) and every URL pattern whose
  arguments the dataset fills, so a new page is visited without touching the test.
"""

from __future__ import annotations

import gettext
import html
import json
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

THAI = re.compile(r"[\u0E00-\u0E7F]")
THAI_RUN = re.compile(r"[\u0E00-\u0E7F](?:[\u0E00-\u0E7F\s.\-/]*[\u0E00-\u0E7F.])?")
# A word: Latin letters not glued to digits, underscores or a mask ("9a17a6" of a hash, "md5",
# "fB****" are no words, "dont_handouts" is a code).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_*])[A-Za-z][A-Za-z'’]*(?![A-Za-z0-9_*])")
# A run of Latin words: letters, digits and the punctuation that sits inside English text.
LATIN_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9'’\-.,:;!?()&/\" “”]*")
SEPARATOR = " ¦ "  # what a removed piece becomes: no phrase spans it

# --------------------------------------------------------------------------------------------
# Catalogues
# --------------------------------------------------------------------------------------------


def parse_po(path: Path) -> list[tuple[str, str]]:
    """``(msgid, msgstr)`` of every live entry of a PO file (a plural entry gives its singular and
    its plural msgid, each with ``msgstr[0]``); the header and obsolete entries left out. The
    parser is the catalogue tests' (``tests/test_translations.py``)."""
    from tests.test_translations import parse_po as entries_of

    pairs: list[tuple[str, str]] = []
    for entry in entries_of(path):
        if entry.obsolete or entry.is_header or not entry.msgid:
            continue
        msgstr = "" if "fuzzy" in entry.flags else entry.msgstr.get(0, "")  # gettext skips a fuzzy one
        pairs.append((entry.msgid, msgstr))
        if entry.msgid_plural:
            pairs.append((entry.msgid_plural, msgstr))
    return pairs


def _locale_dirs() -> list[Path]:
    """Django's own ``conf/locale`` and every installed app's ``locale`` folder."""
    import django

    dirs = [Path(django.__file__).parent / "conf" / "locale"]
    dirs += [Path(c.path) / "locale" for c in apps.get_app_configs() if (Path(c.path) / "locale").is_dir()]
    return dirs


def _catalogue_files() -> tuple[list[Path], list[Path]]:
    """The PO (and, where a library ships no PO, MO) files whose msgids the pages may show:
    Django's core and every installed app's, English preferred, else Thai, else any language
    (the msgids are the same English in each)."""
    pos: list[Path] = []
    mos: list[Path] = []
    for locale in _locale_dirs():
        for language in ("en", "th", *sorted(p.name for p in locale.iterdir() if p.is_dir())):
            found = sorted((locale / language / "LC_MESSAGES").glob("*.po"))
            if found:
                pos.extend(found)
                break
        else:
            mos.extend(sorted((locale / "en" / "LC_MESSAGES").glob("*.mo")))
    return pos, mos


def _mo_catalogue(path: Path) -> dict[Any, str]:
    with path.open("rb") as handle:
        catalog: dict[Any, str] = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return catalog


def _library_thai_catalogues() -> Iterator[str]:
    """The Thai msgstrs of the libraries (their ``th`` catalogues, PO or else MO)."""
    for locale in _locale_dirs():
        folder = locale / "th" / "LC_MESSAGES"
        pos = list(folder.glob("*.po"))
        for po in pos:
            yield from (msgstr for _msgid, msgstr in parse_po(po))
        for mo in [] if pos else folder.glob("*.mo"):
            yield from (str(value) for value in _mo_catalogue(mo).values())


OUR_PO = Path(settings.BASE_DIR) / "locale" / "th" / "LC_MESSAGES" / "django.po"
_PLACEHOLDER = re.compile(r"%\([^)]*\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]|%[sd]|\{[^}]*\}|<[^>]+>|\n")


def words(text: str) -> list[str]:
    return LATIN_WORD.findall(text)


def fragments(msgid: str) -> list[str]:
    """The literal pieces of a msgid between its placeholders, tags and line breaks."""
    return [piece for piece in (p.strip() for p in _PLACEHOLDER.split(msgid)) if words(piece)]


@dataclass
class Catalogues:
    """What counts as untranslated English, and which Latin words Thai text keeps on purpose."""

    phrases: dict[str, str] = field(default_factory=dict)  # normalised phrase (>= 2 words) -> msgid
    singles: dict[str, str] = field(default_factory=dict)  # a one-word label (case kept) -> msgid
    kept: set[str] = field(default_factory=set)  # normalised Latin n-grams of Thai msgstrs
    thai_labels: set[str] = field(default_factory=set)  # every Thai msgstr (whitespace collapsed)
    longest: int = 1

    def add_msgid(self, msgid: str) -> None:
        for piece in fragments(msgid):
            found = words(piece)
            if len(found) >= 2:
                normal = " ".join(w.lower() for w in found)
                self.phrases.setdefault(normal, msgid)
                self.longest = max(self.longest, len(found))
            elif len(found) == 1 and piece.strip(" .:…?!") == found[0]:
                word = found[0]
                # A label-like word: capitalised, at least three letters, not an acronym.
                if len(word) >= 3 and word[0].isupper() and not word.isupper():
                    self.singles.setdefault(word, msgid)

    def keep_thai(self, msgstr: str) -> None:
        if not THAI.search(msgstr):
            return
        self.thai_labels.add(" ".join(msgstr.split()))
        for run in LATIN_RUN.findall(msgstr):
            found = [w.lower() for w in words(run)]
            for i in range(len(found)):
                for j in range(i + 1, len(found) + 1):
                    self.kept.add(" ".join(found[i:j]))


@cache
def catalogues() -> Catalogues:
    result = Catalogues()
    for msgid, msgstr in parse_po(OUR_PO):
        # Ours: every msgid the Thai catalogue translates into Thai (or has not translated yet).
        if not msgstr or THAI.search(msgstr):
            result.add_msgid(msgid)
        result.keep_thai(msgstr)
    pos, mos = _catalogue_files()
    for po in pos:
        for msgid, _msgstr in parse_po(po):
            result.add_msgid(msgid)
    for mo in mos:
        for key in _mo_catalogue(mo):
            msgid = key[0] if isinstance(key, tuple) else key
            if msgid:
                result.add_msgid(msgid)
    for msgstr in _library_thai_catalogues():
        result.keep_thai(msgstr)
    return result


# --------------------------------------------------------------------------------------------
# Visible text
# --------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}  # fmt: skip
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "data", "del", "dfn", "em", "i", "ins", "mark", "s", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "br"}  # fmt: skip
HIDDEN = {"script", "style", "template"}
CODE = {"code", "kbd", "samp"}
QUOTE = {"q", "blockquote"}
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
BUTTON_TYPES = {"submit", "button", "reset"}


@dataclass(frozen=True)
class Segment:
    text: str
    lang: str  # the nearest ``lang`` attribute ("" when none)
    code: bool = False  # inside <code>, <kbd> or <samp>
    quote: bool = False  # inside <q> or <blockquote>
    value: bool = False  # a form's value: a text box's content, a <textarea>
    script: bool = False  # a data-* attribute: text the page script shows (toasts, counters)


@dataclass
class _Open:
    tag: str
    lang: str
    hidden: bool
    code: bool
    quote: bool
    value: bool


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = [_Open("#root", "", False, False, False, False)]
        self.segments: list[Segment] = []
        self.buffer: list[str] = []
        self.buffer_state: tuple[str, bool, bool, bool] | None = None
        self.in_head = False
        self.in_title = False

    @property
    def top(self) -> _Open:
        return self.stack[-1]

    def flush(self) -> None:
        if self.buffer and self.buffer_state is not None:
            text = " ".join("".join(self.buffer).split())
            if text:
                lang, code, quote, value = self.buffer_state
                self.segments.append(Segment(text, lang, code=code, quote=quote, value=value))
        self.buffer, self.buffer_state = [], None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "br" and self.buffer:
            self.buffer.append(" ")  # a line break separates words
        if tag not in INLINE:
            self.flush()
        top = self.top
        lang = values.get("lang", top.lang)
        if tag == "head":
            self.in_head = True
        if tag == "title" and self.in_head:
            self.in_title = True
        hidden = top.hidden or tag in HIDDEN
        state = _Open(
            tag,
            lang,
            hidden=hidden,
            code=top.code or tag in CODE,
            quote=top.quote or tag in QUOTE,
            value=top.value or tag == "textarea",
        )
        if not hidden:
            self._attributes(tag, values, state)
        if tag not in VOID:
            self.stack.append(state)

    def _attributes(self, tag: str, values: dict[str, str], state: _Open) -> None:
        def add(text: str, **flags: bool) -> None:
            text = " ".join(text.split())
            if text:
                self.segments.append(
                    Segment(
                        text,
                        state.lang,
                        code=flags.get("code", state.code),
                        quote=state.quote,
                        value=flags.get("value", state.value),
                        script=flags.get("script", False),
                    )
                )

        for name in SHOWN_ATTRIBUTES:
            if values.get(name):
                add(values[name])
        if tag == "optgroup" and values.get("label"):
            add(values["label"])
        if tag == "input" and values.get("value"):
            kind = values.get("type", "text").lower()
            if kind in BUTTON_TYPES:
                add(values["value"])
            elif kind not in ("hidden", "checkbox", "radio", "file", "color", "range"):
                add(values["value"], value=True)
        for name, value in values.items():
            if name.startswith("data-"):
                for text in _script_texts(value):
                    add(text, script=True)

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self.flush()
        if tag == "head":
            self.in_head = False
        if tag == "title":
            self.in_title = False
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        top = self.top
        if top.hidden or (self.in_head and not self.in_title):
            return
        state = (top.lang, top.code, top.quote, top.value)
        if self.buffer_state is not None and state != self.buffer_state:
            self.flush()
        self.buffer_state = state
        self.buffer.append(data)


def _script_texts(value: str) -> Iterator[str]:
    """The texts a data-* attribute hands the page script: the value, or the strings of its JSON
    (an admin inline's "addText"); only what reads as words (a space, or Thai)."""
    try:
        decoded = json.loads(value)
    except ValueError:
        decoded = value
    stack = [decoded]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and (
            THAI.search(item) or (" " in item.strip() and LATIN_WORD.search(item))
        ):
            yield item


def visible_segments(page: str) -> list[Segment]:
    parser = _Extractor()
    parser.feed(page)
    parser.close()
    parser.flush()
    return parser.segments


# --------------------------------------------------------------------------------------------
# The dataset's own strings (names, titles, comments): data, not the interface
# --------------------------------------------------------------------------------------------

# Fields holding codes, hashes, paths or texts of the interface rather than what people wrote.
NOT_DATA_FIELDS = {
    ("workflow", "auditevent"): {"chain", "role", "area_code", "action", "object_type", "object_id",
                                 "from_state", "to_state", "prev_hash", "hash", "hash_key"},
    ("workflow", "progressupdate"): {"author_role"},
    ("workflow", "projectprocess"): {"flow_class"},
    ("notifications", "notification"): {"text_th", "text_en"},  # the notice's own words, per language
    ("admin", "logentry"): {"object_id", "change_message"},
    ("auth", "user"): {"password"},
    ("axes", "accessattempt"): {"http_accept", "path_info", "get_data", "post_data"},
    ("axes", "accessfailurelog"): {"http_accept", "path_info"},
    ("axes", "accesslog"): {"http_accept", "path_info", "session_hash"},
}  # fmt: skip
DATA_APPS = {"workflow", "reports", "approvals", "notifications", "auth", "axes", "admin"}
NOT_DATA_MODELS = {("workflow", "auditchain"), ("notifications", "timermark"), ("auth", "permission")}
_FILE_OR_PATH = re.compile(r"^[\w./-]+\.(?:pdf|docx|xlsx|csv|png|jpe?g|webp|gif)$", re.I)


def dataset_strings(*, with_json: bool) -> list[str]:
    """Every string people or imports stored (user names, names of places, titles, comments,
    references, the book's parts), not codes: the text a page shows as data. ``with_json``: the
    strings inside JSON too (the audit trail's payloads: comments and titles, but also codes)."""
    found: set[str] = set()
    for model in apps.get_models():
        meta = model._meta
        key = (meta.app_label, meta.model_name or "")
        if meta.app_label not in DATA_APPS or key in NOT_DATA_MODELS:
            continue
        skip = NOT_DATA_FIELDS.get(key, set())
        names = [
            f.name
            for f in meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices and f.name not in skip
        ]
        json_names = (
            [f.name for f in meta.concrete_fields if isinstance(f, models.JSONField)] if with_json else []
        )
        if not names and not json_names:
            continue
        for row in model._default_manager.values_list(*names, *json_names):
            for value in row[: len(names)]:
                if value and not _FILE_OR_PATH.match(str(value)):
                    found.add(str(value))
            for value in row[len(names) :]:
                found.update(_json_strings(value))
    return sorted(found)


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if not _FILE_OR_PATH.match(value):
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            # A text kept in both languages (a rule's message_th/message_en) is the interface's.
            if not str(key).endswith(("_th", "_en")):
                yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _whole(piece: str) -> str:
    """``piece`` as a regex that matches it as a whole word where it starts or ends with a Latin
    letter or a digit (Thai has no spaces between words: a Thai edge matches anywhere)."""
    edge = re.compile(r"[A-Za-z0-9_]")
    before = r"(?<![A-Za-z0-9_])" if edge.match(piece[0]) else ""
    after = r"(?![A-Za-z0-9_])" if edge.match(piece[-1]) else ""
    return before + re.escape(piece) + after


class DataMask:
    """Takes the dataset's strings out of a text (whole values, and each of their lines)."""

    def __init__(self, strings: Iterable[str], keep: Callable[[str], bool]) -> None:
        pieces: set[str] = set()
        for value in strings:
            for piece in [value, *value.splitlines()]:
                normal = " ".join(html.unescape(piece).split())
                if len(normal) >= 2 and keep(normal):
                    pieces.add(normal)
        ordered = sorted(pieces, key=len, reverse=True)
        self.corpus = "\n".join(ordered)
        # Whole words only: the user name "admin" is not taken out of "administration".
        alternatives = "|".join(_whole(p) for p in ordered)
        self.pattern = re.compile(alternatives) if ordered else None

    def remove(self, text: str) -> str:
        return self.pattern.sub(SEPARATOR, text) if self.pattern else text

    def holds(self, piece: str) -> bool:
        return piece in self.corpus


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

THAI_MONTHS = (
    "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม|"
    r"ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\."
)
EN_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"


def _date_patterns(year: str) -> list[re.Pattern[str]]:
    """Dates whose year is ``year`` (a regex: CE 20xx or BE 25xx): written out with a Thai or an
    English month, ISO, day/month/year (a stored file's year/month folders: ``STORED_PATH``)."""
    return [
        re.compile(rf"(?:{THAI_MONTHS})\s*(?:พ\.ศ\.\s*)?{year}(?!\d)"),
        re.compile(rf"(?<![\d,.]){year}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)"),
        re.compile(rf"(?<![\d,./])\d{{1,2}}/\d{{1,2}}/{year}(?![\d,])"),
        re.compile(rf"(?<![\d,./])\d{{1,2}}\.\d{{1,2}}\.{year}(?![\d,])"),
        re.compile(rf"{EN_MONTHS}\s+\d{{1,2}},?\s+{year}(?!\d)"),
        re.compile(rf"(?<!\d)\d{{1,2}}\s+{EN_MONTHS}\s+{year}(?!\d)"),
    ]


CE_DATES = _date_patterns(r"20\d\d")
BE_DATES = _date_patterns(r"25\d\d")
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
URL = re.compile(r"(?:https?://|www\.)\S+|(?<![\w])/[\w\-./?=&%]+/(?=\s|$)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILE_NAME = re.compile(r"[\w\-./]*[\w\-]\.(?:pdf|docx|xlsx|csv|png|jpe?g|webp|gif|txt|json)\b", re.I)
STORED_PATH = re.compile(r"(?<![\w/])[a-z_]+/(?:[\w\-]+/)*20\d\d/\d\d/[\w\-./]*")
HEX = re.compile(r"\b[0-9a-f]{16,}\b")
SNAKE = re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
TOKEN = re.compile(r"(?<![\w@./\-])[a-z][a-z0-9]*(?![\w@/\-])")


@dataclass(frozen=True)
class Finding:
    check: str
    phrase: str
    url: str
    role: str
    context: str


CHECK_TITLES = {
    "server-error": "a page that breaks (HTTP 5xx)",
    "english": "English from a catalogue in Thai mode (untranslated msgid)",
    "english-text": "English text in Thai mode (not in any catalogue: a string not marked for translation?)",
    "ce-year": "CE year where a BE date belongs (Thai mode)",
    "raw-code": "raw code where a label belongs (Thai mode)",
    "raw-path": "raw stored file path where a label belongs (Thai mode)",
    "thai": "Thai text in English mode outside names and quotes",
    "be-year": "BE year in a date in English mode",
}


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 40) : min(len(text), end + 40)].split())


@dataclass
class Checker:
    """The checks of one language over the visible text of a page."""

    language: str  # "th" or "en"
    mask: DataMask
    codes: frozenset[str]
    catalogue: Catalogues

    def check(self, page: str, url: str, role: str) -> list[Finding]:
        found: list[Finding] = []
        for segment in visible_segments(page):
            if self.language == "th":
                found += self._thai_mode(segment, url, role)
            else:
                found += self._english_mode(segment, url, role)
        return found

    # -- Thai mode -------------------------------------------------------------------------

    def _thai_mode(self, segment: Segment, url: str, role: str) -> list[Finding]:
        if segment.lang and not segment.lang.startswith("th"):
            return []  # marked as another language on purpose (the language switch's "English")
        found: list[Finding] = []
        text = segment.text
        if not segment.code and not segment.value:
            for match in STORED_PATH.finditer(text):
                found.append(Finding("raw-path", match.group(0), url, role, _context(text, *match.span())))
        text = STORED_PATH.sub(SEPARATOR, text)
        # Dates are checked before the data is taken out: the dataset holds no CE date people
        # typed, and a stored label with an ISO date ("2026-12-31 วันสิ้นปี") is the page's fault.
        dated = text.translate(THAI_DIGITS)
        for pattern in CE_DATES:
            for match in pattern.finditer(dated):
                found.append(Finding("ce-year", match.group(0), url, role, _context(dated, *match.span())))
        if segment.value:
            return found  # a form's value is checked for its date only
        # Addresses, e-mails, file names and hashes are no words; then the data's own strings.
        for pattern in (URL, EMAIL, FILE_NAME, HEX):
            text = pattern.sub(SEPARATOR, text)
        text = self.mask.remove(text)
        found += self._english(text, segment, url, role)
        if not segment.code and not segment.script:
            found += self._codes(text, url, role)
        return found

    def _english(self, text: str, segment: Segment, url: str, role: str) -> list[Finding]:
        found: list[Finding] = []
        catalogue = self.catalogue
        for run in LATIN_RUN.finditer(text):
            tokens = words(run.group(0))
            if not tokens:
                continue
            lower = [t.lower() for t in tokens]
            matched: list[tuple[int, int]] = []
            for i in range(len(tokens)):
                for j in range(min(len(tokens), i + catalogue.longest), i, -1):
                    phrase = " ".join(lower[i:j])
                    if j - i >= 2 and phrase in catalogue.phrases and phrase not in catalogue.kept:
                        matched.append((i, j))
                        break
                    if j - i == 1 and tokens[i] in catalogue.singles and lower[i] not in catalogue.kept:
                        matched.append((i, j))
            # Report the longest matches only (a phrase inside a longer one is the same string).
            kept = [m for m in matched if not any(o != m and o[0] <= m[0] and m[1] <= o[1] for o in matched)]
            context = _context(text, *run.span())
            for i, j in kept:
                found.append(Finding("english", " ".join(tokens[i:j]), url, role, context))
            if segment.script or segment.code:
                continue
            covered = {k for i, j in kept for k in range(i, j)}
            rest = [(k, t) for k, t in enumerate(tokens) if k not in covered]
            # The rest of the run: two or more English words in a row no catalogue knows.
            for group in _consecutive(rest):
                group_words = [t for _k, t in group]
                if len(group_words) < 2 or not any(any(c.islower() for c in w) for w in group_words):
                    continue
                if " ".join(w.lower() for w in group_words) in catalogue.kept:
                    continue
                found.append(Finding("english-text", " ".join(group_words), url, role, context))
        return found

    def _codes(self, text: str, url: str, role: str) -> list[Finding]:
        found: list[Finding] = []
        seen: set[tuple[int, int]] = set()
        for match in SNAKE.finditer(text):
            seen.add(match.span())
            found.append(Finding("raw-code", match.group(0), url, role, _context(text, *match.span())))
        for match in TOKEN.finditer(text):
            if match.group(0) in self.codes and match.span() not in seen:
                found.append(Finding("raw-code", match.group(0), url, role, _context(text, *match.span())))
        return found

    # -- English mode ----------------------------------------------------------------------

    def _english_mode(self, segment: Segment, url: str, role: str) -> list[Finding]:
        if segment.lang.startswith("th") or segment.quote:
            return []  # marked Thai on purpose (the language switch's "ไทย"), or a quotation
        found: list[Finding] = []
        text = self.mask.remove(segment.text)
        for pattern in BE_DATES:
            for match in pattern.finditer(text.translate(THAI_DIGITS)):
                found.append(Finding("be-year", match.group(0), url, role, _context(text, *match.span())))
        if segment.value or segment.code:
            return found
        for match in THAI_RUN.finditer(text):
            piece = match.group(0).strip(" .-/")
            if not THAI.search(piece) or _gloss(text, *match.span()):
                continue
            # What is left of a name cut short (… ) or split over lines is still the name.
            if self.mask.holds(piece) and " ".join(piece.split()) not in self.catalogue.thai_labels:
                continue
            found.append(Finding("thai", piece, url, role, _context(text, *match.span())))
        return found


_OPENING = {"(": ")", "“": "”", '"': '"', "‘": "’"}


def _gloss(text: str, start: int, end: int) -> bool:
    """Thai in English text as a gloss or an example: "the preface (คำนำ)", "after “ที่”",
    "e.g. มท ๐๓๑๘.๑/๑๒๓" (the official Thai term or format, given on purpose)."""
    before, after = text[:start].rstrip(), text[end:].lstrip()
    if before[-1:] in _OPENING and after[:1] == _OPENING[before[-1]]:
        return True
    return before.endswith(("e.g.", "e.g.,", "such as"))


def _consecutive(items: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    group: list[tuple[int, str]] = []
    for item in items:
        if group and item[0] != group[-1][0] + 1:
            yield group
            group = []
        group.append(item)
    if group:
        yield group


def checker_for(language: str, codes: Iterable[str]) -> Checker:
    if language == "th":
        # Latin in the data: user names, e-mails, English names of places, bank codes. Not the
        # payloads' strings: those hold codes (a role, a kind) the trail must show as labels.
        mask = DataMask(dataset_strings(with_json=False), keep=lambda s: bool(re.search(r"[A-Za-z]{2}", s)))
    else:
        mask = DataMask(
            dataset_strings(with_json=True), keep=lambda s: bool(THAI.search(s) or re.search(r"25\d\d", s))
        )
    return Checker(language, mask, frozenset(c for c in codes if len(c) >= 3), catalogues())


def report(findings: Iterable[Finding], limit_per_phrase: int = 4) -> str:
    """A to-do list: per check, each phrase once with where it was seen (role and URL)."""
    by_check: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        by_check[finding.check][finding.phrase].append(finding)
    lines: list[str] = []
    for check in CHECK_TITLES:
        phrases = by_check.get(check)
        if not phrases:
            continue
        total = sum(len(v) for v in phrases.values())
        lines.append(f"\n== {CHECK_TITLES[check]}: {len(phrases)} phrase(s), {total} place(s)")
        for phrase, where in sorted(phrases.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            urls = sorted({f.url for f in where})
            roles = sorted({f.role for f in where})
            shown = ", ".join(urls[:limit_per_phrase]) + (
                f" (+{len(urls) - limit_per_phrase} more)" if len(urls) > limit_per_phrase else ""
            )
            lines.append(f"- {phrase!r} [{', '.join(roles)}] at {shown}")
            lines.append(f"    … {where[0].context} …")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The crawl
# --------------------------------------------------------------------------------------------

BINARY = re.compile(r"\.(?:pdf|docx|xlsx|csv|png|jpe?g|webp|gif|zip|ico|svg|js|css)$", re.I)


def iter_patterns(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """``(route, name, pattern)`` of every pattern; ``route`` is the full route string."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from iter_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield prefix + str(entry.pattern), namespace + (entry.name or ""), entry


_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


def expand_route(route: str, fill: Callable[[str, str, str], list[str] | None]) -> list[str] | None:
    """The addresses of ``route`` with each argument replaced by the values ``fill(route, name,
    converter)`` gives (a regex group of plain alternatives fills itself): None when ``fill`` has
    no rule for an argument, an empty list when it has no values."""
    results = [route.lstrip("^").rstrip("$")]
    if route.startswith("^"):  # re_path: (?P<name>alternatives)
        arguments = [(m.group(0), m.group("name"), m.group("body")) for m in _REGEX_GROUP.finditer(route)]
    else:  # path: <converter:name>
        arguments = [
            (m.group(0), m.group("name"), m.group("converter") or "str") for m in _PARAMETER.finditer(route)
        ]
    for text, name, converter in arguments:
        values = fill(route, name, converter)
        if values is None and text.startswith("(?P<") and re.fullmatch(r"[\w|-]+", converter):
            values = converter.split("|")
        if values is None:
            return None
        results = [r.replace(text, str(v), 1) for r in results for v in values]
    return ["/" + r.replace("\\.", ".") for r in results]


def query_keys(url: str) -> tuple[str, set[str]]:
    """The path of ``url`` and the names of its query's parameters."""
    parts = urlsplit(url)
    return parts.path, {k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}


_HREF = re.compile(r"""<(?:a|area)\b[^>]*?\bhref\s*=\s*(["'])(?P<href>.*?)\1""", re.I | re.S)
_GET_FORM = re.compile(r"""<form\b(?P<attrs>[^>]*)>""", re.I)


def links(page: str, base: str) -> Iterator[str]:
    for match in _HREF.finditer(page):
        yield urljoin(base, html.unescape(match.group("href")))
    for match in _GET_FORM.finditer(page):
        attrs = match.group("attrs")
        method = re.search(r"""method\s*=\s*["']?(\w+)""", attrs, re.I)
        if method and method.group(1).lower() != "get":
            continue
        action = re.search(r"""action\s*=\s*(["'])(.*?)\1""", attrs, re.I | re.S)
        yield urljoin(base, html.unescape(action.group(2)) if action and action.group(2) else base)


@dataclass
class Visit:
    url: str
    status: int
    page: str


def crawl(
    client: Client,
    start: Iterable[str],
    *,
    excluded: Callable[[str], bool],
    follow: Callable[[str], bool] = lambda path: True,
    limit: int = 2000,
) -> Iterator[Visit]:
    """GET every address of ``start`` and every same-site link found on the way whose path
    ``follow`` accepts (redirects followed as links); yields the HTML pages (and, with an empty
    page, the ones that broke). More than ``limit`` pages is an error, not a silent stop."""
    queue = deque(dict.fromkeys(start))
    # Pages differing only in their query's values (a sort column, a filter's choice, a page
    # number), or combining parameters already tried, are the same page for the language: a
    # page is visited when its path, or one of its query's parameters, is new.
    seen: dict[str, set[str]] = {}
    count = 0
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        path, keys = query_keys(url)
        if excluded(path) or BINARY.search(path) or (path in seen and keys <= seen[path]):
            continue
        seen.setdefault(path, set()).update(keys)
        count += 1
        if count > limit:
            raise RuntimeError(f"the crawl went past {limit} pages at {url}: a page of links without end?")
        response = client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urljoin(url, response["Location"]))
            continue
        if response.status_code >= 500:
            yield Visit(url, response.status_code, "")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode(response.charset or "utf-8", "replace")
        yield Visit(url, response.status_code, page)
        for link in links(page, url):
            link_parts = urlsplit(link)
            # Drop the fragment; keep the query (one visit per set of keys).
            query = urlencode(parse_qsl(link_parts.query, keep_blank_values=True))
            if not follow(link_parts.path):
                continue
            queue.append(link_parts.path + (f"?{query}" if query else ""))
