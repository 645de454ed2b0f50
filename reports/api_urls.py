from .api import book, dashboard, letter, parts

urlpatterns = [*book.urls, *parts.urls, *dashboard.urls, *letter.urls]
