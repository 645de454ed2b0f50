"""An unchanged draft without reading the book (issue 11: a cached draft ≤ 50 ms).

Everything the book prints changes through a service that appends an audit event to the
district's chain or the national one, so while neither chain head has moved, the draft asked
for again is the stored PDF, found without reading or composing the book. Any audited change
of the district or of the country (an edition, a name in the admin) reads the book again; the
PDF is printed again only when what it prints changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reports import files, render
from tests.reports.test_render_limits import FakeChromium, fake, small_district
from workflow.services import projects as svc
from workflow.services.admin_changes import admin_object_save

__all__ = ["fake"]  # the stand-in Chromium's fixture, imported for these tests

URL = "/api/v1/districts/5001/report-book.pdf"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> list[str]:
    """The district codes whose book was read (``book_build``), request by request."""
    settings.REPORT_BOOK_DRAFT_CACHE_DIR = str(tmp_path / "drafts")
    monkeypatch.setattr(render, "_tokens", type(render._tokens)())
    seen: list[str] = []
    real = files.book_build

    def counted(**kwargs: Any) -> Any:
        seen.append(kwargs["district"].code)
        return real(**kwargs)

    monkeypatch.setattr(files, "book_build", counted)
    return seen


def api(user: Any, language: str = "th") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_an_unchanged_draft_is_served_without_reading_the_book(
    world: Any, fake: FakeChromium, reads: list[str]
) -> None:
    small_district(world)
    client = api(world.officer)
    first = client.get(URL)
    assert first.status_code == 200 and reads == ["5001"] and len(fake.books()) == 1
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL)
    assert again.status_code == 200
    assert again.content == first.content and again["X-Page-Count"] == first["X-Page-Count"]
    assert reads == ["5001"], "the book was read again although nothing changed"
    assert len(fake.books()) == 1
    # The district (with its access check), the edition and the two chain heads: nothing of the
    # book's projects, parts, money or photos.
    assert len(queries) <= 4, [q["sql"] for q in queries.captured_queries]
    assert sum("auditchain" in q["sql"] for q in queries.captured_queries) == 1


@pytest.mark.django_db
def test_an_audited_change_of_the_district_reads_the_book_again(
    world: Any, fake: FakeChromium, reads: list[str]
) -> None:
    project = small_district(world)
    client = api(world.officer)
    first = client.get(URL)
    svc.project_comment(project=project, acting_user=world.chief, comment="ตรวจทานก่อนส่ง")
    after_comment = client.get(URL)
    assert reads == ["5001", "5001"]
    assert after_comment.status_code == 200
    # Read again, and printed again only if what it prints changed: the stored PDF otherwise.
    assert (after_comment.content == first.content) == (len(fake.books()) == 1)


@pytest.mark.django_db
def test_a_province_renamed_in_the_admin_national_chain_reads_and_prints_the_book_again(
    world: Any, fake: FakeChromium, reads: list[str]
) -> None:
    small_district(world)
    client = api(world.officer)
    first = client.get(URL)
    province = world.d1.province
    province.name_th = "เชียงใหม่ (ชื่อใหม่)"
    admin_object_save(acting_user=world.admin, obj=province, changed_fields=["name_th"], is_new=False)
    changed = client.get(URL)
    assert reads == ["5001", "5001"]
    assert changed.status_code == 200
    assert changed.content != first.content
    assert "เชียงใหม่ (ชื่อใหม่)" in fake.books()[-1]
    assert client.get(URL).content == changed.content and reads == ["5001", "5001"]


@pytest.mark.django_db
def test_each_language_has_its_own_draft(world: Any, fake: FakeChromium, reads: list[str]) -> None:
    small_district(world)
    thai = api(world.officer).get(URL)
    english = api(world.officer, "en").get(URL)
    assert thai.status_code == english.status_code == 200
    assert reads == ["5001", "5001"]
    assert api(world.officer, "en").get(URL).content == english.content
    assert api(world.officer).get(URL).content == thai.content
    assert reads == ["5001", "5001"]


@pytest.mark.django_db
def test_the_shortcut_answers_only_who_may_see_the_district(
    world: Any, fake: FakeChromium, reads: list[str]
) -> None:
    small_district(world)
    assert api(world.officer).get(URL).status_code == 200
    outsider = api(world.other_officer).get(URL)
    assert outsider.status_code == 404
    assert outsider["Content-Type"] == "application/problem+json"
    assert reads == ["5001"]
