"""A bank entry is taken once per district and edition while its project is live: a second
selection is refused (API 422 ``bank_entry_taken``, a form error on the page), the entry is marked
"selected" on ``/select/``, a rejected or withdrawn project frees it, and two officers selecting
the same entry at the same moment get one project."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from workflow.models import AuditEvent, Edition, Project, Role
from workflow.services import projects as svc

User = get_user_model()


def api_body(world: Any, entry: Any, amount: str = "30000.00") -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "bank_entry": entry.pk,
        "dimension": "economy",
        "subdistricts": [entry.subdistrict_id],
        "target_villages": 2,
        "target_households": 60,
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=30)).isoformat(),
        "primary_objective": "development",
        "budget_lines": [{"description": "วัสดุฝึกปฏิบัติ", "category": "activity_materials", "amount": amount}],
        "do_checklist": {"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
    }


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    return client


def page_client(user: Any, language: str = "th") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["rolemodel_language"] = language
    return client


def select(world: Any, entry: Any, officer: Any = None) -> Project:
    """Select ``entry`` through the service itself (the factory would take a copy of a taken entry)."""
    return svc.project_create(
        acting_user=officer or world.officer,
        bank_entry=entry,
        data=f.good_input([entry.subdistrict_id], "30000.00"),
    )


def test_a_second_selection_of_an_entry_is_refused_over_the_api(world):
    first = api(world.officer).post("/api/v1/projects/", api_body(world, world.entry), format="json")
    assert first.status_code == 201
    events = AuditEvent.objects.count()

    # Another officer of the same district, the same entry.
    second = api(world.officer2).post("/api/v1/projects/", api_body(world, world.entry), format="json")

    assert second.status_code == 422
    assert second["Content-Type"].startswith("application/problem+json")
    problem = second.json()
    assert problem["code"] == "bank_entry_taken"
    assert problem["errors"][0]["field"] == "bank_entry"
    assert str(first.json()["id"]) in problem["title"]
    assert Project.objects.count() == 1 and AuditEvent.objects.count() == events


def test_the_refusal_is_in_thai_by_default(world):
    select(world, world.entry)
    client = api(world.officer2)
    answer = client.post(
        "/api/v1/projects/", api_body(world, world.entry), format="json", HTTP_ACCEPT_LANGUAGE="th"
    )
    assert answer.json()["code"] == "bank_entry_taken"
    assert "คัดเลือกแล้ว" in answer.json()["title"]


@pytest.mark.parametrize("release", ["reject", "withdraw"])
def test_a_rejected_or_withdrawn_project_frees_its_entry(world, release):
    project = select(world, world.entry)
    if release == "reject":
        svc.project_reject(project=project, acting_user=world.chief, comment="ไม่สอดคล้องกับแผน")
    else:
        svc.project_withdraw(project=project, acting_user=world.officer)
    again = select(world, world.entry, world.officer2)
    assert again.bank_entry_id == world.entry.pk
    assert Project.objects.filter(bank_entry=world.entry).count() == 2


def test_a_returned_or_approved_project_still_holds_its_entry(world):
    project = select(world, world.entry)
    svc.project_return(project=project, acting_user=world.chief, comment="แก้ไขจำนวนครัวเรือน")
    with pytest.raises(svc.DomainError) as refused:
        select(world, world.entry, world.officer2)
    assert refused.value.code == "bank_entry_taken"


def test_the_entry_can_be_selected_again_in_another_edition(world):
    select(world, world.entry)
    Edition.objects.update(is_active=False)
    nxt = Edition.objects.create(
        code="2571",
        title="Next edition",
        budget_cap=world.edition.budget_cap,
        deadline=world.edition.deadline,
        is_active=True,
    )
    f.designate(nxt, [world.d1])
    assert select(world, world.entry).edition == nxt


def test_the_bank_page_marks_a_selected_entry_and_offers_the_others(world):
    project = select(world, world.entry)
    html = page_client(world.officer).get(reverse("select-bank")).content.decode()
    assert f'<span class="badge" id="taken-{world.entry.pk}">คัดเลือกแล้ว</span>' in html
    assert f'href="/projects/{project.pk}/"' in html
    assert f'href="/select/{world.entry.pk}/"' not in html
    assert f'href="/select/{world.entry2.pk}/"' in html
    english = page_client(world.officer, "en").get(reverse("select-bank")).content.decode()
    assert f'id="taken-{world.entry.pk}">Selected</span>' in english


def test_the_form_says_the_entry_is_taken_and_keeps_what_was_typed(world):
    select(world, world.entry)
    data = {
        "title": "โครงการที่พิมพ์ไว้",
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": "2",
        "target_households": "50",
        "start_date": "",
        "end_date": "",
        "primary_objective": "development",
        "line-0-description": "วัสดุ",
        "line-0-category": "activity_materials",
        "line-0-amount": "1000.00",
        "do_fits_district_plan": "on",
        "do_feasible": "on",
        "do_area_ready": "on",
        "do_permitted": "on",
    }
    response = page_client(world.officer2).post(reverse("select-form", args=[world.entry.pk]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "คัดเลือกแล้ว" in html
    assert "โครงการที่พิมพ์ไว้" in html
    assert Project.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_officers_selecting_one_entry_at_the_same_moment_get_one_project(world):
    officers = [world.officer, world.officer2] + [
        f.user_with(f"officer_race_{i}", Role.DISTRICT_OFFICER, world.d1) for i in range(4)
    ]
    barrier = threading.Barrier(len(officers))
    results: list[Any] = [None] * len(officers)
    errors: list[BaseException] = []

    def worker(index: int, officer: Any) -> None:
        try:
            assert not (connection.vendor == "sqlite" and connection.is_in_memory_db())
            client = api(officer)
            barrier.wait(timeout=30)
            answer = client.post("/api/v1/projects/", api_body(world, world.entry), format="json")
            results[index] = (answer.status_code, answer.json().get("code"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, o)) for i, o in enumerate(officers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sorted(results) == [(201, None)] + [(422, "bank_entry_taken")] * (len(officers) - 1)
    assert Project.objects.filter(bank_entry=world.entry).count() == 1
