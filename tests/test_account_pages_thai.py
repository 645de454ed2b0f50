"""The account pages read in Thai in Thai mode: the password change's labels, the password
rules' help texts and every error Django's own forms and validators give (Django's Thai
catalogue lacks several of them: ours supplies them)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests import factories as f


def _visible(html: str) -> str:
    """The text a person reads in ``<main>``: no tags, no attribute values, no scripts."""
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def _client(user: Any, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_password_change_page_and_its_errors_are_thai(world):
    client = _client(world.chief, "th")
    page = _visible(client.get("/accounts/password_change/").content.decode())
    assert not ENGLISH_WORD.findall(page), page
    for attempt in (
        {"old_password": "wrong", "new_password1": "12345678", "new_password2": "12345679"},
        {"old_password": f.PASSWORD, "new_password1": "chief", "new_password2": "chief"},
        {"old_password": f.PASSWORD, "new_password1": "password", "new_password2": "password"},
        {"old_password": "", "new_password1": "", "new_password2": ""},
    ):
        response = client.post("/accounts/password_change/", attempt)
        assert response.status_code == 200
        text = _visible(response.content.decode())
        assert 'class="error"' in response.content.decode()
        assert not ENGLISH_WORD.findall(text), text


def test_the_password_change_page_stays_english_in_english(world):
    html = _client(world.chief, "en").get("/accounts/password_change/").content.decode()
    assert "Your password must contain at least 8 characters." in html
    assert "Enter the same password as before, for verification." in html
