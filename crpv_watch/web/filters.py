"""Jinja filters and helpers: French dates and numbers, facet labels, the services of the running app."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from ..crawl.error_causes import Explained, explain
from ..search.known_values import NOT_KNOWN_FR
from ..search.types import FACET_NAMES, LANGUAGES
from ..services import Services
from ..tagging.yamlcheck import split_technical
from ..text import wording

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
# Theme groups that are not pillars: the thesaurus's transversal axes and method themes (Theme.kind).
THEME_KINDS = {"transversal": "Axes transversaux", "methode": "Méthodes et ingénierie"}


def services() -> Services:
    return current_app.extensions["crpv_watch"]


def _local(value: dt.datetime) -> dt.datetime:
    # Datetimes are stored naive in UTC (models.utcnow); readers are in France.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(services().settings.timezone or "Europe/Paris"))


def date_fr(value: dt.date | dt.datetime | str | None, with_time: bool = False) -> str:
    """« 1er mars 2024 », « 12 mars 2024 à 14 h 05 »."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    time = ""
    if isinstance(value, dt.datetime):
        value = _local(value)
        time = f" à {value.hour} h {value.minute:02d}" if with_time else ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}{time}"


def iso_date(value: dt.date | dt.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return value.isoformat()[:10]


def number_fr(value: int | None) -> str:
    # French groups thousands with a narrow no-break space.
    return f"{value or 0:,}".replace(",", "\u202f")


def label(value: str | list[str] | None, facet: str) -> str:
    if not value:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(label(v, facet) for v in value)
    try:
        named = services().label(facet, value)
        return named if named and named != value else _territory_label(facet, value)
    except Exception:  # a missing vocabulary or sources file must not break a page
        current_app.logger.exception("no label for %s=%s", facet, value)
        return value


def _territory_label(facet: str, value: str) -> str:
    """Names for the facets whose values are codes the services do not name (departments, QPV, languages)."""
    if facet == "department":
        # Not region_label: department and region codes overlap (93 is Seine-Saint-Denis and also PACA).
        name = services().vocabulary.departments.get(value)
        return f"{name} ({value})" if name else value
    if facet == "qpv":
        from ..tagging.territory import qpv_names

        name = qpv_names().get(value)
        return f"{name} ({value})" if name else value
    if facet == "language":
        return LANGUAGES.get(value, value)
    if facet == "pillar":
        return group_label(value)
    return value


def theme_group(theme_id: str) -> tuple[str, str, int]:
    """(group id, group label, rank) of a theme: its pillar, else its kind (transversal axis, method)."""
    vocab = services().vocabulary
    pillars = list(vocab.pillars)
    theme = vocab.themes.get(theme_id)
    if theme is not None and theme.pillar in vocab.pillars:
        return theme.pillar, vocab.pillars[theme.pillar].label, pillars.index(theme.pillar)
    kind = theme.kind if theme is not None and theme.kind in THEME_KINDS else "transversal"
    return kind, THEME_KINDS[kind], len(pillars) + list(THEME_KINDS).index(kind)


def group_label(group: str) -> str:
    vocab = services().vocabulary
    if group in vocab.pillars:
        return vocab.pillars[group].label
    return THEME_KINDS.get(group, group)


def documents_count(n: int) -> str:
    if not n:
        return "Aucun document"
    return f"{number_fr(n)} document{'s' if n > 1 else ''}"


def nbsp_slash(text: str) -> str:
    """« Guide méthodologique / outil »: a no-break space before the slash, so it never starts a line alone."""
    return str(text).replace(" / ", "\u00a0/ ")


def explain_error(error: str | None, status: int | None = None) -> Explained:
    """A recorded crawl error as its French cause and its technical detail (``crawl/error_causes.py``)."""
    return explain(error, status)


def split_detail(message: str) -> Explained:
    """A validation message as its French part and the library's own words (`` (détail technique : …)``)."""
    return Explained(*split_technical(message))


def register(app: Flask) -> None:
    app.jinja_env.filters.update(date_fr=date_fr, iso_date=iso_date, number_fr=number_fr, label=label,
                                 documents_count=documents_count, fr=wording.word, period_fr=wording.period,
                                 nbsp_slash=nbsp_slash, explain_error=explain_error, split_detail=split_detail)
    app.jinja_env.globals.update(value_fr=wording.value_fr)
    app.jinja_env.globals.update(facet_names=FACET_NAMES, facet_not_known=NOT_KNOWN_FR)
