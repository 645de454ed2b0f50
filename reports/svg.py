"""Server-rendered SVG charts for the dashboards: no JavaScript, no chart library.

Every chart is a horizontal bar chart, one row per province, district or dimension, with
stacked segments. Each has a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``), and
the page shows the numbers in a table next to it. Colours come from the Okabe–Ito palette,
which people with the common colour-vision deficiencies can tell apart; segments are also
separated by a white line, numbered when wide enough, and listed in the same order in the
legend and the table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008), "Color Universal Design", plus two greys.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
INK = "#1d2430"
GREY = "#9AA1AB"
LIGHT_GREY = "#D9DDE3"
ALERT = "#B42318"  # text only: the page's "bad" colour, 6:1 on white

WIDTH = 760
# The label column fits the longest label, between these widths (px).
LABEL_MIN_WIDTH = 110
LABEL_MAX_WIDTH = 420
# Average advance of one visible character at FONT_SIZE (Thai and Latin), for sizing only.
CHAR_WIDTH = 7.2
NOTE_WIDTH = 130
ROW_HEIGHT = 24
BAR_HEIGHT = 16
TOP = 8
AXIS_HEIGHT = 22
FONT_SIZE = 13
# Segments narrower than this (in px) carry no number.
MIN_LABELLED_WIDTH = 22


@dataclass(frozen=True)
class Series:
    label: str
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    values: Sequence[Decimal | int]
    note: str = ""
    alert: bool = False  # the note is a warning (over the cap): bold, in red


def nice_axis(value: Decimal) -> tuple[Decimal, Decimal]:
    """The axis' end and its tick: a round step (1, 2, 2.5 or 5 times a power of ten, at least
    1) giving at most five intervals, and the first multiple of it at or above ``value``."""
    value = max(Decimal(value), Decimal(1))
    magnitude = Decimal(1)
    while True:
        for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            tick = factor * magnitude
            if tick >= 1 and value / tick <= 5:
                intervals = (value / tick).to_integral_value(rounding=ROUND_CEILING)
                return tick * intervals, tick
        magnitude *= 10


def _text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (relative luminance)."""
    red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000" if luminance > 0.45 else "#fff"


def _visible_length(text: str) -> int:
    """Characters that take room: Thai vowel and tone marks above or below a letter do not."""
    return sum(1 for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")


def _short(label: str, room: float) -> str:
    """``label``, cut with an ellipsis when it would not fit in ``room`` px."""
    limit = int(room // CHAR_WIDTH)
    if _visible_length(label) <= limit:
        return label
    kept, count = [], 0
    for ch in label:
        visible = not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn"
        if visible and count >= limit - 1:
            break
        kept.append(ch)
        count += visible
    return "".join(kept) + "…"


def _number(value: Decimal | int) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.0f}"
    return f"{value:,}"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    series: Sequence[Series],
    scale_max: Decimal | int | None = None,
    reference: Decimal | int | None = None,
    axis_suffix: str = "",
    numbers: bool = True,
) -> SafeString:
    """Stacked horizontal bars. ``scale_max`` fixes the axis (default: the longest bar);
    ``reference`` draws a dashed line at that value (the cap, 100 %)."""
    longest_label = max((_visible_length(bar.label) for bar in bars), default=0)
    label_width = min(max(longest_label * CHAR_WIDTH + 14, LABEL_MIN_WIDTH), LABEL_MAX_WIDTH)
    plot_left = label_width
    plot_width = WIDTH - label_width - NOTE_WIDTH
    longest = max((sum((Decimal(v) for v in bar.values), Decimal(0)) for bar in bars), default=Decimal(0))
    wanted = max(Decimal(scale_max or 0), longest, Decimal(reference or 0))
    top_value, tick = nice_axis(wanted)
    height = TOP + ROW_HEIGHT * max(len(bars), 1) + AXIS_HEIGHT

    def x_of(value: Decimal) -> float:
        return plot_left + float(value / top_value) * plot_width

    parts: list[str] = []
    parts.append(
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" id="{}" '
            'aria-labelledby="{}-title {}-desc" viewBox="0 0 {} {}" width="{}" height="{}" '
            'font-size="{}">',
            chart_id,
            chart_id,
            chart_id,
            WIDTH,
            height,
            WIDTH,
            height,
            FONT_SIZE,
        )
    )
    parts.append(format_html('<title id="{}-title">{}</title>', chart_id, title))
    parts.append(format_html('<desc id="{}-desc">{}</desc>', chart_id, desc))
    # Grid lines and axis labels at every tick.
    axis_y = TOP + ROW_HEIGHT * max(len(bars), 1)
    for step in range(int(top_value / tick) + 1):
        tick_value = tick * step
        x = x_of(tick_value)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                f"{x:.1f}",
                f"{x:.1f}",
                TOP - 4,
                axis_y,
                LIGHT_GREY,
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="#5b6472" font-size="11">{}{}</text>',
                f"{x:.1f}",
                axis_y + 15,
                _axis_number(tick_value),
                axis_suffix,
            )
        )
    for index, bar in enumerate(bars):
        y = TOP + index * ROW_HEIGHT
        bar_y = y + (ROW_HEIGHT - BAR_HEIGHT) / 2
        parts.append("<g>")
        parts.append(format_html("<title>{}</title>", _row_title(bar, series)))
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" fill="{}">{}</text>',
                f"{plot_left - 8:.1f}",
                f"{y + ROW_HEIGHT / 2:.1f}",
                INK,
                _short(bar.label, label_width - 12),
            )
        )
        start = Decimal(0)
        for value, serie in zip(bar.values, series, strict=False):
            amount = Decimal(value)
            if amount <= 0:
                continue
            x0, x1 = x_of(start), x_of(start + amount)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff" stroke-width="1"/>',
                    f"{x0:.1f}",
                    f"{bar_y:.1f}",
                    f"{max(x1 - x0, 1):.1f}",
                    BAR_HEIGHT,
                    serie.colour,
                )
            )
            if numbers and x1 - x0 >= MIN_LABELLED_WIDTH:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" text-anchor="middle" dominant-baseline="middle" '
                        'font-size="11" fill="{}">{}</text>',
                        f"{(x0 + x1) / 2:.1f}",
                        f"{y + ROW_HEIGHT / 2:.1f}",
                        _text_colour(serie.colour),
                        _number(value),
                    )
                )
            start += amount
        if bar.note:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" dominant-baseline="middle" fill="{}"{}>{}</text>',
                    f"{x_of(start) + 6:.1f}",
                    f"{y + ROW_HEIGHT / 2:.1f}",
                    ALERT if bar.alert else INK,
                    mark_safe(' font-weight="700"') if bar.alert else "",  # a constant
                    bar.note,
                )
            )
        parts.append("</g>")
    if reference is not None:
        x = x_of(Decimal(reference))
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" stroke-dasharray="5 3"/>',
                f"{x:.1f}",
                f"{x:.1f}",
                TOP - 6,
                axis_y,
                INK,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped by format_html


def _axis_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _row_title(bar: Bar, series: Sequence[Series]) -> str:
    pieces = [f"{serie.label}: {_number(value)}" for value, serie in zip(bar.values, series, strict=False)]
    text = f"{bar.label} — " + ", ".join(pieces)
    if bar.note:
        text += f" ({bar.note})"
    return text


def legend(series: Sequence[Series], *, extra: Sequence[tuple[str, str]] = ()) -> SafeString:
    """The chart's legend as an HTML list (it wraps on a phone); ``extra``: (css class, label)."""
    items = format_html_join(
        "",
        '<li><svg width="14" height="14" aria-hidden="true" focusable="false"><rect width="14" height="14" '
        'fill="{}" stroke="#5b6472" stroke-width="0.5"/></svg> {}</li>',
        ((serie.colour, serie.label) for serie in series),
    )
    more = format_html_join("", '<li class="{}">{}</li>', extra)
    return format_html('<ul class="legend">{}{}</ul>', items, more)
