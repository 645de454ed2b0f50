"""One inbox row on its own, for the open inbox page to add a task that arrived live.

``GET /inbox/rows/<task_id>/`` answers the task's ``<tr>`` exactly as the inbox shows it, or 404
when the task is not in the user's inbox. The inbox's query string (its filters) is passed
along: a task the current filters would hide is 404 too, and the row's forms return to the
same filtered inbox. ``static/rolemodel/inbox-live.js`` calls it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from approvals import selectors

from . import inbox


@never_cache
@login_required
@require_GET
def inbox_row(request: HttpRequest, task_id: int) -> HttpResponse:
    form = inbox.InboxFilterForm(
        request.GET,
        steps=selectors.inbox_steps(request.user),
        districts=selectors.inbox_districts(request.user),
        district_queue=selectors.may_view_district_queue(request.user),
    )
    # ``task_inbox`` is ``task_list_for`` (my tasks and those I may claim) narrowed by the filters.
    tasks = list(selectors.task_inbox(request.user, form.filters()).filter(pk=task_id))
    page = Paginator(tasks, 1).get_page(1)
    rows = inbox._rows(request, page)
    if not rows:
        raise Http404
    return render(request, "approvals/inbox_row.html", {"row": rows[0]})


urlpatterns = [
    path("inbox/rows/<id:task_id>/", inbox_row, name="inbox-row"),
]
