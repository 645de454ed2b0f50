"""The admin (``/admin/``) reads wholly in Thai in Thai mode and in English in English mode.

* Every admin page a superuser and a role administrator reach (the index, every changelist, an
  add form, a change form, a history and a deletion of every registered model, the password
  pages) in Thai: none of the English texts testers saw ("User:", "District:", "Granted by:",
  "… was added successfully.", "Start typing to filter…", "None available"), no run of English
  words of Django's, the libraries' or our catalogues, no CE year (20xx) where a date is shown.
  The dataset's own strings (names, titles, e-mail addresses) are taken out first.
* The same pages in English: no Thai script outside the dataset's strings and outside what is
  marked ``lang="th"`` (the language switch's "ไทย").
* The admin's JavaScript catalogue (``jsi18n``) answers Thai for every text of Django's admin
  scripts ("%(sel)s of %(cnt)s selected", "Choose all %s"...), and English in English.
* Dates are shown in BE in Thai and typed in BE: a deadline typed ``31/08/2570`` on the
  edition's form is stored as 2027-08-31; a CE year is refused with a Thai message.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import django
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.models import Group
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from notifications.models import NotificationPreference
from reports.models import BookSettings
from reports.services import submission_acknowledge
from tests import factories as f
from tests.reports.conftest import fill_parts, reported_project
from tests.test_translations import parse_po
from workflow import admin_texts
from workflow.admin_site import BEDateTimeField, BEDateTimeWidget
from workflow.models import Delegation, Edition, Holiday, Role
from workflow.services import programme
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db

User = get_user_model()

DJANGO_DIR = Path(django.__file__).parent
ADMIN_LOCALE = DJANGO_DIR / "contrib" / "admin" / "locale"
OUR_PO = Path(settings.BASE_DIR) / "locale" / "th" / "LC_MESSAGES" / "django.po"
THAI = re.compile(r"[\u0E00-\u0E7F]")
CE_YEAR = re.compile(r"(?<![\w.,])20\d\d(?![\w.,])")
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \-][A-Za-z][A-Za-z'’]*)*")
PLACEHOLDER = re.compile(r"%\([^)]*\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]|%[sdr]|\{[a-z_]*\}|<[^>]+>")
SEPARATOR = " ¦ "

# What testers saw in Thai mode (issue 13), each of which must be gone.
SEEN_IN_ENGLISH = (
    "User:",
    "District:",
    "Province:",
    "Region:",
    "Granted by:",
    "was added successfully",
    "was changed successfully",
    "selected",
    "Start typing to filter",
    "None available",
    "ไม่ว่าง",
    "Access attempts",
    "Access logs",
    "Process list",
    "Tasks",
    "Axes",
)

# --------------------------------------------------------------------------------------------
# Visible text
# --------------------------------------------------------------------------------------------

HIDDEN_ELEMENTS = {"script", "style", "template", "noscript"}
READ_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _TextParser(HTMLParser):
    """The text a person sees or hears: text nodes and read attributes, each with the language
    of the element it sits in (``lang``); nothing hidden (``hidden``, hidden inputs, scripts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, lang, hidden)
        self.pieces: list[tuple[str | None, str]] = []

    def _lang(self) -> str | None:
        return next((lang for _tag, lang, _hidden in reversed(self.stack) if lang), None)

    def _hidden(self) -> bool:
        return any(hidden for _tag, _lang, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        hidden = tag in HIDDEN_ELEMENTS or "hidden" in values or values.get("type") == "hidden"
        lang = values.get("lang")
        if not hidden and not self._hidden():
            here = lang or self._lang()
            for name in READ_ATTRIBUTES:
                if values.get(name):
                    self.pieces.append((here, str(values[name])))
            if tag == "input" and values.get("type") in {"submit", "button", "reset"} and values.get("value"):
                self.pieces.append((here, str(values["value"])))
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, lang, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden() and data.strip():
            self.pieces.append((self._lang(), " ".join(data.split())))


def text_pieces(html: str) -> list[tuple[str | None, str]]:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.pieces


def visible_text(html: str, *, skip_lang: str | None = None) -> str:
    """The page's visible text, one piece a line; pieces marked ``lang=skip_lang`` left out."""
    return "\n".join(text for lang, text in text_pieces(html) if not (skip_lang and lang == skip_lang))


def without(text: str, strings: Iterable[str]) -> str:
    """``text`` with each of ``strings`` (longest first) taken out."""
    for value in sorted(set(strings), key=len, reverse=True):
        text = text.replace(value, SEPARATOR)
    return text


# --------------------------------------------------------------------------------------------
# Catalogues: the English a Thai page must not show
# --------------------------------------------------------------------------------------------


def _msgids(path: Path) -> Iterator[str]:
    for entry in parse_po(path):
        if entry.obsolete or entry.is_header:
            continue
        yield entry.msgid or ""
        if entry.msgid_plural:
            yield entry.msgid_plural


def _fragments(msgid: str) -> Iterator[str]:
    """The runs of English words of a msgid, between its placeholders and punctuation."""
    for part in PLACEHOLDER.split(msgid):
        for run in LATIN_RUN.findall(part):
            yield run.lower()


@cache
def english_catalogue() -> tuple[frozenset[str], frozenset[str]]:
    """``(phrases, words)``: every run of English words of the msgids of Django's admin, auth,
    contenttypes and forms, of ours, and of the libraries' texts our catalogue carries."""
    msgids: list[str] = []
    for app in ("admin", "auth", "contenttypes"):
        msgids += _msgids(DJANGO_DIR / "contrib" / app / "locale" / "en" / "LC_MESSAGES" / "django.po")
        if app == "admin":
            msgids += _msgids(ADMIN_LOCALE / "en" / "LC_MESSAGES" / "djangojs.po")
    msgids += _msgids(DJANGO_DIR / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po")
    msgids += _msgids(OUR_PO)
    with translation.override("en"):
        msgids += [str(text) for text in library_texts()]
    phrases = {run for msgid in msgids for run in _fragments(msgid)}
    words = {word for phrase in phrases for word in re.split(r"[ \-]", phrase)}
    return frozenset(phrases), frozenset(words)


def library_texts() -> list[Any]:
    return [
        text
        for name in dir(admin_texts)
        if name.isupper()
        for text in getattr(admin_texts, name)
        if isinstance(getattr(admin_texts, name), tuple)
    ]


@cache
def kept_latin() -> frozenset[str]:
    """The Latin words our Thai translations keep on purpose ("Role Model", "PDF", "LDAP")."""
    kept: set[str] = set()
    for entry in parse_po(OUR_PO):
        for text in entry.msgstr.values():
            for run in LATIN_RUN.findall(PLACEHOLDER.sub(" ", text)):
                kept.add(run.lower())
                kept.update(re.split(r"[ \-]", run.lower()))
    return frozenset(kept)


def english_runs(text: str) -> list[str]:
    """The runs of English words in ``text`` that come from a catalogue: a whole msgid fragment,
    or two words or more that are all catalogue words. What our Thai keeps is not English."""
    phrases, words = english_catalogue()
    kept = kept_latin()
    found = []
    for run in LATIN_RUN.findall(text):
        lowered = run.lower()
        if lowered in kept or len(lowered) < 2:
            continue  # kept on purpose, or a lone letter (of a fingerprint, "ก. / ข.")
        parts = [p for p in re.split(r"[ \-]", lowered) if p not in kept]
        if not parts:
            continue
        if lowered in phrases or (len(parts) >= 2 and all(p in words for p in parts)):
            found.append(run)
    return found


# --------------------------------------------------------------------------------------------
# The dataset and the pages
# --------------------------------------------------------------------------------------------


@pytest.fixture
def site(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """The world with a row in every model the admin shows: a submitted, acknowledged district
    (book, covering letter, receipt, e-mail attempts), a holiday, a delegation, login records."""
    fill_parts(world)
    world.project = reported_project(world, 1, photos=1)
    with django_capture_on_commit_callbacks(execute=True):
        world.submission = svc.district_submit(district=world.d1, acting_user=world.chief)
    submission_acknowledge(submission=world.submission, acting_user=world.planner, comment="ได้รับแล้ว")
    today = timezone.localdate()
    Holiday.objects.create(date=today + datetime.timedelta(days=30), name="วันพ่อแห่งชาติ")
    Delegation.objects.create(
        delegator=world.chief,
        delegate=world.officer,
        role=Role.DISTRICT_CHIEF,
        district=world.d1,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
    )
    NotificationPreference.objects.get_or_create(user=world.chief)
    BookSettings.objects.get_or_create(pk=BookSettings.SINGLETON)
    Group.objects.create(name="ผู้ตรวจสอบภายใน")
    login = {
        "ip_address": "10.0.0.1",
        "user_agent": "Mozilla/5.0",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(
        username="intruder", get_data="", post_data="", failures_since_start=2, **login
    )
    AccessLog.objects.create(username="officer", **login)
    AccessFailureLog.objects.create(username="intruder", **login)
    world.root = User.objects.create_superuser("root", "root@example.org", f.PASSWORD)
    return world


def client_in(language: str, user: Any) -> Client:
    """A client whose pages are in ``language``, as the site's switch sets it (its cookie)."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def admin_pages(site: Any) -> list[str]:
    """The index, the password pages, and every registered model's list, add form, first
    object's change form, history and deletion."""
    urls = [
        reverse("admin:index"),
        reverse("admin:password_change"),
        reverse("admin:password_change_done"),
        reverse("admin:auth_user_password_change", args=[site.officer.pk]),
    ]
    for model in django_admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls += [reverse(f"{base}_changelist"), reverse(f"{base}_add")]
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the dataset has no {opts.label}: add one to the fixture"
        for view in ("change", "history", "delete"):
            urls.append(reverse(f"{base}_{view}", args=[obj.pk]))
    return urls


# Django's own rows: their names are English by design (permissions), shown through our labels.
NOT_DATA = {"auth.Permission", "contenttypes.ContentType", "admin.LogEntry", "sessions.Session"}


def dataset_strings() -> set[str]:
    """Every string the dataset holds (names, titles, comments, addresses, notices' texts,
    payload values) and every object's own name: data, shown as it was written."""
    strings: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            if len(value.strip()) >= 2:
                strings.add(value.strip())
                strings.update(line.strip() for line in value.splitlines() if len(line.strip()) >= 2)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    for model in apps.get_models():
        if model._meta.label in NOT_DATA:
            continue
        text_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField) and not field.choices
        ]
        if not text_fields:
            continue
        for row in model._default_manager.values_list(*text_fields):
            for value in row:
                collect(value)
    # A user's page shows the password's hash summarised: the salt's and the hash's first
    # characters (random: "ce****" once read as an English word), the algorithm, the rounds.
    for encoded in get_user_model()._default_manager.values_list("password", flat=True):
        if encoded and "$" in encoded:
            collect([str(v) for v in identify_hasher(encoded).safe_summary(encoded).values()])
    return strings


def pages(client: Client, urls: list[str]) -> Iterator[tuple[str, str]]:
    for url in urls:
        response = client.get(url)
        if response.status_code in (302, 403):
            continue  # not this user's (a role administrator's limits, a read-only model)
        assert response.status_code == 200, (url, response.status_code)
        yield url, response.content.decode()


def thai_mode_problems(url: str, html: str, data: set[str]) -> list[str]:
    text = without(visible_text(html, skip_lang="en"), data)
    problems = [f"{url}: English seen by testers {seen!r}" for seen in SEEN_IN_ENGLISH if seen in text]
    problems += [f"{url}: English words {run!r}" for run in english_runs(text)]
    problems += [f"{url}: CE year in {line!r}" for line in text.splitlines() if CE_YEAR.search(line)]
    return problems


def english_mode_problems(url: str, html: str, data: set[str]) -> list[str]:
    text = without(visible_text(html, skip_lang="th"), data)
    return [f"{url}: Thai in {line!r}" for line in text.splitlines() if THAI.search(line)]


# --------------------------------------------------------------------------------------------
# Every page, both languages, two kinds of administrator
# --------------------------------------------------------------------------------------------


def test_every_admin_page_reads_in_thai_with_be_dates(site: Any) -> None:
    clients = [client_in("th", user) for user in (site.root, site.admin)]  # superuser; admin role
    data = dataset_strings()  # after logging in: axes records the logins
    urls = admin_pages(site)
    problems: list[str] = []
    seen = 0
    for client in clients:
        for url, html in pages(client, urls):
            seen += 1
            assert 'lang="th"' in html, url
            problems += thai_mode_problems(url, html, data)
    assert seen > len(urls)  # both administrators saw pages
    login = Client(HTTP_ACCEPT_LANGUAGE="th").get(reverse("admin:login")).content.decode()
    problems += thai_mode_problems("/admin/login/", login, data)
    assert not problems, "\n".join(problems)


def test_every_admin_page_reads_in_english_in_english_mode(site: Any) -> None:
    clients = [client_in("en", user) for user in (site.root, site.admin)]
    data = dataset_strings()
    urls = admin_pages(site)
    problems: list[str] = []
    for client in clients:
        for url, html in pages(client, urls):
            assert 'lang="en"' in html, url
            problems += english_mode_problems(url, html, data)
            text = without(visible_text(html), data)
            problems += [f"{url}: BE year {year}" for year in re.findall(r"\b25[6-9]\d\b", text)]
    login = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("admin:login")).content.decode()
    problems += english_mode_problems("/admin/login/", login, data)
    assert not problems, "\n".join(problems)


def test_the_labels_testers_saw_are_thai(site: Any) -> None:
    client = client_in("th", site.root)
    membership = site.officer.role_memberships.get()
    form = visible_text(
        client.get(reverse("admin:workflow_rolemembership_change", args=[membership.pk])).content.decode()
    )
    for label in ("ผู้ใช้:", "อำเภอ:", "จังหวัด:", "เขตตรวจราชการ:", "ผู้มอบหมาย:"):
        assert label in form
    index = client.get(reverse("admin:index")).content.decode()
    changelist = client.get(reverse("admin:workflow_holiday_changelist")).content.decode()
    assert 'placeholder="พิมพ์เพื่อกรองรายการ…"' in changelist  # the sidebar's filter box
    assert "ไม่มีรายการ" in visible_text(index) or "การดำเนินการล่าสุด" in visible_text(index)
    for name in ("การพยายามเข้าระบบ", "บันทึกการเข้าระบบ", "การเข้าระบบไม่สำเร็จ", "กระบวนงาน", "งาน"):
        assert name in visible_text(index)


def test_an_added_object_is_announced_in_thai_and_its_be_date_stored_in_ce(site: Any) -> None:
    client = client_in("th", site.root)
    response = client.post(
        reverse("admin:workflow_holiday_add"), {"date": "05/12/2570", "name": "วันชาติ"}, follow=True
    )
    assert response.status_code == 200
    holiday = Holiday.objects.get(name="วันชาติ")
    assert holiday.date == datetime.date(2027, 12, 5)
    text = visible_text(response.content.decode())
    message = re.search(r'<li class="success">(.*?)</li>', response.content.decode(), re.S)
    assert message is not None
    assert re.sub(r"<[^>]+>", "", message.group(1)) == "เพิ่มวันหยุดราชการ “5 ธ.ค. 2570 วันชาติ” เรียบร้อยแล้ว"
    assert "5 ธ.ค. 2570" in text and "2027" not in text
    # Its history (the time in BE) and the index's recent actions name it the same way.
    history = visible_text(
        client.get(reverse("admin:workflow_holiday_history", args=[holiday.pk])).content.decode()
    )
    assert "5 ธ.ค. 2570 วันชาติ" in history and f" {timezone.localdate().year + 543} " in history
    assert not CE_YEAR.search(history)
    assert "5 ธ.ค. 2570 วันชาติ" in visible_text(client.get(reverse("admin:index")).content.decode())
    # A CE year is refused, with the form it takes, in Thai (never read as a year 543 years ago).
    response = client.post(reverse("admin:workflow_holiday_add"), {"date": "06/12/2027", "name": "ผิด"})
    assert response.status_code == 200
    assert "พุทธศักราช" in visible_text(response.content.decode())
    assert not Holiday.objects.filter(name="ผิด").exists()


def test_an_editions_deadline_typed_in_be_is_stored_in_ce(site: Any) -> None:
    client = client_in("th", site.root)
    edition: Edition = site.edition
    page = client.get(reverse("admin:workflow_edition_change", args=[edition.pk])).content.decode()
    shown = edition.deadline
    assert f'value="{shown.day:02d}/{shown.month:02d}/{shown.year + 543}"' in page  # the box holds BE
    data = {
        "code": edition.code,
        "title": edition.title,
        "budget_cap": str(edition.budget_cap),
        "deadline": "31/08/2570",
        "active": "on",
        "dimensions": list(edition.dimensions),
        "central_email": edition.central_email or "dopa.areaplan@gmail.com",
        "progress_reminder_days": str(edition.progress_reminder_days),
        "role_model_districts": programme.designated_codes(edition),
    }
    response = client.post(reverse("admin:workflow_edition_change", args=[edition.pk]), data, follow=True)
    assert response.status_code == 200, visible_text(response.content.decode())[:2000]
    edition.refresh_from_db()
    assert edition.deadline == datetime.date(2027, 8, 31)
    text = visible_text(response.content.decode(), skip_lang="en")
    assert "31 ส.ค. 2570" in text  # the list shows it in BE
    assert not english_runs(without(text, dataset_strings()))


def test_date_and_time_boxes_take_be_in_thai_and_ce_in_english(site: Any) -> None:
    field = BEDateTimeField()
    with translation.override("th"):
        value = field.clean(["05/12/2569", "10:30"])
        assert timezone.localtime(value).replace(tzinfo=None) == datetime.datetime(2026, 12, 5, 10, 30)
        assert BEDateTimeWidget().decompress(value)[0] == "05/12/2569"
        with pytest.raises(forms.ValidationError):
            field.clean(["05/12/2026", "10:30"])
    with translation.override("en"):
        assert field.clean(["05/12/2026", "10:30"]) == value
        assert BEDateTimeWidget().decompress(value)[0] == "05/12/2026"
    # The user's page: its dates in BE, in our boxes (no calendar writing CE dates).
    page = client_in("th", site.root).get(reverse("admin:auth_user_change", args=[site.officer.pk]))
    joined = timezone.localtime(site.officer.date_joined)
    html = page.content.decode()
    assert f'name="date_joined_0" value="{joined.day:02d}/{joined.month:02d}/{joined.year + 543}"' in html
    assert "vDateField" not in html


# --------------------------------------------------------------------------------------------
# The admin's JavaScript catalogue
# --------------------------------------------------------------------------------------------


def js_catalogue(language: str, user: Any) -> dict[str, Any]:
    response = client_in(language, user).get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    return json.loads(match.group(1)) if match else {}


def test_the_admin_scripts_speak_thai(site: Any) -> None:
    catalogue = js_catalogue("th", site.admin)
    assert catalogue["%(sel)s of %(cnt)s selected"] == ["เลือกแล้ว %(sel)s จาก %(cnt)s รายการ"]
    assert catalogue["Choose all %s"] == "เลือก %s ทั้งหมด"
    assert catalogue["Available %s"] == "%s ที่เลือกได้"
    assert catalogue["Chosen %s"] == "%s ที่เลือกแล้ว"
    assert catalogue["Remove all %s"] == "นำ %s ออกทั้งหมด"
    untranslated = []
    for entry in parse_po(ADMIN_LOCALE / "en" / "LC_MESSAGES" / "djangojs.po"):
        if entry.obsolete or entry.is_header:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        value = catalogue.get(key or "")
        text = " ".join(value) if isinstance(value, list) else value
        if not text or not THAI.search(text):
            untranslated.append(entry.msgid)
    assert not untranslated, f"Django's admin scripts' texts without Thai: {untranslated}"
    # The sidebar's filter box and the empty "recent actions" are the server's texts.
    with translation.override("th"):
        assert translation.gettext("Start typing to filter…") == "พิมพ์เพื่อกรองรายการ…"
        assert translation.gettext("None available") == "ไม่มีรายการ"


def test_the_admin_scripts_speak_english_in_english(site: Any) -> None:
    catalogue = js_catalogue("en", site.admin)
    assert not [key for key, value in catalogue.items() if THAI.search(json.dumps(value, ensure_ascii=False))]


# --------------------------------------------------------------------------------------------
# The catalogues themselves
# --------------------------------------------------------------------------------------------


def test_the_libraries_texts_we_carry_are_thai() -> None:
    """Every text ``workflow.admin_texts`` lists reads in Thai (``…`` and placeholders aside)."""
    missing = []
    with translation.override("th"):
        for text in library_texts():
            rendered = str(text) if not isinstance(text, str) else translation.gettext(text)
            if not THAI.search(rendered) and LATIN_RUN.search(PLACEHOLDER.sub("", rendered)):
                missing.append(rendered)
    assert not missing, missing


def test_every_text_of_djangos_admin_auth_and_contenttypes_reads_in_thai() -> None:
    """A text a new Django version adds shows here until it is translated (our catalogue or
    Django's): list it in ``workflow.admin_texts`` and translate it in ``locale/th``."""
    untranslated = []
    with translation.override("th"):
        for app in ("admin", "auth", "contenttypes"):
            for entry in parse_po(
                DJANGO_DIR / "contrib" / app / "locale" / "en" / "LC_MESSAGES" / "django.po"
            ):
                if (
                    entry.obsolete
                    or entry.is_header
                    or not LATIN_RUN.search(PLACEHOLDER.sub("", entry.msgid or ""))
                ):
                    continue
                if entry.msgid_plural is not None:
                    got = translation.ngettext(entry.msgid or "", entry.msgid_plural, 1)
                elif entry.msgctxt is not None:
                    got = translation.pgettext(entry.msgctxt, entry.msgid or "")
                else:
                    got = translation.gettext(entry.msgid or "")
                if not THAI.search(got):
                    untranslated.append(f"{app}: {entry.msgid!r}")
    assert not untranslated, "\n".join(untranslated)


def test_the_helpers_find_english_and_ce_years() -> None:
    html = (
        '<p>ผู้ใช้: <b>root</b></p><input type="submit" value="Save and add another">'
        '<img alt="Search"><button lang="en">English</button><p hidden>User:</p>'
        "<p>6 ธันวาคม 2026</p><p>อำเภอต้นแบบ (Role Model)</p>"
    )
    assert visible_text(html, skip_lang="en").splitlines() == [
        "ผู้ใช้:",
        "root",
        "Save and add another",
        "Search",
        "6 ธันวาคม 2026",
        "อำเภอต้นแบบ (Role Model)",
    ]
    problems = thai_mode_problems("/x/", html, {"root"})
    assert any("Save and add another" in p for p in problems)
    assert any("Search" in p for p in problems)
    assert any("CE year" in p for p in problems)
    assert not any("Role Model" in p or "root" in p for p in problems)
    assert english_mode_problems("/x/", '<p>Users</p><button lang="th">ไทย</button><p>ผู้ใช้</p>', set()) == [
        "/x/: Thai in 'ผู้ใช้'"
    ]
