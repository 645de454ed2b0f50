"""Websocket routes. ``config.asgi`` wraps them in the Origin check and the session auth.

The token middleware wraps each consumer here (inside the URLRouter), so ``config/asgi.py``
needs no change: a route's application is a middleware like any other ASGI app.
"""

from django.urls import path

from .auth import TokenAuthMiddleware
from .consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", TokenAuthMiddleware(NotificationConsumer.as_asgi())),
]
