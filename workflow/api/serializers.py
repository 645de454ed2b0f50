"""API shapes. Serializers only parse and render; every change goes through a service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from workflow import access, selectors, transitions
from workflow.audit_actions import action_label
from workflow.models import (
    AuditEvent,
    BankEntry,
    District,
    DistrictSubmission,
    Edition,
    EvidenceFile,
    LineCategory,
    PrimaryObjective,
    Project,
    Province,
    Subdistrict,
    TrainingKind,
)
from workflow.models.programme import Dimension
from workflow.services.projects import ImplementationInput, LineInput, ProjectInput
from workflow.transitions import Input


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
        fields = ["id", "code", "title", "budget_cap", "deadline", "is_active", "dimensions", "central_email"]
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


class ProjectDetailSerializer(ProjectSerializer):
    spend_lines = LineSerializer(many=True, read_only=True)
    evidence_files = EvidenceSerializer(many=True, read_only=True)
    monitoring = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "spend_lines", "evidence_files", "monitoring"]
        read_only_fields = fields

    def get_monitoring(self, obj: Project) -> list[dict[str, Any]]:
        return [
            {
                "inspector": m.inspector.username,
                "findings": m.findings,
                "recommendations": m.recommendations,
                "created_at": m.created_at.isoformat(),
            }
            for m in obj.monitoring_records.select_related("inspector")
        ]


class ProjectWriteSerializer(serializers.Serializer):
    """Input for create (``bank_entry`` required) and PATCH (every field optional)."""

    bank_entry = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=500, required=False)
    dimension = serializers.ChoiceField(choices=Dimension.choices, required=False, allow_blank=True)
    dimension_other = serializers.CharField(max_length=300, required=False, allow_blank=True)
    subdistricts = serializers.ListField(child=serializers.CharField(max_length=6), required=False)
    target_villages = serializers.IntegerField(min_value=0, required=False)
    target_households = serializers.IntegerField(min_value=0, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    primary_objective = serializers.ChoiceField(choices=PrimaryObjective.choices, required=False)
    training_kind = serializers.ChoiceField(choices=TrainingKind.choices, required=False, allow_blank=True)
    training_target_local = serializers.BooleanField(required=False)
    budget_lines = LineSerializer(many=True, required=False)
    do_checklist = DoChecklistSerializer(required=False)

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


class TransitionSerializer(serializers.Serializer):
    """``comment`` for every transition; the other fields belong to implement, monitor and report."""

    comment = serializers.CharField(allow_blank=True, required=False, default="")
    spend_lines = LineSerializer(many=True, required=False)
    activities_done = serializers.CharField(required=False, allow_blank=True)
    villages_reached = serializers.IntegerField(min_value=0, required=False)
    households_reached = serializers.IntegerField(min_value=0, required=False)
    evidence = serializers.ListField(child=serializers.IntegerField(), required=False)
    findings = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)
    result_narrative = serializers.CharField(required=False, allow_blank=True)

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
            return {"result_narrative": v["result_narrative"]}
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


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username", read_only=True)
    acting_for = serializers.CharField(source="acting_for_username", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True, allow_null=True)
    province = serializers.CharField(source="province_id", read_only=True, allow_null=True)
    project = serializers.IntegerField(source="project_id", read_only=True, allow_null=True)
    sequence = serializers.IntegerField(source="id", read_only=True)
    action_label = serializers.SerializerMethodField(
        help_text="The action's label in the request's language (the code itself when unknown)."
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
            "area_code",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "district",
            "province",
            "project",
            "from_state",
            "to_state",
            "comment",
            "is_late",
            "rule_results",
            "budget",
            "payload",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

    def get_action_label(self, event: AuditEvent) -> str:
        return action_label(event.action)


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
            "projects",
        ]
        read_only_fields = fields

    def get_projects(self, obj: DistrictSubmission) -> list[int]:
        return [p.pk for p in obj.projects.all()]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
