from . import audit

urlpatterns = [*audit.urlpatterns]
