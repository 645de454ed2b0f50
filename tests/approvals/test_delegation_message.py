"""The chief is told who acts for them and when, with the dates as every page shows them."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from tests import factories as f
from workflow.dates import BE_OFFSET, THAI_MONTHS_SHORT


def _said(client: Client, payload: dict[str, str]) -> str:
    response = client.post("/delegation/", payload, follow=True)
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_the_success_message_shows_thai_dates_in_thai_and_english_dates_in_english(world):
    f.user_with("deputy", "district_officer", world.d1, first_name="สมชาย", last_name="ใจดี")
    start = timezone.localdate() + datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=6)

    thai = Client(HTTP_ACCEPT_LANGUAGE="th")
    thai.force_login(world.chief)
    be = f"{start.day:02d}/{start.month:02d}/{start.year + BE_OFFSET}"
    be_end = f"{end.day:02d}/{end.month:02d}/{end.year + BE_OFFSET}"
    said = _said(thai, {"district": "5001", "delegate": "deputy", "starts_on": be, "ends_on": be_end})
    assert f"{start.day} {THAI_MONTHS_SHORT[start.month - 1]} {start.year + BE_OFFSET}" in said
    assert f"{end.day} {THAI_MONTHS_SHORT[end.month - 1]} {end.year + BE_OFFSET}" in said
    assert be not in said and "/" not in said, said
    assert "สมชาย ใจดี (deputy)" in said

    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.chief)
    later, later_end = end + datetime.timedelta(days=1), end + datetime.timedelta(days=2)
    said = _said(
        english,
        {
            "district": "5001",
            "delegate": "deputy",
            "starts_on": later.strftime("%d/%m/%Y"),
            "ends_on": later_end.strftime("%d/%m/%Y"),
        },
    )
    assert (
        f"from {later.day} {later:%b} {later.year} until {later_end.day} {later_end:%b} {later_end.year}"
        in said
    )
