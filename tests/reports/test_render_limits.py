"""Rendering that a crowd cannot exhaust (issue 11, part 4): at most N Chromiums at once, a
bounded wait then 503 with Retry-After, drafts cached by what they print, a page budget, the
submission's book printed with no write transaction held, and at most 50 lines per project.

Chromium is replaced by an instrumented stand-in where the test is about counting or
ordering (it blocks on events, never on time); one test prints with the real one."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from pypdf import PdfWriter
from rest_framework.test import APIClient

from reports import chromium, pdf, render
from reports.errors import BookTooLong, RenderBusy
from reports.models import ReportBook
from tests import factories as f
from tests.reports.conftest import fill_parts, reported_project
from workflow.errors import InvalidInput
from workflow.models import AuditEvent, DistrictSubmission, Project, State
from workflow.services import projects as svc

WAIT = 30  # seconds a test waits for an event before it fails (never reached when it passes)


class FakePage:
    def __init__(self, printer: FakeChromium, html: str) -> None:
        self.printer = printer
        self.html = html

    def print_pdf(self, target: Path) -> None:
        writer = PdfWriter()
        for _page in range(self.printer.pages):
            writer.add_blank_page(595, 842)
        writer.add_metadata({"/Subject": hashlib.sha256(self.html.encode()).hexdigest()})
        buffer = io.BytesIO()
        writer.write(buffer)
        target.write_bytes(buffer.getvalue())
        with self.printer.lock:
            self.printer.outputs.append((self.html, buffer.getvalue()))

    def evaluate(self, expression: str) -> None:
        return None


class FakeChromium:
    """``open_page``'s stand-in: counts the browsers open at once and can hold them open."""

    def __init__(self, pages: int = 3) -> None:
        self.pages = pages
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.opened = 0
        self.printed_html: list[str] = []
        self.outputs: list[tuple[str, bytes]] = []  # (the page printed, the PDF made), each print
        self.entered = threading.Semaphore(0)
        self.go = threading.Event()
        self.go.set()  # cleared by a test that wants the browsers held open

    @contextlib.contextmanager
    def open_page(self, _binary: str, url: str, *_args: Any, **_kwargs: Any) -> Iterator[FakePage]:
        html = Path(url.removeprefix("file://")).read_text(encoding="utf-8")
        with self.lock:
            self.active += 1
            self.opened += 1
            self.peak = max(self.peak, self.active)
            self.printed_html.append(html)
        self.entered.release()
        try:
            assert self.go.wait(WAIT), "the test never let the print finish"
            yield FakePage(self, html)
        finally:
            with self.lock:
                self.active -= 1

    def books(self) -> list[str]:
        """The pages of the report books opened (a submission also prints its covering letter)."""
        return [html for html in self.printed_html if BOOK_MARK in html]

    def last_book_pdf(self) -> bytes:
        return [content for html, content in self.outputs if BOOK_MARK in html][-1]


BOOK_MARK = 'id="part-3"'


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeChromium:
    printer = FakeChromium()
    monkeypatch.setattr(pdf, "open_page", printer.open_page)
    # Prints kept by earlier tests of the same book (same day, same ids) would be reused.
    monkeypatch.setattr(render, "_prepared", type(render._prepared)())
    return printer


def source(n: int) -> pdf.PdfSource:
    return pdf.PdfSource(html=f"<p>{n}</p>", photos=(), anchors=(), thai_digits=False, key=f"k{n}")


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def small_district(world: Any) -> Project:
    fill_parts(world)
    return reported_project(world, 1, photos=0)


# --- The gate -----------------------------------------------------------------------------------


def test_never_more_than_n_chromiums_at_once_the_rest_wait_their_turn(
    fake: FakeChromium, settings: Any
) -> None:
    settings.REPORT_BOOK_MAX_RENDERS = 2
    settings.REPORT_BOOK_RENDER_WAIT = WAIT
    fake.go.clear()
    results: list[pdf.RenderedPdf] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(pdf.print_source(source(n)))) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for _slot in range(2):
        assert fake.entered.acquire(timeout=WAIT)
    assert render.active_renders() == 2  # the two slots are taken; four renders wait
    fake.go.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(results) == 6
    assert fake.opened == 6
    assert fake.peak == 2


def test_when_no_slot_frees_up_in_time_the_render_is_refused_busy(fake: FakeChromium, settings: Any) -> None:
    settings.REPORT_BOOK_MAX_RENDERS = 1
    settings.REPORT_BOOK_RENDER_WAIT = 0
    with render.render_slot(), pytest.raises(RenderBusy) as caught:
        pdf.print_source(source(1))
    assert caught.value.status == 503
    assert caught.value.code == "render_busy"
    assert caught.value.retry_after >= 1
    assert fake.opened == 0
    pdf.print_source(source(1))  # the slot is free again
    assert fake.opened == 1


@pytest.mark.django_db
def test_a_busy_server_answers_503_with_retry_after_on_the_api_and_the_page(
    world: Any, fake: FakeChromium, settings: Any
) -> None:
    small_district(world)
    settings.REPORT_BOOK_MAX_RENDERS = 1
    settings.REPORT_BOOK_RENDER_WAIT = 0
    with render.render_slot():
        response = api(world.officer).get("/api/v1/districts/5001/report-book.pdf")
        assert response.status_code == 503
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "render_busy"
        assert int(response["Retry-After"]) >= 1
        docx = api(world.officer).get("/api/v1/districts/5001/report-book.docx")  # a render too
        assert docx.status_code == 503
        assert docx.json()["code"] == "render_busy"

        web = Client()
        web.force_login(world.officer)
        page = web.get("/districts/5001/book/preview.pdf")
        assert page.status_code == 503
        assert int(page["Retry-After"]) >= 1
        assert str(RenderBusy().message) in page.content.decode()
    assert fake.opened == 0
    assert api(world.officer).get("/api/v1/districts/5001/report-book.pdf").status_code == 200


# --- The drafts' cache ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unchanged_draft_is_printed_once_and_a_changed_one_again(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real Chromium: the second request is the first's PDF, byte for byte."""
    project = small_district(world)
    opened: list[str] = []
    real = chromium.open_page

    def counted(*args: Any, **kwargs: Any) -> Any:
        opened.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "open_page", counted)
    client = api(world.officer)

    first = client.get("/api/v1/districts/5001/report-book.pdf")
    again = client.get("/api/v1/districts/5001/report-book.pdf")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["X-Page-Count"] == first["X-Page-Count"]
    assert len(opened) == 1

    Project.objects.filter(pk=project.pk).update(title="โครงการฝายชะลอน้ำ (แก้ชื่อ)")
    # Any audited change of the district moves its chain head: the book is read again (an
    # edit made outside the services alone is not looked for: ``render.draft_token``).
    svc.project_comment(project=project, acting_user=world.chief, comment="แก้ชื่อโครงการแล้ว")
    changed = client.get("/api/v1/districts/5001/report-book.pdf")
    assert changed.status_code == 200
    assert changed.content != first.content
    assert len(opened) == 2
    assert client.get("/api/v1/districts/5001/report-book.pdf").content == changed.content
    assert len(opened) == 2


def test_the_same_draft_asked_for_at_once_is_printed_once(
    fake: FakeChromium, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings.REPORT_BOOK_DRAFT_CACHE_DIR = str(tmp_path / "drafts")
    settings.REPORT_BOOK_RENDER_WAIT = WAIT
    monkeypatch.setattr(pdf, "compose", lambda book: source(7))
    book: Any = SimpleNamespace(generated_at=None)
    fake.go.clear()
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(render.draft_pdf(book).content)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    assert fake.entered.acquire(timeout=WAIT)
    fake.go.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(results) == 4
    assert len(set(results)) == 1
    assert fake.opened == 1


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used(
    fake: FakeChromium, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings.REPORT_BOOK_DRAFT_CACHE_DIR = str(tmp_path / "drafts")
    books: dict[int, Any] = {n: SimpleNamespace(generated_at=None, n=n) for n in range(6)}
    monkeypatch.setattr(pdf, "compose", lambda book: source(book.n))
    size = len(render.draft_pdf(books[0]).content)
    settings.REPORT_BOOK_DRAFT_CACHE_BYTES = size * 3
    for n in range(1, 6):
        render.draft_pdf(books[n])
    kept = sorted(p.stem for p in (tmp_path / "drafts").glob("*.pdf"))
    assert 1 <= len(kept) <= 3
    assert "k5" in kept  # the newest stays
    assert sum(p.stat().st_size for p in (tmp_path / "drafts").glob("*.pdf")) <= size * 3


# --- The page budget ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_over_the_page_budget_is_refused_and_not_printed_again(
    world: Any, fake: FakeChromium, settings: Any
) -> None:
    small_district(world)
    settings.REPORT_BOOK_MAX_PAGES = 4
    fake.pages = 5
    client = api(world.officer)
    for _request in range(2):
        response = client.get("/api/v1/districts/5001/report-book.pdf")
        assert response.status_code == 422
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "book_too_long"
    assert fake.opened == 1  # the verdict is remembered with the draft's key

    web = Client()
    web.force_login(world.officer)
    page = web.get("/districts/5001/book/preview.pdf")
    assert page.status_code == 422
    assert str(BookTooLong(5, 4).message) in page.content.decode()

    settings.REPORT_BOOK_MAX_PAGES = 5
    assert client.get("/api/v1/districts/5001/report-book.pdf").status_code == 200


@pytest.mark.django_db
def test_a_submission_over_the_page_budget_stores_nothing(
    world: Any, fake: FakeChromium, settings: Any
) -> None:
    project = small_district(world)
    settings.REPORT_BOOK_MAX_PAGES = 2
    with pytest.raises(BookTooLong) as caught:
        svc.district_submit(district=world.d1, acting_user=world.chief)
    assert caught.value.status == 422
    assert caught.value.code == "book_too_long"
    assert DistrictSubmission.objects.count() == 0
    assert ReportBook.objects.count() == 0
    project.refresh_from_db()
    assert project.state == State.REPORTED


# --- The submission's book: printed with no write transaction held ------------------------------


def _submit_in_thread(world: Any, outcome: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            outcome["submission"] = svc.district_submit(district=world.d1, acting_user=world.chief)
        except BaseException as exc:  # reported to the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_while_chromium_prints_the_submitted_book_others_can_write(world: Any, fake: FakeChromium) -> None:
    small_district(world)
    fake.go.clear()
    outcome: dict[str, Any] = {}
    thread = _submit_in_thread(world, outcome)
    assert fake.entered.acquire(timeout=WAIT), outcome  # the browser is printing now

    # Another connection writes while the print waits: no write lock is held (on SQLite a
    # held lock would make this wait for the busy timeout and fail).
    with transaction.atomic():
        get_user_model().objects.filter(pk=world.auditor.pk).update(first_name="ผู้ตรวจสอบ")
    assert not DistrictSubmission.objects.exists()  # nothing is submitted while it prints

    fake.go.set()
    thread.join(WAIT)
    assert "error" not in outcome, outcome.get("error")
    submission = outcome["submission"]
    assert len(fake.books()) == 1
    book = ReportBook.objects.get(submission=submission)
    stored = book.pdf.read()
    assert stored == fake.last_book_pdf()
    assert book.sha256 == hashlib.sha256(stored).hexdigest()
    event = AuditEvent.objects.get(action="district_submit", object_id=str(submission.pk))
    assert event.payload["book"]["sha256"] == book.sha256
    assert {p.state for p in submission.projects.all()} == {State.SUBMITTED}


@pytest.mark.django_db(transaction=True)
def test_a_change_made_while_the_book_prints_is_printed_again_before_it_is_stored(
    world: Any, fake: FakeChromium
) -> None:
    project = small_district(world)
    fake.go.clear()
    outcome: dict[str, Any] = {}
    thread = _submit_in_thread(world, outcome)
    assert fake.entered.acquire(timeout=WAIT)
    Project.objects.filter(pk=project.pk).update(title="ชื่อใหม่ระหว่างพิมพ์")  # printed in the book
    fake.go.set()
    thread.join(WAIT)
    assert "error" not in outcome, outcome.get("error")
    assert len(fake.books()) == 2
    assert "ชื่อใหม่ระหว่างพิมพ์" not in fake.books()[0]
    assert "ชื่อใหม่ระหว่างพิมพ์" in fake.books()[1]
    book = ReportBook.objects.get(submission=outcome["submission"])
    assert book.pdf.read() == fake.last_book_pdf()


@pytest.mark.django_db
def test_a_book_that_keeps_changing_is_not_submitted(
    world: Any, fake: FakeChromium, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = small_district(world)
    real_print = pdf.print_source
    counter = iter(range(100))

    def print_then_change(source: pdf.PdfSource, **kwargs: Any) -> pdf.RenderedPdf:
        rendered = real_print(source, **kwargs)
        Project.objects.filter(pk=project.pk).update(title=f"เปลี่ยนอีก {next(counter)}")
        return rendered

    monkeypatch.setattr(render.pdf, "print_source", print_then_change)
    with pytest.raises(Exception) as caught:
        svc.district_submit(district=world.d1, acting_user=world.chief)
    assert getattr(caught.value, "code", "") == "submission_changed"
    assert len(fake.books()) == svc.SUBMIT_DOCUMENT_ATTEMPTS
    assert not DistrictSubmission.objects.exists()


# --- Limits on what a book holds ----------------------------------------------------------------


@pytest.mark.django_db
def test_at_most_50_budget_lines_and_50_spend_lines_per_project(world: Any) -> None:
    entry = f.bank_entry(world.subs["500101"], "BK-LINES")
    many = [svc.LineInput(f"รายการ {n}", "activity_materials", Decimal("0.01")) for n in range(51)]
    with pytest.raises(InvalidInput) as caught:
        f.make_project(world.officer, entry, budget_lines=many)
    assert [(e["field"], e["code"]) for e in caught.value.errors] == [("budget_lines", "too_many_lines")]

    project = f.make_project(world.officer, entry, budget_lines=many[:50])
    assert project.budget_lines.count() == 50
    svc.project_approve(project=project, acting_user=world.chief, comment="เห็นชอบ")
    f.disburse(project.district_id, "150000.00")
    with pytest.raises(InvalidInput) as caught:
        svc.project_implement(
            project=project,
            acting_user=world.officer,
            record=svc.ImplementationInput(
                spend_lines=many, activities_done="ทำแล้ว", villages_reached=1, households_reached=1
            ),
        )
    assert [(e["field"], e["code"]) for e in caught.value.errors] == [("spend_lines", "too_many_lines")]


@pytest.mark.django_db
def test_the_api_refuses_a_project_with_too_many_lines(world: Any) -> None:
    entry = f.bank_entry(world.subs["500101"], "BK-API-LINES")
    body = {
        "bank_entry": entry.pk,
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": 1,
        "target_households": 10,
        "primary_objective": "development",
        "budget_lines": [
            {"description": f"รายการ {n}", "category": "activity_materials", "amount": "0.01"}
            for n in range(51)
        ],
    }
    response = api(world.officer).post("/api/v1/projects/", body, format="json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert ("budget_lines", "too_many_lines") in errors
