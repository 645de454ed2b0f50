"""The pages of the human side; each module owns its own routes."""

from . import delegation, inbox, projects, selection

urlpatterns = [*inbox.urlpatterns, *projects.urlpatterns, *selection.urlpatterns, *delegation.urlpatterns]
