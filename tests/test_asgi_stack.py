"""Under ASGI a request crosses between the event loop and the worker thread a fixed, small
number of times: the middleware stack runs synchronously in the thread that also runs the
view (``config.middleware.SynchronousStack``), instead of every ``MiddlewareMixin`` sending its
``process_request`` and ``process_response`` to the thread and back."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref import sync
from django.test import AsyncClient


async def crossings(monkeypatch: pytest.MonkeyPatch, path: str) -> list[str]:
    """What one GET of ``path`` hands from the event loop to a thread (Django's signals and the
    response's close left out: they are the same either way)."""
    seen: list[str] = []
    real = sync.SyncToAsync.__call__

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await real(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(sync.SyncToAsync, "__call__", counted)
        response = await AsyncClient().get(path)
    assert response.status_code == 200
    return [name for name in seen if "Signal" not in name and "close" not in name]


@pytest.mark.django_db(transaction=True)
async def test_a_request_crosses_to_the_thread_a_few_times_not_once_per_middleware(monkeypatch, settings):
    ours = await crossings(monkeypatch, "/accounts/login/")
    # the stack, CSRF's process_view, the view, the template's rendering (Django's own hops)
    assert len(ours) <= 4, ours
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "config.middleware.SynchronousStack"]
    without = await crossings(monkeypatch, "/accounts/login/")
    assert len(without) >= len(ours) + 8, without
