"""The limits of what a person may type, in one place (issue 12): the services check them, so
the API and the pages refuse the same things with the same words, naming the field.

A long text (a comment, findings, a narrative) holds at most ``LONG`` characters, a short one
(a title, a line's description, a caption) at most ``SHORT``; no text holds a control
character other than a line break or a tab (they break the DOCX book and the CSV exports).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from .errors import FieldError

LONG = 5000
SHORT = 500
# C0 controls but tab, line feed and carriage return; DEL and the C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_errors(limit: int, **texts: str | None) -> list[FieldError]:
    """A ``too_long`` or ``control_character`` error for each text that breaks a limit."""
    errors: list[FieldError] = []
    for name, value in texts.items():
        if not value:
            continue
        if len(value) > limit:
            errors.append(
                FieldError(
                    name,
                    "too_long",
                    _("Use at most %(max)s characters (this has %(length)s).")
                    % {"max": f"{limit:,}", "length": f"{len(value):,}"},
                )
            )
        elif CONTROL.search(value):
            errors.append(
                FieldError(
                    name,
                    "control_character",
                    _("The text holds a control character; only line breaks and tabs are allowed."),
                )
            )
    return errors
