from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", login_required(RedirectView.as_view(pattern_name="inbox", permanent=False)), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("workflow.api.urls")),
    path("api/v1/", include("approvals.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("", include("approvals.web.urls")),
    path("", include("workflow.web.urls")),
    path("", include("notifications.web")),
    path("", include("reports.urls")),
]

handler404 = "workflow.api.problems.not_found"
handler500 = "workflow.api.problems.server_error"
