"""Thai error pages in the site's layout (issue 13), never Django's English ones."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from tests import factories as f


def _boom(request):
    raise RuntimeError("database on fire")


urlpatterns = [path("boom/", _boom)]


def _thai(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="th", raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_not_found_is_thai_in_the_layout(world):
    response = _thai(world.officer).get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'id="error-page"' in body and "ไม่พบหน้าที่ต้องการ" in body
    assert "Not Found" not in body and "The requested resource" not in body
    assert 'href="/inbox/"' in body  # the site's navigation is there


def test_a_project_outside_the_area_is_the_same_thai_404(world):
    project = f.make_project(world.officer, world.entry)
    response = _thai(world.other_chief).get(f"/projects/{project.pk}/")
    assert response.status_code == 404
    assert "ไม่พบหน้าที่ต้องการ" in response.content.decode()
    assert project.title not in response.content.decode()


@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_is_a_thai_page_without_the_traceback(world):
    response = _thai(world.officer).get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "เกิดข้อผิดพลาด" in body
    assert "database on fire" not in body and "Traceback" not in body
