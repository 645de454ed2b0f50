from . import audit, designation

urlpatterns = [*audit.urlpatterns, *designation.urlpatterns]
