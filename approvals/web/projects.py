"""Project pages (placeholder until the pages land)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("projects")


urlpatterns = [path("projects/", project_list, name="project-list")]
