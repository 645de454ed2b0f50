"""The browser harness itself: Chromium starts, the login page renders in Thai."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_thai_by_default_and_login_lands_in_the_inbox(page, world):
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "th"
    login(page, "chief", f.PASSWORD)
    assert "/inbox/" in page.url
