"""Build crpv_watch/charts/data/france_departments.json from pygal_maps_fr's department map.

Run once when the geometry should change (the output is committed; the site never needs this script):

    python -m venv /tmp/mapvenv && /tmp/mapvenv/bin/pip install svgelements==1.9.6
    pip download --no-deps pygal_maps_fr==1.1.0 -d /tmp/pygal && unzip -o /tmp/pygal/*.whl -d /tmp/pygal
    /tmp/mapvenv/bin/python scripts/build_france_map.py /tmp/pygal/pygal_maps_fr/fr.departments.svg

The source map (LGPL-3.0-or-later, by Kozea) has metropolitan France, an inset of Paris and its inner ring, and
insets of the five overseas departments. Each outline is flattened to its vertices (curves' control points are
dropped), simplified with Douglas-Peucker and rounded to whole units of a 1000-wide box: about 40 kB instead
of 600 kB, and plenty for a choropleth a few hundred pixels wide.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from svgelements import Close, Move
from svgelements import Path as SvgPath

SCALE = 0.5  # the source box is 2000 units wide
TOLERANCE = 1.2  # Douglas-Peucker tolerance, in source units
OUT = Path(__file__).resolve().parent.parent / "crpv_watch" / "charts" / "data" / "france_departments.json"


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = (dx * dx + dy * dy) ** 0.5
    worst, index = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        dist = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm if norm else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
        if dist > worst:
            worst, index = dist, i
    if worst <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def rings(path: SvgPath) -> list[list[tuple[float, float]]]:
    out, ring = [], []
    for segment in path.segments():
        if isinstance(segment, Move):
            if ring:
                out.append(ring)
            ring = [(segment.end.x, segment.end.y)]
        elif isinstance(segment, Close):
            if ring:
                out.append(ring)
            ring = []
        elif segment.end is not None:
            ring.append((segment.end.x, segment.end.y))
    if ring:
        out.append(ring)
    return out


def to_d(ring_list: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in ring_list:
        simple = simplify(ring + [ring[0]], TOLERANCE)[:-1]
        pts = []
        for x, y in simple:
            p = (round(x * SCALE), round(y * SCALE))
            if not pts or p != pts[-1]:
                pts.append(p)
        if len(pts) < 3:
            continue
        parts.append("M" + " ".join(f"{x},{y}" for x, y in pts) + "Z")
    return "".join(parts)


def main(source: str) -> None:
    raw = Path(source).read_text(encoding="utf-8")
    shapes: dict[str, dict[str, str]] = {"main": {}, "paris": {}, "overseas": {}}
    box: dict[str, list[int]] = {}
    layer_of = {"departements": "main", "paris-petite-couronne": "paris", "dom-com": "overseas"}
    # The file is flat and regular: <g id=layer [transform]> then <g class="zCODE departement"><path d=…>.
    for layer_match in re.finditer(r'<g id="([^"]+)"(?: transform="translate\(([-\d.]+),([-\d.]+)\)")?>(.*?)\n  </g>',
                                   raw, re.S):
        layer = layer_of[layer_match.group(1)]
        dx, dy = float(layer_match.group(2) or 0), float(layer_match.group(3) or 0)
        for m in re.finditer(r'class="z(\w+) departement[^"]*">\s*<path d="([^"]+)"', layer_match.group(4)):
            path = SvgPath(m.group(2)) * f"translate({dx},{dy})"
            d = to_d(rings(path))
            shapes[layer][m.group(1).upper()] = d
            nums = [int(v) for v in re.findall(r"-?\d+", d)]
            xs, ys = nums[0::2], nums[1::2]
            b = box.get(layer, [10**9, 10**9, -10**9, -10**9])
            box[layer] = [min(b[0], *xs), min(b[1], *ys), max(b[2], *xs), max(b[3], *ys)]
    data = {
        "source": "pygal_maps_fr 1.1.0, fr.departments.svg (LGPL-3.0-or-later, Kozea), simplified",
        "boxes": box,
        "layers": shapes,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {OUT.stat().st_size} bytes, " + ", ".join(f"{k}: {len(v)}" for k, v in shapes.items()))


if __name__ == "__main__":
    main(sys.argv[1])
