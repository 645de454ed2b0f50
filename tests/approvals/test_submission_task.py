"""One "submit the district's report" entry per district and edition in the chief's inbox: the
district's submission is one act (``district_submit``), whatever the number of reported
projects, and the submission itself (page and API) is unchanged."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests import factories as f
from tests.reports.helpers import advance, advance_world
from workflow import events
from workflow.models import State

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def no_book(monkeypatch: pytest.MonkeyPatch) -> None:
    """Submissions without the report book's PDF (the book is tested with the report book)."""
    monkeypatch.setattr(events, "_documents", [])


def inbox(user: Any, **params: str) -> str:
    client = Client()
    client.force_login(user)
    client.cookies["rolemodel_language"] = "en"
    return client.get("/inbox/", params, **EN).content.decode()


def submit_rows(html: str) -> list[str]:
    return re.findall(r'<a href="(/districts/\d+/submission/)">The report of [^<]+ district</a>', html)


@pytest.fixture
def three_reported(world: Any) -> Any:
    world.reported = [
        advance_world(f.make_project(world.officer, world.entry, "40000.00"), State.REPORTED, world)
        for _ in range(3)
    ]
    return world


def test_three_reported_projects_make_one_submission_entry(three_reported):
    w = three_reported
    html = inbox(w.chief)
    assert submit_rows(html) == ["/districts/5001/submission/"]
    assert "3 reported projects, submitted together" in html
    for project in w.reported:  # the projects are not listed one by one for the submission
        assert f'href="/projects/{project.pk}/"' not in html
    assert inbox(w.chief, step="submit").count("The report of") == 1


def test_each_district_has_its_own_entry(three_reported):
    w = three_reported
    other = f.make_project(w.other_officer, w.other_entry, "40000.00")
    advance(other, State.REPORTED, officer=w.other_officer, chief=w.other_chief, inspector=w.inspector)
    assert submit_rows(inbox(w.chief)) == ["/districts/5001/submission/"]
    assert submit_rows(inbox(w.other_chief)) == ["/districts/5002/submission/"]
    assert "1 reported project, submitted together" in inbox(w.other_chief)


def test_a_project_still_running_is_listed_on_its_own(three_reported):
    w = three_reported
    running = f.make_project(w.officer, w.entry2, "10000.00")
    html = inbox(w.chief)
    assert submit_rows(html) == ["/districts/5001/submission/"]
    assert f'href="/projects/{running.pk}/"' in html  # its review task


def test_the_submission_is_unchanged_and_clears_the_entry(three_reported, no_book):
    w = three_reported
    f.disburse(w.d1)
    client = APIClient()
    client.force_authenticate(w.chief)
    answer = client.post("/api/v1/districts/5001/submission/", {"comment": "ส่งรายงานผล"}, format="json")
    assert answer.status_code in (200, 201), answer.content
    assert sorted(answer.json()["projects"]) == sorted(p.pk for p in w.reported)
    assert submit_rows(inbox(w.chief)) == []
    for project in w.reported:
        project.refresh_from_db()
        assert project.state == State.SUBMITTED
