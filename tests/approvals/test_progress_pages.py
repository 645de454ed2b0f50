"""The project page's progress section (issue 10): the timeline while the project runs, the
officer's progress form and the chief's and inspector's supervision form, in Thai and English,
and the history's labels for the new actions."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from notifications.models import Notification
from tests import factories as f
from workflow.dates import format_date
from workflow.models import AuditEvent, EvidenceFile, ProgressUpdate, Project
from workflow.services import progress as progress_svc
from workflow.services import projects as svc

TODAY = timezone.localdate()


def browser(user: Any, language: str = "th") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def png(name: str = "site.png") -> SimpleUploadedFile:
    return f.image_upload(name, colour=(10, 90, 200))


def be(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def progress_section(html: str) -> str:
    start = html.index('id="progress"')
    return html[start : html.index("</section>", start)]


def errors_of(html: str) -> dict[str, str]:
    """Each field's error text on the page, by the field's id."""
    return dict(re.findall(r'<p class="error" id="id_([\w-]+)_error" role="alert">([^<]*)</p>', html))


@pytest.fixture
def running(world: SimpleNamespace) -> SimpleNamespace:
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief, comment="เห็นชอบ")
    world.project = Project.objects.get(pk=project.pk)
    world.url = f"/projects/{project.pk}/"
    world.post_url = reverse("project-progress", args=[project.pk])
    return world


def _stored() -> tuple[int, int, int]:
    return (
        ProgressUpdate.objects.count(),
        EvidenceFile.objects.count(),
        AuditEvent.objects.filter(action__in=("progress_add", "supervision_add")).count(),
    )


def test_the_thai_page_shows_the_timeline_and_each_role_its_form(running):
    earlier = TODAY - datetime.timedelta(days=6)
    progress_svc.project_progress_add(
        project=running.project,
        acting_user=running.officer,
        as_of=earlier,
        percent_done=35,
        text="จัดซื้อวัสดุครบแล้ว",
        photos=[png()],
    )
    progress_svc.project_supervision_add(
        project=running.project, acting_user=running.inspector, text="ลงพื้นที่แล้ว", recommendations="เร่งรัด"
    )
    html = browser(running.officer).get(running.url).content.decode()
    part = progress_section(html)
    assert "ความก้าวหน้าและการกำกับติดตาม" in part
    assert format_date(earlier, "th") in part and format_date(TODAY, "th") in part
    assert "ดำเนินการแล้วร้อยละ 35" in part and 'aria-valuenow="35"' in part
    assert "จัดซื้อวัสดุครบแล้ว" in part and "ลงพื้นที่แล้ว" in part and "เร่งรัด" in part
    assert "ผู้ตรวจราชการกรมการปกครองประจำเขต" in part  # who, in which role
    photo = EvidenceFile.objects.get(kind="progress_photo")
    assert f'src="{reverse("evidence-download", args=[running.project.pk, photo.pk])}"' in part
    # In order: the progress of six days ago before today's note.
    assert part.index("จัดซื้อวัสดุครบแล้ว") < part.index("ลงพื้นที่แล้ว")
    # The officer's form (a Thai date box), not the supervision form.
    assert 'name="progress-as_of"' in part and 'name="progress-photos"' in part and "multiple" in part
    assert 'name="supervision-text"' not in part
    chief = progress_section(browser(running.chief).get(running.url).content.decode())
    assert 'name="supervision-text"' in chief and 'name="supervision-recommendations"' in chief
    assert 'name="progress-as_of"' not in chief
    auditor = progress_section(browser(running.auditor).get(running.url).content.decode())
    assert "จัดซื้อวัสดุครบแล้ว" in auditor and "<form" not in auditor


def test_the_english_page_and_a_project_not_running(running):
    progress_svc.project_progress_add(
        project=running.project, acting_user=running.officer, as_of=TODAY, percent_done=10, text="started"
    )
    part = progress_section(browser(running.officer, "en").get(running.url).content.decode())
    assert "Progress and supervision" in part and format_date(TODAY, "en") in part and "10% done" in part
    selected = f.make_project(running.officer, running.entry2)
    html = browser(running.officer).get(f"/projects/{selected.pk}/").content.decode()
    assert 'id="progress"' not in html  # nothing posted and not running: no section


def test_the_officer_posts_progress_with_a_thai_date_and_photos(running):
    day = TODAY - datetime.timedelta(days=2)
    response = browser(running.officer).post(
        running.post_url,
        {
            "kind": "progress",
            "progress-as_of": be(day),
            "progress-percent_done": "60",
            "progress-text": "ฝึกอบรมครบ 2 รุ่น",
            "progress-photos": [png("a.png"), png("b.png")],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == running.url + "#progress"
    update = ProgressUpdate.objects.get()
    assert (update.as_of, update.percent_done, update.text, update.photos.count()) == (
        day,
        60,
        "ฝึกอบรมครบ 2 รุ่น",
        2,
    )
    assert AuditEvent.objects.get(action="progress_add").actor_username == "officer"
    follow = browser(running.officer).get(running.url).content.decode()
    assert "ฝึกอบรมครบ 2 รุ่น" in progress_section(follow)


def test_the_form_reports_every_error_in_one_round_and_keeps_what_was_typed(running):
    before = _stored()
    response = browser(running.officer).post(
        running.post_url,
        {
            "kind": "progress",
            "progress-as_of": be(TODAY + datetime.timedelta(days=3)),
            "progress-percent_done": "101",
            "progress-text": "",
            "progress-photos": [SimpleUploadedFile("x.png", b"not an image", content_type="image/png")],
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    errors = errors_of(html)
    assert set(errors) == {"progress-as_of", "progress-percent_done", "progress-text", "progress-photos"}
    assert "อนาคต" in errors["progress-as_of"] and "JPEG" in errors["progress-photos"]
    assert 'value="101"' in html
    assert _stored() == before
    ce_year = browser(running.officer).post(
        running.post_url,
        {
            "kind": "progress",
            "progress-as_of": TODAY.strftime("%d/%m/%Y"),  # a CE year on a Thai page: refused, never misread
            "progress-percent_done": "5",
            "progress-text": "x",
        },
    )
    assert ce_year.status_code == 422 and "progress-as_of" in errors_of(ce_year.content.decode())
    six = browser(running.officer).post(
        running.post_url,
        {
            "kind": "progress",
            "progress-as_of": be(TODAY),
            "progress-percent_done": "5",
            "progress-text": "x",
            "progress-photos": [png(f"{n}.png") for n in range(6)],
        },
    )
    assert six.status_code == 422 and "progress-photos" in errors_of(six.content.decode())
    assert _stored() == before


def test_the_chief_adds_a_note_from_the_page_and_the_officer_is_told(running):
    response = browser(running.chief).post(
        running.post_url,
        {"kind": "supervision", "supervision-text": "ติดตามความก้าวหน้าแล้ว", "supervision-recommendations": ""},
    )
    assert response.status_code == 302
    note = ProgressUpdate.objects.get()
    assert (note.kind, note.as_of, note.author_role) == ("supervision", TODAY, "district_chief")
    assert set(
        Notification.objects.filter(kind="progress").values_list("recipient__username", flat=True)
    ) == {
        "officer",
        "officer2",
    }
    empty = browser(running.inspector).post(
        running.post_url, {"kind": "supervision", "supervision-text": " "}
    )
    assert empty.status_code == 422 and "supervision-text" in errors_of(empty.content.decode())
    assert ProgressUpdate.objects.count() == 1


def test_wrong_role_wrong_district_and_wrong_state(running):
    body = {
        "kind": "progress",
        "progress-as_of": be(TODAY),
        "progress-percent_done": "5",
        "progress-text": "x",
    }
    assert browser(running.auditor).post(running.post_url, body).status_code == 403
    assert browser(running.chief).post(running.post_url, body).status_code == 403
    assert browser(running.other_officer).post(running.post_url, body).status_code == 404
    selected = f.make_project(running.officer, running.entry2)
    refused = browser(running.officer).post(reverse("project-progress", args=[selected.pk]), body)
    assert refused.status_code == 409
    with translation.override("th"):
        assert str(progress_svc.not_running().message) in refused.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_the_history_shows_the_new_actions_with_their_labels(running):
    progress_svc.project_progress_add(
        project=running.project, acting_user=running.officer, as_of=TODAY, percent_done=25, text="เริ่มงาน"
    )
    progress_svc.project_supervision_add(project=running.project, acting_user=running.chief, text="ติดตาม")
    html = browser(running.chief, "en").get(running.url).content.decode()
    history = html[html.index('id="history"') :]
    assert "Progress update posted" in history and "Supervision note added" in history
    assert ">progress_add<" not in history.replace(" ", "").replace("\n", "")
    audit = browser(running.auditor, "en").get(reverse("audit-project", args=[running.project.pk]))
    assert audit.status_code == 200
    page = audit.content.decode()
    assert "Progress update posted" in page and "Supervision note added" in page
    assert "Percent done:</span> 25%" in page and "เริ่มงาน" in page
