"""API shapes. Serializers only parse and render; every change goes through a service."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflow import access, part3, selectors, sql, transitions
from workflow.audit_actions import (
    FileIndex,
    action_label,
    object_label,
    object_type_label,
    payload_details,
    role_label,
    state_label,
)
from workflow.models import (
    AuditEvent,
    BankEntry,
    BudgetLine,
    District,
    DistrictSubmission,
    Edition,
    EvidenceFile,
    LineCategory,
    MonitoringRecord,
    PrimaryObjective,
    Project,
    Province,
    SpendLine,
    Subdistrict,
    TrainingKind,
)
from workflow.models.programme import Dimension
from workflow.models.projects import RELEASED_STATES
from workflow.services import programme as programme_svc
from workflow.services import projects as project_svc
from workflow.services.projects import ImplementationInput, LineInput, ProjectInput
from workflow.transitions import Input

# An id sent in a body: what a 64-bit key holds (as ``<id:pk>`` in addresses, config/converters.py).
MAX_ID = 999_999_999_999_999_999


class ProvinceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Province
        fields = ["code", "name_th", "name_en"]


class DistrictSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)

    class Meta:
        model = District
        fields = ["code", "name_th", "name_en", "province", "is_programme_district"]


class SubdistrictSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district_id", read_only=True)

    class Meta:
        model = Subdistrict
        fields = ["code", "name_th", "name_en", "district", "postal_code"]


class EditionSerializer(serializers.ModelSerializer):
    budget_cap = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))

    class Meta:
        model = Edition
        fields = [
            "id",
            "code",
            "title",
            "budget_cap",
            "deadline",
            "is_active",
            "dimensions",
            "central_email",
            "progress_reminder_days",
        ]
        read_only_fields = ["id"]


class EditionWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False)
    title = serializers.CharField(max_length=300, required=False)
    budget_cap = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False
    )
    deadline = serializers.DateField(required=False)
    is_active = serializers.BooleanField(required=False)
    dimensions = serializers.ListField(
        child=serializers.ChoiceField(choices=Dimension.choices), required=False, allow_empty=False
    )
    central_email = serializers.EmailField(required=False)
    progress_reminder_days = serializers.IntegerField(
        min_value=1,
        max_value=programme_svc.MAX_PROGRESS_REMINDER_DAYS,
        required=False,
        help_text="working days without a progress update before the officer is reminded",
    )


class BankEntrySerializer(serializers.ModelSerializer):
    subdistrict = serializers.CharField(source="subdistrict_id", read_only=True)
    subdistrict_name = serializers.CharField(source="subdistrict.name_th", read_only=True)
    district = serializers.CharField(source="subdistrict.district_id", read_only=True)
    district_name = serializers.CharField(source="subdistrict.district.name_th", read_only=True)

    class Meta:
        model = BankEntry
        fields = [
            "id",
            "code",
            "subdistrict",
            "subdistrict_name",
            "district",
            "district_name",
            "title",
            "description",
            "dimension",
            "estimated_budget",
            "source_year",
        ]


class LineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    category = serializers.ChoiceField(choices=LineCategory.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))


class DoChecklistSerializer(serializers.Serializer):
    fits_district_plan = serializers.BooleanField(required=False, default=False)
    feasible = serializers.BooleanField(required=False, default=False)
    area_ready = serializers.BooleanField(required=False, default=False)
    permitted = serializers.BooleanField(required=False, default=False)


class RuleResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    passed = serializers.BooleanField()
    field = serializers.CharField()
    clause = serializers.CharField()
    message = serializers.CharField()
    message_th = serializers.CharField()
    message_en = serializers.CharField()


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = EvidenceFile
        fields = ["id", "kind", "file", "caption", "sha256", "uploaded_by", "uploaded_at"]
        read_only_fields = ["id", "sha256", "uploaded_by", "uploaded_at"]


class ProjectSerializer(serializers.ModelSerializer):
    """A project as the caller sees it, with the rules' results and what the caller may do."""

    edition = serializers.CharField(source="edition.code", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    district_name = serializers.CharField(source="district.name_th", read_only=True)
    province = serializers.CharField(source="district.province_id", read_only=True)
    bank_entry_code = serializers.CharField(source="bank_entry.code", read_only=True)
    subdistricts = serializers.SerializerMethodField()
    budget_lines = LineSerializer(many=True, read_only=True)
    budget = serializers.SerializerMethodField()
    do_checklist = DoChecklistSerializer(read_only=True)
    # Empty unless the primary objective is training (a read-only model field would not say so).
    training_kind = serializers.ChoiceField(choices=TrainingKind.choices, allow_blank=True, read_only=True)
    rule_results = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "edition",
            "district",
            "district_name",
            "province",
            "bank_entry",
            "bank_entry_code",
            "title",
            "dimension",
            "dimension_other",
            "subdistricts",
            "target_villages",
            "target_households",
            "start_date",
            "end_date",
            "primary_objective",
            "training_kind",
            "training_target_local",
            "budget_lines",
            "budget",
            "do_checklist",
            "state",
            "rule_results",
            "available_transitions",
            "activities_done",
            "villages_reached",
            "households_reached",
            "result_narrative",
            "created_by",
            "created_at",
            "updated_at",
            "state_changed_at",
        ]
        read_only_fields = fields

    def get_subdistricts(self, obj: Project) -> list[str]:
        return [s.code for s in obj.subdistricts.all()]

    def get_budget(self, obj: Project) -> str:
        return str(selectors.project_budget(obj))

    def get_rule_results(self, obj: Project) -> list[dict[str, Any]]:
        committed = self.context.get("committed", {}).get((obj.district_id, obj.edition_id))
        return [r.as_dict() for r in selectors.project_rule_results(obj, committed_total=committed)]

    def get_available_transitions(self, obj: Project) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return access.available_transitions(access.principal_for(request.user), obj)


# What the API says of each part 3 text (``workflow.part3``), in the schema's language (English).
PART3_HELP: dict[str, str] = {
    "rationale": "Part 3, the plan: rationale (หลักการและเหตุผล). Needed before approval.",
    "objectives": "Part 3, the plan: objectives (วัตถุประสงค์). Needed before approval.",
    "method": "Part 3, the plan: method and activities (วิธีดำเนินการ/กิจกรรม). Needed before approval.",
    "indicators": "Part 3, the plan: indicators (ตัวชี้วัด). Needed before approval.",
    "expected_results": "Part 3, the plan: expected results (ผลที่คาดว่าจะได้รับ). Needed before approval.",
    "result_narrative": "Part 3, the results achieved (ผลการดำเนินงาน/ผลสัมฤทธิ์), written at report.",
    "problems": "Part 3, problems and obstacles (ปัญหาและอุปสรรค), written at report; optional.",
    "suggestions": "Part 3, suggestions (ข้อเสนอแนะ), written at report; optional.",
}
_LIMIT = f" At most {part3.MAX_LENGTH:,} characters (longer: 422, code too_long)."


def _part3_text(name: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(help_text=PART3_HELP[name] + _LIMIT, **kwargs)


class ProjectDetailSerializer(ProjectSerializer):
    spend_lines = LineSerializer(many=True, read_only=True)
    evidence_files = EvidenceSerializer(many=True, read_only=True)
    monitoring = serializers.SerializerMethodField()
    rationale = _part3_text("rationale", read_only=True)
    objectives = _part3_text("objectives", read_only=True)
    method = _part3_text("method", read_only=True)
    indicators = _part3_text("indicators", read_only=True)
    expected_results = _part3_text("expected_results", read_only=True)
    result_narrative = _part3_text("result_narrative", read_only=True)
    problems = _part3_text("problems", read_only=True)
    suggestions = _part3_text("suggestions", read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            *part3.PLAN_FIELDS,
            "problems",
            "suggestions",
            "spend_lines",
            "evidence_files",
            "monitoring",
        ]
        read_only_fields = fields

    def get_monitoring(self, obj: Project) -> list[dict[str, Any]]:
        return [
            {
                "inspector": m.inspector.username,
                "findings": m.findings,
                "recommendations": m.recommendations,
                "created_at": _TIME.to_representation(m.created_at),
            }
            for m in obj.monitoring_records.select_related("inspector")
        ]


# --- The project's detail as the API renders it ---------------------------------------------
# ``ProjectDetailSerializer`` above states the shape (the OpenAPI schema is built from it).
# The API renders it with ``project_detail``, without DRF's per-instance field binding and
# without the ORM's prefetches (both cost more than the transition the detail answers): the
# project as a selector or service read it (district and edition loaded), and the rest in one
# fixed statement (``detail_parts``), its lines and subdistricts put where the prefetches would
# have put them, so that the selectors the serializer asks (budget, rules) read nothing more
# about the project. The values go through the same converters, DRF fields and selectors as
# the serializer's; ``tests/workflow/test_api_transition_queries.py`` holds the two renderings
# equal, on both databases.


@dataclass(frozen=True)
class DetailEvidence:
    id: int
    kind: str
    file: str
    caption: str
    sha256: str
    uploaded_by: str
    uploaded_at: Any


@dataclass(frozen=True)
class DetailMonitoring:
    inspector: str
    findings: str
    recommendations: str
    created_at: Any


@dataclass
class DetailParts:
    """What the detail shows beyond the project's row, its district, edition and relations."""

    bank_entry_code: str = ""
    created_by: str = ""
    # The district's live projects in the edition, this one included (``selectors.budget_of``).
    committed: Decimal = Decimal("0.00")
    spent: Decimal = Decimal("0.00")
    evidence_files: list[DetailEvidence] = field(default_factory=list)
    monitoring: list[DetailMonitoring] = field(default_factory=list)


def _select(
    kind: str,
    source: str,
    *,
    key: str | None = None,
    position: str | None = None,
    texts: tuple[str, ...] = (),
    amount: str | None = None,
    at: str | None = None,
) -> str:
    """One branch of the detail's statement: kind, id, position, five texts, an amount, a time."""
    columns = [key, position, *texts, *[None] * (5 - len(texts)), amount, at]
    values = ", ".join("NULL" if c is None else c for c in columns)
    # Identifiers come from the models' metadata; every value is a bound parameter.
    return f"SELECT '{kind}', {values}" + (f" FROM {source}" if source else "")  # noqa: S608


def _total(model: type[models.Model], released: int) -> str:
    """The sum of ``model``'s amounts over the district's live projects in the edition."""
    q, table, column = sql.q, sql.table, sql.column
    states = ", ".join(["%s"] * released)
    return (
        f"(SELECT SUM(t.{column(model, 'amount')}) FROM {table(model)} t "  # noqa: S608
        f"JOIN {table(Project)} tp ON tp.{q('id')} = t.{column(model, 'project')} "
        f"WHERE tp.{column(Project, 'district')} = %s AND tp.{column(Project, 'edition')} = %s "
        f"AND tp.{column(Project, 'state')} NOT IN ({states}))"
    )


@functools.cache
def _detail_sql(vendor: str, released: int) -> str:
    """One statement, a row per piece: the header ``h`` (the bank entry's code, the creator's
    username, the budget committed by the district's live projects in the edition), what they
    spent ``p``, the subdistricts ``s``, budget lines ``b``, spend lines ``x``, evidence files
    ``e`` and monitoring records ``m``. Parameters: ``detail_parts``."""
    q, table, column = sql.q, sql.table, sql.column
    users = table(get_user_model())
    username, pk = q("username"), q("id")
    links = q(Project.subdistricts.through._meta.db_table)

    def null(model: type[models.Model], name: str) -> str:
        # PostgreSQL types a UNION's columns branch by branch: the first one's NULLs are typed.
        model_field = cast("models.Field[Any, Any]", model._meta.get_field(name))
        return f"CAST(NULL AS {model_field.db_type(sql.db())})"

    def lines(kind: str, model: type[models.Model]) -> str:
        return _select(
            kind,
            f"{table(model)} l WHERE l.{column(model, 'project')} = %s",
            key=f"l.{pk}",
            position=f"l.{column(model, 'position')}",
            texts=(f"l.{column(model, 'description')}", f"l.{column(model, 'category')}"),
            amount=f"l.{column(model, 'amount')}",
        )

    e, m = EvidenceFile, MonitoringRecord
    branches = [
        _select(
            "h",
            f"{table(BankEntry)} be JOIN {users} cu ON cu.{pk} = %s WHERE be.{pk} = %s",
            key=null(BudgetLine, "id"),
            position=null(BudgetLine, "position"),
            texts=(f"be.{column(BankEntry, 'code')}", f"cu.{username}"),
            amount=_total(BudgetLine, released),
            at=null(EvidenceFile, "uploaded_at"),
        ),
        _select("p", "", amount=_total(SpendLine, released)),
        _select(
            "s",
            f"{links} pl JOIN {table(Subdistrict)} s ON s.{q('code')} = pl.{q('subdistrict_id')} "
            f"WHERE pl.{q('project_id')} = %s",
            texts=(f"s.{q('code')}", f"s.{column(Subdistrict, 'district')}"),
        ),
        lines("b", BudgetLine),
        lines("x", SpendLine),
        _select(
            "e",
            f"{table(e)} e JOIN {users} eu ON eu.{pk} = e.{column(e, 'uploaded_by')} "
            f"WHERE e.{column(e, 'project')} = %s",
            key=f"e.{pk}",
            texts=(
                *(f"e.{column(e, name)}" for name in ("kind", "file", "caption", "sha256")),
                f"eu.{username}",
            ),
            at=f"e.{column(e, 'uploaded_at')}",
        ),
        _select(
            "m",
            f"{table(m)} m JOIN {users} mu ON mu.{pk} = m.{column(m, 'inspector')} "
            f"WHERE m.{column(m, 'project')} = %s",
            key=f"m.{pk}",
            texts=(f"mu.{username}", f"m.{column(m, 'findings')}", f"m.{column(m, 'recommendations')}"),
            at=f"m.{column(m, 'created_at')}",
        ),
    ]
    # Within a kind: position then id (the lines), id (files, records), code (subdistricts): the
    # models' orderings.
    return " UNION ALL ".join(branches) + " ORDER BY 1, 3, 2, 4"


def _prefetched(project: Project, relation: str, objs: list[Any]) -> None:
    """Put ``objs`` where ``prefetch_related(relation)`` puts them: ``project.<relation>.all()``
    answers from them without a query."""
    queryset = getattr(project, relation).all()
    queryset._result_cache = objs
    queryset._prefetch_done = True
    if not hasattr(project, "_prefetched_objects_cache"):
        project._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    project._prefetched_objects_cache[relation] = queryset  # type: ignore[attr-defined]


def detail_parts(project: Project) -> DetailParts:
    """What ``project_detail`` needs beyond ``project`` (read and access-checked by the caller):
    one statement, prepared on PostgreSQL (``sql.rows``: planning its seven branches took three
    times as long as running them, and every transition through the API renders the detail).
    The project's budget lines, spend lines and subdistricts are attached to it as prefetched
    relations."""
    conn = sql.db()
    pk = project.pk
    released = list(RELEASED_STATES)
    district = [project.district_id, project.edition_id, *released]
    params = [*district, project.created_by_id, project.bank_entry_id, *district, pk, pk, pk, pk, pk]
    amount = BudgetLine._meta.get_field("amount")
    uploaded_at = EvidenceFile._meta.get_field("uploaded_at")
    created_at = MonitoringRecord._meta.get_field("created_at")
    line_fields = ["id", "project_id", "position", "description", "category", "amount"]
    parts = DetailParts()
    relations: dict[str, list[Any]] = {"subdistricts": [], "budget_lines": [], "spend_lines": []}
    header = False
    text = _detail_sql(conn.vendor, len(released))
    for kind, key, position, t1, t2, t3, t4, t5, number, at in sql.rows(text, params, prepared=True):
        if kind == "h":
            header = True
            parts.bank_entry_code, parts.created_by = t1, t2
            parts.committed = selectors.baht(sql.convert(amount, number, conn))
        elif kind == "p":
            parts.spent = selectors.baht(sql.convert(amount, number, conn))
        elif kind == "s":
            subdistrict = Subdistrict.from_db(conn.alias, ["code", "district_id"], [t1, t2])
            relations["subdistricts"].append(subdistrict)
        elif kind in ("b", "x"):
            model = BudgetLine if kind == "b" else SpendLine
            values = [key, pk, position, t1, t2, sql.convert(amount, number, conn)]
            relations["budget_lines" if kind == "b" else "spend_lines"].append(
                model.from_db(conn.alias, line_fields, values)
            )
        elif kind == "e":
            parts.evidence_files.append(
                DetailEvidence(int(key), t1, t2, t3, t4, t5, sql.convert(uploaded_at, at, conn))
            )
        elif kind == "m":
            parts.monitoring.append(DetailMonitoring(t1, t2, t3, sql.convert(created_at, at, conn)))
    if not header:
        raise RuntimeError(f"project {pk}: its bank entry or creator is missing")
    for relation, objs in relations.items():
        _prefetched(project, relation, objs)
    return parts


# Stateless DRF fields: each value goes through the same field class as in the serializer.
_AMOUNT = serializers.DecimalField(max_digits=14, decimal_places=2)
_DATE = serializers.DateField()
_TIME = serializers.DateTimeField()
_BOOLEAN = serializers.BooleanField()
_FILE_STORAGE = EvidenceFile._meta.get_field("file").storage


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _date(value: Any) -> Any:
    return None if value is None else _DATE.to_representation(value)


def _lines(lines: Any) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "category": line.category,
            "amount": _AMOUNT.to_representation(line.amount),
        }
        for line in lines
    ]


def _file_url(name: str, request: Any) -> str | None:
    """As DRF's ``FileField`` renders a file: its absolute URL."""
    if not name:
        return None
    url = _FILE_STORAGE.url(name)
    return str(request.build_absolute_uri(url)) if request is not None else str(url)


def project_detail(project: Project, parts: DetailParts, request: Any) -> dict[str, Any]:
    """``ProjectDetailSerializer(project, context={"request": request}).data`` as plain data, for a
    project that went through ``detail_parts``."""
    district = project.district
    cap = project.edition.budget_cap
    budget = selectors.BudgetSummary(
        cap=cap, committed=parts.committed, remaining=cap - parts.committed, spent=parts.spent
    )
    transitions_now = (
        access.available_transitions(access.principal_for(request.user), project)
        if request is not None
        else []
    )
    return {
        "id": int(project.pk),
        "edition": str(project.edition.code),
        "district": str(project.district_id),
        "district_name": str(district.name_th),
        "province": str(district.province_id),
        "bank_entry": project.bank_entry_id,
        "bank_entry_code": str(parts.bank_entry_code),
        "title": str(project.title),
        "dimension": project.dimension,
        "dimension_other": str(project.dimension_other),
        "subdistricts": [sub.code for sub in project.subdistricts.all()],
        "target_villages": _int(project.target_villages),
        "target_households": _int(project.target_households),
        "start_date": _date(project.start_date),
        "end_date": _date(project.end_date),
        "primary_objective": project.primary_objective,
        "training_kind": project.training_kind,
        "training_target_local": _BOOLEAN.to_representation(project.training_target_local),
        "budget_lines": _lines(project.budget_lines.all()),
        "budget": str(selectors.project_budget(project)),
        "do_checklist": {
            name: _BOOLEAN.to_representation(value) for name, value in project.do_checklist.items()
        },
        "state": project.state,
        # As ``ProjectSerializer.get_rule_results`` has them (no list's committed totals), with the
        # district's figures as ``selectors.budget_of`` would read them.
        "rule_results": [r.as_dict() for r in selectors.project_rule_results(project, budget=budget)],
        "available_transitions": transitions_now,
        "activities_done": str(project.activities_done),
        "villages_reached": _int(project.villages_reached),
        "households_reached": _int(project.households_reached),
        "result_narrative": str(project.result_narrative),
        "created_by": str(parts.created_by),
        "created_at": _TIME.to_representation(project.created_at),
        "updated_at": _TIME.to_representation(project.updated_at),
        "state_changed_at": _TIME.to_representation(project.state_changed_at),
        **{name: str(getattr(project, name)) for name in (*part3.PLAN_FIELDS, "problems", "suggestions")},
        "spend_lines": _lines(project.spend_lines.all()),
        "evidence_files": [
            {
                "id": e.id,
                "kind": e.kind,
                "file": _file_url(e.file, request),
                "caption": str(e.caption),
                "sha256": str(e.sha256),
                "uploaded_by": str(e.uploaded_by),
                "uploaded_at": _TIME.to_representation(e.uploaded_at),
            }
            for e in parts.evidence_files
        ],
        "monitoring": [
            {
                "inspector": m.inspector,
                "findings": m.findings,
                "recommendations": m.recommendations,
                "created_at": _TIME.to_representation(m.created_at),
            }
            for m in parts.monitoring
        ],
    }


class ProjectWriteSerializer(serializers.Serializer):
    """Input for create (``bank_entry`` required) and PATCH (every field optional)."""

    bank_entry = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    title = serializers.CharField(max_length=500, required=False)
    dimension = serializers.ChoiceField(choices=Dimension.choices, required=False, allow_blank=True)
    dimension_other = serializers.CharField(max_length=300, required=False, allow_blank=True)
    subdistricts = serializers.ListField(child=serializers.CharField(max_length=6), required=False)
    target_villages = serializers.IntegerField(
        min_value=0, max_value=project_svc.MAX_VILLAGES, required=False
    )
    target_households = serializers.IntegerField(
        min_value=0, max_value=project_svc.MAX_HOUSEHOLDS, required=False
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    primary_objective = serializers.ChoiceField(choices=PrimaryObjective.choices, required=False)
    training_kind = serializers.ChoiceField(choices=TrainingKind.choices, required=False, allow_blank=True)
    training_target_local = serializers.BooleanField(required=False)
    budget_lines = LineSerializer(many=True, required=False)
    do_checklist = DoChecklistSerializer(required=False)
    # Part 3's plan: blank (or null) in a draft; the service checks the length and approval needs all.
    rationale = _part3_text("rationale", required=False, allow_blank=True, allow_null=True)
    objectives = _part3_text("objectives", required=False, allow_blank=True, allow_null=True)
    method = _part3_text("method", required=False, allow_blank=True, allow_null=True)
    indicators = _part3_text("indicators", required=False, allow_blank=True, allow_null=True)
    expected_results = _part3_text("expected_results", required=False, allow_blank=True, allow_null=True)

    def to_input(self) -> ProjectInput:
        data = dict(self.validated_data)
        data.pop("bank_entry", None)
        lines = data.pop("budget_lines", None)
        given = set(data) | ({"budget_lines"} if lines is not None else set())
        result = ProjectInput(**data, given=given)
        if lines is not None:
            result.budget_lines = [LineInput(x["description"], x["category"], x["amount"]) for x in lines]
        if "do_checklist" in data:
            result.do_checklist = dict(data["do_checklist"])
        return result


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class SubmitSerializer(CommentSerializer):
    """The district's submission: a comment (required for a corrected version) and the covering
    letter's number and date (optional here: a blank number, the day of submission)."""

    letter_number = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=200,
        help_text="the covering letter's number, e.g. มท ๐๓๑๘.๑/๑๒๓ (left out: blank on the letter)",
    )
    letter_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the covering letter's date, CE (left out: the day of submission)",
    )


class TransitionSerializer(serializers.Serializer):
    """``comment`` for every transition; the other fields belong to implement, monitor and report."""

    comment = serializers.CharField(allow_blank=True, required=False, default="")
    spend_lines = LineSerializer(many=True, required=False)
    activities_done = serializers.CharField(required=False, allow_blank=True)
    villages_reached = serializers.IntegerField(
        min_value=0, max_value=project_svc.MAX_VILLAGES, required=False
    )
    households_reached = serializers.IntegerField(
        min_value=0, max_value=project_svc.MAX_HOUSEHOLDS, required=False
    )
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=50
    )
    findings = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)
    result_narrative = _part3_text("result_narrative", required=False, allow_blank=True)
    problems = _part3_text("problems", required=False, allow_blank=True)
    suggestions = _part3_text("suggestions", required=False, allow_blank=True)

    # The body fields each kind of input (``workflow.transitions.Input``) requires.
    REQUIRED: dict[str, tuple[str, ...]] = {
        Input.IMPLEMENTATION: ("spend_lines", "activities_done", "villages_reached", "households_reached"),
        Input.MONITORING: ("findings",),
        Input.REPORT: ("result_narrative",),
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = transitions.first(self.context["transition"]).input
        missing = {
            field: "This field is required." for field in self.REQUIRED.get(kind, ()) if field not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing, code="required")
        return attrs

    def inputs(self) -> dict[str, Any]:
        """The service's keyword arguments for the transition's kind of input (comment apart)."""
        kind = transitions.first(self.context["transition"]).input
        v = self.validated_data
        if kind == Input.IMPLEMENTATION:
            return {"record": self.implementation()}
        if kind == Input.MONITORING:
            return {"findings": v["findings"], "recommendations": v.get("recommendations", "")}
        if kind == Input.REPORT:
            return {
                "result_narrative": v["result_narrative"],
                "problems": v.get("problems", ""),
                "suggestions": v.get("suggestions", ""),
            }
        return {}

    def implementation(self) -> ImplementationInput:
        v = self.validated_data
        return ImplementationInput(
            spend_lines=[LineInput(x["description"], x["category"], x["amount"]) for x in v["spend_lines"]],
            activities_done=v["activities_done"],
            villages_reached=v["villages_reached"],
            households_reached=v["households_reached"],
            evidence_ids=v.get("evidence", []),
        )


class AuditFileSerializer(serializers.Serializer):
    label = serializers.CharField(  # type: ignore[assignment]  # a field named "label", not Field.label
        help_text="The file's caption or original name (never its storage path)."
    )
    url = serializers.CharField(help_text="Where the caller may download it; empty when they may not.")


class AuditDetailSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The payload's key, as stored.")
    label = serializers.CharField(  # type: ignore[assignment]  # a field named "label", not Field.label
        help_text="The key's label in the request's language."
    )
    text = serializers.CharField(
        help_text="The value as a person reads it (BE dates in Thai, labels for codes)."
    )
    files = AuditFileSerializer(many=True, help_text="The stored files the value refers to.")


class AuditEventSerializer(serializers.ModelSerializer):
    """An audit event: its codes as stored and, next to each, its label in the request's language
    (from ``workflow.audit_actions``, as the audit pages show them; an unknown code is itself)."""

    actor = serializers.CharField(source="actor_username", read_only=True)
    acting_for = serializers.CharField(source="acting_for_username", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True, allow_null=True)
    province = serializers.CharField(source="province_id", read_only=True, allow_null=True)
    project = serializers.IntegerField(source="project_id", read_only=True, allow_null=True)
    sequence = serializers.IntegerField(source="id", read_only=True)
    action_label = serializers.SerializerMethodField(
        help_text="The action's label in the request's language (the code itself when unknown)."
    )
    role_label = serializers.SerializerMethodField(help_text="The role's label (empty when no role).")
    object_type_label = serializers.SerializerMethodField(help_text="The object type's label.")
    object_label = serializers.SerializerMethodField(
        help_text="The object as a person names it, e.g. 'District report book, version 1'."
    )
    from_state_label = serializers.SerializerMethodField(help_text="The state before, by its label.")
    to_state_label = serializers.SerializerMethodField(help_text="The state after, by its label.")
    payload_details = serializers.SerializerMethodField(
        help_text="The payload as labelled entries, in the request's language; files by their captions."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "chain",
            "chain_seq",
            "created_at",
            "actor",
            "acting_for",
            "role",
            "role_label",
            "area_code",
            "action",
            "action_label",
            "object_type",
            "object_type_label",
            "object_id",
            "object_label",
            "district",
            "province",
            "project",
            "from_state",
            "from_state_label",
            "to_state",
            "to_state_label",
            "comment",
            "is_late",
            "rule_results",
            "budget",
            "payload",
            "payload_details",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

    def _files(self) -> FileIndex | None:
        files = self.context.get("audit_files")
        return files if isinstance(files, FileIndex) else None

    def get_action_label(self, event: AuditEvent) -> str:
        return action_label(event.action)

    def get_role_label(self, event: AuditEvent) -> str:
        return role_label(event.role)

    def get_object_type_label(self, event: AuditEvent) -> str:
        return object_type_label(event.object_type)

    def get_object_label(self, event: AuditEvent) -> str:
        return object_label(event, self._files())

    def get_from_state_label(self, event: AuditEvent) -> str:
        return state_label(event.from_state)

    def get_to_state_label(self, event: AuditEvent) -> str:
        return state_label(event.to_state)

    @extend_schema_field(AuditDetailSerializer(many=True))
    def get_payload_details(self, event: AuditEvent) -> list[dict[str, Any]]:
        return [
            {
                "key": detail.key,
                "label": detail.label,
                "text": detail.text,
                "files": [{"label": ref.label, "url": ref.url} for ref in detail.files],
            }
            for detail in payload_details(event, self._files())
        ]


class BudgetSerializer(serializers.Serializer):
    district = serializers.CharField()
    edition = serializers.CharField()
    cap = serializers.DecimalField(max_digits=14, decimal_places=2)
    committed = serializers.DecimalField(max_digits=14, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2)


class SubmissionSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district_id", read_only=True)
    edition = serializers.CharField(source="edition.code", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    acting_for = serializers.CharField(
        source="acting_for.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="the chief the submitter acted for (รักษาราชการแทน), else null",
    )
    projects = serializers.SerializerMethodField()

    class Meta:
        model = DistrictSubmission
        fields = [
            "id",
            "district",
            "edition",
            "version",
            "submitted_by",
            "submitted_at",
            "is_late",
            "comment",
            "acting_for",
            "letter_number",
            "letter_date",
            "projects",
        ]
        read_only_fields = fields

    def get_projects(self, obj: DistrictSubmission) -> list[int]:
        return [p.pk for p in obj.projects.all()]


class TokenRequestSerializer(serializers.Serializer):
    # The user model's limit (and the lock-out records' column); a password of any sane length.
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
