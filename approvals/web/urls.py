"""The pages of the human side; each module owns its own routes."""

from . import delegation, inbox, inbox_live, projects, selection

urlpatterns = [
    *inbox.urlpatterns,
    *inbox_live.urlpatterns,
    *projects.urlpatterns,
    *selection.urlpatterns,
    *delegation.urlpatterns,
]
