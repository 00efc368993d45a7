"""Column charts of counts per month, as SVG strings: one for all documents, or small multiples side by side."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                "déc.")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def month_span(today: dt.date, count: int) -> list[int]:
    """The ``count`` months up to and including today's, as YYYYMM numbers, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(year * 100 + month)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def month_label(ym: int, short: bool = False) -> str:
    names = MONTHS_SHORT if short else MONTHS
    return f"{names[ym % 100 - 1]} {ym // 100}"


def nice_ceiling(n: int) -> int:
    """The axis top: 1, 2, 5, 10, 20, 50… at or above ``n``."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= n:
                return top * step
        top *= 10


def render(months: list[int], counts: dict[int, int], title: str, desc: str, dom_id: str,
           width: int = 720, height: int = 220, colour: str = "#2c7fb8", top: int | None = None) -> Markup:
    """Columns for ``months`` (YYYYMM), a y axis with three ticks, and a month label every quarter."""
    left, right, upper, lower = 40, 8, 10, 36
    plot_w, plot_h = width - left - right, height - upper - lower
    top = top or nice_ceiling(max([counts.get(m, 0) for m in months] + [1]))
    slot = plot_w / max(1, len(months))
    bar = max(1.0, slot * 0.72)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{dom_id}-title {dom_id}-desc">',
           f'<title id="{dom_id}-title">{escape(title)}</title><desc id="{dom_id}-desc">{escape(desc)}</desc>']
    for tick in (0, top // 2 if top >= 2 else None, top):
        if tick is None:
            continue
        y = upper + plot_h - plot_h * tick / top
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" class="chart-tick" text-anchor="end">{tick}</text>')
    for i, ym in enumerate(months):
        n = counts.get(ym, 0)
        h = plot_h * n / top
        x = left + i * slot + (slot - bar) / 2
        if n:
            out.append(f'<rect x="{x:.1f}" y="{upper + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                       f'fill="{colour}"><title>{escape(month_label(ym))} : {n}</title></rect>')
        if ym % 100 in (1, 4, 7, 10) or i == 0:
            out.append(f'<text x="{left + i * slot:.1f}" y="{height - lower + 16}" class="chart-tick">'
                       f'{escape(month_label(ym, short=True))}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{upper + plot_h}" y2="{upper + plot_h}" '
               f'class="chart-axis"/></svg>')
    return Markup("".join(out))
