"""Submitting the book: the final PDF is stored once with its SHA-256 in the audit event,
mailed to the centre, acknowledged by a planner; a correction is a new version."""

from __future__ import annotations

import datetime
import hashlib
import io
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification
from reports.errors import BookRenderError
from reports.models import ReportBook, SubmissionReceipt
from reports.services import submission_acknowledge
from tests import factories as f
from tests.reports.conftest import fill_parts, reported_project
from workflow import audit
from workflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflow.models import AuditEvent, DistrictSubmission, State
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(world: Any) -> Any:
    fill_parts(world)
    world.projects = [reported_project(world, i, photos=2) for i in (1, 2)]
    return world


def submit(world: Any, comment: str = "", *, capture: Any) -> DistrictSubmission:
    with capture(execute=True):
        return svc.district_submit(district=world.d1, acting_user=world.chief, comment=comment)


def test_submission_stores_the_final_book_and_its_fingerprint_in_the_event(
    ready: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submission = submit(ready, "ส่งรายงาน", capture=django_capture_on_commit_callbacks)

    book = ReportBook.objects.get(submission=submission)
    stored = book.pdf.read()
    assert stored.startswith(b"%PDF")
    assert hashlib.sha256(stored).hexdigest() == book.sha256
    assert book.pages >= 5
    event = AuditEvent.objects.get(action="district_submit", object_id=str(submission.pk))
    assert event.payload["book"]["sha256"] == book.sha256
    assert event.payload["book"]["pages"] == book.pages
    assert {p.state for p in submission.projects.all()} == {State.SUBMITTED}
    assert audit.verify() == []


def test_the_book_is_mailed_to_the_editions_central_address_with_the_pdf(
    ready: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ready.edition.central_email = "plan@dopa.example"
    ready.edition.save()

    submission = submit(ready, capture=django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["plan@dopa.example"]
    assert "เมืองเชียงใหม่" in message.subject
    (filename, content, mimetype) = message.attachments[0]
    assert filename.endswith(".pdf")
    assert mimetype == "application/pdf"
    assert hashlib.sha256(content).hexdigest() == submission.book.sha256
    assert submission.book.sha256 in message.body


def test_a_late_submission_is_marked_late_in_the_book_mail_and_event(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    reported_project(world, 1, photos=0)
    world.edition.deadline = timezone.localdate() - datetime.timedelta(days=1)
    world.edition.save()

    submission = submit(world, capture=django_capture_on_commit_callbacks)

    assert submission.is_late
    assert AuditEvent.objects.get(action="district_submit").is_late
    assert "หลังกำหนด" in mail.outbox[0].body


def test_a_submitted_book_cannot_change_and_a_correction_is_a_new_version(
    ready: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = submit(ready, capture=django_capture_on_commit_callbacks)
    book = first.book
    with pytest.raises(ValueError):
        book.save()

    with pytest.raises(InvalidInput) as caught:
        svc.district_submit(district=ready.d1, acting_user=ready.chief)
    assert caught.value.errors[0]["code"] == "correction_reason_required"
    assert DistrictSubmission.objects.count() == 1

    second = submit(ready, "แก้ไขข้อมูลส่วนที่ ๑", capture=django_capture_on_commit_callbacks)

    assert second.version == 2
    assert set(second.projects.all()) == set(first.projects.all())
    assert second.book.sha256 != ""
    first.refresh_from_db()
    assert ReportBook.objects.get(submission=first).sha256 == book.sha256  # the first book is untouched
    events = AuditEvent.objects.filter(action="district_submit").order_by("id")
    assert [e.payload["version"] for e in events] == [1, 2]
    assert events[1].payload["newly_submitted"] == []


def test_a_failed_render_submits_nothing(ready: Any, settings: Any) -> None:
    settings.REPORT_BOOK_CHROMIUM = "/nonexistent/chromium"
    with pytest.raises(BookRenderError) as caught:
        svc.district_submit(district=ready.d1, acting_user=ready.chief)
    assert caught.value.code == "book_renderer_missing"
    assert DistrictSubmission.objects.count() == 0
    for project in ready.projects:
        project.refresh_from_db()
        assert project.state == State.REPORTED
    assert not AuditEvent.objects.filter(action__in=["district_submit", "submit"]).exists()


def test_planner_acknowledges_receipt_once(ready: Any, django_capture_on_commit_callbacks: Any) -> None:
    submission = submit(ready, capture=django_capture_on_commit_callbacks)

    for outsider, error in (
        (ready.chief, Forbidden),
        (ready.inspector, Forbidden),
        (ready.other_provincial, NotFound),
        (ready.other_officer, NotFound),
    ):
        with pytest.raises(error):
            submission_acknowledge(submission=submission, acting_user=outsider)

    receipt = submission_acknowledge(submission=submission, acting_user=ready.planner, comment="ได้รับแล้ว")

    assert receipt.acknowledged_by == ready.planner
    notices = Notification.objects.filter(kind="received")
    assert {n.recipient for n in notices} == {ready.chief, ready.officer, ready.officer2}
    assert "กองวิชาการและแผนงาน" in notices.first().text_th
    event = AuditEvent.objects.get(action="submission_acknowledge")
    assert event.district_id == ready.d1.code
    assert event.payload["sha256"] == submission.book.sha256
    with pytest.raises(Conflict) as caught:
        submission_acknowledge(submission=submission, acting_user=f.user_with("planner2", "central_planner"))
    assert caught.value.code == "already_acknowledged"
    assert SubmissionReceipt.objects.count() == 1
    assert audit.verify() == []


def test_a_mail_server_that_is_down_loses_no_book(
    ready: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.management import call_command

    from reports.models import BookDelivery

    settings.EMAIL_BACKEND = "tests.reports.failing_mail.EmailBackend"
    submission = submit(ready, capture=django_capture_on_commit_callbacks)

    [attempt] = BookDelivery.objects.all()
    assert (attempt.sent, attempt.address) == (False, ready.edition.central_email)
    assert "mail server down" in attempt.error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = io.StringIO()
    call_command("send_report_books", stdout=out)
    assert "sent now: 1" in out.getvalue()
    assert len(mail.outbox) == 1
    assert hashlib.sha256(mail.outbox[0].attachments[0][1]).hexdigest() == submission.book.sha256

    again = io.StringIO()
    call_command("send_report_books", stdout=again)
    assert "waiting: 0" in again.getvalue()
    assert len(mail.outbox) == 1
