"""Role Model districts per edition: who designates them (API, page, admin, CSV), what it changes
(only they select projects, the national budget, the books expected) and the migration that
designates the districts that already have projects."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from reports.dashboard import dashboard_for
from tests import factories as f
from workflow.audit_actions import AuditAction
from workflow.models import AuditEvent, District, Edition, Project, Province, RoleModelDistrict
from workflow.services import programme
from workflow.services import projects as svc

User = get_user_model()


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    return client


def url(edition: Edition) -> str:
    return reverse("api-edition-districts", args=[edition.pk])


def page_client(user: Any, language: str = "th") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["rolemodel_language"] = language
    return client


def only(world: Any, *codes: str) -> None:
    RoleModelDistrict.objects.filter(edition=world.edition).exclude(district_id__in=codes).delete()


# --- The API ---------------------------------------------------------------------------------------


def test_anyone_signed_in_reads_the_list_and_the_planner_replaces_it_in_one_audited_event(world):
    only(world, "5001", "5002")
    assert api(world.officer).get(url(world.edition)).json() == ["5001", "5002"]

    answer = api(world.planner).put(url(world.edition), ["5002", "5101", "5101"], format="json")

    assert answer.status_code == 200
    assert answer.json() == ["5002", "5101"]
    assert programme.designated_codes(world.edition) == ["5002", "5101"]
    events = AuditEvent.objects.filter(action=AuditAction.EDITION_DISTRICTS_REPLACE)
    assert events.count() == 1
    event = events.get()
    assert event.payload["added"] == ["5101"] and event.payload["removed"] == ["5001"]
    assert event.actor_username == "planner" and event.object_id == world.edition.code
    added = RoleModelDistrict.objects.get(edition=world.edition, district_id="5101")
    assert added.designated_by == world.planner


def test_the_same_list_again_changes_nothing_and_records_nothing(world):
    before = AuditEvent.objects.count()
    answer = api(world.admin).put(url(world.edition), ["5001", "5002", "5101"], format="json")
    assert answer.status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("who", ["officer", "chief", "provincial", "inspector", "auditor", "nobody"])
def test_only_central_planners_and_admins_may_replace_the_list(world, who):
    answer = api(getattr(world, who)).put(url(world.edition), ["5001"], format="json")
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("application/problem+json")
    assert programme.designated_codes(world.edition) == ["5001", "5002", "5101"]


def test_an_unknown_edition_is_not_found(world):
    missing = reverse("api-edition-districts", args=[999999])
    assert api(world.planner).get(missing).status_code == 404
    answer = api(world.planner).put(missing, ["5001"], format="json")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_unknown_codes_and_khet_are_named_and_nothing_changes(world):
    bangkok = Province.objects.create(code="10", name_th="กรุงเทพมหานคร")
    District.objects.create(code="1001", province=bangkok, name_th="พระนคร", is_programme_district=False)

    answer = api(world.planner).put(url(world.edition), ["5001", "9999", "1001", "abc"], format="json")

    assert answer.status_code == 422
    assert answer["Content-Type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == "invalid_input"
    by_code = {e["code"]: e for e in body["errors"]}
    assert by_code["unknown_district"]["codes"] == ["9999", "abc"]
    assert (
        "9999" in by_code["unknown_district"]["message"] and "abc" in by_code["unknown_district"]["message"]
    )
    assert by_code["not_programme_district"]["codes"] == ["1001"]
    assert programme.designated_codes(world.edition) == ["5001", "5002", "5101"]


def test_a_body_that_is_not_a_list_of_codes_is_refused(world):
    answer = api(world.planner).put(url(world.edition), {"codes": 5001}, format="json")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "districts"


def test_a_district_with_a_live_project_stays_designated(world):
    f.make_project(world.officer, world.entry)

    answer = api(world.planner).put(url(world.edition), ["5002"], format="json")

    assert answer.status_code == 409
    assert answer.json()["code"] == "district_has_projects"
    assert "5001" in answer.json()["title"]
    assert programme.designated_codes(world.edition) == ["5001", "5002", "5101"]


def test_a_district_whose_projects_were_withdrawn_can_be_removed(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_withdraw(project=project, acting_user=world.officer)
    answer = api(world.planner).put(url(world.edition), ["5002"], format="json")
    assert answer.status_code == 200


# --- Only designated districts select projects ----------------------------------------------------


def test_a_district_not_designated_cannot_select_a_project(world):
    only(world, "5002")
    body = {
        "bank_entry": world.entry.pk,
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": 2,
        "target_households": 50,
        "budget_lines": [{"description": "วัสดุ", "category": "activity_materials", "amount": "1000.00"}],
    }
    client = api(world.officer)
    client.cookies["rolemodel_language"] = "th"
    answer = client.post("/api/v1/projects/", body, format="json", HTTP_ACCEPT_LANGUAGE="th")

    assert answer.status_code == 422
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "not_participating"
    assert "อำเภอต้นแบบ" in answer.json()["title"]
    assert not Project.objects.exists()


def test_the_selection_page_says_the_district_is_not_designated(world):
    only(world, "5002")
    client = page_client(world.officer)
    data = {
        "title": "โครงการส่งเสริมอาชีพ",
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": "2",
        "target_households": "50",
        "primary_objective": "development",
        "line-0-description": "วัสดุ",
        "line-0-category": "activity_materials",
        "line-0-amount": "1000.00",
    }
    response = client.post(reverse("select-form", args=[world.entry.pk]), data)
    assert response.status_code == 422
    assert "ไม่ได้เป็นอำเภอต้นแบบ" in response.content.decode()
    assert not Project.objects.exists()


# --- The page -------------------------------------------------------------------------------------


def test_the_planner_sees_the_national_budget_and_the_districts_not_started(world):
    f.make_project(world.officer, world.entry)
    response = page_client(world.planner).get(reverse("edition-districts", args=[world.edition.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "450,000.00" in html  # 3 Role Model districts × 150,000.00
    assert 'id="not-started-count">2<' in html
    assert "ยังไม่เริ่มดำเนินการ" in html
    assert 'name="codes"' in html


def test_the_active_editions_page_is_one_click_away(world):
    response = page_client(world.planner).get(reverse("edition-districts-current"))
    assert response.status_code == 302
    assert response["Location"] == reverse("edition-districts", args=[world.edition.pk])


def test_the_planner_replaces_the_list_by_typing_codes(world):
    client = page_client(world.planner)
    response = client.post(
        reverse("edition-districts", args=[world.edition.pk]), {"codes": "5001, 5101\n"}, follow=True
    )
    assert response.status_code == 200
    assert programme.designated_codes(world.edition) == ["5001", "5101"]
    assert "300,000.00" in response.content.decode()


def test_the_planner_uploads_a_csv_of_district_codes(world):
    upload = SimpleUploadedFile("districts.csv", "district_code,name\n5002,จอมทอง\n5101,ลำพูน\n".encode())
    response = page_client(world.planner).post(
        reverse("edition-districts", args=[world.edition.pk]), {"codes": "", "file": upload}
    )
    assert response.status_code == 302
    assert programme.designated_codes(world.edition) == ["5002", "5101"]
    event = AuditEvent.objects.get(action=AuditAction.EDITION_DISTRICTS_REPLACE)
    assert event.payload["removed"] == ["5001"]


def test_unknown_codes_on_the_page_are_named_and_nothing_changes(world):
    response = page_client(world.planner).post(
        reverse("edition-districts", args=[world.edition.pk]), {"codes": "5001 8888"}
    )
    assert response.status_code == 422
    assert "8888" in response.content.decode()
    assert programme.designated_codes(world.edition) == ["5001", "5002", "5101"]


def test_dashboard_readers_see_the_page_without_the_form_and_cannot_post(world):
    client = page_client(world.inspector)
    response = client.get(reverse("edition-districts", args=[world.edition.pk]))
    assert response.status_code == 200
    assert 'name="codes"' not in response.content.decode()
    posted = client.post(reverse("edition-districts", args=[world.edition.pk]), {"codes": "5001"})
    assert posted.status_code == 403
    assert (
        page_client(world.officer).get(reverse("edition-districts", args=[world.edition.pk])).status_code
        == 403
    )


def test_the_page_is_complete_in_english(world):
    html = (
        page_client(world.planner, "en")
        .get(reverse("edition-districts", args=[world.edition.pk]))
        .content.decode()
    )
    assert "Role Model districts" in html and "National budget" in html
    assert "อำเภอต้นแบบ" not in html


# --- The admin ------------------------------------------------------------------------------------


def test_the_admin_designates_from_a_csv_file_on_the_edition(world):
    root = User.objects.create_superuser("root", "root@example.org", f.PASSWORD)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(root)
    change = reverse("admin:workflow_edition_change", args=[world.edition.pk])
    assert client.get(change).status_code == 200
    upload = SimpleUploadedFile("districts.csv", b"5001\n5002\n")
    data = {
        "code": world.edition.code,
        "title": world.edition.title,
        "budget_cap": "150000.00",
        "deadline": world.edition.deadline.strftime("%d/%m/") + str(world.edition.deadline.year + 543),
        "active": "on",
        "dimensions": list(world.edition.dimensions),
        "central_email": world.edition.central_email,
        "role_model_districts": ["5001", "5002", "5101"],
        "role_model_districts_file": upload,
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert programme.designated_codes(world.edition) == ["5001", "5002"]
    assert AuditEvent.objects.filter(action=AuditAction.EDITION_DISTRICTS_REPLACE).count() == 1


# --- Dashboards ---------------------------------------------------------------------------------------


def test_national_budget_and_books_expected_come_from_the_designated_districts(world):
    only(world, "5001", "5002")
    f.make_project(world.officer, world.entry)
    board = dashboard_for(world.planner)
    assert board.totals.districts == 2
    assert board.totals.cap == Decimal("300000.00")
    assert board.totals.books_expected == 2  # 5002 has nothing yet and still owes its book
    assert board.totals.not_started == 1
    by_district = {g.area.code: g for g in dashboard_for(world.provincial).groups}
    assert set(by_district) == {"5001", "5002"}
    assert by_district["5002"].not_started == 1 and by_district["5001"].not_started == 0
    html = page_client(world.planner).get(reverse("dashboard")).content.decode()
    assert "300,000.00" in html


def test_an_edition_with_no_district_designated_has_no_budget(world):
    earlier = Edition.objects.create(
        code="2569", title="Earlier", budget_cap=Decimal("100000.00"), deadline=datetime.date(2026, 8, 31)
    )
    board = dashboard_for(world.planner, edition="2569")
    assert board.totals.cap == Decimal("0.00") and board.totals.books_expected == 0
    f.designate(earlier, ["5001"])
    assert dashboard_for(world.planner, edition="2569").totals.cap == Decimal("100000.00")


# --- The migration ------------------------------------------------------------------------------------


def test_the_migration_designates_the_districts_that_already_have_projects(world):
    f.make_project(world.officer, world.entry)
    f.make_project(world.other_officer, world.other_entry)
    RoleModelDistrict.objects.all().delete()
    migration = importlib.import_module("workflow.migrations.0007_designated_districts")

    migration.designate_districts_with_projects(django_apps, None)
    migration.designate_districts_with_projects(django_apps, None)  # idempotent

    assert programme.designated_codes(world.edition) == ["5001", "5002"]
    assert RoleModelDistrict.objects.filter(designated_by__isnull=True).count() == 2
