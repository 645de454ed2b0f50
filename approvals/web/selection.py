"""Selecting a project from the bank (placeholder until the page lands)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def select_bank(request: HttpRequest) -> HttpResponse:
    return HttpResponse("select")


urlpatterns = [path("select/", select_bank, name="select-bank")]
