"""Small builders for tests: a province with two districts, users holding roles, projects."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from workflow.models import (
    BankEntry,
    District,
    Edition,
    InspectionRegion,
    Province,
    RoleMembership,
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
            "deadline": deadline or datetime.date.today() + datetime.timedelta(days=120),
            "is_active": True,
        },
    )
    return edition


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


def good_input(subdistricts: list[str], amount: str = "50000.00", **overrides: Any) -> ProjectInput:
    """A project the guideline welcomes: occupation promotion in the district's subdistricts."""
    today = datetime.date.today()
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
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def make_project(officer: Any, entry: BankEntry, amount: str = "50000.00", **overrides: Any) -> Any:
    subs = [entry.subdistrict_id]
    return project_create(acting_user=officer, bank_entry=entry, data=good_input(subs, amount, **overrides))
