"""What every page's header needs: the user's roles and the links they may follow."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from workflow import access
from workflow.models import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    principal = access.principal_for(user)
    roles = {g.role for g in principal.grants}
    return {
        "nav": {
            "roles": sorted(roles),
            "acting_for": sorted({g.acting_for.get_username() for g in principal.grants if g.acting_for}),
            "can_select": Role.DISTRICT_OFFICER in roles,
            "can_delegate": any(
                g.role == Role.DISTRICT_CHIEF and g.acting_for_id is None for g in principal.grants
            ),
            "can_audit": access.may_read_all_history(principal),
            "can_dashboard": bool(access.dashboard_grants(principal)),
            "can_admin": access.may_enter_admin(principal),
            "districts": sorted({g.district_code for g in principal.grants if g.district_code}),
        }
    }
