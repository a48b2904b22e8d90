"""Geometry for the dashboards' SVG charts, computed here so templates only place shapes.

SVG presentation attributes (x, y, width, height) are not inline styles, so the charts work under
the page's Content-Security-Policy without any script or style attribute.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import localize
from django.utils.html import format_html, format_html_join

CHART_HEIGHT = 120


def column_chart(values: Sequence[int], *, width: int = 24, gap: int = 4) -> dict:
    """Vertical bars for equal-width buckets (hours of the day, days of a period)."""
    peak = max(values, default=0) or 1
    bars = []
    for index, value in enumerate(values):
        height = round(CHART_HEIGHT * value / peak) if value else 0
        bars.append(
            {
                "x": index * (width + gap),
                "y": CHART_HEIGHT - height,
                "width": width,
                "height": height,
                "value": value,
                "index": index,
            }
        )
    return {
        "bars": bars,
        "width": max(len(values) * (width + gap) - gap, 1),
        "height": CHART_HEIGHT,
        "peak": max(values, default=0),
    }


def share_bars(rows: Sequence[dict], key: str, *, width: int = 240) -> list[dict]:
    """Horizontal bar lengths (0..width) for each row's `key`, scaled to the largest."""
    peak = max((row[key] or 0 for row in rows), default=0) or 1
    return [{**row, "bar": round(width * (row[key] or 0) / peak)} for row in rows]


def line_points(values: Sequence[int], *, step: int, height: int = CHART_HEIGHT) -> str:
    peak = max(values, default=0) or 1
    return " ".join(
        f"{index * step + step // 2},{height - round(height * value / peak)}"
        for index, value in enumerate(values)
    )


def heatmap(
    grid: dict[tuple[int, int], int], labels: Sequence[str], *, cell: int = 22, gap: int = 2
) -> dict:
    """A weekday × hour grid; each cell gets a level 0-5 the stylesheet colours."""
    left = 34  # room for the weekday names
    peak = max(grid.values(), default=0)
    rows = []
    for weekday in range(1, 8):
        cells = []
        for hour in range(24):
            value = grid.get((weekday, hour), 0)
            level = 0 if not value else 1 + min(4, int(5 * value / (peak + 1)))
            x = left + hour * (cell + gap)
            cells.append({"x": x, "value": value, "level": level, "hour": hour})
        y = (weekday - 1) * (cell + gap)
        rows.append({"label": labels[weekday - 1], "y": y, "text_y": y + cell - 6, "cells": cells})
    return {
        "rows": rows,
        "cell": cell,
        "width": left + 24 * (cell + gap),
        "height": 7 * (cell + gap),
        "peak": peak,
        "svg": _heatmap_svg(rows, cell),
    }


def _heatmap_svg(rows: list[dict], cell: int):
    """The 168 cells as SVG markup, built here: through the template language they cost more
    than the whole rollup read. Every value is escaped by format_html (numbers and our own
    translated weekday names; no outside text)."""
    return format_html_join(
        "",
        "{}{}",
        (
            (
                format_html(
                    '<text class="chart__label heatmap__day" x="0" y="{}">{}</text>',
                    row["text_y"],
                    row["label"],
                ),
                format_html_join(
                    "",
                    '<rect class="heat heat--{}" x="{}" y="{}" width="{}" height="{}" rx="3">'
                    "<title>{}:00 — {}</title></rect>",
                    (
                        (
                            c["level"],
                            c["x"],
                            row["y"],
                            cell,
                            cell,
                            f"{c['hour']:02d}",
                            localize(c["value"]),
                        )
                        for c in row["cells"]
                    ),
                ),
            )
            for row in rows
        ),
    )
