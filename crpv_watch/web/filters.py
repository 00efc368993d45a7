"""Jinja filters and helpers: French dates and numbers, facet labels, the services of the running app."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from ..services import Services

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
FACET_NAMES = {
    "theme": "Thème",
    "centre": "Centre de ressources",
    "region": "Région",
    "type": "Type de document",
    "year": "Année",
}


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
        return services().label(facet, value)
    except Exception:  # a missing vocabulary or sources file must not break a page
        current_app.logger.exception("no label for %s=%s", facet, value)
        return value


def documents_count(n: int) -> str:
    if not n:
        return "Aucun document"
    return f"{number_fr(n)} document{'s' if n > 1 else ''}"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(date_fr=date_fr, iso_date=iso_date, number_fr=number_fr, label=label,
                                 documents_count=documents_count)
    app.jinja_env.globals.update(facet_names=FACET_NAMES)
