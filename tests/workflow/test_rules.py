"""The guideline's rules: ``workflow.rules.evaluate`` on its own, then through the services and the API."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from tests import factories as f
from workflow.errors import RuleViolation
from workflow.models import AuditEvent, BudgetLine, Edition, Project, State
from workflow.rules import DIMENSIONS, RULES, EditionFacts, ProjectFacts, evaluate
from workflow.services import projects as svc
from workflow.services.projects import LineInput

THAI = re.compile(r"[\u0E00-\u0E7F]")
ALL_DO = {"fits_district_plan": True, "feasible": True, "area_ready": True, "permitted": True}
DEADLINE = datetime.date(2021, 8, 31)  # 31 ส.ค. 2564, the guideline's deadline
CAP = Decimal("150000.00")
EDITION = EditionFacts(budget_cap=CAP, deadline=DEADLINE)
ZERO = Decimal("0.00")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """The world fixture creates 13 users; the default hasher would make each test take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def facts(**overrides: Any) -> ProjectFacts:
    """A project of district 5001 that passes every rule; ``overrides`` break one thing."""
    values: dict[str, Any] = {
        "district_code": "5001",
        "dimension": "economy",
        "dimension_other": "",
        "subdistrict_districts": ("5001", "5001"),
        "target_villages": 3,
        "target_households": 120,
        "start_date": datetime.date(2021, 6, 1),
        "end_date": datetime.date(2021, 8, 15),
        "primary_objective": "development",
        "training_kind": "",
        "training_target_local": False,
        "line_categories": ("activity_materials", "wages"),
        "budget": Decimal("50000.00"),
        "do_checklist": dict(ALL_DO),
    }
    values.update(overrides)
    return ProjectFacts(**values)


def failed(project: ProjectFacts, committed: Decimal = ZERO, edition: EditionFacts = EDITION) -> set[str]:
    return {r.code for r in evaluate(project, edition, committed) if not r.passed}


def result(project: ProjectFacts, code: str, committed: Decimal = ZERO) -> Any:
    return next(r for r in evaluate(project, EDITION, committed) if r.code == code)


# --- evaluate(): one result per rule ----------------------------------------------------------


def test_every_rule_is_evaluated_once_and_a_good_project_passes_them_all():
    results = evaluate(facts(), EDITION, ZERO)
    assert sorted(r.code for r in results) == sorted(RULES)
    assert len(results) == len(RULES) == 14
    assert all(r.passed for r in results)


# Each case breaks exactly one rule, and only that rule fails.
FAILING = [
    ("budget_cap_exceeded", {"budget": Decimal("150000.01")}, ZERO),
    ("budget_cap_exceeded", {"budget": Decimal("50000.01")}, Decimal("100000.00")),
    ("budget_cap_exceeded", {"budget": Decimal("0.01")}, Decimal("150000.00")),
    ("budget_cap_exceeded", {"budget": ZERO}, Decimal("150000.01")),
    ("deadline_exceeded", {"end_date": datetime.date(2021, 9, 1)}, ZERO),
    ("deadline_exceeded", {"end_date": datetime.date(2022, 1, 1)}, ZERO),
    ("dates_invalid", {"start_date": datetime.date(2021, 8, 16)}, ZERO),
    ("dates_invalid", {"start_date": None}, ZERO),
    ("dates_invalid", {"end_date": None}, ZERO),
    ("dates_invalid", {"start_date": None, "end_date": None}, ZERO),
    ("targets_required", {"target_villages": 0}, ZERO),
    ("targets_required", {"target_households": 0}, ZERO),
    ("targets_required", {"target_villages": 0, "target_households": 0}, ZERO),
    ("area_required", {"subdistrict_districts": ()}, ZERO),
    ("area_outside_district", {"subdistrict_districts": ("5001", "5002")}, ZERO),
    ("area_outside_district", {"subdistrict_districts": ("5101",)}, ZERO),
    ("dimension_required", {"dimension": ""}, ZERO),
    ("dimension_required", {"dimension": "tourism"}, ZERO),
    ("dimension_other_required", {"dimension": "other", "dimension_other": ""}, ZERO),
    ("dimension_other_required", {"dimension": "other", "dimension_other": "   "}, ZERO),
    ("do_checklist_incomplete", {"do_checklist": {}}, ZERO),
    ("do_checklist_incomplete", {"do_checklist": {**ALL_DO, "permitted": False}}, ZERO),
    ("do_checklist_incomplete", {"do_checklist": {**ALL_DO, "area_ready": False}}, ZERO),
    (
        "do_checklist_incomplete",
        {"do_checklist": {"fits_district_plan": True, "feasible": True, "area_ready": True}},
        ZERO,
    ),
    ("dont_handouts", {"line_categories": ("activity_materials", "handouts")}, ZERO),
    ("dont_routine_equipment", {"line_categories": ("routine_equipment",)}, ZERO),
    ("dont_buildings", {"line_categories": ("wages", "building_works")}, ZERO),
    ("dont_training", {"primary_objective": "training"}, ZERO),
    ("dont_training", {"primary_objective": "training", "training_kind": "other"}, ZERO),
    (
        "dont_training",
        {"primary_objective": "training", "training_kind": "other", "training_target_local": True},
        ZERO,
    ),
    ("dont_training", {"primary_objective": "training", "training_kind": "occupation"}, ZERO),
    ("dont_training", {"primary_objective": "training", "training_kind": "security"}, ZERO),
]


@pytest.mark.parametrize(
    ("code", "overrides", "committed"),
    [pytest.param(c, o, m, id=f"{c}-{i}") for i, (c, o, m) in enumerate(FAILING)],
)
def test_each_rule_fails_alone(code, overrides, committed):
    assert failed(facts(**overrides), committed) == {code}


# Each case is close to a failure of the rule but passes every rule.
PASSING = [
    ("budget_cap_exceeded", {"budget": Decimal("150000.00")}, ZERO),
    ("budget_cap_exceeded", {"budget": Decimal("50000.00")}, Decimal("100000.00")),
    ("budget_cap_exceeded", {"budget": Decimal("0.01")}, Decimal("149999.99")),
    ("budget_cap_exceeded", {"budget": ZERO}, Decimal("150000.00")),
    ("deadline_exceeded", {"end_date": DEADLINE}, ZERO),
    ("dates_invalid", {"start_date": datetime.date(2021, 8, 15)}, ZERO),
    ("dates_invalid", {"start_date": DEADLINE, "end_date": DEADLINE}, ZERO),
    ("targets_required", {"target_villages": 1, "target_households": 1}, ZERO),
    ("area_required", {"subdistrict_districts": ("5001",)}, ZERO),
    ("area_outside_district", {"subdistrict_districts": ("5001", "5001", "5001")}, ZERO),
    *[("dimension_required", {"dimension": d, "dimension_other": "การท่องเที่ยว"}, ZERO) for d in DIMENSIONS],
    ("dimension_other_required", {"dimension": "other", "dimension_other": "การท่องเที่ยวชุมชน"}, ZERO),
    ("dimension_other_required", {"dimension": "economy", "dimension_other": ""}, ZERO),
    ("do_checklist_incomplete", {"do_checklist": dict(ALL_DO)}, ZERO),
    (
        "dont_handouts",
        {"line_categories": ("activity_materials", "services", "wages", "training", "other")},
        ZERO,
    ),
    ("dont_routine_equipment", {"line_categories": ()}, ZERO),
    ("dont_buildings", {"line_categories": ("other",)}, ZERO),
    (
        "dont_training",
        {"primary_objective": "training", "training_kind": "occupation", "training_target_local": True},
        ZERO,
    ),
    (
        "dont_training",
        {"primary_objective": "training", "training_kind": "security", "training_target_local": True},
        ZERO,
    ),
    ("dont_training", {"primary_objective": "development", "training_kind": "other"}, ZERO),
]


@pytest.mark.parametrize(
    ("code", "overrides", "committed"),
    [pytest.param(c, o, m, id=f"{c}-{i}") for i, (c, o, m) in enumerate(PASSING)],
)
def test_each_rule_passes(code, overrides, committed):
    assert failed(facts(**overrides), committed) == set()
    assert result(facts(**overrides), code, committed).passed


# --- The boundaries the brief names --------------------------------------------------------


def test_cap_boundary_exactly_150000_passes_one_satang_more_fails():
    assert result(facts(budget=Decimal("50000.00")), "budget_cap_exceeded", Decimal("100000.00")).passed
    assert not result(facts(budget=Decimal("50000.01")), "budget_cap_exceeded", Decimal("100000.00")).passed


def test_end_on_the_deadline_passes_the_day_after_fails():
    assert result(facts(end_date=DEADLINE), "deadline_exceeded").passed
    assert not result(facts(end_date=DEADLINE + datetime.timedelta(days=1)), "deadline_exceeded").passed


def test_start_after_end_fails():
    end = datetime.date(2021, 7, 1)
    assert result(facts(start_date=end, end_date=end), "dates_invalid").passed
    assert not result(
        facts(start_date=end + datetime.timedelta(days=1), end_date=end), "dates_invalid"
    ).passed


@pytest.mark.parametrize("kind", ["occupation", "security", "other", ""])
@pytest.mark.parametrize("local", [True, False])
def test_training_as_main_goal_only_for_occupation_or_security_of_local_people(kind, local):
    project = facts(primary_objective="training", training_kind=kind, training_target_local=local)
    allowed = kind in ("occupation", "security") and local
    assert result(project, "dont_training").passed is allowed


def test_dimension_must_be_one_of_the_editions_dimensions():
    edition = EditionFacts(budget_cap=CAP, deadline=DEADLINE, dimensions=("economy", "social"))
    assert failed(facts(dimension="economy"), edition=edition) == set()
    assert failed(facts(dimension="environment"), edition=edition) == {"dimension_required"}


# --- Messages ------------------------------------------------------------------------------

FIELDS = {
    "budget_cap_exceeded": "budget_lines",
    "deadline_exceeded": "end_date",
    "dates_invalid": "start_date",
    "targets_required": "target_villages",
    "area_required": "subdistricts",
    "area_outside_district": "subdistricts",
    "dimension_required": "dimension",
    "dimension_other_required": "dimension_other",
    "do_checklist_incomplete": "do_checklist",
    "dont_handouts": "budget_lines",
    "dont_routine_equipment": "budget_lines",
    "dont_buildings": "budget_lines",
    "dont_training": "primary_objective",
    "spend_cap_exceeded": "spend_lines",
}


def thai_translation_exists(code: str) -> bool:
    rule = RULES[code]
    with translation.override("th"):
        thai = str(rule.message)
    with translation.override("en"):
        english = str(rule.message)
    return thai != english


@pytest.mark.parametrize(("code", "overrides", "committed"), [(c, o, m) for c, o, m in FAILING[::3]])
def test_a_failure_as_error_names_code_field_and_both_languages(code, overrides, committed):
    error = result(facts(**overrides), code, committed).as_error()
    assert error["code"] == code
    assert error["field"] == FIELDS[code]
    assert error["message_en"].strip()
    assert error["message_th"].strip()
    assert error["clause"].strip()
    assert not THAI.search(error["message_en"])
    if thai_translation_exists(code):
        assert THAI.search(error["message_th"])


def test_budget_message_gives_the_amounts_in_baht():
    error = result(facts(budget=Decimal("50000.01")), "budget_cap_exceeded", Decimal("100000.00")).as_error()
    for message in (error["message_en"], error["message_th"]):
        assert "100,000.00" in message
        assert "50,000.01" in message
        assert "150,000.00" in message


def test_deadline_message_gives_the_date_in_buddhist_era_in_thai_and_ce_in_english():
    error = result(facts(end_date=datetime.date(2021, 9, 1)), "deadline_exceeded").as_error()
    assert "31 ส.ค. 2564" in error["message_th"]
    assert "31 Aug 2021" in error["message_en"]


# --- The guideline's examples, as projects ----------------------------------------------------

GOOD_EXAMPLES = {
    # ส่งเสริมอาชีพ/วิสาหกิจชุมชน: a weaving group's materials, a trainer, packaging design.
    "occupation_community_enterprise": {
        "dimension": "economy",
        "line_categories": ("activity_materials", "wages", "services"),
        "budget": Decimal("80000.00"),
    },
    # The same, led by occupational training of the area's own people: allowed.
    "occupation_training_for_local_people": {
        "dimension": "economy",
        "primary_objective": "training",
        "training_kind": "occupation",
        "training_target_local": True,
        "line_categories": ("training", "activity_materials"),
        "budget": Decimal("45000.00"),
    },
    # ฝายชะลอน้ำ: local materials and volunteers' wages.
    "check_dam": {
        "dimension": "environment",
        "line_categories": ("activity_materials", "wages"),
        "budget": Decimal("60000.00"),
        "target_villages": 2,
        "target_households": 80,
    },
    # แนวกันไฟ: clearing a firebreak before the dry season.
    "firebreak": {
        "dimension": "environment",
        "line_categories": ("wages", "activity_materials", "services"),
        "budget": Decimal("40000.00"),
    },
    # A village volunteers' fire-watch training (security, the area's own people): allowed.
    "security_training_for_local_volunteers": {
        "dimension": "security",
        "primary_objective": "training",
        "training_kind": "security",
        "training_target_local": True,
        "line_categories": ("training", "wages"),
        "budget": Decimal("30000.00"),
    },
    # Improving the district's services with an application.
    "district_service_application": {
        "dimension": "administration",
        "line_categories": ("services",),
        "budget": Decimal("120000.00"),
        "subdistrict_districts": ("5001", "5001", "5001"),
        "target_villages": 27,
        "target_households": 5400,
    },
    # ตลาดชุมชน: stalls and promotion to raise people's income.
    "community_market": {
        "dimension": "economy",
        "line_categories": ("activity_materials", "services", "other"),
        "budget": Decimal("150000.00"),
    },
}

DONTS = {
    # แจกถุงยังชีพ / แจกพันธุ์พืช: materials handed out to people directly.
    "handouts": ({"line_categories": ("handouts",)}, "dont_handouts"),
    # Computers and a photocopier for the district office's normal work.
    "routine_durable_goods": ({"line_categories": ("routine_equipment",)}, "dont_routine_equipment"),
    # Renovating the district office building.
    "building_renovation": ({"line_categories": ("building_works", "wages")}, "dont_buildings"),
    # A study visit (ศึกษาดูงาน) as the main goal.
    "study_visit": (
        {"primary_objective": "training", "training_kind": "other", "training_target_local": True},
        "dont_training",
    ),
    # Occupational training whose target group is officials, not the people of the area.
    "training_for_officials": (
        {"primary_objective": "training", "training_kind": "occupation", "training_target_local": False},
        "dont_training",
    ),
}


@pytest.mark.parametrize("name", GOOD_EXAMPLES)
def test_guideline_good_examples_pass_every_rule(name):
    assert failed(facts(**GOOD_EXAMPLES[name])) == set()


@pytest.mark.parametrize("name", DONTS)
def test_guideline_donts_fail_with_their_code(name):
    overrides, code = DONTS[name]
    assert failed(facts(**overrides)) == {code}


# --- Through the services and the API ------------------------------------------------------


def client_for(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def lines(*amounts: str, category: str = "activity_materials") -> list[LineInput]:
    return [LineInput(f"รายการ {i + 1}", category, Decimal(a)) for i, a in enumerate(amounts)]


def create(world: Any, officer: Any, entry: Any, *amounts: str, **overrides: Any) -> Project:
    data = f.good_input([entry.subdistrict_id], budget_lines=lines(*amounts), **overrides)
    return svc.project_create(acting_user=officer, bank_entry=entry, data=data)


def rule_codes(excinfo: Any) -> list[str]:
    return sorted(e["code"] for e in excinfo.value.errors)


def body(world: Any, *amounts: str, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "bank_entry": world.entry.pk,
        "title": "โครงการตลาดชุมชนเพิ่มรายได้",
        "dimension": "economy",
        "subdistricts": ["500101"],
        "target_villages": 2,
        "target_households": 90,
        "start_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=30)).isoformat(),
        "primary_objective": "development",
        "budget_lines": [
            {"description": f"รายการ {i + 1}", "category": "activity_materials", "amount": a}
            for i, a in enumerate(amounts)
        ],
        "do_checklist": dict(ALL_DO),
    }
    data.update(overrides)
    return data


GOOD_INPUTS = {
    "occupation_community_enterprise": dict(
        title="ส่งเสริมอาชีพกลุ่มวิสาหกิจชุมชนทอผ้า",
        dimension="economy",
        budget_lines=[
            LineInput("วัสดุฝึกปฏิบัติการทอผ้า", "activity_materials", Decimal("50000.00")),
            LineInput("ค่าวิทยากร", "wages", Decimal("10000.00")),
            LineInput("ออกแบบบรรจุภัณฑ์", "services", Decimal("20000.00")),
        ],
    ),
    "check_dam": dict(
        title="จัดทำฝายชะลอน้ำ",
        dimension="environment",
        budget_lines=[
            LineInput("วัสดุก่อสร้างฝาย", "activity_materials", Decimal("60000.00")),
            LineInput("ค่าแรงอาสาสมัคร", "wages", Decimal("20000.00")),
        ],
    ),
    "firebreak": dict(
        title="จัดทำแนวกันไฟป่า",
        dimension="environment",
        budget_lines=[LineInput("ค่าแรงจัดทำแนวกันไฟ", "wages", Decimal("40000.00"))],
    ),
    "district_service_application": dict(
        title="พัฒนาแอปพลิเคชันบริการประชาชนของอำเภอ",
        dimension="administration",
        subdistricts=["500101", "500102", "500103"],
        budget_lines=[LineInput("จ้างพัฒนาแอปพลิเคชัน", "services", Decimal("120000.00"))],
    ),
    "community_market": dict(
        title="ตลาดชุมชนเพิ่มรายได้",
        dimension="economy",
        budget_lines=[
            LineInput("วัสดุจัดทำแผงตลาด", "activity_materials", Decimal("100000.00")),
            LineInput("ประชาสัมพันธ์ตลาด", "services", Decimal("50000.00")),
        ],
    ),
    "occupation_training_for_local_people": dict(
        title="ฝึกอบรมอาชีพแปรรูปผลผลิตให้ประชาชนในตำบล",
        dimension="economy",
        primary_objective="training",
        training_kind="occupation",
        training_target_local=True,
        budget_lines=[LineInput("ค่าฝึกอบรมอาชีพ", "training", Decimal("45000.00"))],
    ),
}


@pytest.mark.parametrize("name", GOOD_INPUTS)
def test_good_examples_are_accepted_by_the_service(world, name):
    overrides = dict(GOOD_INPUTS[name])
    data = f.good_input(overrides.pop("subdistricts", ["500101"]), **overrides)
    project = svc.project_create(acting_user=world.officer, bank_entry=world.entry, data=data)
    response = client_for(world.officer).get(f"/api/v1/projects/{project.pk}/")
    assert response.status_code == 200
    results = response.json()["rule_results"]
    assert len(results) == 14
    assert all(r["passed"] for r in results)
    assert project.state == State.SELECTED


DONT_BODIES = {
    "handouts": (
        {"budget_lines": [{"description": "แจกถุงยังชีพ", "category": "handouts", "amount": "30000.00"}]},
        "dont_handouts",
    ),
    "routine_durable_goods": (
        {
            "budget_lines": [
                {
                    "description": "จัดซื้อคอมพิวเตอร์ที่ว่าการอำเภอ",
                    "category": "routine_equipment",
                    "amount": "45000.00",
                }
            ]
        },
        "dont_routine_equipment",
    ),
    "building_renovation": (
        {
            "budget_lines": [
                {"description": "ปรับปรุงอาคารหอประชุมอำเภอ", "category": "building_works", "amount": "90000.00"}
            ]
        },
        "dont_buildings",
    ),
    "study_visit": (
        {
            "title": "ศึกษาดูงานนอกพื้นที่",
            "primary_objective": "training",
            "training_kind": "other",
            "training_target_local": True,
        },
        "dont_training",
    ),
}


@pytest.mark.parametrize("name", DONT_BODIES)
def test_donts_are_refused_by_the_api(world, name):
    overrides, code = DONT_BODIES[name]
    response = client_for(world.officer).post(
        "/api/v1/projects/", body(world, "30000.00", **overrides), format="json"
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "rule_violation"
    assert [e["code"] for e in problem["errors"]] == [code]
    assert Project.objects.count() == 0


# --- The cap through the services ---------------------------------------------------------------


def test_cap_counts_live_projects_of_the_same_district_only(world):
    create(world, world.officer, world.entry, "100000.00")
    create(world, world.other_officer, world.other_entry, "150000.00")  # another district: its own cap

    with pytest.raises(RuleViolation) as excinfo:
        create(world, world.officer, world.entry2, "50000.01")
    assert rule_codes(excinfo) == ["budget_cap_exceeded"]
    assert "100,000.00" in excinfo.value.errors[0]["message_en"]

    create(world, world.officer, world.entry2, "50000.00")
    assert Project.objects.filter(district=world.d1).count() == 2


@pytest.mark.parametrize("state", [State.RETURNED, State.APPROVED, State.IMPLEMENTED, State.SUBMITTED])
def test_projects_further_along_still_hold_their_budget(world, state):
    project = create(world, world.officer, world.entry, "100000.00")
    if state == State.RETURNED:
        svc.project_return(project=project, acting_user=world.chief, comment="แก้ไข")
    else:
        svc.project_approve(project=project, acting_user=world.chief)
    if state in (State.IMPLEMENTED, State.SUBMITTED):
        record = svc.ImplementationInput(lines(), "ดำเนินการแล้ว", 2, 80)
        svc.project_implement(project=project, acting_user=world.officer, record=record)
    if state == State.SUBMITTED:
        svc.project_monitor(project=project, acting_user=world.inspector, findings="ดี")
        svc.project_report(project=project, acting_user=world.officer, result_narrative="สำเร็จ")
        f.disburse(world.d1)
        svc.district_submit(district=world.d1, acting_user=world.chief)
    project.refresh_from_db()
    assert project.state == state

    with pytest.raises(RuleViolation) as excinfo:
        create(world, world.officer, world.entry2, "50000.01")
    assert rule_codes(excinfo) == ["budget_cap_exceeded"]


@pytest.mark.parametrize("release", ["reject", "withdraw"])
def test_rejected_or_withdrawn_projects_release_their_budget(world, release):
    project = create(world, world.officer, world.entry, "100000.00")
    with pytest.raises(RuleViolation):
        create(world, world.officer, world.entry2, "150000.00")

    if release == "reject":
        svc.project_reject(project=project, acting_user=world.chief, comment="ไม่สอดคล้องแผนพัฒนาอำเภอ")
    else:
        svc.project_withdraw(project=project, acting_user=world.officer)

    again = create(world, world.officer, world.entry2, "150000.00")
    assert again.state == State.SELECTED


def test_withdrawn_returned_project_releases_its_budget(world):
    project = create(world, world.officer, world.entry, "100000.00")
    svc.project_return(project=project, acting_user=world.chief, comment="แก้ไข")
    svc.project_withdraw(project=project, acting_user=world.officer)
    assert create(world, world.officer, world.entry2, "150000.00").state == State.SELECTED


def test_projects_of_another_edition_do_not_count(world):
    create(world, world.officer, world.entry, "150000.00")
    Edition.objects.update(is_active=False)
    nxt = Edition.objects.create(
        code="2571",
        title="Next edition",
        budget_cap=CAP,
        deadline=timezone.localdate() + datetime.timedelta(days=200),
        is_active=True,
    )
    f.designate(nxt, [world.d1])
    project = create(world, world.officer, world.entry2, "150000.00")
    assert project.edition.code == "2571"


# --- The cap through the API --------------------------------------------------------------------


def test_100000_plus_50000_pass_and_one_satang_more_is_refused_with_nothing_saved(world):
    officer = client_for(world.officer)
    assert (
        officer.post("/api/v1/projects/", body(world, "60000.00", "40000.00"), format="json").status_code
        == 201
    )
    second = body(world, "50000.00", bank_entry=world.entry2.pk, subdistricts=["500102"])
    assert officer.post("/api/v1/projects/", second, format="json").status_code == 201
    projects_before, events_before = Project.objects.count(), AuditEvent.objects.count()
    lines_before = BudgetLine.objects.count()

    entry3 = f.bank_entry(world.subs["500103"], "B-9")
    third = officer.post(
        "/api/v1/projects/",
        body(world, "0.01", bank_entry=entry3.pk, subdistricts=["500103"]),
        format="json",
    )

    assert third.status_code == 422
    assert third["Content-Type"] == "application/problem+json"
    problem = third.json()
    assert problem["code"] == "rule_violation"
    assert [(e["code"], e["field"]) for e in problem["errors"]] == [("budget_cap_exceeded", "budget_lines")]
    assert Project.objects.count() == projects_before == 2
    assert AuditEvent.objects.count() == events_before
    assert BudgetLine.objects.count() == lines_before
    budget = officer.get("/api/v1/districts/5001/budget/").json()
    assert (budget["committed"], budget["remaining"]) == ("150000.00", "0.00")


def test_a_rejected_projects_budget_is_released_over_the_api(world):
    officer, chief = client_for(world.officer), client_for(world.chief)
    first = officer.post("/api/v1/projects/", body(world, "150000.00"), format="json").json()
    over = officer.post(
        "/api/v1/projects/",
        body(world, "1.00", bank_entry=world.entry2.pk, subdistricts=["500102"]),
        format="json",
    )
    assert (over.status_code, over.json()["code"]) == (422, "rule_violation")

    rejected = chief.post(
        f"/api/v1/projects/{first['id']}/transitions/reject/", {"comment": "ไม่ผ่าน"}, format="json"
    )
    assert rejected.status_code == 200
    assert officer.get("/api/v1/districts/5001/budget/").json()["committed"] == "0.00"
    assert officer.post("/api/v1/projects/", body(world, "150000.00"), format="json").status_code == 201


def test_a_422_lists_every_failure_at_once(world):
    deadline = world.edition.deadline
    bad = body(
        world,
        "150000.01",
        dimension="other",
        dimension_other="",
        subdistricts=["500201"],
        target_villages=0,
        target_households=0,
        start_date=(deadline + datetime.timedelta(days=10)).isoformat(),
        end_date=(deadline + datetime.timedelta(days=5)).isoformat(),
        primary_objective="training",
        training_kind="other",
        do_checklist={"fits_district_plan": True},
    )
    bad["budget_lines"] += [
        {"description": "แจกถุงยังชีพ", "category": "handouts", "amount": "0.00"},
        {"description": "จัดซื้อเครื่องถ่ายเอกสาร", "category": "routine_equipment", "amount": "0.00"},
        {"description": "ปรับปรุงอาคาร", "category": "building_works", "amount": "0.00"},
    ]

    response = client_for(world.officer).post("/api/v1/projects/", bad, format="json")

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert sorted(e["code"] for e in errors) == sorted(
        # each of the first two excludes one of the others; nothing is spent before implement
        set(RULES) - {"area_required", "dimension_required", "spend_cap_exceeded"}
    )
    for error in errors:
        assert error["field"] == FIELDS[error["code"]]
        assert error["message_en"].strip() and error["message_th"].strip()
        assert not THAI.search(error["message_en"])
        if thai_translation_exists(error["code"]):
            assert THAI.search(error["message_th"]), error
    deadline_error = next(e for e in errors if e["code"] == "deadline_exceeded")
    assert str(deadline.year + 543) in deadline_error["message_th"]
    assert str(deadline.year) in deadline_error["message_en"]

    no_area = body(world, "100.00", subdistricts=[], dimension="")
    response = client_for(world.officer).post("/api/v1/projects/", no_area, format="json")
    assert response.status_code == 422
    assert sorted(e["code"] for e in response.json()["errors"]) == ["area_required", "dimension_required"]
    assert Project.objects.count() == 0


# --- Rules are checked again on approve, resubmit and PATCH ----------------------------------------


def test_approve_rechecks_the_cap(world):
    project = create(world, world.officer, world.entry, "50000.00")
    Edition.objects.filter(pk=world.edition.pk).update(budget_cap=Decimal("49999.99"))
    events_before = AuditEvent.objects.count()

    response = client_for(world.chief).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "rule_violation"
    assert [e["code"] for e in response.json()["errors"]] == ["budget_cap_exceeded"]
    project.refresh_from_db()
    assert project.state == State.SELECTED
    assert AuditEvent.objects.count() == events_before

    Edition.objects.filter(pk=world.edition.pk).update(budget_cap=Decimal("50000.00"))
    ok = client_for(world.chief).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json"
    )
    assert ok.status_code == 200


def test_approve_rechecks_the_cap_against_the_other_projects(world):
    first = create(world, world.officer, world.entry, "100000.00")
    second = create(world, world.officer, world.entry2, "50000.00")
    Edition.objects.filter(pk=world.edition.pk).update(budget_cap=Decimal("140000.00"))
    chief = client_for(world.chief)
    for project in (first, second):
        response = chief.post(f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json")
        assert response.status_code == 422
        assert [e["code"] for e in response.json()["errors"]] == ["budget_cap_exceeded"]
    svc.project_withdraw(project=second, acting_user=world.officer)
    assert (
        chief.post(f"/api/v1/projects/{first.pk}/transitions/approve/", {}, format="json").status_code == 200
    )


def test_approve_rechecks_the_deadline(world):
    project = create(world, world.officer, world.entry, "50000.00")
    Edition.objects.filter(pk=world.edition.pk).update(deadline=project.end_date - datetime.timedelta(days=1))
    response = client_for(world.chief).post(
        f"/api/v1/projects/{project.pk}/transitions/approve/", {}, format="json"
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["deadline_exceeded"]
    project.refresh_from_db()
    assert project.state == State.SELECTED


def test_resubmit_rechecks_the_rules(world):
    project = create(world, world.officer, world.entry, "50000.00")
    svc.project_return(project=project, acting_user=world.chief, comment="ทบทวนงบประมาณ")
    Edition.objects.filter(pk=world.edition.pk).update(budget_cap=Decimal("40000.00"))
    response = client_for(world.officer).post(
        f"/api/v1/projects/{project.pk}/transitions/resubmit/", {}, format="json"
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["budget_cap_exceeded"]
    project.refresh_from_db()
    assert project.state == State.RETURNED


def snapshot(project: Project) -> tuple[Any, ...]:
    project.refresh_from_db()
    return (
        project.title,
        project.end_date,
        project.dimension,
        project.do_checklist,
        sorted(s.code for s in project.subdistricts.all()),
        [(b.description, b.category, b.amount) for b in project.budget_lines.all()],
        project.updated_at,
    )


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        (
            {
                "budget_lines": [
                    {"description": "วัสดุ", "category": "activity_materials", "amount": "50000.01"}
                ]
            },
            "budget_cap_exceeded",
        ),
        ({"end_date": "DEADLINE+1"}, "deadline_exceeded"),
        ({"start_date": None}, "dates_invalid"),
        ({"subdistricts": ["500101", "500201"]}, "area_outside_district"),
        ({"subdistricts": []}, "area_required"),
        ({"target_households": 0}, "targets_required"),
        ({"dimension": "other"}, "dimension_other_required"),
        ({"do_checklist": {"permitted": False}}, "do_checklist_incomplete"),
        (
            {"budget_lines": [{"description": "แจกอุปกรณ์", "category": "handouts", "amount": "100.00"}]},
            "dont_handouts",
        ),
        ({"primary_objective": "training"}, "dont_training"),
    ],
)
def test_a_failing_patch_changes_nothing(world, patch, code):
    create(world, world.officer, world.entry, "100000.00")
    project = create(world, world.officer, world.entry2, "50000.00")
    before = snapshot(project)
    events_before = AuditEvent.objects.count()
    if patch.get("end_date") == "DEADLINE+1":
        patch = {"end_date": (world.edition.deadline + datetime.timedelta(days=1)).isoformat()}

    response = client_for(world.officer).patch(
        f"/api/v1/projects/{project.pk}/", {"title": "ชื่อใหม่", **patch}, format="json"
    )

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "rule_violation"
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert snapshot(project) == before
    assert AuditEvent.objects.count() == events_before


def test_a_passing_patch_does_not_count_the_projects_own_budget_twice(world):
    create(world, world.officer, world.entry, "100000.00")
    project = create(world, world.officer, world.entry2, "40000.00")
    response = client_for(world.officer).patch(
        f"/api/v1/projects/{project.pk}/",
        {
            "budget_lines": [
                {"description": "วัสดุ", "category": "activity_materials", "amount": "30000.00"},
                {"description": "ค่าแรง", "category": "wages", "amount": "20000.00"},
            ],
            "end_date": world.edition.deadline.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["budget"] == "50000.00"
    assert response.json()["end_date"] == world.edition.deadline.isoformat()
    assert AuditEvent.objects.filter(project=project, action="update").count() == 1


def test_patch_rechecks_rules_that_were_broken_after_creation(world):
    """A PATCH of the title alone is refused once the edition's cap no longer fits the project."""
    project = create(world, world.officer, world.entry, "50000.00")
    Edition.objects.filter(pk=world.edition.pk).update(budget_cap=Decimal("10000.00"))
    response = client_for(world.officer).patch(
        f"/api/v1/projects/{project.pk}/", {"title": "ใหม่"}, format="json"
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["budget_cap_exceeded"]
    project.refresh_from_db()
    assert project.title != "ใหม่"


# --- Deadline and dates through the service ----------------------------------------------------


def test_service_end_on_deadline_passes_day_after_fails(world):
    deadline = world.edition.deadline
    assert create(world, world.officer, world.entry, "1000.00", end_date=deadline).end_date == deadline
    with pytest.raises(RuleViolation) as excinfo:
        create(world, world.officer, world.entry2, "1000.00", end_date=deadline + datetime.timedelta(days=1))
    assert rule_codes(excinfo) == ["deadline_exceeded"]


def test_service_start_after_end_fails(world):
    end = timezone.localdate() + datetime.timedelta(days=10)
    with pytest.raises(RuleViolation) as excinfo:
        create(
            world,
            world.officer,
            world.entry,
            "1000.00",
            start_date=end + datetime.timedelta(days=1),
            end_date=end,
        )
    assert rule_codes(excinfo) == ["dates_invalid"]
    assert Project.objects.count() == 0
