from .web import book, dashboard, parts

urlpatterns = [*book.urls, *parts.urls, *dashboard.urls]
