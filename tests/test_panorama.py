"""« Panorama »: the map of France by department and region, the months chart, the leading themes; each
follows the search's filters, each area links to the search filtered on it, and tables say the same numbers."""

from __future__ import annotations

import re
from html import unescape

from crpv_watch.charts.colours import EMPTY, PALETTE, bands, colour_of
from crpv_watch.charts.columns import month_span, nice_ceiling
from crpv_watch.charts.france_map import geometry


def test_geometry_has_every_department_with_overseas_and_paris_insets(services):
    geo = geometry()
    departments = set(services.vocabulary.departments)
    drawn = set(geo["layers"]["main"]) | set(geo["layers"]["overseas"])
    assert departments <= drawn and {"971", "972", "973", "974", "976", "2A", "2B"} <= drawn
    assert set(geo["layers"]["paris"]) == {"75", "92", "93", "94"}


def test_bands_cover_every_count_darkest_for_the_most():
    counts = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55]
    scale = bands(counts)
    assert scale[0].colour == EMPTY and scale[-1].colour == PALETTE[-1]
    assert all(any(b.holds(n) for b in scale) for n in counts)
    assert colour_of(0, scale) == EMPTY and colour_of(55, scale) == PALETTE[-1]
    lows = [b.low for b in scale]
    assert lows == sorted(lows)
    assert bands([0, 0]) == scale[:1]
    assert [b.label for b in bands([4, 4])] == ["0", "1 à 4"]


def test_month_span_and_axis():
    import datetime as dt

    assert month_span(dt.date(2026, 2, 10), 3) == [202512, 202601, 202602]
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 11, 40, 120)] == [1, 1, 5, 10, 20, 50, 200]


def test_panorama_page_map_links_and_tables(client):
    resp = client.get("/panorama")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html.count("<h1") == 1 and "Panorama" in html
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="map"'):]
    svg = svg[:svg.index("</svg>")]
    links = re.findall(r'<a href="([^"]+)" class="map-area" aria-label="([^"]+)"', svg)
    assert len(links) == 101  # every department, overseas included, Paris's ring from its inset only
    by_label = {unescape(label): unescape(href) for href, label in links}
    assert any(label.startswith("La Réunion : ") for label in by_label)
    seine = next(href for label, href in by_label.items() if label.startswith("Seine-Saint-Denis"))
    assert seine == "/?department=93"
    assert "Tableau des données de la carte" in html and "<caption>Documents par département</caption>" in html
    assert 'aria-labelledby="chart-months-title chart-months-desc"' in html
    assert "Publications par mois" in html and "Thèmes en tête depuis le" in html


def test_panorama_by_region_one_link_per_region(client, services):
    html = client.get("/panorama?niveau=region").get_data(as_text=True)
    svg = html[html.index('class="map"'):]
    svg = svg[:svg.index("</svg>")]
    links = re.findall(r'<a href="([^"]+)" class="map-area"', svg)
    assert len(links) == len(services.vocabulary.regions) == 18
    assert "/?region=11" in {unescape(h) for h in links}


def test_panorama_follows_the_search(client):
    whole = client.get("/api/facets").get_json()
    filtered = client.get("/api/facets?centre=irev").get_json()
    assert filtered["total"] < whole["total"]
    html = client.get("/panorama?centre=irev").get_data(as_text=True)
    assert f"<strong>{filtered['total']}" in html or f"{filtered['total']} document" in html
    # The areas keep the search's filters and add their own.
    assert re.search(r'href="/\?centre=irev&amp;department=\d', html)
    search = client.get("/?centre=irev").get_data(as_text=True)
    assert 'href="/panorama?centre=irev"' in search


def test_panorama_counts_agree_with_the_table(client):
    html = client.get("/panorama?niveau=region").get_data(as_text=True)
    facets = {f["value"]: f["count"] for f in client.get("/api/facets").get_json()["facets"]["region"]}
    rows = dict(re.findall(r'<a href="/\?region=(\w+)">[^<]+</a></th><td class="num">(\d+)</td>', html))
    assert rows and all(facets.get(code, 0) == int(n) for code, n in rows.items())
