"""The admin role (ผู้ดูแลระบบ) opens the Django admin: a user made administrator with
``grant_role`` alone configures the service there, is out on the next request after
``revoke_role`` or once the membership has expired, and may change only what the admin pages
are for. Every registered admin page is checked against every role."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Process, Task

from tests import factories as f
from workflow import access
from workflow.admin_site import RoleModelAdminSite
from workflow.errors import Forbidden
from workflow.models import AreaKind, AuditEvent, BankEntry, Project, Role, RoleMembership
from workflow.services import roles

User = get_user_model()
PASSWORD = "a-long-admin-passphrase-42"
BANK_CSV = (
    "code,subdistrict_code,title,description,dimension,estimated_budget\n"
    'N-1,500101,ฝายชะลอน้ำ,,environment,"80,000"\n'
)


def command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def admin_url(model: Any, view: str, *args: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def log_in_at_the_admin(username: str, password: str = PASSWORD) -> Client:
    """Log in the way a person does: the admin's own login form."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:index"), (
        response.content.decode()[:2000]
    )
    return client


@pytest.fixture
def alice(world: SimpleNamespace) -> Any:
    """Alice, made administrator by the command an operator runs, and nothing else."""
    out = command("grant_role", "alice", "admin", "TH", "--create-user", "--password", PASSWORD)
    assert "alice: admin over TH" in out
    user = User.objects.get(username="alice")
    assert not user.is_superuser and not user.is_staff
    return user


# --- A role administrator at work, then revoked -----------------------------------------------------


def test_an_administrator_made_by_grant_role_configures_the_service_until_revoked(world, alice):
    client = log_in_at_the_admin("alice")
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    page = index.content.decode()
    for model in (RoleMembership, User, BankEntry):
        assert admin_url(model, "changelist") in page
    assert admin_url(get_user_model()._meta.apps.get_model("auth", "Group"), "changelist") not in page
    # The site's header links to the admin for her.
    assert reverse("admin:index") in client.get(reverse("inbox")).content.decode()

    # She grants a role through the admin form: the service records it, under her name.
    response = client.post(
        admin_url(RoleMembership, "add"),
        {
            "user": world.nobody.pk,
            "role": Role.DISTRICT_OFFICER,
            "district": "5002",
            "province": "",
            "region": "",
            "valid_from": "",
            "valid_until": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = RoleMembership.objects.get(user=world.nobody)
    assert (membership.role, membership.district_id, membership.granted_by) == (
        Role.DISTRICT_OFFICER,
        "5002",
        alice,
    )
    grant_event = AuditEvent.objects.filter(action="role_grant", object_id=str(membership.pk)).get()
    assert grant_event.actor == alice and (grant_event.role, grant_event.area_code) == ("admin", "TH")

    # She uploads the project bank.
    upload = SimpleUploadedFile("bank.csv", BANK_CSV.encode(), content_type="text/csv")
    response = client.post(reverse("admin:workflow_bankentry_import"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "1 entries imported: 1 new, 0 updated." in response.content.decode()
    assert BankEntry.objects.get(code="N-1").estimated_budget == 80000
    assert AuditEvent.objects.get(action="bank_import").actor == alice

    # Revoked by the operator: the very same session is sent to the admin's login page.
    command("revoke_role", "alice", "admin", "TH")
    response = client.get(reverse("admin:index"))
    assert sent_to_login(response)
    assert sent_to_login(client.get(admin_url(RoleMembership, "changelist")))
    response = client.post(
        admin_url(RoleMembership, "add"),
        {"user": world.nobody.pk, "role": Role.AUDITOR, "district": "", "province": "", "region": ""},
    )
    assert sent_to_login(response)
    assert not RoleMembership.objects.filter(user=world.nobody, role=Role.AUDITOR).exists()
    login_page = client.get(response["Location"]).content.decode()
    assert "not authorized to access this page" in login_page
    assert reverse("admin:index") not in client.get(reverse("inbox")).content.decode()

    # Both changes of the admin role are in the trail like any other role change.
    changes = [
        (e.action, e.payload["user"], e.payload["role"], e.payload["area"])
        for e in AuditEvent.objects.filter(action__in=["role_grant", "role_revoke"], payload__user="alice")
    ]
    assert changes == [("role_grant", "alice", "admin", "TH"), ("role_revoke", "alice", "admin", "TH")]


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "opens"),
    [
        (None, -1, False),  # expired yesterday
        (None, 0, True),  # last day today
        (1, None, False),  # starts tomorrow
        (0, None, True),  # starts today
    ],
)
def test_the_admin_role_opens_the_admin_only_while_it_is_in_force(world, valid_from, valid_until, opens):
    today = timezone.localdate()
    args = ["grant_role", "bob", "admin", "TH", "--create-user", "--password", PASSWORD]
    if valid_from is not None:
        args += ["--valid-from", (today + datetime.timedelta(days=valid_from)).isoformat()]
    if valid_until is not None:
        args += ["--valid-until", (today + datetime.timedelta(days=valid_until)).isoformat()]
    command(*args)
    client = Client()
    client.force_login(User.objects.get(username="bob"))
    response = client.get(admin_url(RoleMembership, "changelist"))
    assert (response.status_code == 200) is opens
    assert sent_to_login(response) is not opens


def test_a_deactivated_administrator_is_out(world):
    client = Client()
    client.force_login(world.admin)
    assert client.get(reverse("admin:index")).status_code == 200
    User.objects.filter(pk=world.admin.pk).update(is_active=False)
    assert sent_to_login(client.get(reverse("admin:index")))


def test_a_district_chief_gets_the_login_page(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.chief)
    response = client.get(reverse("admin:index"))
    assert sent_to_login(response)
    page = client.get(response["Location"]).content.decode()
    assert "You are authenticated as chief, but are not authorized to access this page" in page
    assert reverse("admin:index") not in client.get(reverse("inbox")).content.decode()


def test_a_superuser_made_with_createsuperuser_still_opens_the_admin(world):
    call_command("createsuperuser", "--noinput", "--username", "operator", "--email", "op@example.org")
    client = Client()
    client.force_login(User.objects.get(username="operator"))
    assert client.get(reverse("admin:index")).status_code == 200


# --- What a role administrator may not do --------------------------------------------------------


@pytest.fixture
def admin_client(world: SimpleNamespace) -> Client:
    world.project = f.make_project(world.officer, world.entry, "10000.00")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    return client


def test_a_role_administrator_cannot_change_the_trail_projects_or_viewflow_rows(world, admin_client):
    event = AuditEvent.objects.order_by("id").first()
    task = Task.objects.order_by("pk").first()
    process = Process.objects.order_by("pk").first()
    assert event is not None and task is not None and process is not None
    for model, obj, data in (
        (AuditEvent, event, {"comment": "forged"}),
        (Project, world.project, {"state": "approved"}),
        (Task, task, {"status": "DONE"}),
        (Process, process, {"status": "DONE"}),
    ):
        assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200  # looked at
        assert admin_client.post(admin_url(model, "change", obj.pk), data).status_code == 403
        assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert admin_client.get(admin_url(model, "add")).status_code == 403
    world.project.refresh_from_db()
    assert world.project.state == "selected"
    assert AuditEvent.objects.get(pk=event.pk).comment == event.comment


def test_a_role_administrator_cannot_make_a_superuser_or_take_over_one(world, admin_client):
    page = admin_client.get(admin_url(User, "change", world.nobody.pk)).content.decode()
    assert 'name="email"' in page and 'name="is_active"' in page
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    root = User.objects.create_superuser("root", "root@example.org", f.PASSWORD)
    assert admin_client.post(admin_url(User, "change", root.pk), {"username": "root2"}).status_code == 403
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "taken-over-passphrase-42", "password2": "taken-over-passphrase-42"},
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.username == "root" and root.check_password(f.PASSWORD)
    assert admin_client.get(admin_url(User, "delete", world.nobody.pk)).status_code == 403


def province_admin(user: Any) -> Any:
    """An administrator held over province 50 only (the model allows none yet: a stand-in)."""
    grant = access.Grant(role=Role.ADMIN, area_kind=AreaKind.PROVINCE, area_code="50", province_code="50")
    real = access.admin_grant

    def admin_grant(principal: access.Principal) -> access.Grant | None:
        return grant if principal.user is not None and principal.user.pk == user.pk else real(principal)

    return admin_grant


@pytest.mark.parametrize(
    ("role", "area", "allowed"),
    [
        (Role.DISTRICT_OFFICER, "5002", True),
        (Role.PROVINCIAL_OFFICER, "50", True),
        (Role.DISTRICT_OFFICER, "5101", False),
        (Role.PROVINCIAL_OFFICER, "51", False),
        (Role.REGIONAL_INSPECTOR, "R15", False),
        (Role.AUDITOR, "TH", False),
        (Role.ADMIN, "TH", False),
    ],
)
def test_an_administrator_grants_and_revokes_only_inside_their_own_area(
    world, monkeypatch, role, area, allowed
):
    monkeypatch.setattr(access, "admin_grant", province_admin(world.nobody))
    before = AuditEvent.objects.count()
    if allowed:
        roles.role_grant(acting_user=world.nobody, user=world.officer2, role=role, area_code=area)
        assert roles.role_revoke(acting_user=world.nobody, user=world.officer2, role=role, area_code=area)
        assert AuditEvent.objects.count() == before + 2
        return
    with pytest.raises(Forbidden):
        roles.role_grant(acting_user=world.nobody, user=world.officer2, role=role, area_code=area)
    f.grant(world.officer2, role, {"5101": world.d3, "51": world.p51, "R15": world.region}.get(area))
    with pytest.raises(Forbidden):
        roles.role_revoke(acting_user=world.nobody, user=world.officer2, role=role, area_code=area)
    assert AuditEvent.objects.count() == before
    assert RoleMembership.objects.filter(user=world.officer2, role=role).exists()


def test_the_country_administrator_grants_anywhere(world):
    grant = access.admin_grant(access.principal_for(world.admin))
    assert grant is not None and grant.area_kind == AreaKind.COUNTRY
    for area in ({}, {"district": world.d3}, {"province": world.p51}, {"region": world.region2}):
        assert access.admin_covers_area(grant, area)


# --- Every admin page, every role ---------------------------------------------------------------------

# What a role administrator gets on each registered changelist: 200 (listed) or 403 (not theirs).
# A model registered in the admin without a line here fails the matrix.
ROLE_ADMIN_CHANGELISTS = {
    "auth.user": 200,
    "auth.group": 403,  # Django groups and permissions: superusers only
    "axes.accessattempt": 403,
    "axes.accesslog": 403,
    "axes.accessfailurelog": 403,
    "workflow.province": 200,
    "workflow.district": 200,
    "workflow.subdistrict": 200,
    "workflow.inspectionregion": 200,
    "workflow.rolemembership": 200,
    "workflow.edition": 200,
    "workflow.rolemodeldistrict": 200,
    "workflow.holiday": 200,
    "workflow.bankentry": 200,
    "workflow.auditevent": 200,  # read only
    "workflow.project": 200,  # read only
    "workflow.disbursement": 200,  # read only: recorded by the province on its page
    "workflow.delegation": 200,  # looked at and revoked
    "viewflow.process": 200,  # read only
    "viewflow.task": 200,  # read only
    "notifications.notification": 200,  # read only
    "notifications.notificationpreference": 200,
    "reports.reportbook": 200,  # read only
    "reports.submissionreceipt": 200,  # read only
    "reports.coveringletter": 200,  # read only
    "reports.booksettings": 200,  # the emblem (PNG/JPEG), through the audited service
}
# Who is who: the role's standard user of the ``world`` fixture, each in their own area.
PEOPLE = {
    "anonymous": None,
    "district_officer@5001": "officer",
    "district_chief@5001": "chief",
    "provincial_officer@50": "provincial",
    "regional_inspector@R15": "inspector",
    "central_planner@TH": "planner",
    "auditor@TH": "auditor",
    "no_role": "nobody",
    "admin@TH": "admin",
    "superuser": "root",
}


def registered() -> list[str]:
    return sorted(model._meta.label_lower for model in django_admin.site._registry)


def test_the_admin_site_is_the_role_model_site_and_every_page_has_an_expectation():
    assert isinstance(django_admin.site, RoleModelAdminSite)
    assert registered() == sorted(ROLE_ADMIN_CHANGELISTS)


def expected(person: str, label: str) -> int | str:
    if person == "superuser":
        return 200
    if person == "admin@TH":
        return ROLE_ADMIN_CHANGELISTS.get(label, "no expectation")
    return "login"


@pytest.mark.parametrize("person", list(PEOPLE))
def test_every_admin_changelist_for_every_role(world, person):
    User.objects.create_superuser("root", "root@example.org", f.PASSWORD)
    client = Client()
    if PEOPLE[person] is not None:
        client.force_login(User.objects.get(username=PEOPLE[person]))
    index = client.get(reverse("admin:index"))
    assert (index.status_code == 200) if person in ("admin@TH", "superuser") else sent_to_login(index)
    seen, wanted = {}, {}
    for model in django_admin.site._registry:
        label = model._meta.label_lower
        response = client.get(admin_url(model, "changelist"))
        seen[label] = "login" if sent_to_login(response) else response.status_code
        wanted[label] = expected(person, label)
    assert seen == wanted


def test_the_admin_login_form_refuses_a_correct_password_without_the_admin_role(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("admin:login"),
        {"username": "chief", "password": f.PASSWORD, "next": reverse("admin:index")},
    )
    assert response.status_code == 200
    assert "password of an administrator (the admin role)" in response.content.decode()
    assert sent_to_login(client.get(reverse("admin:index")))
