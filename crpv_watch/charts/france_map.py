"""The choropleth map of France by department or by region, as an SVG string.

Geometry: data/france_departments.json, simplified at build time by scripts/build_france_map.py from
pygal_maps_fr's department map (LGPL-3.0-or-later, see data/README.md): metropolitan France, an inset of Paris
and its inner ring, and the five overseas departments as insets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from .colours import Band, colour_of

GEOMETRY = Path(__file__).resolve().parent / "data" / "france_departments.json"
PARIS_RING = ("75", "92", "93", "94")  # too small on the main map: linked from the inset only
VIEWBOX = (0, 0, 1000, 920)


@lru_cache(maxsize=1)
def geometry() -> dict:
    return json.loads(GEOMETRY.read_text(encoding="utf-8"))


@dataclass
class Area:
    code: str  # the department's or region's code
    name: str
    count: int
    href: str


def render(areas: dict[str, Area], region_of: dict[str, str] | None, scale: list[Band], title: str,
           desc: str, dom_id: str = "carte") -> Markup:
    """``areas`` is keyed by department code, or by region code when ``region_of`` (department → region) is
    given: then each region is one link around all its departments' outlines."""
    geo = geometry()
    x0, y0, x1, y1 = VIEWBOX
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="{x0} {y0} {x1} {y1}" '
           f'role="group" aria-labelledby="{dom_id}-title {dom_id}-desc">',
           f'<title id="{dom_id}-title">{escape(title)}</title>',
           f'<desc id="{dom_id}-desc">{escape(desc)}</desc>']
    out += _frames(geo)
    layers: list[tuple[str, dict[str, str]]] = [("main", geo["layers"]["main"]), ("paris", geo["layers"]["paris"]),
                                                 ("overseas", geo["layers"]["overseas"])]
    if region_of is None:
        for layer, shapes in layers:
            for code, d in sorted(shapes.items()):
                area = areas.get(code)
                if area is None:
                    continue  # not a department of the vocabulary (Saint-Pierre-et-Miquelon)
                if layer == "main" and code in PARIS_RING:
                    out.append(_shape(d, colour_of(area.count, scale)))
                else:
                    out.append(_link(area, [d], scale))
    else:
        paths: dict[str, list[str]] = {}
        for layer, shapes in layers:
            for code, d in sorted(shapes.items()):
                region = region_of.get(code)
                if region is None or region not in areas:
                    continue
                if layer == "main" and code in PARIS_RING:
                    out.append(_shape(d, colour_of(areas[region].count, scale)))
                else:
                    paths.setdefault(region, []).append(d)
        for region, ds in sorted(paths.items()):
            out.append(_link(areas[region], ds, scale))
    out.append("</svg>")
    return Markup("".join(out))


def _noun(count: int) -> str:
    return f"{count} document" if count < 2 else f"{count} documents"


def _link(area: Area, ds: list[str], scale: list[Band]) -> str:
    label = f"{area.name} : {_noun(area.count)}"
    fill = colour_of(area.count, scale)
    shapes = "".join(f'<path d="{d}"/>' for d in ds)
    return (f'<a href="{escape(area.href)}" class="map-area" aria-label="{escape(label)}">'
            f'<title>{escape(label)}</title><g fill="{fill}">{shapes}</g></a>')


def _shape(d: str, fill: str) -> str:
    return f'<path d="{d}" fill="{fill}" aria-hidden="true"/>'


def _frames(geo: dict) -> list[str]:
    """A thin frame and a caption around the Paris inset, so that it does not read as part of the coast."""
    left, top, right, bottom = geo["boxes"]["paris"]
    pad = 8
    return [f'<rect x="{left - pad}" y="{top - pad}" width="{right - left + 2 * pad}" '
            f'height="{bottom - top + 2 * pad}" class="map-inset" aria-hidden="true"/>',
            f'<text x="{left - pad}" y="{bottom + pad + 18}" class="map-caption" aria-hidden="true">'
            f'Paris et petite couronne</text>']
