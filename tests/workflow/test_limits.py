"""Every text has a limit, checked by the services for the API and the pages alike (issue 12)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests import factories as f
from workflow.errors import InvalidInput
from workflow.models import AuditEvent, Project, State
from workflow.services import projects as svc


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_comment_over_five_thousand_characters_is_refused_and_changes_nothing(world):
    project = f.make_project(world.officer, world.entry)
    events = AuditEvent.objects.count()
    response = _api(world.chief).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "ก" * 5001}, format="json"
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("comment", "too_long")]
    project.refresh_from_db()
    assert (project.state, AuditEvent.objects.count()) == (State.SELECTED, events)
    assert (
        _api(world.chief)
        .post(f"/api/v1/projects/{project.pk}/comments/", {"comment": "ข" * 5001}, format="json")
        .status_code
        == 422
    )
    assert (
        _api(world.chief)
        .post(f"/api/v1/projects/{project.pk}/transitions/approve/", {"comment": "ก" * 5000}, format="json")
        .status_code
        == 200
    )


def test_a_control_character_typed_on_a_page_is_refused_beside_its_field(world):
    project = f.make_project(world.officer, world.entry)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.chief)
    response = client.post(f"/projects/{project.pk}/comment/", {"comment": "ดี\x07มาก"})
    assert response.status_code in (200, 422)
    assert "control character" in response.content.decode()
    assert not AuditEvent.objects.filter(action="comment").exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("title", "ก" * 501, "too_long"),
        ("title", "โครงการ\x1bทดสอบ", "control_character"),
        ("dimension_other", "x" * 501, "too_long"),
    ],
)
def test_short_texts_of_a_project(world, field, value, code):
    data = f.good_input(["500101"], **{field: value})
    with pytest.raises(InvalidInput) as caught:
        svc.project_create(acting_user=world.officer, bank_entry=world.entry, data=data)
    assert (field, code) in [(e["field"], e["code"]) for e in caught.value.errors]
    assert not Project.objects.exists()


def test_findings_and_a_long_line_description(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    line = svc.LineInput("ว" * 501, "activity_materials", project.budget_lines.first().amount)
    with pytest.raises(InvalidInput) as caught:
        svc.project_implement(
            project=project,
            acting_user=world.officer,
            record=svc.ImplementationInput(
                spend_lines=[line], activities_done="อบรม", villages_reached=1, households_reached=1
            ),
        )
    assert ("spend_lines[0].description", "too_long") in [
        (e["field"], e["code"]) for e in caught.value.errors
    ]
