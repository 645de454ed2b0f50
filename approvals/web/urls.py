"""The pages of the human side; each module owns its own routes."""

from . import delegation, disbursement, inbox, inbox_live, progress, projects, selection

urlpatterns = [
    *inbox.urlpatterns,
    *inbox_live.urlpatterns,
    *projects.urlpatterns,
    *progress.urlpatterns,
    *selection.urlpatterns,
    *delegation.urlpatterns,
    *disbursement.urlpatterns,
]
