"""One Thai name per project state, everywhere a user reads it, from one place.

The demo has a project in every state. Every place that names a state (the project list and
page, the timeline, the action pages, the district's submission page, the dashboard's table and
its CSV and XLSX exports, the report book's HTML and DOCX) is read back, keyed by the state code
the page carries (``data-state``) or the project whose state it prints, and each state must read
as ``workflow.transitions.state_label`` says, the same everywhere. Then no text a user meets (the
pages, the notices, the book, the steps' and transitions' own words) may name a state with its
words in another order: the issue's "ติดตามตรวจสอบแล้ว" against the guideline's ตรวจสอบติดตาม.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import translation
from docx import Document
from openpyxl import load_workbook

from approvals.web.projects import ACTION_LABELS
from notifications.models import Notification
from reports import pdf
from reports.selectors import book_for_preview
from workflow import transitions
from workflow.audit_actions import action_label
from workflow.models import Project, State

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(TAG.sub(" ", fragment))).strip()


def _visible(page: str) -> str:
    body = page[page.find("<body") :] if "<body" in page else page
    body = re.sub(r"<(script|style|title)\b.*?</\1>", " ", body, flags=re.S)
    return _text(body)


@pytest.fixture
def demo(tmp_path: Any) -> dict[str, Any]:
    from workflow.demo.seed import demo_seed

    with override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"):
        demo_seed()
    return {u.username: u for u in get_user_model().objects.all()}


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="th")
    client.force_login(user)
    return client


class Names:
    """Every name read for each state, and where it was read."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.where: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.texts: list[str] = []  # every visible text met, for the word-order check

    def add(self, code: str, name: str, where: str) -> None:
        self.seen[code].add(name)
        self.where[(code, name)].add(where)

    def page(self, html: str, where: str) -> None:
        """A page's badges and named states (``data-state``) and its timeline's from → to."""
        for code, inner in re.findall(
            r'<(?:span|th)\b[^>]*\bdata-state="([a-z_]+)"[^>]*>(.*?)</(?:span|th)>', html
        ):
            self.add(code, _text(inner), where)
        for attrs, inner in re.findall(r"<span\b([^>]*\bdata-to-state=[^>]*)>(.*?)</span>", html, re.S):
            codes = dict(re.findall(r'data-(from|to)-state="([a-z_]+)"', attrs))
            names = [part.strip() for part in _text(inner).split("→")]
            if "from" in codes:
                self.add(codes["from"], names[0], where + " (timeline)")
            self.add(codes["to"], names[-1], where + " (timeline)")
        self.texts.append(_visible(html))


def _bytes(response: Any) -> bytes:
    assert response.status_code == 200
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def _pages(names: Names, users: dict[str, Any]) -> None:
    auditor, chief = _client(users["auditor"]), _client(users["chief"])
    names.page(_get(auditor, "/projects/"), "project list")
    for project in Project.objects.order_by("id"):
        names.page(_get(auditor, f"/projects/{project.pk}/"), f"project page ({project.state})")
    by_state = {p.state: p for p in Project.objects.filter(district_id="5001")}
    # An action's own page, and the page that says the project has moved on.
    names.page(_get(chief, f"/projects/{by_state[State.SELECTED].pk}/actions/approve/"), "action page")
    moved_on = _get(chief, f"/projects/{by_state[State.APPROVED].pk}/actions/approve/", 409)
    names.page(moved_on, "action unavailable")
    with translation.override("th"):
        sentence = translation.gettext("The project is now: %(state)s.")
    before, after = (re.escape(html_lib.escape(part)) for part in sentence.split("%(state)s"))
    said = re.search(before + "([^<]*?)" + after + "<", moved_on)
    assert said, "the page says the state the project is in now"
    names.add(State.APPROVED, _text(said.group(1)), "action unavailable (sentence)")
    names.page(_get(chief, "/districts/5001/submission/"), "district submission")
    names.page(_get(_client(users["chief_ct"]), "/districts/5002/submission/"), "district submission")
    # The notices, on their page and as stored.
    for user in (u for u in users.values() if u.is_active):
        names.page(_get(_client(user), "/notifications/"), "notices page")
    names.texts.extend(Notification.objects.values_list("text_th", flat=True))


def _dashboard(names: Names, users: dict[str, Any]) -> None:
    planner = _client(users["planner"])
    page = _get(planner, "/dashboard/")
    names.page(page, "dashboard")
    states = page[page.index('id="states"') :]
    header_html = re.search(r"<thead>.*?</thead>", states, re.S)
    assert header_html
    header_cells = re.findall(r"<th\b([^>]*)>(.*?)</th>", header_html.group(0), re.S)
    codes = [
        dict(re.findall(r'(data-state)="([a-z_]+)"', attrs)).get("data-state", "")
        for attrs, _ in header_cells
    ]
    assert set(codes) - {""} == set(State.values), "the dashboard's table has a column per state"

    csv_text = _bytes(planner.get("/dashboard/states.csv")).decode("utf-8-sig")
    csv_header = next(csv.reader(io.StringIO(csv_text)))
    workbook = load_workbook(io.BytesIO(_bytes(planner.get("/dashboard/states.xlsx"))), read_only=True)
    xlsx_header = [str(c.value or "") for c in next(workbook.worksheets[0].iter_rows(max_row=1))]
    for where, header in (("dashboard CSV", csv_header), ("dashboard XLSX", xlsx_header)):
        assert len(header) == len(codes), (where, header)
        for code, label in zip(codes, header, strict=True):
            if code:
                names.add(code, label.strip(), where)
        names.texts.append(" ".join(header))


def _book(names: Names, users: dict[str, Any]) -> None:
    chief = users["chief"]
    with translation.override("th"):
        book = book_for_preview(chief, "5001")
        page = pdf.compose(book).html
    state_title = "สถานะ"
    assert str(State.__name__) and translation.gettext("State") != "State"
    with translation.override("th"):
        state_title = translation.gettext("State")
    printed = [
        _text(v) for v in re.findall(rf"<dt>{re.escape(state_title)}</dt>\s*<dd>(.*?)</dd>", page, re.S)
    ]
    assert len(printed) == len(book.projects) >= 3
    for part, name in zip(book.projects, printed, strict=True):
        names.add(part.project.state, name, "report book (HTML)")
    names.texts.append(_visible(page))

    docx = Document(io.BytesIO(_bytes(_client(chief).get("/districts/5001/book/preview.docx"))))
    rows = [
        [cell.text.strip() for cell in row.cells]
        for table in docx.tables
        for row in table.rows
        if row.cells and row.cells[0].text.strip() == state_title
    ]
    assert len(rows) == len(book.projects)
    for part, row in zip(book.projects, rows, strict=True):
        names.add(part.project.state, row[1], "report book (DOCX)")


def test_every_state_has_exactly_one_thai_name_everywhere(demo):
    names = Names()
    _pages(names, demo)
    _dashboard(names, demo)
    _book(names, demo)

    with translation.override("th"):
        expected = {code: transitions.state_label(code) for code in State.values}
    assert set(names.seen) == set(State.values), "every state is named somewhere"
    many = {
        code: {name: sorted(names.where[(code, name)]) for name in seen}
        for code, seen in names.seen.items()
        if len(seen) != 1
    }
    assert not many, f"a state with more than one name: {many}"
    assert {code: next(iter(seen)) for code, seen in names.seen.items()} == expected
    assert len(set(expected.values())) == len(expected), "two states share a name"
    # Nothing English where a Thai state name belongs (the catalogue has all of them).
    assert all(not re.search(r"[A-Za-z]", name) for name in expected.values()), expected


def _flow_texts() -> Iterable[str]:
    """The flow's own words in Thai: steps, transitions, timeline and audit labels."""
    for step in transitions.STEPS:
        yield str(step.label)
        yield str(step.task_phrase)
    for row in transitions.TRANSITIONS:
        yield from (str(text) for text in (row.label, row.success, row.help, row.notice) if text)
        yield action_label(row.action)
        if row.action in ACTION_LABELS:
            yield str(ACTION_LABELS[row.action])


# A part of a name shorter than this is a prefix or a particle (การ, ผล), not a word that moves.
WORD = 4


def _halves_swapped(core: str, text: str) -> list[str]:
    """Where ``text`` says ``core`` with its two parts the other way round (ติดตาม|ตรวจสอบ for
    ตรวจสอบ|ติดตาม), each part at least ``WORD`` letters long."""
    swapped = {core[k:] + core[:k] for k in range(WORD, len(core) - WORD + 1)} - {core}
    return sorted(variant for variant in swapped if variant in text)


def test_no_text_names_a_state_with_its_words_in_another_order(demo):
    """The state's name and the verb of its step come from the same words in the same order."""
    names = Names()
    _pages(names, demo)
    _book(names, demo)
    with translation.override("th"):
        flow = list(_flow_texts())
        cores = {code: transitions.state_label(code).removesuffix("แล้ว") for code in State.values}
    texts = flow + names.texts
    reordered = {
        code: sorted({w for text in texts for w in _halves_swapped(core, text)})
        for code, core in cores.items()
    }
    assert not any(reordered.values()), f"a state's name in another word order: {reordered}"


def test_the_monitored_state_and_the_monitor_step_use_the_guideline_s_words():
    """The guideline (ส่วน ๒): ผู้ตรวจราชการ… "ตรวจสอบติดตาม". The step and its transition say it, and
    the state it reaches is named with it; the step's name is a verb, the state's a participle."""
    step = transitions.STEP_BY_NAME["monitor"]
    row = transitions.first("monitor")
    with translation.override("th"):
        state = transitions.state_label(row.target)
        assert str(step.label) == "ตรวจสอบติดตาม"
        assert state == str(step.label) + "แล้ว"
        assert state != str(step.label)
        assert all("ติดตามตรวจสอบ" not in text for text in _flow_texts())
