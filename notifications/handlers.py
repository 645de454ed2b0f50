"""Placeholder: the domain-event handler (being written)."""

from typing import Any


def on_domain_event(event: Any) -> None:
    return None
