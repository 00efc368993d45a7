"""The Whoosh schema of the search index, in one place, with its version stamp.

Bump ``SCHEMA_VERSION`` whenever a field, an analyzer or the way a document becomes fields changes: an index
stamped with another version reports ``SearchEngine.needs_rebuild`` and the caller rebuilds it from the store.

Whoosh pickles the schema (analyzers included) into the index, so the analyzer classes in ``analysis.py`` must
keep their import paths, or old indexes cannot even be opened (the engine then also asks for a rebuild).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ..items import IndexDocument
from ..text.analysis import french_analyzer

SCHEMA_VERSION = 2  # 2: departments, qpvs, spell

# Multi-valued facet fields are stored and indexed as comma-separated ids (ids never contain commas).
SEP = ","

# The text fields a query searches, with their BM25F boosts. title_exact holds unstemmed words, so a title
# that has the very word typed ranks above one that only shares its stem.
TEXT_FIELDS = {"title": 3.0, "title_exact": 4.0, "summary": 2.0, "body": 1.0}
# Fields whose terms are stemmed: the ones a highlighter compares document words with.
STEMMED_FIELDS = ("title", "summary", "body")

# SearchRequest facet name → index field.
FACET_FIELDS = {
    "theme": "themes", "pillar": "pillars", "centre": "centre", "region": "region", "department": "departments",
    "qpv": "qpvs", "type": "type", "year": "year", "language": "language",
}
MULTI_VALUED = frozenset({"themes", "region", "pillars", "departments", "qpvs"})
# The unstemmed words of titles and summaries: the vocabulary "Vouliez-vous dire" corrects typing against.
SPELL_FIELD = "spell"


def build_schema() -> Schema:
    stemmed = french_analyzer(stem=True)
    return Schema(
        id=ID(unique=True, stored=True),
        url=STORED(),
        title=TEXT(analyzer=stemmed, stored=True),
        title_exact=TEXT(analyzer=french_analyzer(stem=False)),
        summary=TEXT(analyzer=stemmed, stored=True),
        # The full text stays in the database (text_for gives it to the highlighter): a third less disk.
        body=TEXT(analyzer=stemmed),
        themes=KEYWORD(stored=True, commas=True),
        pillars=KEYWORD(commas=True),
        centre=ID(stored=True),
        region=KEYWORD(stored=True, commas=True),
        departments=KEYWORD(commas=True),
        qpvs=KEYWORD(commas=True),
        type=ID(stored=True),
        year=ID(),
        language=ID(),
        # YYYYMMDD, 0 when unknown: readable in the index, ordered, and undated documents sort last.
        published=NUMERIC(numtype=int, bits=32, signed=False, stored=True, sortable=True, default=0),
        # First-seen time (epoch seconds): the tie-break of the date order, so undated documents come newest
        # found first.
        seen=NUMERIC(numtype=int, bits=64, signed=False, sortable=True, default=0),
        found_at=STORED(),
        # No positions: only its lexicon is read (spelling suggestions), never its postings' positions.
        spell=TEXT(analyzer=french_analyzer(stem=False), phrase=False),
    )


def date_number(day: dt.date | None) -> int:
    return day.year * 10_000 + day.month * 100 + day.day if day else 0


def number_date(value: int | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date(value // 10_000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def _ids(values: list[str]) -> str:
    return SEP.join(v.strip() for v in values if v and v.strip() and SEP not in v)


def to_fields(doc: IndexDocument) -> dict[str, Any]:
    """The Whoosh fields of one document (empty fields are left out: Whoosh indexes nothing for them)."""
    title = doc.title or ""
    fields: dict[str, Any] = {
        "id": doc.id,
        "url": doc.url,
        "title": title,
        "title_exact": title,
        "summary": doc.summary or "",
        "body": doc.text or "",
        "themes": _ids(doc.themes),
        "pillars": _ids(doc.pillars),
        "centre": doc.centre or "",
        "region": _ids(doc.region),
        "departments": _ids(getattr(doc, "departments", None) or []),
        "qpvs": _ids(getattr(doc, "qpvs", None) or []),
        "spell": f"{title}\n{doc.summary or ''}",
        "type": doc.doctype or "",
        "published": date_number(doc.published),
        "seen": int(doc.first_seen.timestamp()) if doc.first_seen else 0,
        "found_at": json.dumps(doc.found_at, ensure_ascii=False),
    }
    if doc.published:
        fields["year"] = str(doc.published.year)
    if doc.language:
        fields["language"] = doc.language
    return {k: v for k, v in fields.items() if v != "" or k in ("id", "title", "url")}


def split_ids(value: str | None) -> list[str]:
    return [v for v in (value or "").split(SEP) if v]
