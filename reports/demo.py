"""Demo data of the report book: parts 1 and 2 for the two demo districts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from . import parts

# The demo's preface (คำนำ), as a district office would write it.
PREFACE = (
    "รายงานผลการขับเคลื่อนอำเภอต้นแบบ (Role Model) ตามโครงการพัฒนาตำบลแบบบูรณาการ "
    "(Tambon Smart Team) ของอำเภอ%(district)s ฉบับนี้ จัดทำขึ้นตามแนวทางของกรมการปกครอง "
    "เพื่อรายงานข้อมูลพื้นฐานของอำเภอ การขับเคลื่อนการดำเนินงานของทีมตำบล "
    "และผลการดำเนินแผนงาน/โครงการ ตามแนวทางขับเคลื่อนอำเภอต้นแบบ\n"
    "อำเภอ%(district)s ขอขอบคุณกำนัน ผู้ใหญ่บ้าน องค์กรปกครองส่วนท้องถิ่น ส่วนราชการ "
    "และประชาชนทุกภาคส่วนที่ร่วมขับเคลื่อนโครงการจนสำเร็จลุล่วงด้วยดี"
)

PROFILES = {
    "5001": (
        "officer",
        parts.ProfileInput(
            population=234_649,
            households=119_860,
            villages=76,
            area_sq_km=Decimal("152.40"),
            general="อำเภอเมืองเชียงใหม่เป็นศูนย์กลางการปกครองและเศรษฐกิจของจังหวัด ที่ทำการปกครองอำเภอตั้งอยู่ในตัวเมือง",
            economy="การค้า การบริการ การท่องเที่ยว และหัตถกรรมพื้นบ้าน",
            problems_needs="การจราจรหนาแน่น ขยะในชุมชน และรายได้ของผู้สูงอายุ",
            potential="กำนันและผู้ใหญ่บ้านเข้มแข็ง วิสาหกิจชุมชนจำนวนมาก และเครือข่ายสถานศึกษา",
            preface=PREFACE % {"district": "เมืองเชียงใหม่"},
            office_address="ถนนโชตนา ตำบลช้างเผือก\nอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ ๕๐๓๐๐",
            facts=[
                parts.FactInput("ตำบล", "16", "ข้อมูลการปกครอง", "ตำบล"),
                parts.FactInput("หมู่บ้าน", "76", "ข้อมูลการปกครอง", "หมู่บ้าน"),
                parts.FactInput("วิสาหกิจชุมชน", "112", "ข้อมูลเศรษฐกิจ", "กลุ่ม"),
            ],
        ),
    ),
    "5002": (
        "officer_ct",
        parts.ProfileInput(
            population=66_530,
            households=25_104,
            villages=107,
            area_sq_km=Decimal("712.30"),
            general="อำเภอจอมทองตั้งอยู่ทางทิศใต้ของจังหวัดเชียงใหม่ เป็นที่ตั้งของดอยอินทนนท์",
            economy="เกษตรกรรม ปลูกข้าว ลำไย และกาแฟบนพื้นที่สูง",
            problems_needs="ขาดแคลนน้ำในฤดูแล้ง ราคาผลผลิตไม่แน่นอน ต้องการฝายชะลอน้ำและการแปรรูปผลผลิต",
            potential="กาแฟคุณภาพดี แหล่งท่องเที่ยวธรรมชาติ และผู้นำท้องที่เข้มแข็ง",
            preface=PREFACE % {"district": "จอมทอง"},
            office_address="ถนนเชียงใหม่–ฮอด ตำบลบ้านหลวง\nอำเภอจอมทอง จังหวัดเชียงใหม่ ๕๐๑๖๐",
            facts=[
                parts.FactInput("พื้นที่เกษตร", "182,000", "การใช้ที่ดิน", "ไร่"),
                parts.FactInput("ป่าไม้", "240,000", "การใช้ที่ดิน", "ไร่"),
            ],
        ),
    ),
}


def seed_book_parts(users: dict[str, Any]) -> None:
    """Parts 1 and 2 of both demo districts, through the services (audited like any save)."""
    for code, (officer, profile) in PROFILES.items():
        parts.district_profile_update(district=code, acting_user=users[officer], data=profile)
        parts.drive_report_update(
            district=code,
            acting_user=users[officer],
            data=parts.DriveReportInput(
                narrative=(
                    "อำเภอขับเคลื่อนโครงการพัฒนาตำบลแบบบูรณาการผ่านทีมตำบล (Tambon Smart Team) "
                    "โดยปลัดอำเภอประจำตำบลร่วมกับกำนัน ผู้ใหญ่บ้าน และองค์กรปกครองส่วนท้องถิ่น"
                ),
                team_narrative="ทีมตำบลประชุมทุกเดือน ติดตามโครงการและรายงานนายอำเภอ",
                team=[
                    parts.TeamMemberInput("นายสมชาย ใจดี", "ปลัดอำเภอ", "หัวหน้าทีม"),
                    parts.TeamMemberInput("นายบุญมี ศรีสุข", "กำนัน", "ผู้ประสานงานในพื้นที่"),
                ],
                meetings=[
                    parts.MeetingInput(datetime.date(2026, 10, 20), "คัดเลือกโครงการจากคลังข้อมูล", "เห็นชอบ"),
                ],
                activities=[
                    parts.ActivityInput("ลงพื้นที่สำรวจความต้องการ", datetime.date(2026, 10, 27), 45, "ได้ข้อมูลครบ"),
                ],
            ),
        )
