"""Date boxes: in Thai only DD/MM/YYYY in the Buddhist Era; in English CE, never a BE year read as CE."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
from django import forms
from django.test import Client
from django.utils import translation

from tests import factories as f
from workflow.dates import DateInputError, date_format_message, parse_date_input
from workflow.models import Project
from workflow.rules import RuleResult
from workflow.web.forms import BEDateField

JAN_15 = datetime.date(2027, 1, 15)


@pytest.mark.parametrize("typed", ["15/01/2570", "15/1/2570", " 15 / 01 / 2570 "])
def test_thai_reads_a_buddhist_era_date(typed: str) -> None:
    assert parse_date_input(typed, "th") == JAN_15


@pytest.mark.parametrize(
    "typed",
    [
        "2027-01-15",  # ISO: was taken silently as CE
        "15/01/2027",  # a CE year
        "2570-07-31",  # ISO with a BE year: was read as CE 2570 ("past the deadline")
        "15-01-2570",
        "15/01/70",
        "tomorrow",
    ],
)
def test_thai_refuses_anything_else_with_the_expected_form(typed: str) -> None:
    with translation.override("th"):
        with pytest.raises(DateInputError) as caught:
            parse_date_input(typed)
        expected = date_format_message("th")
    message = str(caught.value)
    assert message == expected
    assert "วว/ดด/ปปปป" in message and "พุทธศักราช" in message
    assert re.search(r"15/01/25\d\d", message)  # the example is in the Buddhist Era


def test_thai_message_in_english_names_the_same_form() -> None:
    with translation.override("en"):
        message = date_format_message("th")
    assert "DD/MM/YYYY" in message and "Buddhist Era" in message and re.search(r"15/01/25\d\d", message)


def test_a_date_that_does_not_exist_is_refused_in_both_languages() -> None:
    for language, typed in (("th", "31/02/2570"), ("en", "31/02/2027"), ("en", "2027-02-31")):
        with translation.override(language), pytest.raises(DateInputError) as caught:
            parse_date_input(typed)
        assert str(caught.value)  # a sentence, not Python's "day is out of range for month"
        assert "out of range" not in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("15/01/2027", JAN_15), ("2027-01-15", JAN_15), ("15/01/2570", JAN_15)],
)
def test_english_keeps_ce_and_reads_a_be_year_as_be(typed: str, expected: datetime.date) -> None:
    assert parse_date_input(typed, "en") == expected


@pytest.mark.parametrize("typed", ["2570-07-31", "31 July 2027", "07/31"])
def test_english_never_reads_a_be_year_as_ce(typed: str) -> None:
    with translation.override("en"), pytest.raises(DateInputError) as caught:
        parse_date_input(typed)
    assert "DD/MM/YYYY" in str(caught.value)


def test_the_field_puts_the_error_beside_itself_and_shows_be_in_thai() -> None:
    class OneDate(forms.Form):
        day = BEDateField(label="Day")

    with translation.override("th"):
        form = OneDate({"day": "2027-01-15"})
        assert not form.is_valid()
        assert form.errors["day"] == [date_format_message("th")]
        assert OneDate(initial={"day": JAN_15})["day"].value() == "15/01/2570"
    with translation.override("en"):
        assert OneDate({"day": "2027-01-15"}).is_valid()
        assert OneDate().fields["day"].prepare_value(JAN_15) == "15/01/2027"


# --- On a page -----------------------------------------------------------------------------------


def _error(body: str, element_id: str) -> str:
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</', body, re.S)
    return match.group(1) if match else ""


@pytest.mark.django_db
def test_a_be_year_in_iso_form_is_a_format_error_not_past_the_deadline(world: SimpleNamespace) -> None:
    f.active_edition(deadline=datetime.date(2027, 8, 31))
    client = Client(HTTP_ACCEPT_LANGUAGE="th")
    client.force_login(world.officer)
    response = client.post(f"/select/{world.entry.pk}/", f.project_form(end_date="2570-07-31"))
    body = response.content.decode()
    assert response.status_code == 422
    with translation.override("th"):
        expected = date_format_message("th")
        past_deadline = RuleResult("deadline_exceeded", False, {"deadline": "2027-08-31"}).message()
    assert expected in _error(body, "id_end_date_error")
    assert past_deadline not in body  # never read as CE 2570, past the deadline
    assert Project.objects.count() == 0

    saved = client.post(f"/select/{world.entry.pk}/", f.project_form(end_date="31/07/2570"))
    assert saved.status_code == 302
    assert Project.objects.get().end_date == datetime.date(2027, 7, 31)  # CE in the database


@pytest.mark.django_db
def test_an_iso_date_is_refused_in_thai_and_accepted_in_english(world: SimpleNamespace) -> None:
    f.active_edition(deadline=datetime.date(2027, 8, 31))
    thai = Client(HTTP_ACCEPT_LANGUAGE="th")
    thai.force_login(world.officer)
    refused = thai.post(f"/select/{world.entry.pk}/", f.project_form(start_date="2027-01-15"))
    assert refused.status_code == 422 and Project.objects.count() == 0
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.officer)
    saved = english.post(
        f"/select/{world.entry.pk}/", f.project_form(start_date="2027-01-15", end_date="28/02/2027")
    )
    assert saved.status_code == 302
    project = Project.objects.get()
    assert (project.start_date, project.end_date) == (JAN_15, datetime.date(2027, 2, 28))
