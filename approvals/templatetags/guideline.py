"""The guideline's Don'ts for the project form: the four listed from the start, and the words
that make a title or a line read like one (warnings while the officer types; never a block)."""

from __future__ import annotations

from typing import Any

from django import template

from workflow.rules import DONT_WORDS, PLACES, RULES, TRAINING_ALLOWED_KINDS, TRAINING_WORDS, WARNING_TEXTS

register = template.Library()

DONTS = ("dont_handouts", "dont_routine_equipment", "dont_buildings", "dont_training")


@register.simple_tag
def guideline_donts() -> list[dict[str, str]]:
    """The four Don'ts: each with its clause and sentence."""
    return [
        {"code": code, "clause": str(RULES[code].clause), "text": str(RULES[code].message)} for code in DONTS
    ]


@register.simple_tag
def dont_words() -> dict[str, Any]:
    """What the page's script needs to warn of Don't words (``workflow.rules.text_warnings``)."""
    return {
        "words": {code: list(words) for code, words in DONT_WORDS.items()},
        "trainingWords": sorted(TRAINING_WORDS),
        "trainingAllowedKinds": list(TRAINING_ALLOWED_KINDS),
        "rules": {code: str(RULES[code].message) for code in DONTS},
        "clauses": {code: str(RULES[code].clause) for code in DONTS},
        "text": str(WARNING_TEXTS["dont_text"]),
        "places": {"title": str(PLACES["title"]), "budget_line": str(PLACES["budget_line"])},
    }
