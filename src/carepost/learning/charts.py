"""An accessible inline SVG line chart of self-assessment scores over time."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Dark enough for 3:1 against white; told apart by dash pattern as well as colour.
SERIES = [
    ("#1d4f91", ""),
    ("#00703c", "8 4"),
    ("#8a4b00", "2 3"),
    ("#6f2c91", "10 3 2 3"),
    ("#b3261e", "4 4"),
    ("#1b1b1b", "1 2"),
]
INK = "#1b1b1b"
GRID = "#b1b4b6"


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    y_max: int = 5,
) -> SafeString:
    width, height = 680, 320
    left, right, top, bottom = 40, 190, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(x_labels) - 1)

    def x(i: int) -> float:
        return round(left + (plot_w * i / n if len(x_labels) > 1 else plot_w / 2), 1)

    def y(v: int) -> float:
        return round(top + plot_h * (1 - (v - 1) / (y_max - 1)), 1)

    parts = [
        str(
            format_html(
                '<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
                'aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="100%" '
                'style="max-width:{1}px"><title id="{0}-title">{3}</title>'
                '<desc id="{0}-desc">{4}</desc>',
                chart_id,
                width,
                height,
                title,
                description,
            )
        )
    ]
    for v in range(1, y_max + 1):
        parts.append(
            str(
                format_html(
                    '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="{3}"/>'
                    '<text x="{4}" y="{5}" font-size="13" text-anchor="end" fill="{6}">{7}</text>',
                    left,
                    left + plot_w,
                    y(v),
                    GRID,
                    left - 8,
                    y(v) + 4,
                    INK,
                    v,
                )
            )
        )
    for i, label in enumerate(x_labels):
        parts.append(
            str(
                format_html(
                    '<text x="{0}" y="{1}" font-size="13" text-anchor="middle" fill="{2}">{3}</text>',
                    x(i),
                    height - 14,
                    INK,
                    label,
                )
            )
        )
    for k, (name, values) in enumerate(series):
        colour, dash = SERIES[k % len(SERIES)]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        parts.append(
            str(
                format_html(
                    '<polyline points="{0}" fill="none" stroke="{1}" stroke-width="3" '
                    'stroke-dasharray="{2}"/>',
                    points,
                    colour,
                    dash or "none",
                )
            )
        )
        for i, v in enumerate(values):
            parts.append(
                str(format_html('<circle cx="{0}" cy="{1}" r="4" fill="{2}"/>', x(i), y(v), colour))
            )
        ly = top + 14 + k * 22
        parts.append(
            str(
                format_html(
                    '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="{3}" stroke-width="3" '
                    'stroke-dasharray="{4}"/><text x="{5}" y="{6}" font-size="13" fill="{7}">'
                    "{8}</text>",
                    width - right + 12,
                    width - right + 40,
                    ly,
                    colour,
                    dash or "none",
                    width - right + 46,
                    ly + 4,
                    INK,
                    name,
                )
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every value went through format_html)
