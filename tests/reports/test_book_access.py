"""Who may read the book, over the API and the pages: anonymous, no role, in area, out of area."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.reports.conftest import fill_parts, reported_project
from workflow.services import projects as svc

pytestmark = pytest.mark.django_db


def api(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def submitted(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    fill_parts(world)
    reported_project(world, 1, photos=2)
    with django_capture_on_commit_callbacks(execute=True):
        world.submission = svc.district_submit(district=world.d1, acting_user=world.chief, comment="ส่ง")
    return world


def test_draft_pdf_and_docx_for_those_who_see_the_district(world: Any) -> None:
    fill_parts(world)
    reported_project(world, 1, photos=0)

    assert api().get("/api/v1/districts/5001/report-book.pdf").status_code in (401, 403)
    for outsider in (world.nobody, world.other_officer, world.other_provincial, world.other_inspector):
        response = api(outsider).get("/api/v1/districts/5001/report-book.pdf")
        assert response.status_code == 404, outsider
        assert response["Content-Type"] == "application/problem+json"
    for insider in (world.officer, world.provincial):
        response = api(insider).get("/api/v1/districts/5001/report-book.pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert int(response["X-Page-Count"]) >= 4
    docx = api(world.planner).get("/api/v1/districts/5001/report-book.docx")
    assert docx.status_code == 200
    assert docx.content.startswith(b"PK")
    assert "5001" in docx["Content-Disposition"]


def test_a_missing_renderer_is_a_clear_problem_not_a_crash(world: Any, settings: Any) -> None:
    settings.REPORT_BOOK_CHROMIUM = "/nonexistent/chromium"
    response = api(world.officer).get("/api/v1/districts/5001/report-book.pdf")
    assert response.status_code == 503
    assert response.json()["code"] == "book_renderer_missing"
    page = web(world.officer).get("/districts/5001/book/preview.pdf")
    assert page.status_code == 503
    assert "Chromium" in page.content.decode()


def test_submitted_books_listed_downloaded_and_acknowledged_over_the_api(submitted: Any) -> None:
    world = submitted
    listing = api(world.inspector).get("/api/v1/districts/5001/books/")
    assert listing.status_code == 200
    [row] = listing.json()
    assert row["version"] == 1
    assert row["receipt"] is None
    sha = row["book"]["sha256"]
    stored = api(world.inspector).get(row["pdf_url"])
    assert stored.status_code == 200
    assert hashlib.sha256(b"".join(stored.streaming_content)).hexdigest() == sha
    assert stored["X-Content-SHA256"] == sha
    assert api(world.other_officer).get(row["pdf_url"]).status_code == 404

    url = f"/api/v1/submissions/{world.submission.pk}/acknowledge/"
    denied = api(world.chief).post(url, {"comment": ""}, format="json")
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    done = api(world.planner).post(url, {"comment": "ได้รับแล้ว"}, format="json")
    assert done.status_code == 201
    assert done.json()["receipt"]["acknowledged_by"] == "planner"
    again = api(world.planner).post(url, {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_acknowledged"


def test_book_page_shows_versions_and_only_planners_acknowledge(submitted: Any) -> None:
    world = submitted
    assert Client().get("/districts/5001/book/").status_code == 302
    assert web(world.other_chief).get("/districts/5001/book/").status_code == 404

    chief_page = web(world.chief).get("/districts/5001/book/").content.decode()
    assert 'id="submitted-books"' in chief_page
    assert world.submission.book.sha256[:16] in chief_page
    assert (
        "submission-acknowledge" not in chief_page
        and f"/submissions/{world.submission.pk}/acknowledge/" not in chief_page
    )

    planner = web(world.planner)
    page = planner.get("/districts/5001/book/").content.decode()
    assert f"/submissions/{world.submission.pk}/acknowledge/" in page
    response = planner.post(
        f"/submissions/{world.submission.pk}/acknowledge/", {"comment": "รับแล้ว"}, follow=True
    )
    assert response.status_code == 200
    assert "ได้รับแล้ว" in response.content.decode()
    assert web(world.chief).post(f"/submissions/{world.submission.pk}/acknowledge/", {}).status_code == 403
    stored = web(world.chief).get(f"/submissions/{world.submission.pk}/book.pdf")
    assert stored["Content-Type"] == "application/pdf"
