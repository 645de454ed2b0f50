"""The acting-officials page of a district chief."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories as f
from workflow.models import Delegation

TODAY = timezone.localdate()


def be(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def browser(user, language="th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_chief_names_an_acting_official_with_be_dates(world):
    deputy = f.user_with("deputy", "district_officer", world.d1)
    f.grant(deputy, "district_officer", world.d1)
    client = browser(world.chief)
    page = client.get("/delegation/")
    assert page.status_code == 200
    assert '<option value="deputy">' in page.content.decode()
    end = TODAY + datetime.timedelta(days=10)
    response = client.post(
        "/delegation/", {"district": "5001", "delegate": "deputy", "starts_on": be(TODAY), "ends_on": be(end)}
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.delegate, delegation.starts_on, delegation.ends_on) == (deputy, TODAY, end)
    listing = client.get("/delegation/").content.decode()
    assert str(end.year + 543) in listing


def test_errors_are_shown_beside_the_fields_and_nothing_is_saved(world):
    client = browser(world.chief)
    response = client.post(
        "/delegation/",
        {"district": "5001", "delegate": "deputy", "starts_on": be(TODAY), "ends_on": "31/08/2021"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_ends_on_error"' in html  # a CE year in the Thai UI is refused, never read as BE
    assert 'id="id_delegate_error"' in html  # "deputy" is no official of the district
    assert 'value="31/08/2021"' in html
    unknown = client.post(
        "/delegation/",
        {"district": "5001", "delegate": "ghost", "starts_on": be(TODAY), "ends_on": be(TODAY)},
    )
    assert unknown.status_code == 422
    assert 'id="id_delegate_error"' in unknown.content.decode()
    assert not Delegation.objects.exists()


def test_ending_a_delegation(world):
    deputy = f.user_with("deputy", "district_officer", world.d1)
    client = browser(world.chief)
    client.post(
        "/delegation/",
        {"district": "5001", "delegate": "deputy", "starts_on": be(TODAY), "ends_on": be(TODAY)},
    )
    delegation = Delegation.objects.get()
    assert browser(world.chief).post(f"/delegation/{delegation.pk}/end/").status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert browser(world.other_chief).post(f"/delegation/{delegation.pk}/end/").status_code == 404
    assert deputy.pk


@pytest.mark.parametrize("user_attr", ["officer", "auditor", "inspector", "nobody"])
def test_only_chiefs_open_the_page(world, user_attr):
    assert browser(getattr(world, user_attr)).get("/delegation/").status_code == 403


def test_anonymous_goes_to_login(db):
    response = Client().get("/delegation/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
