"""Demo data for ``make run``: a living system with a project in every state.

Idempotent: users, roles, the edition, bank entries and geography are created or brought up
to date; the demo projects are made only once (when the demo edition has none yet). Every
project change goes through the same services the API uses, so the audit trail is real.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .. import access
from ..importers import bank_import_file, geography_import, regions_import
from ..models import Edition, InspectionRegion, Project, RoleMembership
from ..services import money as money_svc
from ..services import progress as progress_svc
from ..services import projects as svc
from ..services.programme import designated_codes, edition_create, edition_districts_replace, edition_update
from ..services.roles import role_grant
from ..services.system import system_user

DEMO_DIR = Path(__file__).resolve().parent
DEMO_PASSWORD = "rolemodel-demo"  # noqa: S105 - printed demo logins for a local demo only
DEMO_EDITION = "2570"
DEMO_REGION = "R15"
# The demo edition's Role Model districts: Mueang Lamphun (5101) has not started yet.
DEMO_DISTRICTS = ["5001", "5002", "5101"]

# username, role, area, display name
DEMO_USERS: list[tuple[str, str, str, str]] = [
    ("officer", "district_officer", "5001", "เจ้าหน้าที่ที่ทำการปกครองอำเภอเมืองเชียงใหม่"),
    ("chief", "district_chief", "5001", "นายอำเภอเมืองเชียงใหม่"),
    ("officer_ct", "district_officer", "5002", "เจ้าหน้าที่ที่ทำการปกครองอำเภอจอมทอง"),
    ("chief_ct", "district_chief", "5002", "นายอำเภอจอมทอง"),
    ("provincial", "provincial_officer", "50", "ที่ทำการปกครองจังหวัดเชียงใหม่"),
    ("inspector", "regional_inspector", DEMO_REGION, "ผู้ตรวจราชการกรมการปกครองประจำเขต"),
    ("planner", "central_planner", "TH", "กองวิชาการและแผนงาน"),
    ("auditor", "auditor", "TH", "ผู้ตรวจสอบ"),
    ("admin", "admin", "TH", "ผู้ดูแลระบบ"),
]

BANK_CSV = """code,subdistrict_code,title,description,dimension,estimated_budget
TPB-500101-01,500101,โครงการส่งเสริมอาชีพ/วิสาหกิจชุมชนผ้าทอ,ส่งเสริมกลุ่มทอผ้าให้มีรายได้เพิ่ม,economy,30000
TPB-500101-02,500101,โครงการจัดทำฝายชะลอน้ำ,ฝายชะลอน้ำบนลำห้วยต้นน้ำ,environment,25000
TPB-500102-01,500102,โครงการจัดทำแนวกันไฟป่า,แนวกันไฟรอบป่าชุมชน,environment,20000
TPB-500102-02,500102,โครงการตลาดชุมชนสร้างรายได้,ตลาดชุมชนเพื่อส่งเสริมรายได้ให้แก่ประชาชนในตำบล,economy,20000
TPB-500103-01,500103,โครงการพัฒนา Application บริการของอำเภอ,แอปพลิเคชันนัดหมายและติดตามบริการงานทะเบียน,administration,15000
TPB-500103-02,500103,โครงการฝึกอบรมอาชีพแปรรูปผลผลิต,ฝึกอบรมอาชีพให้ประชาชนในพื้นที่,economy,20000
TPB-500101-03,500101,โครงการหมู่บ้านปลอดภัย,เครือข่ายเฝ้าระวังความปลอดภัยในหมู่บ้าน,security,30000
TPB-500102-03,500102,โครงการแจกพันธุ์ไม้,จัดซื้อพันธุ์ไม้แจกประชาชน,environment,10000
TPB-500203-01,500203,โครงการส่งเสริมกาแฟอาราบิก้า,ส่งเสริมการแปรรูปกาแฟของวิสาหกิจชุมชน,economy,60000
TPB-500204-01,500204,โครงการตลาดนัดชุมชนจอมทอง,ตลาดชุมชนเพื่อรายได้,economy,40000
"""

REGIONS_CSV = "region_code,region_name,province_code\nR15,เขตตรวจราชการที่ 15,50\nR15,เขตตรวจราชการที่ 15,51\n"


@dataclass
class DemoSummary:
    geography: str
    users: list[tuple[str, str, str]]
    projects_created: int


def _geography_dir() -> tuple[Path, str]:
    shared = Path(settings.THAI_ADMIN_DATA_DIR)
    if (shared / "provinces.csv").exists():
        return shared, f"the whole country from {shared}"
    return DEMO_DIR, "a small demo fixture (Chiang Mai and Lamphun)"


# Other apps add demo data that the district's submission needs (the report book's parts).
_before_submission: list[Callable[[dict[str, Any]], None]] = []


def register_before_submission(step: Callable[[dict[str, Any]], None]) -> None:
    """Run ``step(users)`` in the demo seed before Chom Thong (5002) submits its book."""
    if step not in _before_submission:
        _before_submission.append(step)


def _user(username: str, display: str) -> Any:
    User = get_user_model()
    user, _created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org"}
    )
    user.first_name = display[:150]
    user.set_password(DEMO_PASSWORD)
    # No demo user is a superuser: the ``admin`` user opens /admin/ through the admin role alone
    # (a database seeded before this is put right on the next seed).
    user.is_staff = False
    user.is_superuser = False
    user.save()
    return user


def _edition(actor: Any) -> Edition:
    values = {
        "code": DEMO_EDITION,
        "title": "อำเภอต้นแบบ (Role Model) ตามโครงการพัฒนาตำบลแบบบูรณาการ (Tambon Smart Team) ปีงบประมาณ 2570",
        "budget_cap": Decimal("150000.00"),
        "deadline": datetime.date(2027, 8, 31),
        "is_active": True,
    }
    existing = Edition.objects.filter(code=DEMO_EDITION).first()
    if existing is None:
        return edition_create(acting_user=actor, values=values)
    if not existing.is_active:
        return edition_update(acting_user=actor, edition=existing, values={"is_active": True})
    return existing


def _line(description: str, category: str, amount: str) -> svc.LineInput:
    return svc.LineInput(description, category, Decimal(amount))


def _plan(title: str) -> dict[str, str]:
    """Part 3's plan as a district office writes it (every part: the chief may approve)."""
    return {
        "rationale": f"{title} สอดคล้องกับแผนพัฒนาอำเภอ ศักยภาพของพื้นที่ และความต้องการของประชาชนที่เสนอผ่านเวทีประชาคมตำบล",
        "objectives": (
            "1. เพื่อแก้ไขปัญหาและตอบสนองความต้องการของประชาชนในพื้นที่\n"
            "2. เพื่อส่งเสริมการมีส่วนร่วมของประชาชน ผู้นำท้องที่ และหน่วยงานในพื้นที่"
        ),
        "method": (
            "1. ประชุมชี้แจงกำนัน ผู้ใหญ่บ้าน และประชาชนกลุ่มเป้าหมาย\n"
            "2. ดำเนินกิจกรรมตามแผนให้แล้วเสร็จภายในวันที่ 31 สิงหาคม 2570\n"
            "3. ติดตาม ประเมินผล และสรุปผลการดำเนินงาน"
        ),
        "indicators": "ครัวเรือนเป้าหมายไม่น้อยกว่า 150 ครัวเรือนได้รับประโยชน์ และผู้เข้าร่วมพึงพอใจไม่น้อยกว่าร้อยละ 80",
        "expected_results": "ประชาชนในพื้นที่มีคุณภาพชีวิตและรายได้ดีขึ้น เกิดผลเป็นรูปธรรมและต่อยอดได้",
    }


def _data(subdistricts: list[str], lines: list[svc.LineInput], **extra: Any) -> svc.ProjectInput:
    today = timezone.localdate()
    data = svc.ProjectInput(
        subdistricts=subdistricts,
        target_villages=3,
        target_households=150,
        start_date=today,
        end_date=min(today + datetime.timedelta(days=150), datetime.date(2027, 8, 31)),
        primary_objective="development",
        budget_lines=lines,
        do_checklist={"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
    )
    for key, value in extra.items():
        setattr(data, key, value)
    return data


def _implementation(amount: str) -> svc.ImplementationInput:
    return svc.ImplementationInput(
        spend_lines=[_line("ค่าวัสดุดำเนินกิจกรรม", "activity_materials", amount)],
        activities_done="ประชุมชี้แจง ดำเนินกิจกรรมตามแผน และสรุปผลร่วมกับประชาชนในพื้นที่",
        villages_reached=3,
        households_reached=142,
    )


def _progress(project: Project, *, officer: Any, chief: Any, inspector: Any) -> None:
    """The approved project's timeline while it runs: a progress update and two supervision notes."""
    progress_svc.project_progress_add(
        project=project,
        acting_user=officer,
        as_of=timezone.localdate(),
        percent_done=30,
        text="ประชุมชี้แจงผู้นำหมู่บ้านและอาสาสมัคร สำรวจและจัดทำแนวกันไฟแล้วประมาณ 1.5 กิโลเมตร จากแผน 4.5 กิโลเมตร",
    )
    progress_svc.project_supervision_add(
        project=project,
        acting_user=chief,
        text="ติดตามการจัดทำแนวกันไฟแล้ว ดำเนินการตามแผน",
        recommendations="ประสานองค์การบริหารส่วนตำบลเรื่องเครื่องมือและอุปกรณ์",
    )
    progress_svc.project_supervision_add(
        project=project,
        acting_user=inspector,
        text="ลงพื้นที่ตรวจติดตาม ชุมชนมีส่วนร่วมดี",
        recommendations="บันทึกภาพก่อนและหลังดำเนินการเพื่อใช้ในรายงานผล",
    )


def _projects(u: dict[str, Any]) -> int:
    from ..models import BankEntry

    entry = {e.code: e for e in BankEntry.objects.all()}

    def make(code: str, amount: str, officer: str = "officer", **extra: Any) -> Project:
        e = entry[code]
        lines = [
            _line("ค่าวัสดุดำเนินกิจกรรม", "activity_materials", str(Decimal(amount) - Decimal("5000"))),
            _line("ค่าตอบแทนวิทยากร", "wages", "5000.00"),
        ]
        return svc.project_create(
            acting_user=u[officer],
            bank_entry=e,
            data=_data([e.subdistrict_id], lines, title=e.title, **{**_plan(e.title), **extra}),
        )

    officer, chief, inspector = u["officer"], u["chief"], u["inspector"]
    # Mueang Chiang Mai (5001): one project in each state before submission.
    make("TPB-500101-01", "20000.00")  # selected: waits for the chief
    returned = make("TPB-500101-02", "15000.00")
    svc.project_return(project=returned, acting_user=chief, comment="โปรดระบุจำนวนครัวเรือนเป้าหมายให้ชัดเจน")
    approved = make("TPB-500102-01", "20000.00")
    svc.project_approve(project=approved, acting_user=chief, comment="เห็นชอบ ดำเนินการได้")
    _progress(approved, officer=officer, chief=chief, inspector=inspector)
    # The province pays the district once its first project is approved: a first tranche here.
    money_svc.district_disbursement_record(
        acting_user=u["provincial"],
        district="5001",
        amount=Decimal("100000.00"),
        paid_on=timezone.localdate(),
        reference="ปค ๐๐๑๘.๒/๑๒๓",
        note="งวดที่ ๑",
    )
    implemented = make("TPB-500102-02", "20000.00")
    svc.project_approve(project=implemented, acting_user=chief, comment="เห็นชอบ")
    svc.project_implement(project=implemented, acting_user=officer, record=_implementation("19500.00"))
    monitored = make("TPB-500103-01", "15000.00")
    svc.project_approve(project=monitored, acting_user=chief, comment="เห็นชอบ")
    svc.project_implement(project=monitored, acting_user=officer, record=_implementation("14800.00"))
    svc.project_monitor(
        project=monitored,
        acting_user=inspector,
        findings="ดำเนินการครบตามแผน ประชาชนใช้งานแอปพลิเคชันจริง",
        recommendations="ขยายผลไปยังอำเภออื่นในจังหวัด",
    )
    reported = make(
        "TPB-500103-02",
        "20000.00",
        primary_objective="training",
        training_kind="occupation",
        training_target_local=True,
    )
    svc.project_approve(project=reported, acting_user=chief, comment="เห็นชอบ")
    svc.project_implement(project=reported, acting_user=officer, record=_implementation("19000.00"))
    svc.project_monitor(project=reported, acting_user=inspector, findings="ผู้เข้าอบรมนำความรู้ไปประกอบอาชีพได้")
    svc.project_report(
        project=reported,
        acting_user=officer,
        result_narrative="ผู้เข้ารับการฝึกอบรม 45 คน มีรายได้เพิ่มขึ้นเฉลี่ยร้อยละ 15",
        problems="ช่วงฤดูเก็บเกี่ยวผู้เข้าอบรมบางส่วนไม่สะดวกเข้าร่วม จึงเพิ่มรอบอบรมช่วงเย็น",
        suggestions="ควรจัดหาตลาดรองรับผลผลิตของผู้ผ่านการอบรมอย่างต่อเนื่อง",
    )
    rejected = make("TPB-500101-03", "30000.00")
    svc.project_reject(project=rejected, acting_user=chief, comment="ซ้ำซ้อนกับโครงการของจังหวัด")
    withdrawn = make("TPB-500102-03", "10000.00")
    svc.project_withdraw(project=withdrawn, acting_user=officer, comment="ทบทวนแล้ว ไม่สอดคล้องกับข้อห้าม")
    # Chom Thong (5002): a project carried all the way to submission.
    submitted = make("TPB-500203-01", "60000.00", officer="officer_ct")
    svc.project_approve(project=submitted, acting_user=u["chief_ct"], comment="เห็นชอบ")
    money_svc.district_disbursement_record(
        acting_user=u["provincial"],
        district="5002",
        amount=Decimal("150000.00"),
        paid_on=timezone.localdate(),
        reference="ปค ๐๐๑๘.๒/๑๒๔",
    )
    svc.project_implement(project=submitted, acting_user=u["officer_ct"], record=_implementation("58000.00"))
    svc.project_monitor(project=submitted, acting_user=inspector, findings="ผลผลิตกาแฟแปรรูปได้มาตรฐาน")
    svc.project_report(
        project=submitted,
        acting_user=u["officer_ct"],
        result_narrative="รายได้กลุ่มเพิ่มขึ้นร้อยละ 20",
        problems="เครื่องคั่วกาแฟมีกำลังผลิตจำกัดในช่วงแรก",
        suggestions="ขยายผลการแปรรูปกาแฟไปยังตำบลข้างเคียง",
    )
    for step in _before_submission:
        step(u)  # e.g. parts 1 and 2 of the report book (reports.demo)
    svc.district_submit(
        district="5002",
        acting_user=u["chief_ct"],
        comment="ส่งรายงานผลการขับเคลื่อน",
        letter_number="มท ๐๓๑๘.๒/๑๒๓",  # the covering letter (หนังสือนำส่ง), dated today
    )
    return 9


@transaction.atomic
def demo_seed(*, acting_user: Any = None) -> DemoSummary:
    actor = acting_user or system_user()
    directory, geography = _geography_dir()
    geography_import(directory=directory, acting_user=actor)
    regions_import_text(REGIONS_CSV, actor)
    bank_import_file(
        fileobj=io.BytesIO(BANK_CSV.encode("utf-8")), filename="demo-bank.csv", acting_user=actor
    )
    users: dict[str, Any] = {}
    admin_user = _user("admin", "ผู้ดูแลระบบ")
    for username, role, area, display in DEMO_USERS:
        users[username] = _user(username, display) if username != "admin" else admin_user
        if not RoleMembership.objects.filter(user=users[username], role=role).exists():
            role_grant(acting_user=actor, user=users[username], role=role, area_code=area)
        access.forget(users[username])
    edition = _edition(admin_user)
    if not designated_codes(edition):
        edition_districts_replace(
            acting_user=users["planner"], edition=edition, district_codes=DEMO_DISTRICTS
        )
    created = 0
    if not Project.objects.filter(edition=edition).exists():
        created = _projects(users)
    return DemoSummary(
        geography=geography,
        users=[(username, role, area) for username, role, area, _display in DEMO_USERS],
        projects_created=created,
    )


def regions_import_text(text: str, actor: Any) -> None:
    import tempfile

    if InspectionRegion.objects.filter(code=DEMO_REGION).exists():
        return
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False) as handle:
        handle.write(text)
        name = handle.name
    try:
        regions_import(path=Path(name), acting_user=actor)
    finally:
        Path(name).unlink(missing_ok=True)
