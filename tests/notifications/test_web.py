"""The notices page, the unread badge in the header, and the inbox's single-row endpoint."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import services as task_services
from notifications.models import Kind, Notification
from notifications.services import notify
from tests import factories as f
from workflow import flows
from workflow.models import Role

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def tell(
    user: Any, text_en: str, *, text_th: str = "", project: Any = None, kind: str = Kind.REMINDER
) -> Any:
    (row,) = notify(
        recipients=[user], kind=kind, project=project, text_th=text_th or f"ไทย {text_en}", text_en=text_en
    )
    return row


def items(page: str) -> list[str]:
    """The notices on the page, top to bottom, as their English or Thai text."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<p class="notice-text">(.*?)</p>', page, re.S)
    ]


def item_of(page: str, notice: Notification) -> str:
    match = re.search(rf'<li class="notice[^"]*" id="notice-{notice.pk}".*?</li>', page, re.S)
    assert match, f"no notice {notice.pk} on the page"
    return match.group(0)


def badge(page: str) -> re.Match[str]:
    match = re.search(r'<span id="unread-badge" class="unread-badge"( hidden)?>(\d+)</span>', page)
    assert match, "no unread badge in the header"
    return match


# --- The notices page -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(world):
    for url in ("/notifications/", "/inbox/rows/1/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={url}")
    response = Client().post(reverse("notifications-read-all"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_lists_only_my_notices_newest_first_with_unread_marked(world):
    project = f.make_project(world.officer, world.entry)
    Notification.objects.all().delete()  # the creation's own notices are not the subject here
    first = tell(world.chief, "First for the chief")
    tell(world.officer, "For the officer only")
    read = tell(world.chief, "Already read", project=project)
    read.read_at = read.created_at
    read.save()
    newest = tell(world.chief, "Newest for the chief", project=project, kind=Kind.TASK_NEW)

    page = html(client_for(world.chief).get("/notifications/", **EN))

    assert items(page) == ["Newest for the chief", "Already read", "First for the chief"]
    assert "For the officer only" not in page
    assert 'class="notice card unread"' in item_of(page, newest)
    assert "Unread" in item_of(page, newest) and "Unread" not in item_of(page, read)
    assert f'action="/notifications/{newest.pk}/read/"' in item_of(page, newest)
    assert "/read/" not in item_of(page, read)  # nothing to mark
    assert f'href="/projects/{project.pk}/"' in item_of(page, newest)
    assert "/projects/" not in item_of(page, first)  # a reminder without a project
    assert "New task" in item_of(page, newest)  # the kind, in English
    assert "2 unread" in page


def test_the_text_follows_the_page_language(world):
    tell(world.chief, "Review the pond project", text_th="ตรวจโครงการบ่อปลา")
    thai = html(client_for(world.chief).get("/notifications/"))
    english = html(client_for(world.chief).get("/notifications/", **EN))
    assert items(thai) == ["ตรวจโครงการบ่อปลา"]
    assert items(english) == ["Review the pond project"]


def test_pages_of_25(world):
    rows = [tell(world.chief, f"Notice {i}") for i in range(30)]
    client = client_for(world.chief)
    first = html(client.get("/notifications/", **EN))
    second = html(client.get("/notifications/", {"page": 2}, **EN))
    assert items(first) == [f"Notice {i}" for i in range(29, 4, -1)]
    assert items(second) == [f"Notice {i}" for i in range(4, -1, -1)]
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert f"notice-{rows[0].pk}" in second


def test_an_empty_list_says_so(world):
    page = html(client_for(world.nobody).get("/notifications/", **EN))
    assert "You have no notices." in page
    assert "Mark all as read" not in page


def test_mark_one_read(world):
    mine = tell(world.chief, "Mine")
    other = tell(world.chief, "Still unread")
    client = client_for(world.chief)
    response = client.post(f"/notifications/{mine.pk}/read/", {"next": "/notifications/?page=1"}, **EN)
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=1"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None and other.read_at is None

    page = html(client.get("/notifications/", **EN))
    assert "The notice is marked as read." in page
    assert "unread" not in item_of(page, mine).split('"')[1]  # the item's class
    assert badge(page).group(2) == "1"


def test_mark_read_of_someone_elses_notice_is_404_and_changes_nothing(world):
    theirs = tell(world.officer, "Not yours")
    response = client_for(world.chief).post(f"/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_only_by_post_and_never_to_another_site(world):
    mine = tell(world.chief, "Mine")
    client = client_for(world.chief)
    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None
    response = client.post(f"/notifications/{mine.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_mark_all_read_touches_only_mine(world):
    mine = [tell(world.chief, f"Mine {i}") for i in range(3)]
    theirs = tell(world.officer, "Theirs")
    client = client_for(world.chief)
    response = client.post("/notifications/read-all/", {"next": "/inbox/"}, **EN)
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    page = html(client.get("/notifications/", **EN))
    assert "3 notices marked as read." in page
    assert "Mark all as read" not in page  # nothing left to mark
    assert badge(page).groups() == (" hidden", "0")


def test_the_csrf_token_is_required(world):
    mine = tell(world.chief, "Mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.chief)
    assert client.post(f"/notifications/{mine.pk}/read/").status_code == 403
    assert client.post("/notifications/read-all/").status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None


def test_page_queries_do_not_grow_with_the_notices(world):
    project = f.make_project(world.officer, world.entry)
    client = client_for(world.chief)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/notifications/", **EN)
        assert response.status_code == 200
        return len(queries)

    for i in range(2):
        tell(world.chief, f"Few {i}", project=project)
    few = count()
    for i in range(10):
        tell(world.chief, f"Many {i}", project=project)
    many = count()
    assert few == many
    assert many <= 12, many


# --- The header ------------------------------------------------------------------------------------


def test_the_badge_shows_my_unread_count_on_every_page(world):
    for i in range(2):
        tell(world.chief, f"Chief {i}")
    tell(world.officer, "Officer")
    client = client_for(world.chief)
    for url in ("/inbox/", "/projects/", "/notifications/"):
        page = html(client.get(url, **EN))
        assert badge(page).groups() == (None, "2"), url
        assert 'id="notices-link"' in page
        assert 'src="/static/rolemodel/live.js"' in page
        assert f'data-user="{world.chief.pk}"' in page
        assert 'id="toasts"' in page
    # The notices page is the current one in the navigation.
    page = html(client.get("/notifications/", **EN))
    assert re.search(r'id="notices-link" aria-current="page"', page)


def test_the_badge_starts_listening_after_my_newest_notice(world):
    tell(world.chief, "Older")
    newest = tell(world.chief, "Newest")
    tell(world.officer, "Someone else's, later")
    page = html(client_for(world.chief).get("/inbox/", **EN))
    assert f'data-last="{newest.pk}"' in page


def test_a_user_without_notices_sees_a_hidden_zero(world):
    page = html(client_for(world.nobody).get("/notifications/", **EN))
    assert badge(page).groups() == (" hidden", "0")


def test_anonymous_pages_have_no_live_script(world):
    page = html(Client().get("/accounts/login/", **EN))
    assert "live.js" not in page
    assert 'id="toasts"' not in page
    assert 'id="unread-badge"' not in page


# --- One inbox row ---------------------------------------------------------------------------------


def task_of(project: Any) -> Any:
    task = flows.open_step_task(project)
    assert task is not None
    return task


def rows_in(page: str) -> list[str]:
    return re.findall(r'<tr id="(task-\d+)"', page)


def test_the_inbox_loads_the_live_script_with_the_row_url(world):
    page = html(client_for(world.chief).get("/inbox/", **EN))
    assert 'src="/static/rolemodel/inbox-live.js"' in page
    assert 'data-row-url="/inbox/rows/0/"' in page
    assert 'data-inbox-url="/inbox/"' in page
    assert "Taken by %(name)s" in page


def test_inbox_row_is_one_row_of_my_inbox(world):
    project = f.make_project(world.officer, world.entry, title="Fish pond")
    task = task_of(project)
    response = client_for(world.chief).get(f"/inbox/rows/{task.pk}/", **EN)
    assert response.status_code == 200
    page = html(response)
    assert rows_in(page) == [f"task-{task.pk}"]
    assert page.strip().startswith(f'<tr id="task-{task.pk}"') and page.strip().endswith("</tr>")
    assert "Fish pond" in page
    assert f'action="/inbox/tasks/{task.pk}/claim/"' in page  # the chief may claim it
    assert f'name="tasks" value="{task.pk}"' in page  # and tick it for approval
    assert "<html" not in page and "<nav" not in page
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_inbox_row_keeps_the_inbox_query_for_its_forms(world):
    project = f.make_project(world.officer, world.entry)
    task = task_of(project)
    page = html(client_for(world.chief).get(f"/inbox/rows/{task.pk}/", {"sort": "-due"}, **EN))
    assert f'action="/inbox/tasks/{task.pk}/claim/?sort=-due"' in page


def test_inbox_row_is_404_for_a_task_not_in_my_inbox(world):
    mine = task_of(f.make_project(world.officer, world.entry))
    elsewhere = task_of(f.make_project(world.other_officer, world.other_entry))
    # Another district's task, a task of a step that is not mine, a task that does not exist.
    assert client_for(world.chief).get(f"/inbox/rows/{elsewhere.pk}/").status_code == 404
    assert client_for(world.officer2).get(f"/inbox/rows/{mine.pk}/").status_code == 404
    assert client_for(world.chief).get("/inbox/rows/999999/").status_code == 404
    # The other district's chief sees their own and not ours.
    other = client_for(world.other_chief)
    assert other.get(f"/inbox/rows/{elsewhere.pk}/").status_code == 200
    assert other.get(f"/inbox/rows/{mine.pk}/").status_code == 404


def test_inbox_row_is_404_once_someone_else_holds_it_or_it_is_done(world):
    chief2 = f.user_with("chief2", Role.DISTRICT_CHIEF, world.d1)
    project = f.make_project(world.officer, world.entry)
    task = task_of(project)
    task_services.task_claim(task=task.pk, acting_user=chief2)
    assert client_for(world.chief).get(f"/inbox/rows/{task.pk}/").status_code == 404
    assert client_for(chief2).get(f"/inbox/rows/{task.pk}/").status_code == 200


def test_inbox_row_is_404_when_the_inbox_filters_hide_the_task(world):
    task = task_of(f.make_project(world.officer, world.entry))
    client = client_for(world.chief)
    assert client.get(f"/inbox/rows/{task.pk}/", {"step": "review"}).status_code == 200
    assert client.get(f"/inbox/rows/{task.pk}/", {"step": "implement"}).status_code == 404
    assert client.get(f"/inbox/rows/{task.pk}/", {"dimension": "social"}).status_code == 404
    assert client.get(f"/inbox/rows/{task.pk}/", {"dimension": "economy"}).status_code == 200


def test_inbox_row_is_only_read(world):
    task = task_of(f.make_project(world.officer, world.entry))
    assert client_for(world.chief).post(f"/inbox/rows/{task.pk}/").status_code == 405
