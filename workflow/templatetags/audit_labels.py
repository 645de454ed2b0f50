"""Template filters over the audit trail's catalogue (``workflow.audit_actions``), for any page
that shows audit events: ``{% load audit_labels %}``.

- ``{{ event.action|audit_action }}``, ``{{ event.object_type|audit_object_type }}``;
- ``{{ event|audit_object }}``: the event's object as a person names it;
- ``{% for detail in event|audit_details %}``: the payload as labelled details (``label``,
  ``text``, ``files`` with ``label`` and ``url``); pass the page's ``file_index`` as the
  argument (``event|audit_details:files``) to show the files' captions and download links.
"""

from __future__ import annotations

from typing import Any

from django import template

from workflow.audit_actions import (
    Detail,
    FileIndex,
    action_label,
    key_label,
    object_label,
    object_type_label,
    payload_details,
)

register = template.Library()


@register.filter
def audit_action(code: str) -> str:
    return action_label(code)


@register.filter
def audit_object_type(code: str) -> str:
    return object_type_label(code)


@register.filter
def audit_key(key: str) -> str:
    return key_label(key)


@register.filter
def audit_object(event: Any, files: FileIndex | None = None) -> str:
    return object_label(event, files if isinstance(files, FileIndex) else None)


@register.filter
def audit_details(event: Any, files: FileIndex | None = None) -> list[Detail]:
    return payload_details(event, files if isinstance(files, FileIndex) else None)
