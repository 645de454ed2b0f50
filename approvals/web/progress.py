"""The project page's progress section: the timeline while a project runs, and its two forms.

The officer posts progress (date, percent done, text, photos); the district chief and the
regional inspector add supervision notes and recommendations. Forms only parse (every error of
a form at once); ``workflow.services.progress`` decides who may, when, and records it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflow import access, selectors, uploads
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.models import ProgressUpdate, Project
from workflow.services import progress as svc
from workflow.templatetags.rolemodel import date_hint
from workflow.web.forms import BEDateField

from .project_forms import MultipleFileField, bind_domain_errors

Kind = ProgressUpdate.Kind
date_hint_lazy = lazy(date_hint, str)


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ProgressForm(forms.Form):
    """The officer's progress update."""

    as_of = BEDateField(label=gettext_lazy("Date of the progress"), help_text=date_hint_lazy())
    percent_done = forms.IntegerField(
        label=gettext_lazy("Percent done"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"min": "0", "max": "100", "step": "1", "inputmode": "numeric"}),
    )
    text = forms.CharField(
        label=gettext_lazy("What was done"),
        widget=_textarea(5),
        max_length=svc.MAX_TEXT,
        error_messages={"required": gettext_lazy("Describe the progress.")},
    )
    photos = MultipleFileField(
        label=gettext_lazy("Photos"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "progress")
        super().__init__(*args, **kwargs)
        photos = self.fields["photos"]
        photos.widget.attrs["accept"] = "image/jpeg,image/png,image/webp"
        photos.help_text = _("At most %(count)s JPEG, PNG or WebP photos of at most %(limit)s MB each.") % {
            "count": svc.MAX_PHOTOS,
            "limit": uploads.max_bytes() // (1024 * 1024),
        }

    def clean_as_of(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get("as_of")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future_date")
        return value

    def clean_photos(self) -> list[Any]:
        photos: list[Any] = self.cleaned_data.get("photos") or []
        errors = svc.photo_errors(photos)
        if errors:
            raise forms.ValidationError([str(e.message) for e in errors])
        return photos


class SupervisionForm(forms.Form):
    """The district chief's or the regional inspector's supervision note (dated today)."""

    text = forms.CharField(
        label=gettext_lazy("Supervision note"),
        widget=_textarea(4),
        max_length=svc.MAX_TEXT,
        error_messages={"required": gettext_lazy("Write the supervision note.")},
    )
    recommendations = forms.CharField(
        label=gettext_lazy("Recommendations"), widget=_textarea(3), max_length=svc.MAX_TEXT, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "supervision")
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class Entry:
    """One entry of the timeline as the page shows it."""

    update: ProgressUpdate
    author_name: str

    @property
    def is_progress(self) -> bool:
        return bool(self.update.kind == Kind.PROGRESS)


def _name(user: Any) -> str:
    return str(user.get_full_name() or "").strip() or str(user.get_username())


def progress_section(
    principal: access.Principal, project: Project, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    """What ``approvals/_progress.html`` needs: the timeline (two queries) and the forms the
    user may use now (``bound`` keeps what was typed after a failed post)."""
    bound = bound or {}
    entries = [Entry(u, _name(u.author)) for u in selectors.progress_updates_of(project)]
    latest = next((e.update for e in reversed(entries) if e.is_progress), None)
    may_progress = svc.may_add(principal, project, Kind.PROGRESS)
    may_supervise = svc.may_add(principal, project, Kind.SUPERVISION)
    return {
        "progress_entries": entries,
        "progress_latest": latest,
        "progress_running": project.state in svc.RUNNING_STATES,
        "progress_form": (bound.get(Kind.PROGRESS) or ProgressForm()) if may_progress else None,
        "supervision_form": (bound.get(Kind.SUPERVISION) or SupervisionForm()) if may_supervise else None,
    }


def _form_for(kind: str, request: HttpRequest) -> forms.Form:
    if kind == Kind.SUPERVISION:
        return SupervisionForm(request.POST)
    return ProgressForm(request.POST, request.FILES)


def _save(kind: str, form: forms.Form, project: Project, user: Any) -> None:
    data = form.cleaned_data
    if kind == Kind.SUPERVISION:
        svc.project_supervision_add(
            project=project.pk, acting_user=user, text=data["text"], recommendations=data["recommendations"]
        )
    else:
        svc.project_progress_add(
            project=project.pk,
            acting_user=user,
            as_of=data["as_of"],
            percent_done=data["percent_done"],
            text=data["text"],
            photos=data["photos"],
        )


@login_required
@require_POST
def progress_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Post a progress update or a supervision note from the project page (``kind`` says which)."""
    from .projects import STATE_BADGE, _detail_context, _forbidden

    user = request.user
    try:
        project = selectors.project_get_visible(user, pk)
    except NotFound as exc:
        raise Http404 from exc
    kind = request.POST.get("kind", Kind.PROGRESS)
    if kind not in Kind.values:
        raise Http404
    try:
        svc.progress_precheck(project=project.pk, acting_user=user, kind=kind)
    except Forbidden as exc:
        return _forbidden(request, project, exc)
    except DomainError as exc:
        context = {
            "project": project,
            "title": _("Progress and supervision"),
            "message": str(exc),
            "badge": STATE_BADGE.get(project.state, ""),
        }
        return render(request, "approvals/action_unavailable.html", context, status=exc.status)
    form = _form_for(kind, request)
    status = 422
    if form.is_valid():
        try:
            _save(kind, form, project, user)
        except NotFound as exc:
            raise Http404 from exc
        except Forbidden as exc:
            return _forbidden(request, project, exc)
        except DomainError as exc:
            rest = bind_domain_errors(exc.errors, form)
            if rest or not exc.errors:
                messages.error(request, str(exc))
            status = exc.status if exc.status in (409, 422) else 422
        else:
            if kind == Kind.SUPERVISION:
                messages.success(request, _("The supervision note is added."))
            else:
                messages.success(request, _("The progress update is posted."))
            return redirect(reverse("project-detail", args=[project.pk]) + "#progress")
    else:
        alert = _("Some fields are not valid.")
        if request.FILES:
            alert += " " + _("The files you chose were not stored; choose them again.")
        messages.error(request, alert)
    context = _detail_context(request, pk, progress_forms={kind: form})
    return render(request, "approvals/project_detail.html", context, status=status)


urlpatterns = [
    path("projects/<id:pk>/progress/", progress_post, name="project-progress"),
]
