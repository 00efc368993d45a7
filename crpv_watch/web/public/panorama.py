"""« Panorama »: where and when, as pictures: a map of France by department or region, publications per month
over two years (all, and per leading theme or centre), the leading themes of the quarter. Each picture counts
the documents of the current search (its words and filters ride along from the search page's link) and has a
data table as its text alternative; every area of the map is a link to the search filtered on it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from ...charts import columns, france_map
from ...charts.colours import bands, colour_of, text_colour
from ...search.timeline import month_counts
from ...search.types import FACETS, SearchRequest
from ..filters import services
from .search import run_search
from .search_state import SearchState

bp = Blueprint("panorama", __name__)

MONTHS_SHOWN = 24
SPLITS = {"theme": "thème", "centre": "centre de ressources"}
LEADING = 5  # small multiples: the most present themes or centres
QUARTER_DAYS = 92


@bp.route("/panorama")
def panorama():
    unknown: list = []
    req, response = run_search(request.args, log=False, per_page=1, page=1, unknown=unknown)
    req = dataclasses.replace(req, page=1)
    state = SearchState(req, response)
    level = "region" if request.args.get("niveau") == "region" else "department"
    split = request.args.get("par") if request.args.get("par") in SPLITS else "theme"
    return render_template("panorama/index.html", req=req, response=response, state=state, unknown=unknown,
                           level=level, split=split, splits=SPLITS, map=_map(req, response, level, state),
                           timeline=_timeline(req, split), quarter=_quarter(req),
                           panorama_url=lambda **changes: _self_url(req, level, split, **changes))


def _self_url(req: SearchRequest, level: str, split: str, **changes) -> str:
    params = dict(niveau=level, par=split)
    params.update(changes)
    state = SearchState(req, None)
    base = state.url(req, "panorama.panorama")
    extra = "&".join(f"{k}={v}" for k, v in params.items() if not (k == "niveau" and v == "department")
                     and not (k == "par" and v == "theme"))
    if not extra:
        return base
    return base + ("&" if "?" in base else "?") + extra


def _map(req: SearchRequest, response, level: str, state: SearchState) -> dict:
    vocab = services().vocabulary
    counts = {fv.value: fv.count for fv in response.facets.get(level, [])}
    if level == "region":
        names = dict(vocab.regions)
        region_of = {dept: code for code, region in vocab.region_info.items() for dept, _n in region.departments}
    else:
        names = dict(vocab.departments)
        region_of = None
    areas = {code: france_map.Area(code, name, counts.get(code, 0),
                                   state.url(dataclasses.replace(req, **{level: [code]}, page=1)))
             for code, name in names.items()}
    scale = bands([a.count for a in areas.values()])
    noun = "région" if level == "region" else "département"
    svg = france_map.render(
        areas, region_of, scale, title=f"Carte des documents par {noun}",
        desc=f"Chaque {noun} est coloré selon le nombre de documents qui le concernent ; la légende et le "
             f"tableau qui suivent donnent les mêmes nombres.")
    rows = sorted(areas.values(), key=lambda a: (-a.count, a.name))
    legend = [{"label": b.label, "colour": b.colour, "text": text_colour(b.colour)} for b in scale]
    return {"svg": svg, "rows": rows, "legend": legend, "noun": noun,
            "colour": lambda n: colour_of(n, scale), "total": sum(a.count for a in areas.values())}


def _timeline(req: SearchRequest, split: str) -> dict:
    today = dt.date.today()
    months = columns.month_span(today, MONTHS_SHOWN)
    data = month_counts(services().engine, req, months[0], split=split, top=LEADING)
    overall = data.pop(None)
    label = services().label
    period = f"de {columns.month_label(months[0])} à {columns.month_label(months[-1])}"
    chart = columns.render(months, overall, title=f"Documents publiés par mois, {period}",
                           desc="Une colonne par mois ; le tableau qui suit donne les mêmes nombres.",
                           dom_id="chart-months")
    top = columns.nice_ceiling(max([n for counts in data.values() for n in counts.values()] + [1]))
    multiples = [{"value": value, "label": label(split, value), "total": sum(counts.values()),
                  "svg": columns.render(months, counts, title=f"{label(split, value)} : documents par mois",
                                        desc=f"{sum(counts.values())} documents {period}.",
                                        dom_id=f"chart-{split}-{i}", width=360, height=150, top=top,
                                        colour="#253494")}
                 for i, (value, counts) in enumerate(data.items())]
    table = [{"month": columns.month_label(m), "total": overall.get(m, 0),
              "split": [data[v].get(m, 0) for v in data]} for m in months]
    return {"chart": chart, "multiples": multiples, "table": table, "period": period,
            "total": sum(overall.values()), "split_labels": [label(split, v) for v in data]}


def _quarter(req: SearchRequest) -> dict:
    since = dt.date.today() - dt.timedelta(days=QUARTER_DAYS)
    low = max(since, req.date_from) if req.date_from else since
    recent = dataclasses.replace(req, date_from=low, page=1)
    _req, response = run_search(MultiDict(), log=False, per_page=1,
                                **{name: getattr(recent, name) for name in ("q", "date_from", "date_to", *FACETS)})
    themes = [fv for fv in response.facets.get("theme", []) if fv.count][:8]
    most = max([fv.count for fv in themes] + [1])
    state = SearchState(recent, response)
    return {"since": since, "total": response.total,
            "themes": [{"value": fv.value, "label": fv.label, "count": fv.count,
                        "share": round(100 * fv.count / most),
                        "href": state.url(dataclasses.replace(recent, theme=[fv.value]))} for fv in themes]}
