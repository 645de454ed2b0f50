"""The admin site: every changelist opens; every change goes through a service and is audited;
wrong areas are field errors; the bank upload is all or nothing; the trail cannot be changed."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from workflow import audit
from workflow.models import (
    AuditEvent,
    BankEntry,
    Delegation,
    District,
    Edition,
    Holiday,
    InspectionRegion,
    Province,
    Role,
    RoleMembership,
)

User = get_user_model()


@pytest.fixture
def site(world: SimpleNamespace) -> SimpleNamespace:
    """The ``world`` plus a staff superuser ``root`` logged in, and a project with events."""
    world.root = User.objects.create_superuser("root", "root@example.org", f.PASSWORD)
    world.client = Client(HTTP_ACCEPT_LANGUAGE="en")
    world.client.force_login(world.root)
    world.project = f.make_project(world.officer, world.entry, "10000.00")
    return world


def admin_url(model: Any, view: str, *args: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def errors_of(response: Any, field: str) -> str:
    """The errors the admin shows for a field (its row carries the field's class)."""
    page = response.content.decode()
    match = re.search(
        rf'<div class="form-row[^"]*field-{field}[^"]*">.*?<ul class="errorlist"[^>]*>(.*?)</ul>', page, re.S
    )
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- Every page opens --------------------------------------------------------------------------


def test_staff_superuser_opens_every_changelist_and_change_page(site):
    registered = [
        model
        for model in django_admin.site._registry
        if model._meta.app_label in {"workflow", "auth", "viewflow"}
    ]
    assert {m._meta.model_name for m in registered} >= {
        "user",
        "group",
        "rolemembership",
        "edition",
        "inspectionregion",
        "bankentry",
        "auditevent",
        "project",
        "delegation",
        "province",
        "district",
        "subdistrict",
        "holiday",
    }
    for model in registered:
        response = site.client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            response = site.client.get(admin_url(model, "change", obj.pk))
            assert response.status_code == 200, (model, obj.pk)


def test_the_administrator_role_opens_the_admin_without_a_staff_account(site):
    client = Client()
    client.force_login(site.admin)  # the administrator role, but not a staff account
    assert not site.admin.is_staff
    assert client.get(admin_url(RoleMembership, "changelist")).status_code == 200


def test_staff_without_the_administrator_role_may_not_grant_roles(site):
    clerk = User.objects.create_user("clerk", password=f.PASSWORD, is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__endswith="_rolemembership"))
    client = Client()
    client.force_login(clerk)
    # Staff status and Django permissions open nothing: the admin role does.
    response = client.get(admin_url(RoleMembership, "changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(admin_url(RoleMembership, "add"), {"user": site.nobody.pk, "role": Role.AUDITOR})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not RoleMembership.objects.filter(user=site.nobody).exists()


# --- Role memberships ---------------------------------------------------------------------------


def membership_data(user: Any, role: str, **area: Any) -> dict[str, Any]:
    data = {"user": user.pk, "role": role, "district": "", "province": "", "region": ""}
    data.update({"valid_from": "", "valid_until": ""})
    data.update({k: getattr(v, "pk", v) for k, v in area.items()})
    return data


def test_granting_a_role_in_the_admin_goes_through_the_service_and_is_audited(site):
    response = site.client.post(
        admin_url(RoleMembership, "add"),
        membership_data(site.nobody, Role.PROVINCIAL_OFFICER, province=site.p51, valid_until="31/12/2026"),
    )
    assert response.status_code == 302, errors_of(response, "province")
    membership = RoleMembership.objects.get(user=site.nobody)
    assert (membership.role, membership.province_id) == (Role.PROVINCIAL_OFFICER, "51")
    assert membership.granted_by == site.root
    assert membership.valid_until == datetime.date(2026, 12, 31)  # typed in CE in the English UI
    [event] = events("role_grant")
    assert event.actor == site.root and (event.role, event.area_code) == ("admin", "TH")
    assert (event.object_type, event.object_id) == ("role_membership", str(membership.pk))
    assert event.payload["user"] == "nobody" and event.payload["area"] == "51"
    assert event.chain == audit.NATIONAL_CHAIN


def test_a_district_role_is_recorded_in_the_district_chain_and_dates_are_be_in_thai(site):
    client = Client()  # Thai
    client.force_login(site.root)
    response = client.post(
        admin_url(RoleMembership, "add"),
        membership_data(site.nobody, Role.DISTRICT_OFFICER, district=site.d2, valid_from="01/10/2569"),
    )
    assert response.status_code == 302
    membership = RoleMembership.objects.get(user=site.nobody)
    assert membership.valid_from == datetime.date(2026, 10, 1)
    [event] = events("role_grant")
    assert event.chain == "5002" and event.district_id == "5002"


@pytest.mark.parametrize(
    ("role", "area", "field", "text"),
    [
        (Role.DISTRICT_OFFICER, {"province": "50"}, "district", "Choose one"),
        (Role.DISTRICT_OFFICER, {"province": "50"}, "province", "Leave this empty"),
        (Role.REGIONAL_INSPECTOR, {"district": "5001"}, "region", "Choose one"),
        (Role.AUDITOR, {"region": "R15"}, "region", "Leave this empty"),
    ],
)
def test_a_wrong_area_kind_is_a_field_error_and_nothing_is_granted(site, role, area, field, text):
    before = AuditEvent.objects.count()
    response = site.client.post(admin_url(RoleMembership, "add"), membership_data(site.nobody, role, **area))
    assert response.status_code == 200
    assert text in errors_of(response, field)
    assert "IntegrityError" not in response.content.decode()
    assert not RoleMembership.objects.filter(user=site.nobody).exists()
    assert AuditEvent.objects.count() == before


def test_a_bangkok_khet_is_refused_for_a_district_role(site):
    khet = District.objects.create(
        code="1001",
        province=Province.objects.create(code="10", name_th="กรุงเทพมหานคร"),
        name_th="พระนคร",
        is_programme_district=False,
    )
    response = site.client.post(
        admin_url(RoleMembership, "add"), membership_data(site.nobody, Role.DISTRICT_OFFICER, district=khet)
    )
    assert response.status_code == 200
    assert "khet" in errors_of(response, "district")


def test_validity_ending_before_it_starts_is_a_field_error(site):
    response = site.client.post(
        admin_url(RoleMembership, "add"),
        membership_data(site.nobody, Role.AUDITOR, valid_from="02/01/2026", valid_until="01/01/2026"),
    )
    assert response.status_code == 200
    assert "before its start" in errors_of(response, "valid_until")


def test_deleting_a_membership_revokes_it_through_the_service(site):
    membership = RoleMembership.objects.get(user=site.inspector)
    response = site.client.post(admin_url(RoleMembership, "delete", membership.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not RoleMembership.objects.filter(pk=membership.pk).exists()
    [event] = events("role_revoke")
    assert event.actor == site.root and event.payload == {
        "user": "inspector",
        "role": "regional_inspector",
        "area": "R15",
    }


def test_bulk_deleting_memberships_revokes_each(site):
    chosen = RoleMembership.objects.filter(user__username__in=["planner", "auditor"])
    response = site.client.post(
        admin_url(RoleMembership, "changelist"),
        {"action": "delete_selected", "_selected_action": [m.pk for m in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert not RoleMembership.objects.filter(user__username__in=["planner", "auditor"]).exists()
    assert sorted(e.payload["user"] for e in events("role_revoke")) == ["auditor", "planner"]


def test_an_existing_membership_cannot_be_edited_in_place(site):
    membership = RoleMembership.objects.get(user=site.officer)
    page = site.client.get(admin_url(RoleMembership, "change", membership.pk)).content.decode()
    assert 'name="role"' not in page and 'name="district"' not in page
    site.client.post(
        admin_url(RoleMembership, "change", membership.pk), {"role": Role.AUDITOR, "district": ""}
    )
    membership.refresh_from_db()
    assert (membership.role, membership.district_id) == (Role.DISTRICT_OFFICER, "5001")
    assert not events("role_grant") and not events("role_revoke")


# --- Users ---------------------------------------------------------------------------------------


def user_change_data(user: Any, memberships: list[RoleMembership], **extra: Any) -> dict[str, Any]:
    joined = user.date_joined.astimezone(datetime.UTC).astimezone()
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": joined.strftime("%H:%M:%S"),
        "role_memberships-TOTAL_FORMS": str(len(memberships) + 1),
        "role_memberships-INITIAL_FORMS": str(len(memberships)),
        "role_memberships-MIN_NUM_FORMS": "0",
        "role_memberships-MAX_NUM_FORMS": "1000",
    }
    for i, membership in enumerate(memberships):
        data[f"role_memberships-{i}-id"] = membership.pk
        data[f"role_memberships-{i}-user"] = user.pk
    n = len(memberships)
    data.update(
        {f"role_memberships-{n}-{name}": "" for name in ("id", "role", "district", "province", "region")}
    )
    data[f"role_memberships-{n}-user"] = user.pk
    data.update(extra)
    return data


def test_the_user_page_grants_and_revokes_roles_through_the_services(site):
    memberships = list(RoleMembership.objects.filter(user=site.officer2))
    assert len(memberships) == 1
    data = user_change_data(
        site.officer2,
        memberships,
        **{
            "role_memberships-0-DELETE": "on",
            "role_memberships-1-role": Role.DISTRICT_OFFICER,
            "role_memberships-1-district": "5002",
        },
    )
    response = site.client.post(admin_url(User, "change", site.officer2.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(RoleMembership.objects.filter(user=site.officer2).values_list("role", "district_id")) == [
        (Role.DISTRICT_OFFICER, "5002")
    ]
    assert [e.payload["area"] for e in events("role_revoke")] == ["5001"]
    assert [(e.payload["area"], e.chain) for e in events("role_grant")] == [("5002", "5002")]
    assert RoleMembership.objects.get(user=site.officer2).granted_by == site.root


def test_the_user_page_shows_a_wrong_area_beside_the_membership(site):
    data = user_change_data(
        site.nobody,
        [],
        **{"role_memberships-0-role": Role.PROVINCIAL_OFFICER, "role_memberships-0-district": "5001"},
    )
    response = site.client.post(admin_url(User, "change", site.nobody.pk), data)
    assert response.status_code == 200
    assert "Leave this empty" in response.content.decode()
    assert not RoleMembership.objects.filter(user=site.nobody).exists()


def test_changing_a_user_is_audited_without_secrets(site):
    data = user_change_data(site.nobody, [], email="new@example.org", is_staff="on")
    response = site.client.post(admin_url(User, "change", site.nobody.pk), data)
    assert response.status_code == 302
    [event] = events("admin_change")
    assert (event.object_type, event.object_id, event.chain) == ("auth.user", str(site.nobody.pk), "TH")
    assert event.payload["changed"]["email"] == {"from": "nobody@example.org", "to": "new@example.org"}
    assert event.payload["changed"]["is_staff"] == {"from": False, "to": True}
    assert event.actor == site.root

    response = site.client.post(
        reverse("admin:auth_user_password_change", args=[site.nobody.pk]),
        {
            "password1": "a-new-long-passphrase-42",
            "password2": "a-new-long-passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    site.nobody.refresh_from_db()
    assert site.nobody.check_password("a-new-long-passphrase-42")
    last = events("admin_change")[-1]
    assert last.payload["changed"] == {"password": {"from": "(changed)", "to": "(changed)"}}
    assert site.nobody.password not in str(AuditEvent.objects.values_list("payload", flat=True)[::1])


def test_adding_a_user_is_audited(site):
    response = site.client.post(
        admin_url(User, "add"),
        {
            "username": "newbie",
            "password1": "a-new-long-passphrase-42",
            "password2": "a-new-long-passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    [event] = events("admin_change")
    assert event.payload["is_new"] is True and event.object_id == str(newbie.pk)
    assert event.payload["changed"] == {"username": "newbie", "password": "(changed)"}


# --- Editions, regions, areas, bank entries --------------------------------------------------------


def edition_data(**values: Any) -> dict[str, Any]:
    data = {
        "code": "2571",
        "title": "ปีงบประมาณ 2571",
        "budget_cap": "150000.00",
        "deadline": "31/08/2028",
        "dimensions": ["economy", "social"],
        "central_email": "dopa.areaplan@gmail.com",
        "progress_reminder_days": "10",
    }
    data.update(values)
    return data


def test_editions_are_created_and_changed_through_the_service(site):
    response = site.client.post(admin_url(Edition, "add"), edition_data(active="on"))
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Edition.objects.get(code="2571")
    assert new.is_active and new.dimensions == ["economy", "social"]
    assert new.deadline == datetime.date(2028, 8, 31)
    site.edition.refresh_from_db()
    assert not site.edition.is_active  # activating one ends the other
    [created] = events("edition_create")
    assert created.payload["after"]["code"] == "2571" and created.actor == site.root

    response = site.client.post(
        admin_url(Edition, "change", new.pk), edition_data(title="แก้ไขแล้ว", active="on")
    )
    assert response.status_code == 302
    [updated] = events("edition_update")
    assert updated.payload["changed"] == {"title": {"from": "ปีงบประมาณ 2571", "to": "แก้ไขแล้ว"}}

    response = site.client.post(
        admin_url(Edition, "change", new.pk),
        edition_data(title="แก้ไขแล้ว", active="on", progress_reminder_days="7"),
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.progress_reminder_days == 7  # the officers' reminder comes after 7 quiet working days
    response = site.client.post(
        admin_url(Edition, "change", new.pk),
        edition_data(title="แก้ไขแล้ว", active="on", progress_reminder_days="0"),
    )
    assert response.status_code == 200 and errors_of(response, "progress_reminder_days")


def test_an_edition_with_projects_keeps_its_code_and_a_negative_cap_is_refused(site):
    response = site.client.post(
        admin_url(Edition, "change", site.edition.pk),
        edition_data(code="9999", budget_cap="-1", deadline="31/08/2028"),
    )
    assert response.status_code == 200
    assert "cannot change" in errors_of(response, "code")
    assert errors_of(response, "budget_cap")
    assert not events("edition_update")


def test_changing_a_region_is_audited_with_its_provinces(site):
    response = site.client.post(
        admin_url(InspectionRegion, "change", "R15"), {"name": "เขต 15", "provinces": ["50", "51"]}
    )
    assert response.status_code == 302
    region = InspectionRegion.objects.get(code="R15")
    assert sorted(region.provinces.values_list("code", flat=True)) == ["50", "51"]
    [event] = events("admin_change")
    assert event.chain == "TH" and event.object_type == "workflow.inspectionregion"
    assert event.payload["changed"]["provinces"] == {"from": ["50"], "to": ["50", "51"]}
    assert event.payload["changed"]["name"] == {"from": "เขตตรวจราชการที่ 15", "to": "เขต 15"}


def test_saving_without_changes_records_nothing(site):
    response = site.client.post(
        admin_url(InspectionRegion, "change", "R15"), {"name": "เขตตรวจราชการที่ 15", "provinces": ["50"]}
    )
    assert response.status_code == 302
    assert not events("admin_change")


def test_only_area_names_can_be_edited(site):
    assert site.client.get(admin_url(District, "add")).status_code == 403
    assert site.client.get(admin_url(Province, "delete", "50")).status_code == 403
    response = site.client.post(
        admin_url(District, "change", "5001"),
        {"name_th": "เมืองเชียงใหม่ (ใหม่)", "name_en": "Mueang", "is_programme_district": "", "province": "51"},
    )
    assert response.status_code == 302
    district = District.objects.get(code="5001")
    assert district.name_th == "เมืองเชียงใหม่ (ใหม่)"
    assert district.is_programme_district and district.province_id == "50"  # read-only
    [event] = events("admin_change")
    assert event.chain == "5001" and set(event.payload["changed"]) == {"name_th", "name_en"}


def test_changing_and_deleting_a_bank_entry_is_audited_in_its_district_chain(site):
    entry = site.entry2
    response = site.client.post(
        admin_url(BankEntry, "change", entry.pk),
        {
            "code": entry.code,
            "subdistrict": entry.subdistrict_id,
            "title": "ตลาดชุมชน",
            "description": entry.description,
            "dimension": "economy",
            "estimated_budget": "45000.00",
            "source_year": "",
        },
    )
    assert response.status_code == 302
    [event] = events("admin_change")
    assert event.chain == "5001" and event.payload["changed"]["title"]["to"] == "ตลาดชุมชน"
    assert event.payload["changed"]["estimated_budget"] == {"from": "50000.00", "to": "45000.00"}

    response = site.client.post(admin_url(BankEntry, "delete", entry.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not BankEntry.objects.filter(pk=entry.pk).exists()
    [deleted] = events("admin_delete")
    assert deleted.chain == "5001" and deleted.payload["values"]["code"] == "B-2"
    # An entry a project was selected from cannot be deleted; nothing is recorded.
    response = site.client.post(admin_url(BankEntry, "delete", site.entry.pk), {"post": "yes"})
    assert BankEntry.objects.filter(pk=site.entry.pk).exists()
    assert len(events("admin_delete")) == 1


# --- The bank upload ------------------------------------------------------------------------------

GOOD_CSV = (
    "code,subdistrict_code,title,description,dimension,estimated_budget\n"
    'N-1,500101,ฝายชะลอน้ำ,,environment,"80,000"\n'
    "B-1,500101,ส่งเสริมอาชีพ (แก้ไข),,economy,50000\n"
)
BAD_CSV = (
    "code,subdistrict_code,title,description,dimension,estimated_budget\n"
    "N-1,500101,ฝายชะลอน้ำ,,environment,80000\n"
    "N-2,500102,ตลาด,,market,20000\n"
)


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_the_bank_changelist_links_the_upload_page(site):
    page = site.client.get(admin_url(BankEntry, "changelist")).content.decode()
    assert reverse("admin:workflow_bankentry_import") in page


def test_the_bank_upload_imports_a_csv(site):
    url = reverse("admin:workflow_bankentry_import")
    assert site.client.get(url).status_code == 200
    response = site.client.post(url, {"file": upload("bank.csv", GOOD_CSV)}, follow=True)
    assert response.status_code == 200
    assert "2 entries imported: 1 new, 1 updated." in response.content.decode()
    assert BankEntry.objects.get(code="N-1").estimated_budget == 80000
    assert BankEntry.objects.get(code="B-1").title == "ส่งเสริมอาชีพ (แก้ไข)"
    [event] = events("bank_import")
    assert event.actor == site.root and event.payload["source"] == "bank.csv"


def test_a_bad_file_names_the_line_and_column_and_imports_nothing(site):
    before = (BankEntry.objects.count(), AuditEvent.objects.count())
    response = site.client.post(
        reverse("admin:workflow_bankentry_import"), {"file": upload("bank.csv", BAD_CSV)}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "bank.csv line 3, column dimension" in page and "market" in page
    assert "Nothing was imported." in page
    assert (BankEntry.objects.count(), AuditEvent.objects.count()) == before
    assert not BankEntry.objects.filter(code="N-1").exists()


def test_the_upload_refuses_other_file_kinds(site):
    response = site.client.post(
        reverse("admin:workflow_bankentry_import"), {"file": upload("bank.txt", GOOD_CSV)}
    )
    assert response.status_code == 422
    assert ".csv or .xlsx" in response.content.decode()
    assert not BankEntry.objects.filter(code="N-1").exists()


def test_the_upload_is_for_administrators_only(site):
    clerk = User.objects.create_user("clerk", password=f.PASSWORD, is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__endswith="_bankentry"))
    client = Client()
    client.force_login(clerk)
    response = client.get(reverse("admin:workflow_bankentry_import"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- The trail and projects are read-only ----------------------------------------------------------


def test_audit_events_cannot_be_added_changed_or_deleted_in_the_admin(site):
    event = AuditEvent.objects.get()
    change_url = admin_url(AuditEvent, "change", event.pk)
    page = site.client.get(change_url).content.decode()
    assert event.hash in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert admin_url(AuditEvent, "delete", event.pk) not in page
    changelist = site.client.get(admin_url(AuditEvent, "changelist")).content.decode()
    assert "delete_selected" not in changelist and admin_url(AuditEvent, "add") not in changelist

    assert site.client.post(change_url, {"comment": "forged"}).status_code == 403
    assert site.client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert site.client.get(admin_url(AuditEvent, "add")).status_code == 403
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.comment == "" and audit.verify() == []


def test_projects_are_read_only_in_the_admin(site):
    url = admin_url(type(site.project), "change", site.project.pk)
    page = site.client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert (
        reverse("audit-project", args=[site.project.pk])
        in site.client.get(admin_url(type(site.project), "changelist")).content.decode()
    )
    assert site.client.post(url, {"state": "approved"}).status_code == 403
    site.project.refresh_from_db()
    assert site.project.state == "selected"


def test_delegations_can_be_revoked_and_the_revocation_is_audited(site):
    today = timezone.localdate()
    delegation = Delegation.objects.create(
        delegator=site.chief, delegate=site.officer2, district=site.d1, starts_on=today, ends_on=today
    )
    assert site.client.get(admin_url(Delegation, "add")).status_code == 403
    response = site.client.post(
        admin_url(Delegation, "changelist"), {"action": "revoke", "_selected_action": [delegation.pk]}
    )
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    [event] = events("admin_change")
    assert event.chain == "5001" and event.object_type == "workflow.delegation"
    assert list(event.payload["changed"]) == ["revoked_at"]


def test_public_holidays_are_added_with_buddhist_era_dates_and_audited(site):
    client = Client()  # Thai
    client.force_login(site.root)
    response = client.post(admin_url(Holiday, "add"), {"date": "12/08/2564", "name": "วันแม่แห่งชาติ"})
    assert response.status_code == 302
    holiday = Holiday.objects.get()
    assert holiday.date == datetime.date(2021, 8, 12)
    [event] = events("admin_change")
    assert event.object_type == "workflow.holiday" and event.chain == "TH"
    assert event.payload["changed"] == {"date": "2021-08-12", "name": "วันแม่แห่งชาติ"}
    # A CE year typed in the Thai UI is refused, never read as a date 543 years off.
    response = client.post(admin_url(Holiday, "add"), {"date": "13/08/2021", "name": "x"})
    assert response.status_code == 200 and errors_of(response, "date")
    assert Holiday.objects.count() == 1


def test_viewflow_processes_and_tasks_are_read_only_in_the_admin(site):
    from viewflow.workflow.models import Task

    task = Task.objects.order_by("pk").first()
    assert task is not None
    url = admin_url(Task, "change", task.pk)
    assert 'name="_save"' not in site.client.get(url).content.decode()
    assert site.client.post(url, {"owner_permission": "x"}).status_code == 403
    assert site.client.post(admin_url(Task, "delete", task.pk), {"post": "yes"}).status_code == 403
