"""The inbox (placeholder until the page lands)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return HttpResponse("inbox")


urlpatterns = [path("inbox/", inbox, name="inbox")]
