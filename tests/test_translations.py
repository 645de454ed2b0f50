"""The Thai catalogue (``locale/th/LC_MESSAGES/django.po``) is complete, current and correct.

When one of these tests fails after you added or changed a ``_("...")`` string:

1. ``.venv/bin/python manage.py makemessages -l th --ignore=.venv --ignore=tests --ignore=bench
   --ignore=staticfiles --no-location``
2. translate every new or changed entry in ``locale/th/LC_MESSAGES/django.po`` (no empty
   ``msgstr``, remove ``#, fuzzy``; use the official wording of the DOPA guideline)
3. ``.venv/bin/python manage.py compilemessages -l th --ignore=.venv``
"""

from __future__ import annotations

import gettext
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import override_settings
from django.utils import translation

from workflow.models import Dimension, LineCategory, Role, State
from workflow.rules import RULES

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_PATH = LOCALE_DIR / "th" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# The same folders the documented makemessages command leaves out (see the module docstring).
MAKEMESSAGES_IGNORE = [".venv", "tests", "bench", "staticfiles"]
# Never copied into the scratch project: they hold no translatable source (or are huge).
NOT_SOURCE = {".git", ".venv", "venv", "node_modules", "media", "staticfiles", "__pycache__", "locale"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}  # makemessages' default extensions for the django domain

THAI = re.compile(r"[\u0E00-\u0E7F]")
PLACEHOLDER = re.compile(r"%\((?P<name>[^)]+)\)[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]")
REMAKE = (
    "Run `.venv/bin/python manage.py makemessages -l th --ignore=.venv --ignore=tests --ignore=bench "
    "--ignore=staticfiles --no-location`, translate the entries in locale/th/LC_MESSAGES/django.po, "
    "then `.venv/bin/python manage.py compilemessages -l th --ignore=.venv`."
)


# ---------------------------------------------------------------------------------------------
# A small PO parser: comments and flags, msgctxt, msgid, msgid_plural, msgstr / msgstr[n],
# strings continued over several lines, C escapes, obsolete (#~) entries.
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    obsolete: bool = False
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid or "")

    @property
    def is_header(self) -> bool:
        return self.msgctxt is None and self.msgid == ""

    def describe(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s*(\".*\")$")


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{where}: expected a quoted string, got {text!r}")

    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char not in _ESCAPES:
            raise ValueError(f"{where}: unknown escape \\{char}")
        return _ESCAPES[char]

    return re.sub(r"\\(.)", replace, text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Every entry of the PO file at ``path``, the header (msgid "") and obsolete ones included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the field a continuation line extends
    pending_flags: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # previous msgid of an obsolete entry
                continue
        if not line:
            target = None
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            target = None
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3), where)
            starts_entry = keyword == "msgctxt" or (
                keyword == "msgid" and (current is None or current.msgid is not None)
            )
            if starts_entry:
                current = Entry(line=number, obsolete=obsolete, flags=pending_flags)
                entries.append(current)
                pending_flags = set()
            if current is None:
                raise ValueError(f"{where}: {keyword} before any msgid")
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, target = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if line.startswith('"') and current is not None and target is not None:
            value = _unquote(line, where)
            name, slot = target
            if name == "msgstr":
                current.msgstr[slot] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        raise ValueError(f"{where}: cannot parse {raw!r}")
    for entry in entries:
        if entry.msgid is None:
            raise ValueError(f"{path.name}:{entry.line}: entry without msgid")
    return entries


def live_entries(path: Path) -> list[Entry]:
    """The translatable entries: neither the header nor obsolete."""
    return [e for e in parse_po(path) if not e.obsolete and not e.is_header]


def header_fields(path: Path) -> dict[str, str]:
    header = next((e for e in parse_po(path) if e.is_header and not e.obsolete), None)
    assert header is not None, f'{path} has no header entry (msgid "")'
    fields = {}
    for item in header.msgstr.get(0, "").splitlines():
        name, _sep, value = item.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def nplurals(path: Path) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header_fields(path).get("Plural-Forms", ""))
    return int(match.group(1)) if match else 1


def _listing(items: list[str], limit: int = 40) -> str:
    shown = "\n  ".join(items[:limit])
    more = f"\n  ... and {len(items) - limit} more" if len(items) > limit else ""
    return f"\n  {shown}{more}"


# ---------------------------------------------------------------------------------------------
# (a) complete
# ---------------------------------------------------------------------------------------------


def test_parser_reads_plurals_context_continuations_and_obsolete_entries(tmp_path: Path) -> None:
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: th\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "menu"\nmsgid ""\n"long %(n)s "\n"text \\"q\\""\nmsgstr "x"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "หลาย"\n\n'
        '#~ msgid "gone"\n#~ msgstr "ไป"\n',
        encoding="utf-8",
    )
    header, ctx, plural, gone = parse_po(po)
    assert header.is_header and header_fields(po)["Language"] == "th" and nplurals(po) == 1
    assert (ctx.msgctxt, ctx.msgid, ctx.msgstr, ctx.flags) == (
        "menu",
        'long %(n)s text "q"',
        {0: "x"},
        {"fuzzy", "python-format"},
    )
    assert (plural.msgid, plural.msgid_plural, plural.msgstr, plural.flags) == (
        "one",
        "many",
        {0: "หลาย"},
        set(),
    )
    assert gone.obsolete and gone.msgid == "gone"
    assert [e.msgid for e in live_entries(po)] == ['long %(n)s text "q"', "one"]


def test_thai_catalogue_exists_with_a_usable_header() -> None:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing. {REMAKE}"
    fields = header_fields(PO_PATH)
    assert fields.get("Language") == "th", f"the header's Language is {fields.get('Language')!r}, not 'th'"
    assert "charset=UTF-8" in fields.get("Content-Type", ""), "the header must declare charset=UTF-8"
    assert live_entries(PO_PATH), f"{PO_PATH} has no messages. {REMAKE}"


def test_thai_catalogue_is_complete() -> None:
    entries = [e for e in parse_po(PO_PATH) if not e.obsolete]
    forms = nplurals(PO_PATH)
    fuzzy = [e.describe() for e in entries if "fuzzy" in e.flags]
    untranslated = []
    for entry in entries:
        if entry.is_header:
            continue
        expected = range(forms) if entry.msgid_plural is not None else range(1)
        if any(not entry.msgstr.get(index) for index in expected):
            untranslated.append(entry.describe())
    problems = []
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated (empty msgstr):{_listing(untranslated)}")
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy (check the Thai, then remove '#, fuzzy'):{_listing(fuzzy)}")
    assert not problems, f"{PO_PATH} is not complete.\n" + "\n".join(problems) + f"\n{REMAKE}"


# ---------------------------------------------------------------------------------------------
# (b) up to date with the code
# ---------------------------------------------------------------------------------------------


def _copy_sources(source: Path, target: Path) -> None:
    """The project's translatable source files, in the same layout, under ``target``."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            path = Path(folder) / name
            if path.is_dir():
                if name in NOT_SOURCE or name.endswith(".egg-info") or path.is_symlink():
                    skipped.add(name)
            elif path.suffix not in SOURCE_SUFFIXES:
                skipped.add(name)
        return skipped

    shutil.copytree(source, target, ignore=ignore)


@pytest.fixture(scope="module")
def regenerated_po(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Thai catalogue as ``makemessages`` would write it from the current code.

    makemessages walks the current directory and writes into the LOCALE_PATHS entry that
    contains the files it reads (and into ``./locale`` when present), so running it inside
    BASE_DIR would rewrite the committed catalogue. It runs instead in a scratch copy of the
    project's sources with a copy of ``locale/``, LOCALE_PATHS pointing at that copy.
    """
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    project = tmp_path_factory.mktemp("makemessages") / "project"
    _copy_sources(Path(settings.BASE_DIR), project)
    shutil.copytree(LOCALE_DIR, project / "locale")
    with pytest.MonkeyPatch.context() as patch, override_settings(LOCALE_PATHS=[str(project / "locale")]):
        patch.chdir(project)
        call_command(
            "makemessages",
            locale=["th"],
            ignore_patterns=MAKEMESSAGES_IGNORE,
            no_location=True,
            verbosity=0,
        )
    yield project / "locale" / "th" / "LC_MESSAGES" / "django.po"


def test_thai_catalogue_is_up_to_date_with_the_code(regenerated_po: Path) -> None:
    in_code = {e.key: e for e in live_entries(regenerated_po)}
    committed = {e.key: e for e in live_entries(PO_PATH)}
    missing = sorted(in_code.keys() - committed.keys(), key=lambda k: in_code[k].line)
    extra = sorted(committed.keys() - in_code.keys(), key=lambda k: committed[k].line)
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} string(s) in the code but not in the catalogue (add and translate):"
            + _listing([repr(k[1]) + (f" (context {k[0]!r})" if k[0] else "") for k in missing])
        )
    if extra:
        problems.append(
            f"{len(extra)} string(s) in the catalogue but no longer in the code (remove):"
            + _listing([committed[k].describe() for k in extra])
        )
    assert not problems, f"{PO_PATH} is out of date.\n" + "\n".join(problems) + f"\n{REMAKE}"


def test_regenerated_catalogue_keeps_every_translation(regenerated_po: Path) -> None:
    """makemessages over the committed file changes no translation (no churn)."""
    committed = {e.key: e.msgstr for e in live_entries(PO_PATH)}
    changed = [
        e.describe()
        for e in live_entries(regenerated_po)
        if e.key in committed and e.msgstr != committed[e.key]
    ]
    assert not changed, f"makemessages would change these translations:{_listing(changed)}\n{REMAKE}"


# ---------------------------------------------------------------------------------------------
# (c) placeholders
# ---------------------------------------------------------------------------------------------


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def test_translations_keep_every_placeholder() -> None:
    problems = []
    for entry in live_entries(PO_PATH):
        source = _placeholders(entry.msgid or "") | _placeholders(entry.msgid_plural or "")
        for index, text in sorted(entry.msgstr.items()):
            if not text:
                continue  # reported by test_thai_catalogue_is_complete
            found = _placeholders(text)
            lost, invented = source - found, found - source
            if lost or invented:
                detail = []
                if lost:
                    detail.append(f"missing {sorted(lost)}")
                if invented:
                    detail.append(f"not in the English {sorted(invented)}")
                problems.append(f"{entry.describe()} msgstr[{index}] {'; '.join(detail)}: {text!r}")
    assert not problems, "Placeholders must be kept exactly (%(name)s):" + _listing(problems)


# ---------------------------------------------------------------------------------------------
# (d) Thai is what users see; the compiled catalogue matches the .po
# ---------------------------------------------------------------------------------------------


def test_compiled_catalogue_matches_the_po() -> None:
    assert MO_PATH.is_file(), f"{MO_PATH} is missing. {REMAKE}"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in live_entries(PO_PATH):
        if not entry.msgstr.get(0) or "fuzzy" in entry.flags:
            continue  # msgfmt leaves these out; reported by test_thai_catalogue_is_complete
        msgid = entry.msgid or ""
        if entry.msgid_plural is not None and entry.msgctxt is not None:
            got = compiled.npgettext(entry.msgctxt, msgid, entry.msgid_plural, 1)
        elif entry.msgid_plural is not None:
            got = compiled.ngettext(msgid, entry.msgid_plural, 1)
        elif entry.msgctxt is not None:
            got = compiled.pgettext(entry.msgctxt, msgid)
        else:
            got = compiled.gettext(msgid)
        if got != entry.msgstr[0]:
            stale.append(entry.describe())
    assert not stale, (
        f"{MO_PATH.name} does not match {PO_PATH.name} (compilemessages not run?):{_listing(stale)}\n{REMAKE}"
    )


def _rule_texts() -> list[tuple[str, object]]:
    texts: list[tuple[str, object]] = []
    for code, rule in RULES.items():
        texts.append((f"rule {code} message", rule.message))
        texts.append((f"rule {code} clause", rule.clause))
    return texts


def _choice_labels() -> list[tuple[str, object]]:
    choices: list[type[models.TextChoices]] = [State, Role, Dimension, LineCategory]
    return [(f"{cls.__name__}.{member.name}", member.label) for cls in choices for member in cls]


RENDERED_TEXTS = _rule_texts() + _choice_labels()


@pytest.mark.parametrize(("where", "text"), RENDERED_TEXTS, ids=[where for where, _text in RENDERED_TEXTS])
def test_renders_in_thai(where: str, text: object) -> None:
    with translation.override("th"):
        rendered = str(text)
    assert THAI.search(rendered), (
        f"{where} renders {rendered!r} with Thai active: no Thai translation. {REMAKE}"
    )


def test_guideline_wording_is_used() -> None:
    """A few anchors the guideline fixes word for word (แนวทางการขับเคลื่อนอำเภอต้นแบบ)."""
    with translation.override("th"):
        assert str(RULES["dont_handouts"].message) == "ไม่เป็นการจัดซื้อวัสดุครุภัณฑ์เพื่อแจกจ่ายแก่ประชาชนโดยตรง"
        assert str(RULES["budget_cap_exceeded"].clause) == "แนวทางฯ ข้อ ๑ ขอบเขตการดำเนินการ ๕) งบประมาณ"
        assert str(RULES["dont_handouts"].clause) == "โครงการที่ควรหลีกเลี่ยงดำเนินการ (Don't) ข้อ ๑)"
        assert str(RULES["do_checklist_incomplete"].clause) == "โครงการที่ควรดำเนินการ (Do) ข้อ ๑) – ๔)"
        assert str(Role.DISTRICT_CHIEF.label) == "นายอำเภอ"
        assert str(Role.REGIONAL_INSPECTOR.label) == "ผู้ตรวจราชการกรมการปกครองประจำเขต"
        assert str(Dimension.ADMINISTRATION.label) == "ด้านการบริหารจัดการ และการส่งเสริมการมีส่วนร่วมในพื้นที่"
        assert str(State.RETURNED.label) == "ส่งกลับแก้ไข"
    with translation.override("en"):
        assert str(State.RETURNED.label) == "Returned for revision"
