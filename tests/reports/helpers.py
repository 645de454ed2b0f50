"""Moving projects along their life through the services, for the report book's tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workflow.models import Project, State
from workflow.services import projects as svc

ORDER = [State.SELECTED, State.APPROVED, State.IMPLEMENTED, State.MONITORED, State.REPORTED]


def advance(project: Project, to: str, *, officer: Any, chief: Any, inspector: Any) -> Project:
    """Take ``project`` forward through the services until it is in state ``to`` (≤ reported)."""
    project.refresh_from_db()
    while ORDER.index(State(project.state)) < ORDER.index(State(to)):
        state = project.state
        if state == State.SELECTED:
            svc.project_approve(project=project, acting_user=chief, comment="เห็นชอบ")
        elif state == State.APPROVED:
            svc.project_implement(
                project=project,
                acting_user=officer,
                record=svc.ImplementationInput(
                    spend_lines=[svc.LineInput("วัสดุฝึกปฏิบัติ", "activity_materials", Decimal("38500.00"))],
                    activities_done="อบรมอาชีพ ๓ ครั้ง ผู้ใหญ่บ้านและกำนันร่วมกิจกรรม",
                    villages_reached=3,
                    households_reached=118,
                ),
            )
        elif state == State.IMPLEMENTED:
            svc.project_monitor(
                project=project,
                acting_user=inspector,
                findings="ฝายชะลอน้ำสร้างแล้วเสร็จตามแผน",
                recommendations="ขยายผลไปยังตำบลข้างเคียง",
            )
        elif state == State.MONITORED:
            svc.project_report(project=project, acting_user=officer, result_narrative="ผลสำเร็จตามเป้าหมาย")
        project.refresh_from_db()
    return project


def advance_world(project: Project, to: str, world: Any) -> Project:
    """``advance`` with the users of the ``world`` fixture's district 5001."""
    return advance(project, to, officer=world.officer, chief=world.chief, inspector=world.inspector)
