from .api import book, dashboard, parts

urlpatterns = [*book.urls, *parts.urls, *dashboard.urls]
