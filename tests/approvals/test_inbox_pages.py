"""The inbox page: what each user sees, filters and paging, claim/release/assign, bulk approval."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from viewflow.workflow.status import STATUS

from approvals import selectors
from tests import factories as f
from workflow import flows, schedule
from workflow.dates import format_date
from workflow.models import AuditEvent, Delegation, Edition, Project, Role, State
from workflow.services import projects as svc
from workflow.services.projects import LineInput

User = get_user_model()
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(user: Any, url: str = "/inbox/", **params: Any) -> Any:
    return client_for(user).get(url, params, **EN)


def post(user: Any, url: str, data: dict[str, Any] | None = None, follow: bool = False) -> Any:
    return client_for(user).post(url, data or {}, follow=follow, **EN)


def html(response: Any) -> str:
    return response.content.decode()


def project(officer: Any, entry: Any, title: str, amount: str = "1000.00", **overrides: Any) -> Project:
    lines = [
        LineInput("วัสดุ", "activity_materials", Decimal(amount) - Decimal("400.00")),
        LineInput("ค่าวิทยากร", "wages", Decimal("400.00")),
    ]
    return f.make_project(officer, entry, title=title, budget_lines=lines, **overrides)


def task_of(p: Project) -> Any:
    task = flows.open_step_task(p)
    assert task is not None
    return task


def row_of(page: str, task: Any) -> str:
    """The HTML of one task's row in the inbox table."""
    match = re.search(rf'<tr id="task-{task.pk}".*?</tr>', page, re.S)
    assert match, f"no row for task {task.pk}"
    return match.group(0)


def titles(page: str) -> list[str]:
    return re.findall(r'<tr id="task-\d+"[^>]*>.*?<a href="/projects/\d+/">([^<]+)</a>', page, re.S)


# --- Access ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(world):
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/inbox/")
    p = project(world.officer, world.entry, "Fish pond")
    claim = Client().post(f"/inbox/tasks/{task_of(p).pk}/claim/")
    assert claim.status_code == 302 and claim["Location"].startswith("/accounts/login/")
    assert task_of(p).owner_id is None


def test_chief_sees_the_review_of_their_district_only(world):
    mine = project(world.officer, world.entry, "Fish pond", amount="12345.00")
    theirs = project(world.other_officer, world.other_entry, "Check dam")

    response = get(world.chief)
    assert response.status_code == 200
    page = html(response)
    row = row_of(page, task_of(mine))
    assert f'href="/projects/{mine.pk}/"' in row and "Fish pond" in row
    assert "Review and approve" in row and "District chief" in row
    assert "Mueang Chiang Mai" in row and "Chiang Mai" in row
    assert "Unclaimed" in row
    assert "12,345.00" in row
    # The review is due when implementation must start: the edition's schedule in working days.
    review_due = schedule.step_due_date(world.edition, "review")
    assert review_due < world.edition.deadline
    with translation.override("en"):
        due = format_date(review_due)
    assert due in row and str(review_due.year) in due  # CE in English
    assert f"{(review_due - timezone.localdate()).days} days left" in row
    assert "Check dam" not in page
    assert f"task-{task_of(theirs).pk}" not in page
    assert "1 task" in page and "1 to claim" in page

    other_page = html(get(world.other_chief))
    assert "Check dam" in other_page and "Fish pond" not in other_page


def test_officer_sees_the_implement_task_after_approval(world):
    p = project(world.officer, world.entry, "Fish pond")
    assert "Nothing waits for you." in html(get(world.officer))
    svc.project_approve(project=p, acting_user=world.chief)

    page = html(get(world.officer))
    row = row_of(page, task_of(p))
    assert "Record implementation" in row and "Claim" in row
    assert 'name="tasks"' not in page  # no bulk approval for officers
    assert "Nothing waits for you." in html(get(world.chief))
    assert "Nothing waits for you." in html(get(world.other_officer))


def test_thai_is_the_default_and_english_on_request(world):
    project(world.officer, world.entry, "Fish pond")
    thai = client_for(world.chief).get("/inbox/")
    assert '<html lang="th">' in html(thai)
    english = html(get(world.chief))
    assert '<html lang="en">' in english
    for label in ("Inbox", "Review and approve", "Held by", "Budget (baht)", "Approve several projects"):
        assert label in english


# --- Filters, sorting, paging ----------------------------------------------------------------


@pytest.fixture
def chief_of_two(world):
    """The chief of 5001 also chief of 5002: reviews in two districts, two dimensions."""
    f.grant(world.chief, Role.DISTRICT_CHIEF, world.d2)
    world.pond = project(world.officer, world.entry, "Fish pond")
    world.market = project(world.officer2, world.entry2, "Community market", dimension="social")
    world.dam = project(world.other_officer, world.other_entry, "Check dam")
    return world


def test_filters_narrow_the_list(chief_of_two):
    w = chief_of_two
    assert sorted(titles(html(get(w.chief)))) == ["Check dam", "Community market", "Fish pond"]
    assert titles(html(get(w.chief, district="5002"))) == ["Check dam"]
    assert sorted(titles(html(get(w.chief, province="50")))) == ["Check dam", "Community market", "Fish pond"]
    assert titles(html(get(w.chief, dimension="social"))) == ["Community market"]
    assert sorted(titles(html(get(w.chief, step="review", district="5001")))) == [
        "Community market",
        "Fish pond",
    ]
    assert titles(html(get(w.chief, step="submit"))) == []
    none = html(get(w.chief, overdue="yes"))
    assert titles(none) == [] and "No task matches these filters." in none
    assert len(titles(html(get(w.chief, overdue="no")))) == 3

    # With no working days left for the later steps, the review is due on the deadline itself.
    Edition.objects.update(
        deadline=timezone.localdate() - datetime.timedelta(days=3),
        step_lead_days={"submit": 0, "report": 0, "monitor": 0, "implement": 0, "review": 0},
    )
    late = html(get(w.chief, overdue="yes"))
    assert len(titles(late)) == 3
    due = schedule.step_due_date(Edition.objects.get(pk=w.edition.pk), "review")
    overdue_days = (timezone.localdate() - due).days
    assert f"Overdue by {overdue_days} days" in row_of(late, task_of(w.pond))
    assert "3 overdue" in late
    assert titles(html(get(w.chief, overdue="no"))) == []


def test_a_filter_cannot_widen_the_list(world):
    project(world.officer, world.entry, "Fish pond")
    project(world.other_officer, world.other_entry, "Check dam")
    page = html(get(world.chief, district="5002"))  # not the chief's district
    assert "Check dam" not in page
    assert 'id="id_district_error"' in page and 'class="field invalid"' in page
    assert titles(page) == ["Fish pond"]  # the invalid filter is ignored, nothing more is shown


def test_officer_filters_by_step(world):
    implemented = project(world.officer, world.entry, "Fish pond")
    returned = project(world.officer, world.entry2, "Community market")
    svc.project_approve(project=implemented, acting_user=world.chief)
    svc.project_return(project=returned, acting_user=world.chief, comment="Add the village count")
    assert sorted(titles(html(get(world.officer)))) == ["Community market", "Fish pond"]
    assert titles(html(get(world.officer, step="revise"))) == ["Community market"]
    assert titles(html(get(world.officer, step="implement"))) == ["Fish pond"]


def test_sort_by_created(chief_of_two):
    w = chief_of_two
    assert titles(html(get(w.chief, sort="created"))) == ["Fish pond", "Community market", "Check dam"]
    assert titles(html(get(w.chief, sort="-created"))) == ["Check dam", "Community market", "Fish pond"]


def test_sort_by_due_date(chief_of_two):
    w = chief_of_two
    later = Edition.objects.create(
        code="2571",
        title="Next",
        budget_cap=Decimal("150000"),
        deadline=w.edition.deadline.replace(year=2099),
    )
    Project.objects.filter(pk=w.pond.pk).update(edition=later)
    assert titles(html(get(w.chief, sort="due")))[-1] == "Fish pond"
    assert titles(html(get(w.chief, sort="-due")))[0] == "Fish pond"


def test_paging_keeps_the_filters(world):
    for n in range(27):
        project(world.officer, world.entry, f"Project {n:02d}")
    first = html(get(world.chief, step="review", sort="created"))
    assert len(titles(first)) == 25
    assert "Page 1 of 2" in first
    assert 'href="/inbox/?step=review&amp;sort=created&amp;page=2"' in first
    second = html(get(world.chief, step="review", sort="created", page="2"))
    assert titles(second) == ["Project 25", "Project 26"]
    assert 'href="/inbox/?step=review&amp;sort=created&amp;page=1"' in second
    assert "27 tasks" in second


# --- Claim, release, assign ------------------------------------------------------------------


def test_claim_and_release(world):
    p = project(world.officer, world.entry, "Fish pond")
    task = task_of(p)
    response = post(world.chief, f"/inbox/tasks/{task.pk}/claim/?step=review&page=1")
    assert response.status_code == 302
    assert response["Location"] == "/inbox/?step=review&page=1"
    task.refresh_from_db()
    assert task.owner_id == world.chief.pk and task.status == STATUS.ASSIGNED
    assert AuditEvent.objects.filter(action="task_claim", project=p, actor=world.chief).exists()

    page = html(get(world.chief))
    row = row_of(page, task)
    assert "You" in row and "Release" in row and "Unclaimed" not in row

    released = post(world.chief, f"/inbox/tasks/{task.pk}/unclaim/", follow=True)
    assert "is back in the queue" in html(released)
    task.refresh_from_db()
    assert task.owner_id is None and task.status == STATUS.NEW
    assert AuditEvent.objects.filter(action="task_unclaim", project=p).exists()


def test_claim_shows_the_conflict_and_hides_other_districts(world):
    p = project(world.officer, world.entry, "Fish pond")
    task = task_of(p)
    chief2 = f.user_with("chief2", Role.DISTRICT_CHIEF, world.d1)
    post(world.chief, f"/inbox/tasks/{task.pk}/claim/")
    blocked = post(chief2, f"/inbox/tasks/{task.pk}/claim/", follow=True)
    assert "chief has claimed this task." in html(blocked)
    task.refresh_from_db()
    assert task.owner_id == world.chief.pk
    assert post(world.other_chief, f"/inbox/tasks/{task.pk}/claim/").status_code == 404
    assert client_for(world.chief).get(f"/inbox/tasks/{task.pk}/claim/").status_code == 405


@pytest.fixture
def implementing(world):
    """An approved project: its implement task waits for the officers of 5001."""
    world.p = project(world.officer, world.entry, "Fish pond")
    svc.project_approve(project=world.p, acting_user=world.chief)
    world.task = task_of(world.p)
    return world


def test_chief_assigns_and_reassigns_a_district_task(implementing):
    w = implementing
    assert f"task-{w.task.pk}" not in html(get(w.chief))  # not the chief's own step
    page = html(get(w.chief, show="district"))
    row = row_of(page, w.task)
    assert "Record implementation" in row and "Assign" in row
    options = re.findall(r'<option value="(\d+)"', row)
    assert sorted(int(o) for o in options) == sorted([w.officer.pk, w.officer2.pk])

    response = post(w.chief, f"/inbox/tasks/{w.task.pk}/assign/?show=district", {"assignee": w.officer.pk})
    assert response.status_code == 302 and response["Location"] == "/inbox/?show=district"
    w.task.refresh_from_db()
    assert w.task.owner_id == w.officer.pk and w.task.status == STATUS.ASSIGNED
    event = AuditEvent.objects.get(action="task_assign", project=w.p)
    assert event.actor_id == w.chief.pk and event.role == Role.DISTRICT_CHIEF
    assert event.payload == {"step": "implement", "assignee": "officer", "previous_owner": ""}
    assert "You" in row_of(html(get(w.officer)), w.task)

    reassigned = post(w.chief, f"/inbox/tasks/{w.task.pk}/assign/", {"assignee": w.officer2.pk}, follow=True)
    assert "is now assigned to officer2" in html(reassigned)
    w.task.refresh_from_db()
    assert w.task.owner_id == w.officer2.pk
    last = AuditEvent.objects.filter(action="task_assign", project=w.p).order_by("-id").first()
    assert last is not None and last.payload["previous_owner"] == "officer"
    assert f"task-{w.task.pk}" not in html(get(w.officer))
    assert "Reassign" in row_of(html(get(w.chief, show="district")), w.task)


def test_an_officer_may_not_assign(implementing):
    w = implementing
    assert "Reassign" not in html(get(w.officer)) and 'name="assignee"' not in html(get(w.officer))
    response = post(w.officer, f"/inbox/tasks/{w.task.pk}/assign/", {"assignee": w.officer2.pk})
    assert response.status_code == 403
    assert "Only the district chief may assign this task." in html(response)
    w.task.refresh_from_db()
    assert w.task.owner_id is None
    assert not AuditEvent.objects.filter(action="task_assign").exists()
    assert (
        post(w.other_chief, f"/inbox/tasks/{w.task.pk}/assign/", {"assignee": w.officer.pk}).status_code
        == 404
    )


def test_the_assignee_must_hold_the_step_role(implementing):
    w = implementing
    response = post(
        w.chief, f"/inbox/tasks/{w.task.pk}/assign/?show=district", {"assignee": w.other_officer.pk}
    )
    assert response.status_code == 422
    row = row_of(html(response), w.task)
    assert "other_officer may not do this step in this district." in row
    assert 'class="field invalid"' in row and 'role="alert"' in row
    assert f'aria-describedby="assignee-{w.task.pk}_error"' in row
    assert '<details class="assign" open>' in row
    w.task.refresh_from_db()
    assert w.task.owner_id is None
    assert not AuditEvent.objects.filter(action="task_assign").exists()

    nobody = post(w.chief, f"/inbox/tasks/{w.task.pk}/assign/?show=district", {"assignee": ""})
    assert nobody.status_code == 422 and "Choose who should do this task." in html(nobody)


def test_an_acting_chief_may_be_assigned_a_review(world):
    p = project(world.officer, world.entry, "Fish pond")
    task = task_of(p)
    today = timezone.localdate()
    Delegation.objects.create(
        delegator=world.chief,
        delegate=world.officer2,
        district=world.d1,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=5),
    )
    row = row_of(html(get(world.chief)), task)
    assert f'<option value="{world.officer2.pk}"' in row and "acting for chief" in row
    assert f'<option value="{world.officer.pk}"' not in row  # an officer may not review

    refused = post(world.chief, f"/inbox/tasks/{task.pk}/assign/", {"assignee": world.officer.pk})
    assert refused.status_code == 422
    post(world.chief, f"/inbox/tasks/{task.pk}/assign/", {"assignee": world.officer2.pk})
    task.refresh_from_db()
    assert task.owner_id == world.officer2.pk


# --- Bulk approval ---------------------------------------------------------------------------


def test_only_review_tasks_get_a_checkbox(implementing):
    w = implementing
    review = project(w.officer, w.entry2, "Community market")
    page = html(get(w.chief, show="district"))
    assert f'name="tasks" value="{task_of(review).pk}"' in row_of(page, task_of(review))
    assert 'name="tasks"' not in row_of(page, w.task)
    assert 'name="tasks"' not in html(get(w.provincial))


def test_bulk_approve_reports_each_row(world):
    chief2 = f.user_with("chief2", Role.DISTRICT_CHIEF, world.d1)
    pond = project(world.officer, world.entry, "Fish pond")
    market = project(world.officer, world.entry2, "Community market")
    late = project(world.officer2, world.entry, "Late festival")
    claimed = project(world.officer2, world.entry2, "Claimed road")
    foreign = project(world.other_officer, world.other_entry, "Check dam")
    # One breaks a rule (its end date, set straight in the database, is after the deadline),
    # one is held by another chief, one is in another district.
    Project.objects.filter(pk=late.pk).update(end_date=world.edition.deadline + datetime.timedelta(days=10))
    post(chief2, f"/inbox/tasks/{task_of(claimed).pk}/claim/")

    review = {p.pk: task_of(p).pk for p in (pond, late, claimed, market, foreign)}
    picked = [review[p.pk] for p in (pond, late, claimed, market, foreign)]
    response = post(
        world.chief,
        "/inbox/bulk-approve/?sort=created",
        {"tasks": picked, "comment": "Approved at the meeting"},
    )
    assert response.status_code == 200
    page = html(response)

    for p in (pond, market):
        p.refresh_from_db()
        assert p.state == State.APPROVED
        event = AuditEvent.objects.get(project=p, action="approve")
        assert event.comment == "Approved at the meeting" and event.actor_id == world.chief.pk
    for p in (late, claimed, foreign):
        p.refresh_from_db()
        assert p.state == State.SELECTED

    outcomes = re.search(r'<section class="card outcomes".*?</section>', page, re.S)
    assert outcomes
    results = outcomes.group(0)
    assert results.count("badge approved") == 2 and results.count("badge failed") == 3
    assert "Not found." in results  # the other district's task

    late_row = row_of(page, task_of(late))
    assert "Not approved" in late_row
    assert "the end date is later" in late_row
    # A task held by someone else is not in the chief's list: its outcome has its own row.
    claimed_result = re.search(rf'<tr id="outcome-row-{review[claimed.pk]}".*?</tr>', results, re.S)
    assert claimed_result and "Claimed road" in claimed_result.group(0)
    assert "chief2 has claimed this task." in claimed_result.group(0)
    pond_result = re.search(rf'<tr id="outcome-row-{review[pond.pk]}".*?</tr>', results, re.S)
    assert pond_result and "badge approved" in pond_result.group(0)
    assert "2 projects approved." in page and "3 projects were not approved" in page
    assert "Approved at the meeting" in page  # the comment is kept for another try
    assert f'id="task-{review[pond.pk]}"' not in page  # approved: no longer waiting
    assert f'id="task-{review[late.pk]}"' in page


def test_bulk_approve_needs_a_ticked_task(world):
    project(world.officer, world.entry, "Fish pond")
    response = post(world.chief, "/inbox/bulk-approve/?step=review", {"comment": "x"}, follow=True)
    assert "Tick at least one review task to approve." in html(response)
    assert response.redirect_chain[-1][0] == "/inbox/?step=review"


def test_bulk_approve_by_an_officer_approves_nothing(world):
    p = project(world.officer, world.entry, "Fish pond")
    response = post(world.officer, "/inbox/bulk-approve/", {"tasks": [task_of(p).pk]})
    assert "Not approved" in html(response)
    p.refresh_from_db()
    assert p.state == State.SELECTED


# --- Due dates and query counts -------------------------------------------------------------


def test_due_date_in_the_database_matches_task_due_date(chief_of_two):
    tasks = list(selectors.task_inbox(chief_of_two.chief))
    assert tasks and all(t.due_date == selectors.task_due_date(t) for t in tasks)


def _count_queries(user: Any, **params: Any) -> tuple[int, int]:
    client = client_for(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/inbox/", params, **EN)
    assert response.status_code == 200
    return len(queries.captured_queries), len(titles(html(response)))


@pytest.mark.parametrize("params", [{}, {"show": "district"}])
def test_query_count_does_not_grow_with_tasks(world, params):
    for entry in (world.entry, world.entry2):
        project(world.officer, entry, "Project")
    _count_queries(world.chief, **params)  # warm-up
    few, rows_few = _count_queries(world.chief, **params)
    for n in range(10):
        p = project(world.officer2 if n % 2 else world.officer, world.entry, f"Project {n}")
        if n % 3 == 0 and params:  # some approved: implement tasks with assignee candidates
            svc.project_approve(project=p, acting_user=world.chief)
    many, rows_many = _count_queries(world.chief, **params)
    assert (rows_few, rows_many) == (2, 12)
    assert many == few, f"{few} queries for 2 tasks, {many} for 12"
    assert many <= 20, many
