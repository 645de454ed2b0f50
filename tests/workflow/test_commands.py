"""grant_role / revoke_role / seed_demo / verify_audit, as an administrator runs them."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from workflow import audit
from workflow.models import AuditEvent, Project, RoleMembership, State


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_grant_role_creates_user_and_membership_over_each_area_kind(world):
    run(
        "grant_role",
        "newchief",
        "district_chief",
        "5002",
        "--create-user",
        "--password",
        "s3cret-pass",
        "--email",
        "c@x.org",
    )
    user = get_user_model().objects.get(username="newchief")
    assert user.check_password("s3cret-pass") and user.email == "c@x.org"
    run("grant_role", "newchief", "provincial_officer", "50")
    run("grant_role", "newchief", "regional_inspector", "R15")
    run("grant_role", "newchief", "auditor", "TH")
    held = sorted(RoleMembership.objects.filter(user=user).values_list("role", flat=True))
    assert held == ["auditor", "district_chief", "provincial_officer", "regional_inspector"]
    grants = AuditEvent.objects.filter(action="role_grant", payload__user="newchief")
    assert grants.count() == 4
    assert grants.filter(chain="5002").count() == 1  # a district role lands in the district's chain


def test_grant_role_refuses_wrong_area_kinds_and_unknown_users(world):
    with pytest.raises(CommandError, match=r"area \[wrong_area_kind\]"):
        run("grant_role", "officer", "district_officer", "50")
    with pytest.raises(CommandError, match=r"area \[wrong_area_kind\].*TH"):
        run("grant_role", "officer", "auditor", "5001")
    with pytest.raises(CommandError, match="create-user"):
        run("grant_role", "ghost", "auditor", "TH")
    with pytest.raises(CommandError):
        run("grant_role", "officer", "no_such_role", "TH")


def test_grant_is_idempotent_and_revoke_removes_access(world):
    run("grant_role", "nobody", "district_chief", "5001")
    run("grant_role", "nobody", "district_chief", "5001")
    assert RoleMembership.objects.filter(user=world.nobody).count() == 1
    run("revoke_role", "nobody", "district_chief", "5001")
    assert not RoleMembership.objects.filter(user=world.nobody).exists()
    assert AuditEvent.objects.filter(action="role_revoke", payload__user="nobody").count() == 1
    with pytest.raises(CommandError):
        run("revoke_role", "nobody", "district_chief", "5001")


def test_bangkok_khet_are_not_programme_districts(world):
    from workflow.models import District, Province

    bangkok = Province.objects.create(code="10", name_th="กรุงเทพมหานคร")
    District.objects.create(code="1001", province=bangkok, name_th="พระนคร", is_programme_district=False)
    with pytest.raises(CommandError, match=r"\[not_programme_district\]"):
        run("grant_role", "officer", "district_officer", "1001")


def test_verify_audit_ok_on_a_clean_trail(world):
    from tests import factories as f

    f.make_project(world.officer, world.entry)
    assert "OK" in run("verify_audit")
    assert "OK" in run("verify_audit", "--district", "5001")


@pytest.mark.django_db
def test_seed_demo_from_the_small_fixture_is_idempotent_and_covers_every_state(tmp_path):
    with override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"):
        first = run("seed_demo")
        second = run("seed_demo")
    assert "small demo fixture" in first
    assert "Demo projects created now: 9" in first
    assert "Demo projects created now: 0" in second
    for username in ("officer", "chief", "provincial", "inspector", "planner", "auditor", "admin"):
        assert username in first
    states = set(Project.objects.values_list("state", flat=True))
    assert states == set(State.values)
    # Chom Thong's submission carries its report book, made from parts 1 and 2 of both districts.
    from reports.models import DistrictProfile, ReportBook

    assert ReportBook.objects.get().submission.district_id == "5002"
    assert set(DistrictProfile.objects.values_list("district_id", flat=True)) == {"5001", "5002"}
    assert audit.verify() == []
    assert get_user_model().objects.get(username="chief").check_password("rolemodel-demo")
