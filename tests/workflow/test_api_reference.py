"""Areas, editions and the project bank over the API."""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from workflow.models import AuditEvent, Edition


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_areas_are_listed_and_filtered(world):
    client = as_user(world.officer)
    provinces = client.get("/api/v1/areas/provinces/").json()
    assert [p["code"] for p in provinces["results"]] == ["50", "51"]
    districts = client.get("/api/v1/areas/districts/", {"province": "50"}).json()["results"]
    assert [d["code"] for d in districts] == ["5001", "5002"]
    subs = client.get("/api/v1/areas/subdistricts/", {"district": "5002"}).json()["results"]
    assert [s["code"] for s in subs] == ["500201", "500202", "500203"]
    assert APIClient().get("/api/v1/areas/provinces/").status_code == 401


def test_bank_search_by_district_subdistrict_dimension_and_text(world):
    f.bank_entry(world.subs["500103"], "B-9", dimension="environment")
    client = as_user(world.officer)

    def codes(**params):
        return [e["code"] for e in client.get("/api/v1/bank/", params).json()["results"]]

    assert codes(district="5001") == ["B-1", "B-2", "B-9"]
    assert codes(district="5002") == ["B-3"]
    assert codes(subdistrict="500102") == ["B-2"]
    assert codes(dimension="environment") == ["B-9"]
    assert codes(q="วิสาหกิจ", district="5001") == ["B-1", "B-2", "B-9"]
    assert codes(q="no such words") == []


def test_admin_creates_an_edition_and_activating_it_closes_the_previous(world):
    admin = as_user(world.admin)
    body = {
        "code": "2571",
        "title": "อำเภอต้นแบบ ปีงบประมาณ 2571",
        "budget_cap": "200000.00",
        "deadline": "2028-08-31",
        "is_active": True,
    }
    created = admin.post("/api/v1/editions/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["budget_cap"] == "200000.00"
    assert list(Edition.objects.filter(is_active=True).values_list("code", flat=True)) == ["2571"]
    event = AuditEvent.objects.filter(action="edition_create").get()
    assert (event.chain, event.actor_username, event.role) == ("TH", "admin", "admin")

    patched = admin.patch(
        f"/api/v1/editions/{created.json()['id']}/", {"budget_cap": "180000.00"}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["budget_cap"] == "180000.00"
    change = AuditEvent.objects.filter(action="edition_update").get()
    assert change.payload["changed"]["budget_cap"] == {"from": "200000.00", "to": "180000.00"}


def test_only_admins_change_editions(world):
    body = {"code": "2571", "title": "x", "budget_cap": "1.00", "deadline": "2028-08-31"}
    for user in (world.officer, world.chief, world.planner, world.auditor):
        response = as_user(user).post("/api/v1/editions/", body, format="json")
        assert response.status_code == 403, user
    assert as_user(world.officer).get("/api/v1/editions/").status_code == 200
    assert not Edition.objects.filter(code="2571").exists()


def test_bad_edition_input_names_the_field(world):
    response = as_user(world.admin).post(
        "/api/v1/editions/",
        {"code": "2571", "title": "x", "budget_cap": "-5", "deadline": "31/08/2571"},
        format="json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"budget_cap", "deadline"}


def test_a_project_stays_pinned_to_its_edition(world):
    project = f.make_project(world.officer, world.entry)
    old = project.edition
    new = Edition.objects.create(
        code="2571",
        title="next",
        budget_cap="150000.00",
        deadline=datetime.date(2028, 8, 31),
        is_active=False,
    )
    as_user(world.admin).patch(f"/api/v1/editions/{new.pk}/", {"is_active": True}, format="json")
    project.refresh_from_db()
    assert project.edition == old
    data = as_user(world.chief).get(f"/api/v1/projects/{project.pk}/").json()
    assert data["edition"] == old.code
    # the old edition's cap still governs the old project's approval
    assert as_user(world.chief).post(f"/api/v1/projects/{project.pk}/transitions/approve/").status_code == 200


def test_district_budget(world):
    f.make_project(world.officer, world.entry, amount="60000.00")
    body = as_user(world.chief).get("/api/v1/districts/5001/budget/").json()
    assert body == {
        "district": "5001",
        "edition": world.edition.code,
        "cap": "150000.00",
        "committed": "60000.00",
        "remaining": "90000.00",
        "spent": "0.00",
        "disbursed": "0.00",
    }
    assert as_user(world.other_chief).get("/api/v1/districts/5001/budget/").status_code == 404
    f.disburse(world.d1, "45000.00")  # the province's tranche (issue 10)
    body = as_user(world.chief).get("/api/v1/districts/5001/budget/").json()
    assert (body["committed"], body["disbursed"], body["spent"]) == ("60000.00", "45000.00", "0.00")


def test_actions_after_the_deadline_are_allowed_and_marked_late(world):
    today = timezone.localdate()
    project = f.make_project(
        world.officer,
        world.entry,
        start_date=today - datetime.timedelta(days=30),
        end_date=today - datetime.timedelta(days=2),
    )
    Edition.objects.filter(pk=world.edition.pk).update(deadline=today - datetime.timedelta(days=1))
    response = as_user(world.chief).post(f"/api/v1/projects/{project.pk}/transitions/approve/")
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="approve").is_late is True
    assert AuditEvent.objects.get(action="create").is_late is False


def test_a_project_ending_after_a_moved_deadline_is_not_approved(world):
    project = f.make_project(world.officer, world.entry)
    Edition.objects.filter(pk=world.edition.pk).update(deadline=timezone.localdate())
    response = as_user(world.chief).post(f"/api/v1/projects/{project.pk}/transitions/approve/")
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["deadline_exceeded"]


def test_chief_comments_at_any_state_and_comments_enter_history(world):
    project = f.make_project(world.officer, world.entry)
    chief = as_user(world.chief)
    assert (
        chief.post(f"/api/v1/projects/{project.pk}/comments/", {"comment": "เร่งดำเนินการ"}).status_code == 201
    )
    chief.post(f"/api/v1/projects/{project.pk}/transitions/reject/", {"comment": "ไม่ผ่าน"})
    assert chief.post(f"/api/v1/projects/{project.pk}/comments/", {"comment": "บันทึกไว้"}).status_code == 201
    comments = chief.get(f"/api/v1/projects/{project.pk}/comments/").json()["results"]
    assert [(c["comment"], c["from_state"]) for c in comments] == [
        ("เร่งดำเนินการ", "selected"),
        ("บันทึกไว้", "rejected"),
    ]
    empty = chief.post(f"/api/v1/projects/{project.pk}/comments/", {"comment": " "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "comment"


def test_patch_only_while_selected_and_keeps_pinned_fields(world):
    project = f.make_project(world.officer, world.entry)
    officer = as_user(world.officer)
    r = officer.patch(f"/api/v1/projects/{project.pk}/", {"target_households": 140}, format="json")
    assert r.status_code == 200 and r.json()["target_households"] == 140
    assert AuditEvent.objects.get(action="update").payload["changed"] == ["target_households"]
    as_user(world.chief).post(f"/api/v1/projects/{project.pk}/transitions/approve/")
    r = officer.patch(f"/api/v1/projects/{project.pk}/", {"target_households": 1}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"


def test_malformed_input_is_a_problem_naming_each_field(world):
    body = {
        "bank_entry": world.entry.pk,
        "budget_lines": [{"description": "", "category": "bogus", "amount": "x"}],
    }
    r = as_user(world.officer).post("/api/v1/projects/", body, format="json")
    assert r.status_code == 422
    assert r["Content-Type"] == "application/problem+json"
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert fields == ["budget_lines[0].amount", "budget_lines[0].category", "budget_lines[0].description"]
