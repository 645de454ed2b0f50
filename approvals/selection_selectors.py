"""Reads for the selection pages: the Tambon Project Bank scoped to the officer's districts.

The bank itself is public reference data (the API lists all of it), but the selection pages
only offer a district officer the entries of the districts where they hold
``district_officer``: they can only select those (``access.create_grant``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from workflow import access
from workflow.errors import NotFound
from workflow.models import BankEntry, District, Edition, Project, Role, Subdistrict


def officer_district_codes(user: Any) -> list[str]:
    """The districts where the user is a district officer today (own role or acting), sorted."""
    principal = access.principal_for(user)
    grants = principal.grants_for([Role.DISTRICT_OFFICER])
    return sorted({g.district_code for g in grants if g.district_code})


def officer_districts(user: Any) -> list[District]:
    codes = officer_district_codes(user)
    if not codes:
        return []
    return list(District.objects.filter(code__in=codes).select_related("province").order_by("code"))


def subdistricts_of(district_codes: list[str]) -> QuerySet[Subdistrict]:
    return Subdistrict.objects.filter(district_id__in=district_codes).order_by("district_id", "code")


def bank_for_officer(
    user: Any, *, subdistrict: str = "", dimension: str = "", text: str = ""
) -> QuerySet[BankEntry]:
    """Bank entries of the user's officer districts, filtered; ordered by code."""
    codes = officer_district_codes(user)
    qs = BankEntry.objects.filter(subdistrict__district_id__in=codes).select_related("subdistrict__district")
    if subdistrict:
        qs = qs.filter(subdistrict_id=subdistrict)
    if dimension:
        qs = qs.filter(dimension=dimension)
    text = text.strip()
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(description__icontains=text) | Q(code__icontains=text))
    return qs.order_by("code")


def bank_entry_for_officer(user: Any, pk: Any) -> BankEntry:
    """One entry of the user's officer districts; any other entry does not exist for them."""
    codes = officer_district_codes(user)
    try:
        return (
            BankEntry.objects.filter(subdistrict__district_id__in=codes)
            .select_related("subdistrict__district__province")
            .get(pk=pk)
        )
    except (BankEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def taken_entries(edition: Edition | None, entry_ids: list[int]) -> dict[int, Project]:
    """Of ``entry_ids``, those already selected in ``edition`` by a live project (not rejected or
    withdrawn): a bank entry is taken once per district and edition. Maps entry id to project."""
    if edition is None or not entry_ids:
        return {}
    projects = (
        Project.objects.committed()
        .filter(edition=edition, bank_entry_id__in=entry_ids)
        .only("pk", "title", "state", "bank_entry_id")
    )
    return {project.bank_entry_id: project for project in projects}
