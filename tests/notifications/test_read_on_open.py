"""Opening a project reads its viewer's notices about it: the header's unread count and the
other tabs' badges follow, nobody else's notices and no other project's change, and the page
runs at most one statement more for it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.web import projects as project_pages
from notifications import push
from notifications.models import Kind, Notification
from notifications.services import ProjectRead, notify
from tests import factories as f


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="th")
    client.force_login(user)
    return client


def tell(user: Any, project: Any, count: int, kind: str = Kind.DECISION) -> None:
    for number in range(count):
        notify(
            recipients=[user],
            kind=kind,
            project=project,
            text_th=f"แจ้งครั้งที่ {number} เรื่อง «{project.title}»",
            text_en=f"Notice {number} about «{project.title}»",
        )


def unread(user: Any, project: Any = None) -> int:
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if project is not None:
        rows = rows.filter(project=project)
    return rows.count()


def header_badge(html: str) -> int:
    match = re.search(r'<span id="unread-badge" class="unread-badge"(?: hidden)?>(\d+)</span>', html)
    assert match, "no unread badge in the header"
    return int(match.group(1))


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every websocket message handed to the channel layer (the real send still runs)."""
    sent: list[tuple[str, dict[str, Any]]] = []
    real = push.send

    def spy(messages: list[tuple[str, dict[str, Any]]]) -> int:
        sent.extend(messages)
        return int(real(messages))

    monkeypatch.setattr(push, "send", spy)
    return sent


def test_opening_a_project_reads_my_notices_about_it_and_only_those(
    world, pushes, django_capture_on_commit_callbacks
):
    a = f.make_project(world.officer, world.entry)  # its creation tells the chief: a new task
    b = f.make_project(world.officer, world.entry2)
    tell(world.chief, a, 12)
    tell(world.chief, b, 3)
    tell(world.officer2, a, 2)  # another user's notices about the same project
    assert unread(world.chief, a) == 13 and unread(world.chief, b) == 4
    assert header_badge(client_for(world.chief).get("/inbox/").content.decode()) == 17

    client = client_for(world.chief)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/projects/{a.pk}/")
    assert response.status_code == 200

    assert unread(world.chief, a) == 0
    assert unread(world.chief, b) == 4, "notices about another project stay unread"
    assert unread(world.officer2, a) == 2, "another user's notices stay unread"
    # The page that opened them already counts them read, and so does the next page.
    assert header_badge(response.content.decode()) == 4
    assert header_badge(client.get("/inbox/").content.decode()) == 4
    # The user's other tabs are told the new count (the websocket badge).
    reads = [message for _group, message in pushes if message["type"] == "notification.read"]
    assert reads == [{"type": "notification.read", "ids": [], "all": False, "unread_count": 4}]
    # Opening it again changes nothing and tells nobody.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"/projects/{a.pk}/").status_code == 200
    assert len([m for _g, m in pushes if m["type"] == "notification.read"]) == 1


def test_a_project_i_may_not_see_reads_nothing(world):
    other = f.make_project(world.other_officer, world.other_entry)
    tell(world.chief, other, 2)  # (a notice a chief should not have: it must stay as it is)
    response = client_for(world.chief).get(f"/projects/{other.pk}/")
    assert response.status_code == 404
    assert unread(world.chief, other) == 2


def _statements(user: Any, url: str) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_project_page_runs_at_most_one_statement_more(world, monkeypatch):
    project = f.make_project(world.officer, world.entry)
    url = f"/projects/{project.pk}/"
    _statements(world.chief, url)  # warm-up (content types, sessions)

    real = project_pages.notification_mark_read_for_project
    monkeypatch.setattr(project_pages, "notification_mark_read_for_project", lambda **_kw: ProjectRead(0))
    without = _statements(world.chief, url)
    monkeypatch.setattr(project_pages, "notification_mark_read_for_project", real)

    assert unread(world.chief, project) == 0  # (opened above: its task notice is read)
    nothing_to_read = _statements(world.chief, url)
    tell(world.chief, project, 13)
    thirteen_read = _statements(world.chief, url)
    assert unread(world.chief, project) == 0
    assert nothing_to_read == without + 1, (without, nothing_to_read)
    # Marking notices read costs no more: the count the service reads is the header's.
    assert thirteen_read == without + 1, (without, thirteen_read)
