"""A district ready for its report book: ten reported projects with twenty photos."""

from __future__ import annotations

import datetime
import io
import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reports.models import (
    DistrictProfile,
    DriveActivity,
    DriveMeeting,
    DriveReport,
    DriveTeamMember,
    ProfileFact,
)
from tests import factories as f
from workflow.models import Disbursement, EvidenceFile, Project
from workflow.services import projects as svc

# Words whose Thai clusters renderers get wrong; the book must give them back when copied.
TRICKY = ("ผู้ใหญ่บ้าน", "ที่ทำการปกครองอำเภอ", "ฝายชะลอน้ำ", "กำนัน", "ญี่ปุ่น")


def photo(seed: int, size: tuple[int, int] = (2400, 1800)) -> SimpleUploadedFile:
    """A camera-sized JPEG (noise, so it does not compress to nothing)."""
    rng = random.Random(seed)
    small = Image.new("RGB", (size[0] // 8, size[1] // 8))
    small.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(small.width * small.height)
        ]
    )
    image = small.resize(size)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile(f"photo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def reported_project(world: Any, index: int, *, photos: int = 2, amount: str = "15000.00") -> Project:
    """A project taken from selected to reported, with evidence and monitoring photos."""
    subs = world.subs
    entry = f.bank_entry(subs["500101" if index % 2 else "500102"], f"BK-{index}")
    project = f.make_project(
        world.officer,
        entry,
        amount,
        title=f"โครงการที่ {index} ฝายชะลอน้ำและส่งเสริมอาชีพ ผู้ใหญ่บ้านและกำนันร่วมกับที่ทำการปกครองอำเภอ",
    )
    svc.project_approve(project=project, acting_user=world.chief, comment="เห็นชอบ")
    if not Disbursement.objects.filter(district_id=project.district_id).exists():
        f.disburse(project.district_id, "150000.00")  # the province pays once the first is approved
    for n in range(photos // 2):
        svc.evidence_add(
            project=project,
            acting_user=world.officer,
            uploaded=photo(index * 10 + n),
            caption=f"ภาพกิจกรรมที่ {n + 1} ฝายชะลอน้ำ",
        )
    svc.project_implement(
        project=project,
        acting_user=world.officer,
        record=svc.ImplementationInput(
            spend_lines=[
                svc.LineInput("วัสดุฝึกปฏิบัติ", "activity_materials", Decimal(amount) - Decimal("500.00"))
            ],
            activities_done="สร้างฝายชะลอน้ำ ๓ แห่ง ผู้ใหญ่บ้านและกำนันร่วมกิจกรรม ได้รับความรู้จากผู้เชี่ยวชาญชาวญี่ปุ่น",
            villages_reached=3,
            households_reached=118,
        ),
    )
    for n in range(photos - photos // 2):
        svc.evidence_add(
            project=project,
            acting_user=world.inspector,
            uploaded=photo(index * 10 + 5 + n),
            caption=f"ภาพการติดตามที่ {n + 1}",
            kind=EvidenceFile.Kind.MONITORING_PHOTO,
        )
    svc.project_monitor(
        project=project,
        acting_user=world.inspector,
        findings="ฝายชะลอน้ำสร้างแล้วเสร็จตามแผน ที่ทำการปกครองอำเภอกำกับดูแลใกล้ชิด",
        recommendations="ขยายผลไปยังตำบลข้างเคียง",
    )
    svc.project_report(project=project, acting_user=world.officer, result_narrative="ผลสำเร็จตามเป้าหมาย")
    project.refresh_from_db()
    return project


def fill_parts(world: Any, digits: str = "thai") -> None:
    """Parts 1 and 2 as an office would fill them."""
    profile = DistrictProfile.objects.create(
        district=world.d1,
        edition=world.edition,
        population=52311,
        households=17020,
        villages=84,
        area_sq_km=Decimal("712.50"),
        general="อำเภอเมืองตั้งอยู่ริมแม่น้ำ ที่ทำการปกครองอำเภอตั้งอยู่กลางเมือง",
        economy="เกษตรกรรมเป็นหลัก ปลูกข้าวและลำไย",
        problems_needs="ขาดแคลนน้ำในฤดูแล้ง ต้องการฝายชะลอน้ำ",
        potential="กำนันและผู้ใหญ่บ้านเข้มแข็ง มีวิสาหกิจชุมชน",
        digits=digits,
        updated_by=world.officer,
    )
    ProfileFact.objects.create(
        profile=profile, position=0, table="ข้อมูลประชากร", label="ชาย", value="25,100", unit="คน"
    )
    ProfileFact.objects.create(
        profile=profile, position=1, table="ข้อมูลประชากร", label="หญิง", value="27,211", unit="คน"
    )
    drive = DriveReport.objects.create(
        district=world.d1,
        edition=world.edition,
        narrative="อำเภอขับเคลื่อนโครงการผ่านทีมตำบล (Tambon Smart Team) ร่วมกับกำนันและผู้ใหญ่บ้าน",
        team_narrative="ทีมประกอบด้วยปลัดอำเภอประจำตำบลและผู้นำท้องที่",
        updated_by=world.officer,
    )
    DriveTeamMember.objects.create(report=drive, name="นายสมชาย ใจดี", office="ปลัดอำเภอ", team_role="หัวหน้าทีม")
    DriveMeeting.objects.create(
        report=drive, date=datetime.date(2021, 3, 2), topic="ประชุมคัดเลือกโครงการ", resolution="เลือกฝายชะลอน้ำ"
    )
    DriveActivity.objects.create(
        report=drive, date=datetime.date(2021, 4, 10), title="ลงพื้นที่สำรวจ", participants=45, result="ได้ข้อมูลครบ"
    )


@pytest.fixture
def book_world(world: Any) -> SimpleNamespace:
    """District 5001 with parts 1 and 2 filled and ten reported projects holding twenty photos."""
    fill_parts(world)
    world.projects = [reported_project(world, i) for i in range(1, 11)]
    return world
