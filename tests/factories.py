"""Small builders for tests: a province with two districts, users holding roles, projects."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from workflow.models import (
    BankEntry,
    District,
    Edition,
    InspectionRegion,
    Project,
    Province,
    RoleMembership,
    RoleModelDistrict,
    Subdistrict,
)
from workflow.services.projects import LineInput, ProjectInput, project_create

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


def geography() -> dict[str, Any]:
    """Province 50 (Chiang Mai) with districts 5001 and 5002; province 51 with 5101; a region."""
    p50 = Province.objects.create(code="50", name_th="เชียงใหม่", name_en="Chiang Mai")
    p51 = Province.objects.create(code="51", name_th="ลำพูน", name_en="Lamphun")
    d1 = District.objects.create(
        code="5001", province=p50, name_th="เมืองเชียงใหม่", name_en="Mueang Chiang Mai"
    )
    d2 = District.objects.create(code="5002", province=p50, name_th="จอมทอง", name_en="Chom Thong")
    d3 = District.objects.create(code="5101", province=p51, name_th="เมืองลำพูน", name_en="Mueang Lamphun")
    subs = {}
    for district in (d1, d2, d3):
        for n in (1, 2, 3):
            code = f"{district.code}{n:02d}"
            subs[code] = Subdistrict.objects.create(
                code=code, district=district, name_th=f"ตำบล {code}", name_en=f"Tambon {code}"
            )
    region = InspectionRegion.objects.create(code="R15", name="เขตตรวจราชการที่ 15")
    region.provinces.add(p50)
    region_other = InspectionRegion.objects.create(code="R16", name="เขตตรวจราชการที่ 16")
    region_other.provinces.add(p51)
    return {
        "p50": p50,
        "p51": p51,
        "d1": d1,
        "d2": d2,
        "d3": d3,
        "subs": subs,
        "region": region,
        "region2": region_other,
    }


def active_edition(deadline: datetime.date | None = None, cap: str = "150000.00") -> Edition:
    Edition.objects.update(is_active=False)
    edition, _ = Edition.objects.update_or_create(
        code="2570",
        defaults={
            "title": "Test edition",
            "budget_cap": Decimal(cap),
            "deadline": deadline or timezone.localdate() + datetime.timedelta(days=120),
            "is_active": True,
        },
    )
    designate(edition)
    return edition


def designate(edition: Edition, districts: Any = None) -> None:
    """Designate ``districts`` (default: every programme district there is) for ``edition``."""
    codes = (
        [d.code if isinstance(d, District) else d for d in districts]
        if districts is not None
        else list(District.objects.programme().values_list("code", flat=True))
    )
    RoleModelDistrict.objects.bulk_create(
        [RoleModelDistrict(edition=edition, district_id=code) for code in codes], ignore_conflicts=True
    )


def user_with(username: str, role: str | None = None, area: Any = None, **extra: Any) -> Any:
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org", **extra
    )
    if role:
        grant(user, role, area)
    return user


def grant(user: Any, role: str, area: Any = None) -> RoleMembership:
    kwargs: dict[str, Any] = {}
    if isinstance(area, District):
        kwargs["district"] = area
    elif isinstance(area, Province):
        kwargs["province"] = area
    elif isinstance(area, InspectionRegion):
        kwargs["region"] = area
    membership = RoleMembership.objects.create(user=user, role=role, **kwargs)
    if hasattr(user, "_rolemodel_principal"):
        del user._rolemodel_principal
    return membership


def bank_entry(
    subdistrict: Subdistrict, code: str = "B-1", dimension: str = "economy", budget: str = "50000"
) -> BankEntry:
    return BankEntry.objects.create(
        code=code,
        subdistrict=subdistrict,
        title="ส่งเสริมอาชีพวิสาหกิจชุมชน",
        description="Occupation promotion for a community enterprise",
        dimension=dimension,
        estimated_budget=Decimal(budget),
    )


# Part 3's plan as an officer writes it (every part filled: the chief may approve). Splat it
# into an API payload (``**f.PLAN``) or a page's POST.
PLAN: dict[str, str] = {
    "rationale": "ประชาชนในตำบลมีรายได้ไม่เพียงพอ สอดคล้องกับแผนพัฒนาอำเภอด้านเศรษฐกิจ",
    "objectives": "เพื่อส่งเสริมอาชีพและเพิ่มรายได้ให้ครัวเรือนเป้าหมาย",
    "method": "ประชุมชี้แจง จัดอบรมอาชีพ ๓ ครั้ง และติดตามผลรายเดือน",
    "indicators": "ครัวเรือนเป้าหมาย ๑๒๐ ครัวเรือนมีรายได้เพิ่มขึ้นร้อยละ ๑๐",
    "expected_results": "ครัวเรือนมีอาชีพเสริมและรายได้เพิ่มขึ้นอย่างยั่งยืน",
}


def good_input(subdistricts: list[str], amount: str = "50000.00", **overrides: Any) -> ProjectInput:
    """A project the guideline welcomes: occupation promotion in the district's subdistricts,
    with its whole plan (part 3) written."""
    today = timezone.localdate()
    data = ProjectInput(
        title="โครงการส่งเสริมอาชีพ/วิสาหกิจในตำบล",
        dimension="economy",
        subdistricts=subdistricts,
        target_villages=3,
        target_households=120,
        start_date=today,
        end_date=today + datetime.timedelta(days=60),
        primary_objective="development",
        budget_lines=[
            LineInput("วัสดุฝึกปฏิบัติ", "activity_materials", Decimal(amount) - Decimal("10000.00")),
            LineInput("ค่าวิทยากร", "wages", Decimal("10000.00")),
        ],
        do_checklist={"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True},
    )
    for key, value in {**PLAN, **overrides}.items():
        setattr(data, key, value)
    return data


def free_entry(entry: BankEntry) -> BankEntry:
    """``entry``, or a copy of it in the same subdistrict when a live project of the active
    edition already holds it (a bank entry is taken once per district and edition)."""
    edition = Edition.objects.filter(is_active=True).first()
    if edition is None or not Project.objects.committed().filter(edition=edition, bank_entry=entry).exists():
        return entry
    copies = BankEntry.objects.filter(code__startswith=f"{entry.code}~").count()
    return BankEntry.objects.create(
        code=f"{entry.code}~{copies + 1}",
        subdistrict_id=entry.subdistrict_id,
        title=entry.title,
        description=entry.description,
        dimension=entry.dimension,
        estimated_budget=entry.estimated_budget,
    )


def make_project(officer: Any, entry: BankEntry, amount: str = "50000.00", **overrides: Any) -> Any:
    """A project selected by ``officer`` from ``entry`` (or from a copy of it when it is taken)."""
    entry = free_entry(entry)
    subs = [entry.subdistrict_id]
    return project_create(acting_user=officer, bank_entry=entry, data=good_input(subs, amount, **overrides))


def disburse(
    district: District | str,
    amount: str = "150000.00",
    *,
    by: Any = None,
    paid_on: datetime.date | None = None,
    reference: str = "ปค 0018.2/123",
) -> Any:
    """The province's disbursement to ``district`` (through the service), recorded by ``by`` or
    by a provincial officer of its province (one is made when the province has none)."""
    from workflow.models import Role
    from workflow.services.money import district_disbursement_record

    target = district if isinstance(district, District) else District.objects.get(code=district)
    if by is None:
        membership = (
            RoleMembership.objects.filter(role=Role.PROVINCIAL_OFFICER, province_id=target.province_id)
            .select_related("user")
            .order_by("id")
            .first()
        )
        by = membership.user if membership else None
    if by is None:
        by = user_with(f"treasurer_{target.province_id}", Role.PROVINCIAL_OFFICER, target.province)
    return district_disbursement_record(
        acting_user=by,
        district=target,
        amount=Decimal(amount),
        paid_on=paid_on or timezone.localdate(),
        reference=reference,
    )


def image_bytes(fmt: str = "PNG", colour: tuple[int, int, int] = (30, 120, 60)) -> bytes:
    """A real (tiny) photo: uploads are judged by their content (``workflow.uploads``)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def image_upload(
    name: str = "photo.png", fmt: str = "PNG", colour: tuple[int, int, int] = (30, 120, 60)
) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, image_bytes(fmt, colour), content_type=content_type)


def project_form(**overrides: Any) -> dict[str, Any]:
    """A project form as the selection page posts it (Thai dates, one budget line), valid."""
    data: dict[str, Any] = {
        "title": "ตลาดชุมชน",
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": "4",
        "target_households": "150",
        "start_date": "01/12/2569",
        "end_date": "28/02/2570",
        "primary_objective": "development",
        "line-0-description": "วัสดุจัดตลาด",
        "line-0-category": "activity_materials",
        "line-0-amount": "30000",
        "do_fits_district_plan": "on",
        "do_feasible": "on",
        "do_area_ready": "on",
        "do_permitted": "on",
    }
    data.update(overrides)
    return data
