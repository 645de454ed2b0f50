"""Path converters with limits: an id in an address is 1 to 18 digits (what a 64-bit key holds).

Django's ``int`` takes any number of digits, and a 30-digit id reached the database as a value
it cannot hold (a 500 on SQLite). With ``<id:pk>`` a longer number matches no address: 404.
"""

from __future__ import annotations


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))
