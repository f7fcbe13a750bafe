"""Small, accessible inline SVG charts (no JavaScript). Always shown with a data table."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

INK = "#1b1b1b"
BAR = "#1d4f91"
LINE = "#b1b4b6"


def bar_chart(
    *, chart_id: str, title: str, description: str, bars: Sequence[tuple[str, int]]
) -> SafeString:
    """Horizontal bars of percentages (0-100), one per label."""
    row_h, label_w, width = 34, 220, 640
    plot_w = width - label_w - 60
    height = row_h * len(bars) + 40
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
            'aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="100%" '
            'style="max-width:{1}px">'
            '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>',
            chart_id,
            width,
            height,
            title,
            description,
        )
    ]
    for pct in (0, 50, 100):
        x = label_w + plot_w * pct / 100
        parts.append(
            format_html(
                '<line x1="{0}" x2="{0}" y1="8" y2="{1}" stroke="{2}" stroke-width="1"/>'
                '<text x="{0}" y="{3}" font-size="13" text-anchor="middle" fill="{4}">{5}%</text>',
                x,
                height - 24,
                LINE,
                height - 8,
                INK,
                pct,
            )
        )
    for i, (label, pct) in enumerate(bars):
        y = 10 + i * row_h
        w = max(0.0, min(100, pct)) * plot_w / 100
        parts.append(
            format_html(
                '<text x="{0}" y="{1}" font-size="14" text-anchor="end" fill="{2}">{3}</text>'
                '<rect x="{4}" y="{5}" width="{6}" height="22" fill="{7}"/>'
                '<text x="{8}" y="{1}" font-size="14" fill="{2}">{9}%</text>',
                label_w - 8,
                y + 16,
                INK,
                label[:30],
                label_w,
                y,
                round(w, 1),
                BAR,
                label_w + w + 6,
                pct,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 (every value escaped)
