"""Server-rendered SVG charts, readable without hovering: axes labelled, every value printed.

Colours come from CSS classes (newsletter/static/newsletter/dashboard.css), so the charts follow
the admin's light and dark themes and need no inline style, which the CSP forbids.
"""

import math
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
FONT = 11  # px, in viewBox units
CHAR = 6.2  # average width of one character at FONT, for fitting labels


@dataclass
class Series:
    name: str
    css: str  # class giving the series its colour, e.g. "s-sent"
    values: list[int]


def number(value: int) -> str:
    """12345 -> '12,345'; large values shortened so they fit above a bar: 123456 -> '123k'."""
    if value >= 100_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,}"


def nice_max(value: int) -> int:
    """A round upper bound for an axis: 1, 2, 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _text(x: float, y: float, content: str, css: str = "", anchor: str = "middle") -> str:
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" class="{}">{}</text>', f"{x:.1f}", f"{y:.1f}", anchor, css, content
    )


def _rect(x: float, y: float, width: float, height: float, css: str) -> str:
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"/>',
        f"{x:.1f}",
        f"{y:.1f}",
        f"{max(width, 0):.1f}",
        f"{max(height, 0):.1f}",
        css,
    )


def _legend(series: list[Series], y: float) -> list[str]:
    parts, x = [], 0.0
    for s in series:
        parts.append(_rect(x, y - 9, 10, 10, s.css))
        parts.append(_text(x + 14, y, s.name, anchor="start"))
        x += 14 + len(s.name) * CHAR + 18
    return parts


def _svg(height: float, title: str, parts: list[str]) -> SafeString:
    head = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}"><title>{}</title>',
        WIDTH,
        f"{height:.0f}",
        title,
        title,
    )
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308 every part was escaped by format_html


def columns(
    labels: list[str], series: list[Series], *, title: str, y_label: str, x_label: str = "", stacked: bool = False
) -> SafeString:
    """Vertical bars, one slot per label: grouped side by side, or stacked with each segment's value inside."""
    top, bottom, left, right = 40, 38 if x_label else 24, 48, 8
    plot_h = 180
    height = top + plot_h + bottom
    plot_w = WIDTH - left - right
    totals = [sum(values) for values in zip(*(s.values for s in series), strict=True)]
    peak = nice_max(max(totals if stacked else [v for s in series for v in s.values] or [0]))
    scale = plot_h / peak
    base = top + plot_h
    slot = plot_w / max(len(labels), 1)

    parts = _legend(series, 14)
    parts.append(_text(4, top - 10, y_label, "axis-title", anchor="start"))
    for tick in (0, peak // 2, peak) if peak % 2 == 0 else (0, peak):
        y = base - tick * scale
        parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>', left, WIDTH - right, y, y))
        parts.append(_text(left - 6, y + 4, number(tick), "tick", anchor="end"))

    every = max(1, math.ceil(len(labels) * 46 / plot_w))  # skip x labels that would overlap, keeping the last
    if x_label:
        parts.append(_text(left + plot_w / 2, height - 4, x_label, "axis-title"))
    for i, label in enumerate(labels):
        x0 = left + i * slot
        if (len(labels) - 1 - i) % every == 0:
            parts.append(_text(x0 + slot / 2, base + 16, label, "tick"))
        if stacked:
            y = base
            width = slot * 0.7
            for s in series:
                h = s.values[i] * scale
                y -= h
                parts.append(_rect(x0 + slot * 0.15, y, width, h, s.css))
                if s.values[i] and h >= FONT + 3 and width >= len(number(s.values[i])) * CHAR:
                    parts.append(_text(x0 + slot / 2, y + h / 2 + 4, number(s.values[i]), "inside"))
            parts.append(_text(x0 + slot / 2, y - 4, number(totals[i]), "value"))
        else:
            width = slot * 0.8 / len(series)
            for j, s in enumerate(series):
                h = s.values[i] * scale
                x = x0 + slot * 0.1 + j * width
                parts.append(_rect(x, base - h, width - 1, h, s.css))
                css = "value" + (" small" if width < 22 else "") + ("" if s.values[i] else " zero")
                parts.append(_text(x + width / 2, base - h - 4, number(s.values[i]), css))
    parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="axis"/>', left, WIDTH - right, base, base))
    return _svg(height, title, parts)


def bars(labels: list[str], series: list[Series], *, title: str, notes: list[str] | None = None) -> SafeString:
    """Horizontal bars, one row per label, the value printed at the end of each bar and an optional note after it."""
    label_w = 200
    note_w = 150 if notes else 0
    row = 16 * len(series) + 8
    legend = len(series) > 1 or bool(notes)
    top = 26 if legend else 6
    height = top + row * len(labels) + 6
    plot_w = WIDTH - label_w - note_w - 48
    peak = nice_max(max([v for s in series for v in s.values] or [0]))
    scale = plot_w / peak

    parts = _legend(series, 14) if legend else []
    for i, label in enumerate(labels):
        y0 = top + i * row
        short = label if len(label) * CHAR <= label_w - 8 else label[: int((label_w - 8) / CHAR) - 1] + "…"
        parts.append(_text(label_w - 8, y0 + row / 2 + 2, short, "label", anchor="end"))
        for j, s in enumerate(series):
            y = y0 + 4 + j * 16
            w = s.values[i] * scale
            parts.append(_rect(label_w, y, w, 13, s.css))
            parts.append(_text(label_w + w + 4, y + 10.5, number(s.values[i]), "value", anchor="start"))
        if notes and notes[i]:
            parts.append(_text(WIDTH - note_w, y0 + row / 2 + 2, notes[i], "note", anchor="start"))
    parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" class="axis"/>', label_w, label_w, top, height - 6))
    return _svg(height, title, parts)
