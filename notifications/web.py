"""The notices page: my notices, newest first, with "mark read" and "mark all read".

Reads through ``notifications.selectors`` (only ever the user's own rows) and changes through
``notifications.services`` (which also tell the user's other tabs over the websocket).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from workflow.errors import NotFound

from . import selectors, services
from .models import Notification

PAGE_SIZE = 25


@dataclass
class NoticeRow:
    notice: Notification
    text: str
    kind_label: str
    project_url: str


def _project_url(pk: Any) -> str:
    if pk is None:
        return ""
    try:
        return reverse("project-detail", args=[pk])
    except NoReverseMatch:
        return f"/projects/{pk}/"


def notice_text(notice: Notification) -> str:
    """The notice in the page's language (Thai unless the page is English)."""
    english = (translation.get_language() or "th").startswith("en")
    return str(notice.text_en if english and notice.text_en else notice.text_th)


def _back(request: HttpRequest) -> str:
    """Where a POST returns to: the page it came from (``next``), else the notices page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("notifications")


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        NoticeRow(
            notice=notice,
            text=notice_text(notice),
            kind_label=str(notice.get_kind_display()),
            project_url=_project_url(notice.project_id),
        )
        for notice in page.object_list
    ]
    context = {"page": page, "rows": rows, "unread": selectors.unread_count(request.user)}
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.notification_mark_read(notification=pk, acting_user=request.user)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The notice is marked as read."))
    return HttpResponseRedirect(_back(request))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notification_mark_all_read(acting_user=request.user)
    if marked:
        messages.success(
            request,
            ngettext(
                "%(n)s notice marked as read.",
                "%(n)s notices marked as read.",
                marked,
            )
            % {"n": marked},
        )
    else:
        messages.info(request, _("Every notice was already read."))
    return HttpResponseRedirect(_back(request))


urlpatterns = [
    path("notifications/", notification_list, name="notifications"),
    path("notifications/<id:pk>/read/", notification_read, name="notification-read"),
    path("notifications/read-all/", notification_read_all, name="notifications-read-all"),
]
