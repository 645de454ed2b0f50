"""Audit pages (placeholder until the pages land)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    return HttpResponse("audit")


urlpatterns = [path("audit/", audit_search, name="audit")]
