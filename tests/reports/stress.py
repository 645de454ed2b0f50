"""A report book that pushes the layout: issue 11's stress book, made through the services.

Thirty reported projects of district 5001, each with a long title, names without spaces, twenty
budget lines (planned and spent), long narratives and photos of odd shapes (a strip 4000×300, a
tower 300×4000, a 6×6 speck and an ordinary photo) spread over the projects.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reports.models import DistrictProfile, DriveActivity, DriveMeeting, DriveReport, DriveTeamMember
from tests import factories as f
from workflow.models import Disbursement, Project
from workflow.services import projects as svc

PROJECTS = 30
LINES = 20

# The forty words of these books the text layer must give back whole (issue 11, part 2).
COMMON_WORDS = (
    "เป็น",
    "ปัญหา",
    "ปีงบประมาณ",
    "ฝึกอบรม",
    "ผู้ใหญ่บ้าน",
    "กำนัน",
    "ที่ทำการปกครองอำเภอ",
    "ประชาชน",
    "ผลสัมฤทธิ์",
    "สิ่งแวดล้อม",
    "โครงการ",
    "ตำบล",
    "หมู่บ้าน",
    "ครัวเรือน",
    "กิจกรรม",
    "พัฒนา",
    "ชุมชน",
    "เศรษฐกิจ",
    "ความต้องการ",
    "ศักยภาพ",
    "ผู้เข้าร่วม",
    "ประชุม",
    "ปลัดอำเภอ",
    "นายอำเภอ",
    "จังหวัด",
    "ดำเนินการ",
    "ติดตาม",
    "ข้อเสนอแนะ",
    "อาชีพ",
    "รายได้",
    "ฝายชะลอน้ำ",
    "บูรณาการ",
    "เกษตรกร",
    "ผลิตภัณฑ์",
    "วิสาหกิจ",
    "ยั่งยืน",
    "ผู้สูงอายุ",
    "ท้องถิ่น",
    "ภูมิปัญญา",
    "ขับเคลื่อน",
)

# A name with no space in it at all: only a dictionary (or, failing that, any cluster) breaks it.
LONG_NAME = "นายปฏิภาณวิทยาศักดิ์ศรีสุวรรณภูมิพิทักษ์ประชาราษฎร์บำรุงเกียรติกำจรวงศ์"
LONG_LATIN = "Sustainable-Community-Enterprise-Development-Programme-2026-Phase-II-Extended"
# A title long enough to wrap in the contents, ending in a word a careless break splits.
LONG_TITLE = (
    "โครงการพัฒนาศักยภาพผู้ใหญ่บ้านกำนันและผู้นำท้องถิ่นเพื่อขับเคลื่อนเศรษฐกิจฐานรากและสิ่งแวดล้อม"
    "ของชุมชนอย่างยั่งยืนตามแนวทางการพัฒนาตำบลแบบบูรณาการ"
)
NARRATIVE = (
    " ".join(COMMON_WORDS)
    + " "
    + (
        "ที่ทำการปกครองอำเภอร่วมกับกำนันผู้ใหญ่บ้านและองค์กรปกครองส่วนท้องถิ่นจัดประชุมประชาคมหมู่บ้าน"
        "เพื่อรับฟังปัญหาและความต้องการของประชาชน ตั้งแต่ปีงบประมาณที่ผ่านมา ฝึกอบรมอาชีพให้ผู้สูงอายุ"
        "และเกษตรกร ติดตามผลสัมฤทธิ์ทุกเดือน ทั้งนี้ผลิตภัณฑ์ของวิสาหกิจชุมชนได้รับการพัฒนาอย่างต่อเนื่อง "
    )
    * 2
)

# (width, height) of the odd photos, used in turn over the projects.
ODD_PHOTOS = ((4000, 300), (300, 4000), (6, 6), (1600, 1200))


def odd_photo(seed: int, size: tuple[int, int]) -> SimpleUploadedFile:
    """A flat-coloured JPEG of ``size`` (quick to make and to scale)."""
    image = Image.new("RGB", size, ((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"odd-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _lines(index: int, total: Decimal, words: str) -> list[svc.LineInput]:
    each = (total / LINES).quantize(Decimal("0.01"))
    lines = [
        svc.LineInput(
            f"{words}รายการที่{n + 1}{'' if n % 3 else LONG_NAME}{LONG_LATIN if n == 7 else ''}",
            ("activity_materials", "wages", "services")[n % 3],
            each,
        )
        for n in range(LINES - 1)
    ]
    lines.append(svc.LineInput(f"{words}รายการสุดท้าย", "activity_materials", total - each * (LINES - 1)))
    return lines


def stress_project(world: Any, index: int, *, photos: int = 0) -> Project:
    """One project from selected to reported, with everything long."""
    entry = f.bank_entry(world.subs["500101" if index % 2 else "500102"], f"ST-{index}")
    amount = Decimal("4000.00")
    project = svc.project_create(
        acting_user=world.officer,
        bank_entry=f.free_entry(entry),
        data=f.good_input(
            [entry.subdistrict_id],
            str(amount),
            title=f"{LONG_TITLE} ที่{index}",
            rationale=NARRATIVE,
            objectives=NARRATIVE[:600],
            method=f"{LONG_NAME} {LONG_LATIN} " + NARRATIVE[:400],
            indicators="ครัวเรือนเป้าหมายมีรายได้เพิ่มขึ้น" * 8,
            expected_results=NARRATIVE[:500],
            budget_lines=_lines(index, amount, "ค่าวัสดุฝึกอบรมอาชีพ"),
        ),
    )
    svc.project_approve(project=project, acting_user=world.chief, comment="เห็นชอบ")
    if not Disbursement.objects.filter(district_id=project.district_id).exists():
        f.disburse(project.district_id, "150000.00")
    for n in range(photos):
        size = ODD_PHOTOS[(index + n) % len(ODD_PHOTOS)]
        svc.evidence_add(
            project=project,
            acting_user=world.officer,
            uploaded=odd_photo(index * 10 + n, size),
            caption=f"ภาพ{size[0]}x{size[1]}{LONG_NAME}",
        )
    svc.project_implement(
        project=project,
        acting_user=world.officer,
        record=svc.ImplementationInput(
            spend_lines=_lines(index, amount - Decimal("100.00"), "ค่าจ้างเหมาบริการจัดฝึกอบรม"),
            activities_done=NARRATIVE[:700],
            villages_reached=3,
            households_reached=118,
        ),
    )
    svc.project_monitor(
        project=project,
        acting_user=world.inspector,
        findings=NARRATIVE[:800],
        recommendations=f"{LONG_NAME}ควรขยายผล" * 3,
    )
    svc.project_report(
        project=project, acting_user=world.officer, result_narrative=NARRATIVE[:900], problems=NARRATIVE[:300]
    )
    project.refresh_from_db()
    return project


def stress_parts(world: Any) -> None:
    """Parts 1 and 2 with long texts, a long team and names without spaces."""
    DistrictProfile.objects.create(
        district=world.d1,
        edition=world.edition,
        population=152311,
        households=57020,
        villages=184,
        area_sq_km=Decimal("1712.50"),
        general=NARRATIVE,
        economy=NARRATIVE[:900],
        problems_needs=NARRATIVE[:700],
        potential=NARRATIVE[:500],
        notes=f"{LONG_NAME}{LONG_NAME}",
        digits="thai",
        updated_by=world.officer,
    )
    drive = DriveReport.objects.create(
        district=world.d1,
        edition=world.edition,
        narrative=NARRATIVE,
        team_narrative=NARRATIVE[:400],
        updated_by=world.officer,
    )
    for n in range(12):
        DriveTeamMember.objects.create(
            report=drive,
            position=n,
            name=f"{LONG_NAME}{n}",
            office="ปลัดอำเภอประจำตำบลหัวหน้ากลุ่มงานบริหารงานปกครองที่ทำการปกครองอำเภอ",
            team_role="ผู้ประสานงานการขับเคลื่อนโครงการพัฒนาตำบลแบบบูรณาการ",
        )
    for n in range(6):
        DriveMeeting.objects.create(
            report=drive,
            position=n,
            date=datetime.date(2026, 3, 2 + n),
            topic=f"ประชุมคัดเลือกโครงการ{LONG_NAME}",
            resolution=NARRATIVE[:500],
        )
        DriveActivity.objects.create(
            report=drive,
            position=n,
            date=datetime.date(2026, 4, 10 + n),
            title=f"ลงพื้นที่สำรวจ{LONG_LATIN}",
            participants=45 + n,
            result=NARRATIVE[:400],
        )


def stress_world(world: Any, *, photo_projects: int = 8) -> Any:
    """District 5001 with the stress book's parts 1 and 2 and its thirty projects.

    Photos go to the first ``photo_projects`` projects, two each (the odd shapes in turn).
    """
    stress_parts(world)
    world.projects = [
        stress_project(world, i, photos=2 if i <= photo_projects else 0) for i in range(1, PROJECTS + 1)
    ]
    return world


__all__ = ["COMMON_WORDS", "LONG_NAME", "LONG_TITLE", "PROJECTS", "stress_world"]
