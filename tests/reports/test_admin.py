"""Stored books in the admin: visible to administrators, changed by no one, downloads checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from reports.models import ReportBook, SubmissionReceipt
from reports.services import submission_acknowledge
from tests import factories as f
from tests.reports.conftest import fill_parts, reported_project
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(world: Any, settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """District 5001 submitted while the mail server was down, and acknowledged by a planner."""
    fill_parts(world)
    reported_project(world, 1, photos=1)
    settings.EMAIL_BACKEND = "tests.reports.failing_mail.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        world.submission = svc.district_submit(district=world.d1, acting_user=world.chief)
    submission_acknowledge(submission=world.submission, acting_user=world.planner, comment="ได้รับแล้ว")
    world.root = get_user_model().objects.create_superuser("root", "root@example.org", f.PASSWORD)
    world.client = Client(HTTP_ACCEPT_LANGUAGE="en")
    world.client.force_login(world.root)
    return world


def test_the_books_list_and_page_show_the_fingerprint_and_the_failed_mail(stored: Any) -> None:
    book = ReportBook.objects.get()
    listing = stored.client.get(reverse("admin:reports_reportbook_changelist"))
    assert listing.status_code == 200
    assert "5001" in listing.content.decode()

    page = stored.client.get(reverse("admin:reports_reportbook_change", args=[book.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert book.sha256 in text
    assert "mail server down" in text  # the failed attempt to e-mail the centre
    download = reverse("submission-book", args=[stored.submission.pk])
    assert f'href="{download}"' in text and "/media/" not in text


def test_no_one_adds_changes_or_deletes_a_stored_book_or_receipt(stored: Any) -> None:
    book = ReportBook.objects.get()
    receipt = SubmissionReceipt.objects.get()
    client = stored.client
    assert client.get(reverse("admin:reports_reportbook_add")).status_code == 403
    assert (
        client.post(reverse("admin:reports_reportbook_delete", args=[book.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:reports_submissionreceipt_change", args=[receipt.pk]), {"comment": "x"}
        ).status_code
        == 403
    )
    assert ReportBook.objects.filter(pk=book.pk, sha256=book.sha256).exists()
    assert SubmissionReceipt.objects.get().comment == "ได้รับแล้ว"
    receipts = client.get(reverse("admin:reports_submissionreceipt_changelist"))
    assert receipts.status_code == 200 and "5001" in receipts.content.decode()


def test_people_without_the_admin_see_no_books_there(stored: Any) -> None:
    client = Client()
    client.force_login(stored.chief)
    response = client.get(reverse("admin:reports_reportbook_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
