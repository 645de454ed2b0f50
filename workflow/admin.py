"""The admin site. Every change made here goes through a service and is audited.

* Role memberships: ``services.roles.role_grant`` / ``role_revoke`` (a membership is never edited
  in place: revoke it and grant a new one).
* Programme editions: ``services.programme.edition_create`` / ``edition_update``.
* Everything else an administrator may change (inspection regions, bank entries, the names of
  areas, user accounts and groups): ``services.admin_changes`` (``admin_change`` /
  ``admin_delete`` events).
* Audit events and projects are read-only here; a project's state changes only through the
  workflow. Delegations can be looked at and revoked.
* The project bank can be imported from a CSV or XLSX file (all or nothing).

Every page reads in the user's language (``workflow.admin_site``: dates in BE in Thai, labels
of objects where their ``str()`` holds codes or CE dates); axes' and viewflow's pages are
registered again here with labelled columns and fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task

from workflow import access, audit_actions, flows, importers
from workflow.admin_site import LabelledInline, LocalizedAdmin, date_hint_lazy
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.models import (
    AreaKind,
    AuditEvent,
    BankEntry,
    BudgetLine,
    Delegation,
    Dimension,
    Disbursement,
    District,
    Edition,
    Holiday,
    InspectionRegion,
    Project,
    Province,
    Role,
    RoleMembership,
    RoleModelDistrict,
    Subdistrict,
)
from workflow.models.roles import ROLE_AREA_KIND
from workflow.rules import RULES
from workflow.services import admin_changes, programme, roles
from workflow.templatetags.rolemodel import baht, role_label, state_label, thaidate, thaidatetime
from workflow.web.forms import BEDateField

User = get_user_model()

BANK_UPLOAD_MAX_BYTES = 20 * 1024 * 1024


# ``admin.site`` is ``workflow.admin_site.RoleModelAdminSite`` (``RoleModelAdminConfig``): the
# ``admin`` role opens it, and ``access.ADMIN_ROLE_PERMISSIONS`` are a role administrator's
# model permissions (``AdminRoleBackend``).


def is_admin(request: HttpRequest) -> bool:
    """Whether the user holds the administrator role (or is a superuser)."""
    return access.admin_grant(access.principal_for(request.user)) is not None


# --- How objects are named (their ``str()`` holds codes and CE dates) ------------------------------


def membership_label(membership: RoleMembership) -> str:
    return f"{membership.user} {role_label(membership.role)} {membership.area_code}"


def delegation_label(delegation: Delegation) -> str:
    return gettext("%(delegate)s acting for %(official)s (%(start)s – %(end)s)") % {
        "delegate": delegation.delegate,
        "official": delegation.delegator,
        "start": thaidate(delegation.starts_on),
        "end": thaidate(delegation.ends_on),
    }


def submission_label(submission: Any) -> str:
    """A district's submission (of its report book): district, edition and version."""
    return gettext("%(district)s %(name)s, edition %(edition)s, version %(version)s") % {
        "district": submission.district_id,
        "name": submission.district,
        "edition": submission.edition.code,
        "version": submission.version,
    }


def event_label(event: AuditEvent) -> str:
    return gettext("No. %(number)s: %(action)s") % {
        "number": event.pk,
        "action": audit_actions.action_label(event.action),
    }


@admin.display(description=_("number"), ordering="id")
def record_number(obj: Any) -> str:
    """The row's number (the auto ``id`` column is headed "ID", which no catalogue translates)."""
    return str(obj.pk)


# The default permissions' names, which Django stores in English ("Can view holiday").
PERMISSION_NAMES = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
    "manage": _("Can manage %(model)s"),  # viewflow's processes
}


def permission_label(permission: Any) -> str:
    """``ระบบงานอำเภอต้นแบบ (Role Model) | วันหยุดราชการ | ดูวันหยุดราชการได้``: a permission in
    the user's language, from its model's names (the name Django stores is English)."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    action = permission.codename.split("_", 1)[0]
    if permission.codename == f"{action}_{model._meta.model_name}" and action in PERMISSION_NAMES:
        text = str(PERMISSION_NAMES[action]) % {"model": model._meta.verbose_name}
    else:
        text = gettext(permission.name)
    return f"{content_type.app_labeled_name} | {text}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


class PermissionsInUserLanguage:
    """Django's permission pickers (users, groups) with the permissions named in the user's language."""

    PERMISSION_FIELDS = ("permissions", "user_permissions")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in self.PERMISSION_FIELDS:
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


# --- Shared behaviour ---------------------------------------------------------------------------


class AuditedAdmin(LocalizedAdmin):
    """Saves and deletes through ``services.admin_changes``: one audit event per change.

    Only administrators (``access.admin_grant``) may add, change or delete.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and is_admin(request)

    def changed_fields(self, form: forms.ModelForm) -> list[str]:
        return list(form.changed_data)

    def changed_m2m(self, form: forms.ModelForm) -> dict[str, Any]:
        many = {f.name for f in self.model._meta.many_to_many}
        return {name: form.cleaned_data[name] for name in form.changed_data if name in many}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = self.changed_fields(form)
        if change and not fields:
            return  # nothing changed: nothing to save, nothing to record
        admin_changes.admin_object_save(
            acting_user=request.user,
            obj=obj,
            changed_fields=fields,
            is_new=not change,
            m2m=self.changed_m2m(form),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The many-to-many values were saved (and recorded) by the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        admin_changes.admin_object_delete(acting_user=request.user, obj=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                admin_changes.admin_object_delete(acting_user=request.user, obj=obj)


class ReadOnlyAdmin(LocalizedAdmin):
    """Viewing only: no add, change or delete, whatever the user's Django permissions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(LabelledInline, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Areas: viewed, and only their names edited ---------------------------------------------------


class AreaAdmin(AuditedAdmin):
    name_fields = ("name_th", "name_en")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields if f.name not in self.name_fields]


@admin.register(Province)
class ProvinceAdmin(AreaAdmin):
    list_display = ("code", "name_th", "name_en")
    search_fields = ("code", "name_th", "name_en")
    fields = ("code", "name_th", "name_en")


@admin.register(District)
class DistrictAdmin(AreaAdmin):
    list_display = ("code", "name_th", "name_en", "province", "is_programme_district")
    list_filter = ("is_programme_district", "province")
    list_select_related = ("province",)
    search_fields = ("code", "name_th", "name_en")
    fields = ("code", "province", "name_th", "name_en", "is_programme_district")


@admin.register(Subdistrict)
class SubdistrictAdmin(AreaAdmin):
    list_display = ("code", "name_th", "name_en", "district", "postal_code")
    list_select_related = ("district",)
    search_fields = ("code", "name_th", "name_en")
    fields = ("code", "district", "name_th", "name_en", "postal_code")


@admin.register(InspectionRegion)
class InspectionRegionAdmin(AuditedAdmin):
    list_display = ("code", "name", "province_count")
    search_fields = ("code", "name")
    filter_horizontal = ("provinces",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[InspectionRegion]:
        return super().get_queryset(request).annotate(province_count=Count("provinces"))

    @admin.display(description=_("provinces"), ordering="province_count")
    def province_count(self, obj: Any) -> int:
        return int(getattr(obj, "province_count", 0))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()


# --- Role memberships ------------------------------------------------------------------------------


class RoleMembershipForm(forms.ModelForm):
    """The area must be of the kind the role is held over (a clear error beside the field)."""

    valid_from = BEDateField(label=_("valid from"), required=False, help_text=date_hint_lazy())
    valid_until = BEDateField(label=_("valid until"), required=False, help_text=date_hint_lazy())

    class Meta:
        model = RoleMembership
        fields = ["user", "role", "district", "province", "region", "valid_from", "valid_until"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role in ROLE_AREA_KIND:
            kind = ROLE_AREA_KIND[role]
            values = {"role": Role(role).label, "kind": AreaKind(kind).label}
            for name in ("district", "province", "region"):
                if name not in self.fields or self.fields[name].disabled:
                    continue
                value = cleaned.get(name)
                if name == kind and value is None:
                    self.add_error(
                        name,
                        _("Choose one: the role %(role)s is held over an area of this kind (%(kind)s).")
                        % values,
                    )
                elif name != kind and value is not None:
                    self.add_error(
                        name,
                        _("Leave this empty: the role %(role)s is held over this kind of area: %(kind)s.")
                        % values,
                    )
            district = cleaned.get("district")
            if district is not None and kind == AreaKind.DISTRICT and not district.is_programme_district:
                self.add_error("district", _("Bangkok's khet are not programme districts."))
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_from > valid_until:
            self.add_error("valid_until", _("The end of validity is before its start."))
        return cleaned


class MembershipInlineForm(RoleMembershipForm):
    """Existing memberships are shown but not editable (revoke with "Delete", grant anew)."""

    class Meta(RoleMembershipForm.Meta):
        fields = ["role", "district", "province", "region", "valid_from", "valid_until"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for field in self.fields.values():
                field.disabled = True


class RoleMembershipInline(LabelledInline, admin.TabularInline):
    model = RoleMembership
    form = MembershipInlineForm
    fk_name = "user"
    extra = 1
    autocomplete_fields = ("district", "province", "region")
    readonly_fields = ("granted_by", "created_at")
    fields = (
        "role",
        "district",
        "province",
        "region",
        "valid_from",
        "valid_until",
        "granted_by",
        "created_at",
    )
    verbose_name_plural = _("role memberships (existing ones cannot be edited: delete and add anew)")

    def object_label(self, obj: RoleMembership) -> str:
        return membership_label(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and is_admin(request)


def _revoke(acting_user: Any, membership: RoleMembership) -> None:
    """Revoke through the service (which removes every membership of that role over that area)."""
    try:
        roles.role_revoke(
            acting_user=acting_user,
            user=membership.user,
            role=membership.role,
            area_code=membership.area_code,
        )
    except NotFound:
        pass  # already removed together with an identical membership
    except Forbidden as exc:  # outside the administrator's own area: nothing is revoked
        raise PermissionDenied(str(exc)) from exc


def _grant(acting_user: Any, user: Any, membership: RoleMembership) -> RoleMembership:
    try:
        return roles.role_grant(
            acting_user=acting_user,
            user=user,
            role=membership.role,
            area_code=membership.area_code,
            valid_from=membership.valid_from,
            valid_until=membership.valid_until,
        )
    except Forbidden as exc:  # outside the administrator's own area: nothing is granted
        raise PermissionDenied(str(exc)) from exc


@admin.register(RoleMembership)
class RoleMembershipAdmin(LocalizedAdmin):
    form = RoleMembershipForm
    list_display = ("user", "role", "area", "valid_from", "valid_until", "granted_by", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "district", "province", "region", "granted_by")
    search_fields = ("user__username", "district__code", "province__code", "region__code")
    autocomplete_fields = ("user", "district", "province", "region")
    readonly_fields = ("granted_by", "created_at")
    ordering = ("user__username", "role")

    @admin.display(description=_("area"))
    def area(self, obj: RoleMembership) -> str:
        area = obj.district or obj.province or obj.region
        return f"{obj.area_code} {area}" if area is not None else obj.area_code

    def object_label(self, obj: RoleMembership) -> str:
        return membership_label(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and is_admin(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            # A grant is not edited in place: delete it (revoke) and add a new one (grant).
            return [*RoleMembershipForm.Meta.fields, "granted_by", "created_at"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: RoleMembership, form: Any, change: bool) -> None:
        if change:
            return  # every field is read-only
        membership = _grant(request.user, obj.user, obj)
        obj.pk = membership.pk
        obj.granted_by = membership.granted_by
        obj.created_at = membership.created_at

    def delete_model(self, request: HttpRequest, obj: RoleMembership) -> None:
        _revoke(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleMembership]) -> None:
        with transaction.atomic(using=router.db_for_write(RoleMembership)):
            for membership in queryset.select_related("user"):
                _revoke(request.user, membership)


# --- Users and groups -------------------------------------------------------------------------------

PASSWORD_FORM_FIELDS = frozenset({"password", "password1", "password2", "usable_password"})


class UserPasswordForm(AdminPasswordChangeForm):
    """Django's form for an administrator to set a user's password, its help text in the user's
    language: Django joins its translated part with an English sentence once, at import."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        field = self.fields.get("usable_password")
        if field is not None:
            field.help_text = format_html(
                '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
                SetUnusablePasswordMixin.usable_password_help_text,
                gettext("If disabled, the current password for this user will be lost."),
            )


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(PermissionsInUserLanguage, AuditedAdmin, BaseUserAdmin):
    """Role administrators manage accounts and their roles; only a superuser makes a superuser,
    hands out Django groups and permissions, or changes a superuser's account."""

    inlines = [RoleMembershipInline]
    change_password_form = UserPasswordForm
    SUPERUSER_ONLY_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if getattr(request.user, "is_superuser", False):
            return fieldsets
        kept = []
        for name, options in fieldsets:
            fields = [f for f in options.get("fields", ()) if f not in self.SUPERUSER_ONLY_FIELDS]
            if fields:
                kept.append((name, {**options, "fields": tuple(fields)}))
        return kept

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not getattr(request.user, "is_superuser", False):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not getattr(request.user, "is_superuser", False):
            return False
        return super().has_delete_permission(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else []

    def changed_fields(self, form: forms.ModelForm) -> list[str]:
        names = [name for name in form.changed_data if name not in PASSWORD_FORM_FIELDS]
        if PASSWORD_FORM_FIELDS & set(form.changed_data):
            names.append("password")
        return names

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleMembership:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            _revoke(request.user, membership)
        for membership in formset.new_objects:
            _grant(request.user, form.instance, membership)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # The change of password and its audit event commit together.
        with transaction.atomic(using=router.db_for_write(User)):
            return super().user_change_password(request, id, form_url)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "auth_user_password_change":
            admin_changes.admin_object_save(
                acting_user=request.user, obj=obj, changed_fields=["password"], is_new=False
            )
        return super().log_change(request, obj, message)


@admin.register(Group)
class GroupAdmin(PermissionsInUserLanguage, AuditedAdmin, BaseGroupAdmin):
    pass


# --- Programme editions ----------------------------------------------------------------------------


DISTRICTS_FILE_HELP = _(
    "The district codes in the first column (or a column named district_code). "
    "When a file is given, it replaces the list chosen above."
)


def _column_names_as_code(text: Any) -> SafeString:
    """``text`` with the column name a file must use marked as code (typed as it is, in any language)."""
    return mark_safe(escape(str(text)).replace("district_code", "<code>district_code</code>"))  # noqa: S308


class EditionForm(forms.ModelForm):
    # Not the model field itself: the service ends the other active edition when this one is
    # activated, which the model's "one active edition" constraint would refuse in the form.
    active = forms.BooleanField(
        label=_("active"),
        required=False,
        help_text=_("Only one edition is active at a time; activating this one ends the other."),
    )
    deadline = BEDateField(label=_("deadline"), help_text=date_hint_lazy())
    dimensions = forms.MultipleChoiceField(
        label=_("dimensions"),
        choices=Dimension.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[choice.value for choice in Dimension],
    )
    budget_cap = forms.DecimalField(
        label=_("budget cap per district (THB)"), min_value=0, max_digits=14, decimal_places=2
    )
    progress_reminder_days = forms.IntegerField(
        label=_("working days without a progress update before the officer is reminded"),
        min_value=1,
        max_value=programme.MAX_PROGRESS_REMINDER_DAYS,
        initial=10,
        required=False,  # left out: as it was (10 for a new edition)
    )
    role_model_districts = forms.ModelMultipleChoiceField(
        label=_("Role Model districts"),
        queryset=District.objects.programme().select_related("province").order_by("code"),
        required=False,
        widget=FilteredSelectMultiple(_("Role Model districts"), is_stacked=False),
        help_text=_("Only these districts select projects in the edition; each sends one report book."),
    )
    role_model_districts_file = forms.FileField(
        label=_("Or upload a CSV file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=lazy(lambda: _column_names_as_code(DISTRICTS_FILE_HELP), SafeString)(),
    )

    class Meta:
        model = Edition
        fields = [
            "code",
            "title",
            "budget_cap",
            "deadline",
            "dimensions",
            "central_email",
            "progress_reminder_days",
        ]

    def clean_progress_reminder_days(self) -> int:
        value = self.cleaned_data.get("progress_reminder_days")
        if value is None:
            return int(self.instance.progress_reminder_days or 10)
        return int(value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.district_codes: list[str] | None = None  # the new list, when it changed
        if self.instance.pk:
            self.initial["active"] = self.instance.is_active
            self.initial["role_model_districts"] = programme.designated_codes(self.instance)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("role_model_districts_file")
        if upload is not None:
            if not upload.name.lower().endswith(".csv"):
                self.add_error("role_model_districts_file", _("Choose a .csv file."))
                return cleaned
            try:
                codes = programme.district_codes_from_csv(upload.read())
            except DomainError as exc:
                self.add_error("role_model_districts_file", [str(e["message"]) for e in exc.errors])
                return cleaned
            field = "role_model_districts_file"
        elif "role_model_districts" in self.changed_data:
            codes = sorted(d.code for d in cleaned.get("role_model_districts") or [])
            field = "role_model_districts"
        else:
            return cleaned
        problems = programme.designation_problems(
            edition=self.instance if self.instance.pk else None, district_codes=codes
        )
        if problems.messages:
            self.add_error(field, problems.messages)
        else:
            self.district_codes = codes
        return cleaned

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        if self.instance.pk and code != self.instance.code and self.instance.projects.exists():
            raise forms.ValidationError(_("The code of an edition with projects cannot change."))
        return code


@admin.register(Edition)
class EditionAdmin(LocalizedAdmin):
    form = EditionForm
    list_display = ("code", "title", "budget_cap", "deadline", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "title")
    fields = (
        "code",
        "title",
        "budget_cap",
        "deadline",
        "active",
        "dimensions",
        "central_email",
        "progress_reminder_days",
        "role_model_districts",
        "role_model_districts_file",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # editions are kept (their projects refer to them)

    def save_model(self, request: HttpRequest, obj: Edition, form: Any, change: bool) -> None:
        data = form.cleaned_data
        values = {name: data[name] for name in programme.EDITABLE if name in data}
        values["is_active"] = bool(data.get("active"))
        if change:
            changed = set(form.changed_data)
            if "active" in changed:
                changed.add("is_active")
            values = {name: value for name, value in values.items() if name in changed}
            edition = programme.edition_update(acting_user=request.user, edition=obj.pk, values=values)
        else:
            edition = programme.edition_create(acting_user=request.user, values=values)
        obj.pk = edition.pk
        obj.is_active = edition.is_active
        if form.district_codes is not None:
            programme.edition_districts_replace(
                acting_user=request.user, edition=edition.pk, district_codes=form.district_codes
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the Role Model districts were saved (and recorded) by the service in save_model


@admin.register(RoleModelDistrict)
class RoleModelDistrictAdmin(ReadOnlyAdmin):
    """The designations, to look at and filter; they are changed on the edition's page."""

    list_display = ("district", "district_code", "province", "edition", "designated_by", "designated_at")
    list_filter = ("edition",)
    list_select_related = ("district__province", "edition", "designated_by")
    search_fields = ("district__code", "district__name_th", "district__name_en")

    @admin.display(description=_("DOPA code"), ordering="district_id")
    def district_code(self, obj: RoleModelDistrict) -> str:
        return str(obj.district_id)

    @admin.display(description=_("province"), ordering="district__province_id")
    def province(self, obj: RoleModelDistrict) -> Any:
        return obj.district.province

    def object_label(self, obj: RoleModelDistrict) -> str:
        return f"{obj.district_id} {obj.district} ({obj.edition})"


class HolidayForm(forms.ModelForm):
    date = BEDateField(label=_("date"), help_text=date_hint_lazy())

    class Meta:
        model = Holiday
        fields = ["date", "name"]


@admin.register(Holiday)
class HolidayAdmin(AuditedAdmin):
    form = HolidayForm
    list_display = ("day", "name")
    search_fields = ("name",)
    ordering = ("-date",)

    @admin.display(description=_("date"), ordering="date")
    def day(self, obj: Holiday) -> str:
        return thaidate(obj.date)

    def object_label(self, obj: Holiday) -> str:
        return f"{thaidate(obj.date)} {obj.name}"


# --- Project bank ------------------------------------------------------------------------------------


class BankImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.csv or .xlsx)"),
        help_text=_("The first line names the columns. Nothing is imported unless every line is valid."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > BANK_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": BANK_UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        return upload


@admin.register(BankEntry)
class BankEntryAdmin(AuditedAdmin):
    list_display = (
        "code",
        "title",
        "dimension",
        "subdistrict",
        "district",
        "estimated_budget",
        "source_year",
    )
    list_filter = ("dimension",)
    list_select_related = ("subdistrict__district",)
    search_fields = ("code", "title")
    autocomplete_fields = ("subdistrict",)

    @admin.display(description=_("district"), ordering="subdistrict__district")
    def district(self, obj: BankEntry) -> Any:
        return obj.subdistrict.district

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra = {"has_import_permission": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = BankImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            acting_user: Any = request.user
            try:
                counts = importers.bank_import_file(
                    fileobj=upload, filename=upload.name, acting_user=acting_user
                )
            except importers.ImportFailed as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    gettext("%(entries)s entries imported: %(created)s new, %(updated)s updated.") % counts,
                )
                opts = self.model._meta
                return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Import project bank entries"),
            "columns": importers.BANK_COLUMNS,
            "optional_columns": importers.BANK_OPTIONAL_COLUMNS,
            "dimensions": [choice.value for choice in Dimension],
        }
        status = 422 if form.errors else 200
        return TemplateResponse(request, "admin/workflow/bankentry/import.html", context, status=status)


# --- Read-only: the audit trail and projects ---------------------------------------------------------


class ActionFilter(admin.SimpleListFilter):
    """The trail's actions by their labels (the column holds codes)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, audit_actions.action_label(code)) for code in codes), key=lambda c: c[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        record_number,
        "time",
        "chain",
        "chain_seq",
        "actor_username",
        "acting_for_username",
        "role_name",
        "action_name",
        "object_name",
        "district_code",
        "project_number",
        "is_late",
    )
    list_filter = (ActionFilter, "is_late")
    search_fields = ("actor_username", "object_id", "chain")
    ordering = ("-id",)
    show_full_result_count = False
    actions = None
    fields = (
        "chain",
        "chain_seq",
        "time",
        "actor_username",
        "acting_for_username",
        "role_name",
        "area_code",
        "action_name",
        "object_name",
        "object_id",
        "district",
        "province",
        "project",
        "from_state_name",
        "to_state_name",
        "comment",
        "is_late",
        "rules",
        "budget_figures",
        "details",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description=_("time"), ordering="created_at")
    def time(self, obj: AuditEvent) -> str:
        return thaidatetime(obj.created_at)

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, obj: AuditEvent) -> str:
        return audit_actions.action_label(obj.action)

    @admin.display(description=_("object"), ordering="object_type")
    def object_name(self, obj: AuditEvent) -> str:
        return audit_actions.object_label(obj)

    @admin.display(description=_("role"), ordering="role")
    def role_name(self, obj: AuditEvent) -> str:
        return role_label(obj.role) if obj.role else ""

    @admin.display(description=_("from"))
    def from_state_name(self, obj: AuditEvent) -> str:
        return state_label(obj.from_state) if obj.from_state else ""

    @admin.display(description=_("to"))
    def to_state_name(self, obj: AuditEvent) -> str:
        return state_label(obj.to_state) if obj.to_state else ""

    @admin.display(description=_("district"), ordering="district_id")
    def district_code(self, obj: AuditEvent) -> str:
        return obj.district_id or ""

    @admin.display(description=_("project"), ordering="project_id")
    def project_number(self, obj: AuditEvent) -> str:
        return str(obj.project_id or "")

    @admin.display(description=_("rule results"))
    def rules(self, obj: AuditEvent) -> str:
        """Each rule checked: met (✓) or not (✗), in the guideline's words."""
        rows = []
        for result in obj.rule_results or []:
            rule = RULES.get(str(result.get("code", "")))
            passed = bool(result.get("passed"))
            if rule is None:
                rows.append(("✓" if passed else "✗", str(result.get("code", ""))))
                continue
            text = str(rule.holds if passed else rule.message)
            rows.append(("✓" if passed else "✗", str(rule.clause) if "%(" in text else text))
        return format_html_join("", "<div>{} {}</div>", rows) if rows else ""

    @admin.display(description=_("budget"))
    def budget_figures(self, obj: AuditEvent) -> str:
        rows = [
            (audit_actions.key_label(str(k)), audit_actions.money_text(v))
            for k, v in (obj.budget or {}).items()
        ]
        return format_html_join("", "<div><strong>{}:</strong> {}</div>", rows) if rows else ""

    @admin.display(description=_("details"))
    def details(self, obj: AuditEvent) -> str:
        """The payload as the audit pages show it: labelled, dates in the user's calendar."""
        rows = [(detail.label, detail.text) for detail in audit_actions.payload_details(obj)]
        if not rows:
            return ""
        return format_html_join("", "<div><strong>{}:</strong> {}</div>", rows)

    def object_label(self, obj: AuditEvent) -> str:
        return event_label(obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and access.may_read_all_history(
            access.principal_for(request.user)
        )


class BudgetLineInline(ReadOnlyInline):
    model = BudgetLine
    fields = ("position", "description", "category", "amount")

    def object_label(self, obj: BudgetLine) -> str:
        return f"{obj.description} ({baht(obj.amount)})"


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = (
        record_number,
        "title",
        "district",
        "edition",
        "state",
        "created_by",
        "created_at",
        "history",
    )
    list_filter = ("state", "edition")
    list_select_related = ("district", "edition", "created_by")
    search_fields = ("title", "district__code", "district__name_th")
    ordering = ("-id",)
    inlines = [BudgetLineInline]
    actions = None

    @admin.display(description=_("history"))
    def history(self, obj: Project) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("audit-project", args=[obj.pk]), gettext("timeline")
        )


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    """The province's disbursements, to look at; recorded on the district's page or through the API."""

    list_display = ("district", "edition", "amount", "paid_on", "reference", "recorded_by", "recorded_at")
    list_filter = ("edition",)
    list_select_related = ("district", "edition", "recorded_by")
    search_fields = ("district__code", "district__name_th", "reference")
    ordering = ("-recorded_at",)

    def object_label(self, obj: Disbursement) -> str:
        return f"{obj.district_id} {obj.district} {thaidate(obj.paid_on)} {baht(obj.amount)}"


# --- Delegations: viewed, and revoked -----------------------------------------------------------------


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("delegate", "delegator", "role", "district", "starts_on", "ends_on", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("delegate", "delegator", "district")
    search_fields = ("delegate__username", "delegator__username", "district__code", "district__name_th")
    actions = ["revoke"]

    def object_label(self, obj: Delegation) -> str:
        return delegation_label(obj)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return super(ReadOnlyAdmin, self).has_change_permission(request) and is_admin(request)

    @admin.action(description=_("Revoke the selected delegations"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Delegation]) -> None:
        revoked = 0
        with transaction.atomic(using=router.db_for_write(Delegation)):
            for delegation in queryset.filter(revoked_at__isnull=True).select_related("district"):
                delegation.revoked_at = timezone.now()
                admin_changes.admin_object_save(
                    acting_user=request.user, obj=delegation, changed_fields=["revoked_at"], is_new=False
                )
                revoked += 1
        messages.success(request, gettext("%(count)s delegations revoked.") % {"count": revoked})


# --- The libraries' admin pages, in the user's language ---------------------------------------------
# viewflow's processes and tasks: looked at, never changed here (tasks are claimed, released and
# assigned through ``approvals.services``, which audits them). django-axes' login attempts.
# Their own columns show English (``str()``, "pk", viewflow's node names, axes' "3 Attempt
# Remaining"): each library's admin class is registered again with labelled columns and fields.


def _register_again(model: Any, *bases: type, **attrs: Any) -> None:
    """Register ``model`` again: its current admin class, after ``bases``, with ``attrs``."""
    if not admin.site.is_registered(model):
        return
    existing = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(existing.__name__, (*bases, existing), attrs))


def flow_title(flow_class: Any) -> str:
    """A flow's name (its ``process_title`` is an English msgid of our catalogue)."""
    return gettext(str(flow_class.process_title)) if flow_class is not None else ""


def process_label(process: Any) -> str:
    return f"{flow_title(process.flow_class)} #{process.pk}"


TASK_KINDS = {
    "START": _("start"),
    "HUMAN": _("a person's task"),
    "SWITCH": _("routing"),
    "END": _("end"),
    "JOB": _("automatic task"),
    "EVENT": _("event"),
}


def step_name(node: Any) -> str:
    """A node of the flow as our pages name it: its step, the state it ends in, or its kind."""
    if node is None:
        return ""
    name = str(getattr(node, "name", "") or "")
    if name in flows.STEP_LABELS:
        return str(flows.STEP_LABELS[name])
    if name in flows.END_STATE:
        return gettext("end: %(state)s") % {"state": state_label(flows.END_STATE[name])}
    if name.startswith("after_") and name[len("after_") :] in flows.STEP_LABELS:
        return gettext("after: %(step)s") % {"step": flows.STEP_LABELS[name[len("after_") :]]}
    kind = TASK_KINDS.get(str(getattr(node, "task_type", "")))
    return capfirst(str(kind)) if kind is not None else name


def task_label(task: Any) -> str:
    return gettext("%(process)s, %(step)s (%(status)s)") % {
        "process": process_label(task.process),
        "step": step_name(task.flow_task),
        "status": task.get_status_display(),
    }


class ProcessColumns:
    @admin.display(description=_("flow"), ordering="flow_class")
    def flow(self, obj: Any) -> str:
        return flow_title(obj.flow_class)

    @admin.display(description=_("participants"))
    def participants_list(self, obj: Any) -> str:
        return str(self.participants(obj))  # type: ignore[attr-defined]

    def object_label(self, obj: Any) -> str:
        return process_label(obj)


class TaskColumns:
    @admin.display(description=_("step"), ordering="flow_task")
    def step(self, obj: Any) -> str:
        return step_name(obj.flow_task)

    @admin.display(description=_("kind"), ordering="flow_task_type")
    def kind(self, obj: Any) -> str:
        label = TASK_KINDS.get(obj.flow_task_type)
        return capfirst(str(label)) if label is not None else str(obj.flow_task_type)

    @admin.display(description=Task._meta.get_field("process").verbose_name, ordering="process")
    def process_name(self, obj: Any) -> str:
        return process_label(obj.process)

    def object_label(self, obj: Any) -> str:
        return task_label(obj)


class ProcessTaskInline(TaskColumns, ReadOnlyInline):
    model = Task
    fields = ("step", "kind", "status", "owner", "created", "finished")
    readonly_fields = fields


_register_again(
    Process,
    ProcessColumns,
    ReadOnlyAdmin,
    list_display=[record_number, "created", "flow", "status", "participants_list"],
    list_display_links=[record_number, "created", "flow"],
    list_filter=["status", "created"],
    fields=("flow", "status", "created", "finished"),
    readonly_fields=("flow", "status", "created", "finished"),
    inlines=[ProcessTaskInline],
)
_register_again(
    Task,
    TaskColumns,
    ReadOnlyAdmin,
    list_display=[record_number, "created", "process_name", "step", "status", "owner", "started", "finished"],
    list_display_links=[record_number, "created", "process_name"],
    fields=(
        "process_name",
        "step",
        "kind",
        "status",
        "owner",
        "owner_permission",
        "created",
        "assigned",
        "started",
        "finished",
    ),
    readonly_fields=(
        "process_name",
        "step",
        "kind",
        "status",
        "owner",
        "owner_permission",
        "created",
        "assigned",
        "started",
        "finished",
    ),
    list_filter=["status", "created"],
)


try:  # django-axes' admin (``AXES_ENABLE_ADMIN``)
    from axes.conf import settings as axes_settings
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
except ImportError:  # pragma: no cover - axes not installed
    pass
else:

    class AccessAttemptColumns:
        @admin.display(description=_("expires"))
        def expires(self, obj: Any) -> str:
            expiration = getattr(obj, "expiration", None)
            return thaidatetime(expiration.expires_at) if expiration is not None else gettext("Not set")

        @admin.display(description=_("status"))
        def lock_status(self, obj: Any) -> str:
            limit = axes_settings.AXES_FAILURE_LIMIT
            if isinstance(limit, int) and obj.failures_since_start < limit:
                return gettext("%(count)s attempts left") % {"count": limit - obj.failures_since_start}
            return gettext("Locked Out")

        @admin.action(description=_("Clean up expired attempts"))
        def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
            count = self.handler.clean_expired_user_attempts(request=request)  # type: ignore[attr-defined]
            self.message_user(  # type: ignore[attr-defined]
                request, gettext("%(count)s expired login attempts cleaned up.") % {"count": count}
            )

        def get_list_display(self, request: HttpRequest) -> Any:
            names = {"expiration": "expires", "status": "lock_status"}
            return [names.get(name, name) for name in super().get_list_display(request)]  # type: ignore[misc]

        def object_label(self, obj: Any) -> str:
            return gettext("Failed logins of %(username)s from %(address)s, %(time)s") % {
                "username": obj.username,
                "address": obj.ip_address or "—",
                "time": thaidatetime(obj.attempt_time),
            }

    class AccessLogColumns:
        def object_label(self, obj: Any) -> str:
            return gettext("Login of %(username)s from %(address)s, %(time)s") % {
                "username": obj.username,
                "address": obj.ip_address or "—",
                "time": thaidatetime(obj.attempt_time),
            }

    class AccessFailureColumns:
        def object_label(self, obj: Any) -> str:
            return gettext("Failed login of %(username)s from %(address)s, %(time)s") % {
                "username": obj.username,
                "address": obj.ip_address or "—",
                "time": thaidatetime(obj.attempt_time),
            }

    _register_again(
        AccessAttempt,
        AccessAttemptColumns,
        fieldsets=(
            (None, {"fields": ("username", "path_info", "failures_since_start", "expires")}),
            (_("Form Data"), {"fields": ("get_data", "post_data")}),
            (_("Meta Data"), {"fields": ("user_agent", "ip_address", "http_accept")}),
        ),
        readonly_fields=[
            "user_agent",
            "ip_address",
            "username",
            "http_accept",
            "path_info",
            "attempt_time",
            "get_data",
            "post_data",
            "failures_since_start",
            "expires",
        ],
    )
    _register_again(AccessLog, AccessLogColumns)
    _register_again(AccessFailureLog, AccessFailureColumns)


# API tokens are issued through POST /api/v1/auth/token/ only; the admin would create them unaudited.
try:
    from django.contrib.admin.exceptions import NotRegistered
    from rest_framework.authtoken.models import TokenProxy

    admin.site.unregister(TokenProxy)
except (ImportError, NotRegistered):  # pragma: no cover - DRF without the token admin
    pass
