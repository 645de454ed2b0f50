"""The admin site of the service: the ``admin`` role (ผู้ดูแลระบบ) opens it, not ``is_staff``.

* ``RoleModelAdminSite.has_permission`` (``access.may_enter_admin``): an active user who is a
  superuser or holds the ``admin`` role today (its membership's ``valid_from``/``valid_until``).
  The grants are read again on every request (``access.principal_for`` on the request's freshly
  loaded user), so a revocation or an expiry takes effect on the user's next request.
  ``is_staff`` plays no part: it is not a role, and no one would see it change in the trail of
  roles.
* ``AdminRoleLoginForm``: the admin's login page lets in exactly those people.
* ``AdminRoleBackend``: the Django model permissions a role administrator has, exactly
  ``access.ADMIN_ROLE_PERMISSIONS`` (what the admin pages need and nothing else). Listed in
  ``AUTHENTICATION_BACKENDS`` after ``ModelBackend``. Superusers keep Django's own rule.

``workflow.admin_apps.RoleModelAdminConfig`` makes this site ``admin.site``.

The site speaks the user's language, as every page does (issue 13):

* ``LocalizedAdmin``, mixed into every ``ModelAdmin`` the site registers (ours and the
  libraries'): date boxes take ``DD/MM/YYYY`` in the Buddhist Era in Thai and CE in English
  (``BEDateField``, ``BEDateTimeField``: our pages' rules, never Django's calendar, whose
  "Today" would write a CE date); no date hierarchy (its years and months are CE: a date
  filter instead); ``object_label`` names an object where the model's ``str()`` shows codes or
  CE dates: its page, its history, its deletion, its row of an inline, the "… was added" and
  "… was deleted" messages and the admin's log (``LabelledObject`` stands in for it there).
* ``display_for_field`` / ``display_for_value``: the admin's lists and read-only fields show
  dates as our pages do (``31 ส.ค. 2564``, ``31 Aug 2021``); installed over Django's by
  ``RoleModelAdminConfig.ready`` (and a yes/no icon whose text is not "True").
* ``workflow.admin_texts``: Django's, axes' and viewflow's texts that their Thai catalogues miss
  or get wrong, carried into ours (``locale/th``), which takes precedence; the admin's
  JavaScript texts are in ``locale/th/LC_MESSAGES/djangojs.po`` (the admin's ``jsi18n`` merges
  ``LOCALE_PATHS`` last).
* ``templates/admin/``: the site's language switch in the header (``base_site.html``), an
  object's history with its times in BE (``object_history.html``), the search box's magnifier
  described in the user's language (``search_form.html``; Django writes ``alt="Search"``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.admin import AdminSite, ModelAdmin, helpers
from django.contrib.admin import utils as admin_utils
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models, router
from django.forms.utils import from_current_timezone, to_current_timezone
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow import access
from workflow.templatetags.rolemodel import be_date_input, date_hint, thaidate, thaidatetime
from workflow.web.forms import BEDateField


class AdminRoleLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password of an administrator "
            "(the admin role). Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        # Instead of AdminAuthenticationForm's is_staff: an active account holding the admin role.
        if not user.is_active or not access.may_enter_admin(access.principal_for(user)):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


# --- Dates as our pages show and take them --------------------------------------------------------

date_hint_lazy = lazy(date_hint, str)


class AdminDateField(BEDateField):
    """A date box of the admin: ``BEDateField`` with the hint of the form it takes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("localize", None)
        if not kwargs.get("help_text"):
            kwargs["help_text"] = date_hint_lazy()
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("size", "10")


class BEDateTimeWidget(forms.MultiWidget):
    """A date box (``DD/MM/YYYY``, BE in Thai) and a time box (Django's, with its clock)."""

    template_name = "admin/widgets/split_datetime.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        date_attrs = {"maxlength": "10", "size": "10", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__([forms.TextInput(attrs=date_attrs), AdminTimeWidget()], attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime.datetime):
            local = to_current_timezone(value)
            return [be_date_input(local.date()), local.time().replace(microsecond=0)]
        return [None, None]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["date_label"] = gettext("Date:")
        context["time_label"] = gettext("Time:")
        return context


class BEHiddenDateTimeWidget(BEDateTimeWidget):
    """The hidden copy of a date and time (an initial value Django compares with what is sent)."""

    template_name = "django/forms/widgets/splithiddendatetime.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        forms.MultiWidget.__init__(self, [forms.HiddenInput(), forms.HiddenInput()], attrs)


class BEDateTimeField(forms.MultiValueField):
    """A date and a time: the date as ``BEDateField`` reads it, the time ``HH:MM[:SS]``."""

    widget = BEDateTimeWidget
    hidden_widget = BEHiddenDateTimeWidget
    default_error_messages = {
        "invalid_date": _("Enter a valid date."),
        "invalid_time": _("Enter a valid time."),
    }

    def __init__(self, **kwargs: Any) -> None:
        for name in ("max_length", "localize", "empty_value"):
            kwargs.pop(name, None)
        fields = (BEDateField(), forms.TimeField())
        super().__init__(fields, **kwargs)
        if not self.help_text:
            self.help_text = date_hint_lazy()

    def compress(self, data_list: list[Any]) -> datetime.datetime | None:
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise forms.ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return from_current_timezone(datetime.datetime.combine(day, time))


DATE_FORMFIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.DateTimeField: {"form_class": BEDateTimeField, "widget": BEDateTimeWidget},
    models.DateField: {"form_class": AdminDateField, "widget": forms.TextInput},
}


_django_display_for_field = admin_utils.display_for_field
_django_display_for_value = admin_utils.display_for_value


def display_for_field(value: Any, field: Any, empty_value_display: str, avoid_link: bool = False) -> Any:
    """Django's, but a date reads ``31 ส.ค. 2564`` in Thai (``31 Aug 2021`` in English)."""
    if not getattr(field, "flatchoices", None):
        if isinstance(field, models.DateTimeField) and isinstance(value, datetime.datetime):
            return thaidatetime(value)
        if isinstance(field, models.DateField) and isinstance(value, datetime.date):
            return thaidate(value)
    return _django_display_for_field(value, field, empty_value_display, avoid_link)


def display_for_value(value: Any, empty_value_display: str, boolean: bool = False) -> Any:
    """Django's, but a date (of a column or a read-only field that is a method) as above."""
    if not boolean:
        if isinstance(value, datetime.datetime):
            return thaidatetime(value)
        if isinstance(value, datetime.date):
            return thaidate(value)
    return _django_display_for_value(value, empty_value_display, boolean)


def boolean_icon(value: bool | None) -> SafeString:
    """Django's yes/no/unknown icon, its text alternative in the user's language (not "True")."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


def install_display() -> None:
    """Put ``display_for_field``, ``display_for_value`` and ``boolean_icon`` where the admin's
    lists and read-only fields look them up (its modules imported Django's by name)."""
    from django.contrib.admin.templatetags import admin_list

    for module in (admin_utils, helpers, admin_list):
        if hasattr(module, "display_for_field"):
            module.display_for_field = display_for_field  # type: ignore[attr-defined]
        if hasattr(module, "display_for_value"):
            module.display_for_value = display_for_value  # type: ignore[attr-defined]
    admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]


# --- Every admin page of the site --------------------------------------------------------------


class LabelledObject:
    """An object as the admin's templates see it (``original``, ``object``): itself, but its
    ``str()`` is the label its admin gives it."""

    def __init__(self, obj: Any, label: str) -> None:
        self._obj = obj
        self._label = label

    def __str__(self) -> str:
        return self._label

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


class LabelledInlineFormSet(helpers.InlineAdminFormSet):
    """Rows named by their inline's ``object_label`` (a tabular row shows its object's name)."""

    def __iter__(self) -> Any:
        label = getattr(self.opts, "object_label", None)
        for admin_form in super().__iter__():
            if label is not None and admin_form.original is not None:
                admin_form.original = LabelledObject(  # type: ignore[assignment]
                    admin_form.original, label(admin_form.original)
                )
            yield admin_form


class LocalizedAdmin(ModelAdmin):
    """Mixed into every ``ModelAdmin`` registered with the site (``RoleModelAdminSite.register``)."""

    def __init__(self, model: Any, admin_site: Any) -> None:
        super().__init__(model, admin_site)
        self.formfield_overrides = {**self.formfield_overrides, **DATE_FORMFIELDS}  # type: ignore[misc]
        if self.date_hierarchy:
            # Its links read "2026", "ธันวาคม 2026": a filter by date instead (today, past 7 days...).
            name = self.date_hierarchy
            self.date_hierarchy = None  # type: ignore[misc]
            if name not in self.list_filter:
                self.list_filter = (*self.list_filter, name)  # type: ignore[misc]

    def object_label(self, obj: Any) -> str:
        """How the admin names ``obj`` on its page, its history and its deletion (``str()``
        unless the admin says better: several models' ``str()`` hold codes or CE dates)."""
        return str(obj)

    def labelled(self, obj: Any) -> LabelledObject:
        return LabelledObject(obj, self.object_label(obj))

    def action_checkbox(self, obj: Any) -> SafeString:
        """Django's row checkbox, read out with the object's label."""
        attrs = {
            "class": "action-select",
            "aria-label": format_html(
                gettext("Select this object for an action - {}"), self.object_label(obj)
            ),
        }
        return forms.CheckboxInput(attrs, lambda value: False).render(
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk)
        )

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        return deleted_objects(objs, request, self.admin_site)

    # "The … was added successfully." and the admin's log (its "Recent actions") name the object
    # by its label too.

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        return super().response_add(request, self.labelled(obj), post_url_continue)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        return super().response_change(request, self.labelled(obj))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        label = getattr(request, "_admin_object_label", None)
        return super().response_delete(request, label or obj_display, obj_id)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_addition(request, self.labelled(obj), message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_change(request, self.labelled(obj), message)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            context["original"] = self.labelled(obj)
            if context.get("subtitle"):
                context["subtitle"] = str(context["original"])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inline_formsets(self, request: HttpRequest, *args: Any, **kwargs: Any) -> list[Any]:
        formsets = super().get_inline_formsets(request, *args, **kwargs)
        for admin_formset in formsets:
            if type(admin_formset) is helpers.InlineAdminFormSet:
                admin_formset.__class__ = LabelledInlineFormSet
        return formsets

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, admin_utils.unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            labelled = self.labelled(obj)
            extra.setdefault("object", labelled)
            extra.setdefault("title", gettext("Change history: %s") % labelled)
        return super().history_view(request, object_id, extra)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, admin_utils.unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            labelled = self.labelled(obj)
            extra.setdefault("object", labelled)
            request._admin_object_label = str(labelled)  # type: ignore[attr-defined]
        return super().delete_view(request, object_id, extra)


def label_of(admin_site: AdminSite, obj: Any) -> str:
    """``obj`` as its admin names it (``object_label``), else ``str()``."""
    model_admin = admin_site._registry.get(type(obj))
    label = getattr(model_admin, "object_label", None)
    return label(obj) if label is not None else str(obj)


def deleted_objects(objs: Any, request: HttpRequest, admin_site: AdminSite) -> Any:
    """``django.contrib.admin.utils.get_deleted_objects``, each object named by ``label_of``."""
    try:
        first = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = admin_utils.NestedObjects(using=router.db_for_write(first._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed: set[Any] = set()

    def format_callback(obj: Any) -> str:
        opts = obj._meta
        label = label_of(admin_site, obj)
        if not admin_site.is_registered(type(obj)):
            return f"{capfirst(opts.verbose_name)}: {label}"
        if not admin_site.get_model_admin(type(obj)).has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=(admin_utils.quote(obj.pk),),
            )
        except NoReverseMatch:
            return f"{capfirst(opts.verbose_name)}: {label}"
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, label)

    to_delete = collector.nested(format_callback)
    protected = [format_callback(obj) for obj in collector.protected]
    model_count = {
        found_model._meta.verbose_name_plural: len(found)  # type: ignore[attr-defined]
        for found_model, found in collector.model_objs.items()
    }
    return to_delete, model_count, perms_needed, protected


class LabelledInline:
    """An inline whose rows are named by ``object_label`` (default: ``str()``)."""

    def object_label(self, obj: Any) -> str:
        return str(obj)


class RoleModelAdminSite(AdminSite):
    site_header = _("Role Model Workflow: administration")
    site_title = _("Role Model Workflow administration")
    index_title = _("Roles, areas, programme and project bank")
    login_form = AdminRoleLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        return access.may_enter_admin(access.principal_for(request.user))

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """Every model's admin, ours and the libraries' (axes, viewflow), is a ``LocalizedAdmin``."""
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, LocalizedAdmin):
            attrs = {"__module__": admin_class.__module__}
            admin_class = type(admin_class.__name__, (LocalizedAdmin, admin_class), attrs)
        super().register(model_or_iterable, admin_class, **options)


class AdminRoleBackend:
    """Grants the admin pages' permissions to holders of the ``admin`` role; authenticates no one."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> None:
        return None

    def _permissions(self, user_obj: Any) -> frozenset[str]:
        return access.admin_role_permissions(access.principal_for(user_obj))

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set(self._permissions(user_obj)) if obj is None else set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return obj is None and perm in self._permissions(user_obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self._permissions(user_obj))
