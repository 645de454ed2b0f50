"""Uploads are judged by their content (issue 12): an allow-list of photos, PDF and office
files, one size limit, random stored names, always served as an attachment with nosniff."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests import factories as f
from workflow import uploads
from workflow.models import AuditEvent, EvidenceFile
from workflow.services import projects as svc


def image(fmt: str) -> bytes:
    return f.image_bytes(fmt, (200, 30, 30))


def archive(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for name, content in entries.items():
            handle.writestr(name, content)
    return buffer.getvalue()


ACCEPTED = {
    "photo.jpg": (image("JPEG"), "JPEG"),
    "photo.png": (image("PNG"), "PNG"),
    "photo.webp": (image("WEBP"), "WebP"),
    "receipt.pdf": (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "PDF"),
    "report.docx": (archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "Word"),
    "sheet.xlsx": (archive({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}), "Excel"),
    "notes.odt": (archive({"mimetype": b"application/vnd.oasis.opendocument.text"}), "OpenDocument"),
    "old.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Office 97-2003"),
}
REFUSED = {
    "setup.exe": b"MZ\x90\x00\x03" + b"\0" * 64,
    "page.html": b"<!doctype html><script>alert(1)</script>",
    "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "fake.png": b"\x89PNG\r\n\x1a\n" + b"0" * 64,  # a photo's header and nothing of a photo
    "fake.jpg": b"MZ\x90\x00",  # the name says photo, the content says program
    "plain.zip": archive({"a.txt": b"hello"}),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_kinds_are_told_by_their_content(name):
    content, kind = ACCEPTED[name]
    assert uploads.sniff(io.BytesIO(content)).name == kind


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_other_kinds_are_refused_whatever_their_name(name):
    errors = uploads.upload_errors(
        "file", [SimpleUploadedFile(name, REFUSED[name])], allowed=uploads.EVIDENCE, max_count=1
    )
    assert [(e.field, e.code) for e in errors] == [("file", "file_type")]


def _approved(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    return project


def test_the_api_refuses_a_program_and_stores_nothing(world):
    project = _approved(world)
    events = AuditEvent.objects.count()
    client = APIClient()
    client.force_authenticate(world.officer)
    response = client.post(
        f"/api/v1/projects/{project.pk}/evidence/",
        {"file": SimpleUploadedFile("receipt.pdf", REFUSED["setup.exe"], content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", "file_type")]
    assert (EvidenceFile.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_one_size_limit_for_the_api_and_the_pages(world, tmp_path):
    project = _approved(world)
    big = image("PNG") + b"\0" * (1024 * 1024)
    api = APIClient()
    api.force_authenticate(world.officer)
    page = Client()
    page.force_login(world.officer)
    with override_settings(UPLOAD_MAX_BYTES=1024 * 1024, MEDIA_ROOT=tmp_path):
        by_api = api.post(
            f"/api/v1/projects/{project.pk}/evidence/",
            {"file": SimpleUploadedFile("big.png", big, content_type="image/png")},
            format="multipart",
        )
        by_page = page.post(
            f"/projects/{project.pk}/evidence/",
            {"file": SimpleUploadedFile("big.png", big), "caption": "ภาพ"},
        )
    assert by_api.status_code == 422
    assert by_api.json()["errors"][0]["code"] == "file_too_large"
    assert by_page.status_code in (200, 422)  # the form again, with the reason beside the file
    assert "big.png" in by_page.content.decode() and "1 MB" in by_page.content.decode()
    assert EvidenceFile.objects.count() == 0


def test_an_accepted_file_is_stored_under_a_random_name_and_downloaded_as_an_attachment(world, tmp_path):
    project = _approved(world)
    client = Client()
    client.force_login(world.officer)
    with override_settings(MEDIA_ROOT=tmp_path):
        evidence = svc.evidence_add(
            project=project,
            acting_user=world.officer,
            uploaded=SimpleUploadedFile("../../ภาพกิจกรรม.jpg", image("PNG"), content_type="image/jpeg"),
        )
        response = client.get(f"/projects/{project.pk}/evidence/{evidence.pk}/")
        body = b"".join(response.streaming_content)
    stored = evidence.file.name
    assert stored.startswith("evidence/") and stored.endswith(".png")  # the real type's extension
    assert "ภาพกิจกรรม" not in stored and ".." not in stored
    assert evidence.caption == "ภาพกิจกรรม.jpg"  # the sender's name is kept as the caption
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body == image("PNG")
