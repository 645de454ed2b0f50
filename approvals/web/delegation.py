"""Acting officials (placeholder until the page lands)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def delegation(request: HttpRequest) -> HttpResponse:
    return HttpResponse("delegation")


urlpatterns = [path("delegation/", delegation, name="delegation")]
