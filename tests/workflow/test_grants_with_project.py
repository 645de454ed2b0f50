"""A transition reads the user's grants with the project where that saves a statement
(PostgreSQL): the project is then found exactly when ``access.visibility`` would find it, and
the grants read with it are those ``access.principal_for`` reads on its own. Every role over
its kind of area, memberships outside their dates, and acting officials' delegations
(running, revoked, over, and one whose delegator no longer holds the role)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from workflow import access, selectors, sql
from workflow.errors import NotFound
from workflow.models import Delegation, District, Province, Role, RoleMembership

User = get_user_model()


def found(user_pk: int, project_pk: int, *, grants_first: bool) -> tuple[bool, int]:
    """Whether the user's read of the project finds it, and its statements: with the grants
    read first (visibility worked out in Python), or not yet read (read with the project where
    the database allows)."""
    user = User.objects.get(pk=user_pk)
    if grants_first:
        access.principal_for(user)
    with CaptureQueriesContext(connection) as seen:
        try:
            selectors.project_for_transition(user, project_pk)
        except NotFound:
            return False, len(seen)
    if not grants_first:  # the grants came with the project: the ones read on their own
        alone = access.principal_for(User.objects.get(pk=user_pk)).grants
        assert access.cached_principal(user) is not None
        assert sorted(map(repr, access.cached_principal(user).grants)) == sorted(map(repr, alone))
    return True, len(seen)


def delegate(delegator: Any, username: str, district: Any, **dates: Any) -> Any:
    today = timezone.localdate()
    acting = f.user_with(username)
    values = {"starts_on": today - datetime.timedelta(days=1), "ends_on": today + datetime.timedelta(days=1)}
    Delegation.objects.create(
        delegator=delegator, delegate=acting, role=Role.DISTRICT_CHIEF, district=district, **(values | dates)
    )
    return acting


@pytest.mark.django_db
def test_a_project_read_with_the_grants_is_seen_as_the_grants_read_alone_see_it(world):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    d1, d2 = District.objects.get(code="5001"), District.objects.get(code="5002")
    expired = f.user_with("expired_chief")
    f.grant(expired, Role.DISTRICT_CHIEF, d1)
    RoleMembership.objects.filter(user=expired).update(valid_until=today - day)
    future = f.user_with("future_chief")
    f.grant(future, Role.DISTRICT_CHIEF, d1)
    RoleMembership.objects.filter(user=future).update(valid_from=today + day)
    both = f.user_with("two_roles", Role.DISTRICT_OFFICER, d2)
    f.grant(both, Role.PROVINCIAL_OFFICER, Province.objects.get(code="51"))
    users = [
        *(value for value in vars(world).values() if isinstance(value, User)),
        expired,
        future,
        both,
        delegate(world.chief, "acting_chief", d1),
        delegate(world.chief, "revoked_acting", d1, revoked_at=timezone.now()),
        delegate(world.chief, "past_acting", d1, starts_on=today - 9 * day, ends_on=today - day),
        delegate(expired, "acting_for_no_chief", d1),
    ]
    projects = [
        f.make_project(world.officer, world.entry).pk,
        f.make_project(world.other_officer, world.other_entry).pk,
    ]
    outcomes = set()
    for user in users:
        for project in projects:
            seen_alone, after_grants = found(user.pk, project, grants_first=True)
            seen_with, statements = found(user.pk, project, grants_first=False)
            assert seen_with == seen_alone, (user.username, project)
            # The grants with the project in one statement where the database allows; else the
            # grants' statement and the project's (none when the grants see nowhere).
            assert statements == (1 if sql.reads_grants_with_project(connection.vendor) else 1 + after_grants)
            outcomes.add((user.username, seen_alone))
    seen_by = {name for name, seen in outcomes if seen}
    assert {"chief", "acting_chief", "provincial", "inspector", "planner", "auditor", "admin"} <= seen_by
    assert not seen_by & {"nobody", "expired_chief", "future_chief", "revoked_acting", "past_acting"}
    assert "acting_for_no_chief" not in seen_by and "other_provincial" not in seen_by
