"""The Whoosh schema of the search index, in one place, with its version stamp.

Bump ``SCHEMA_VERSION`` whenever a field, an analyzer or the way a document becomes fields changes: an index
stamped with another version reports ``SearchEngine.needs_rebuild`` and the caller rebuilds it from the store.

Whoosh pickles the schema (analyzers included) into the index, so the analyzer classes in ``analysis.py`` must
keep their import paths, or old indexes cannot even be opened (the engine then also asks for a rebuild).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ..items import IndexDocument
from ..text.analysis import french_analyzer
from .positions import PackedPositions

SCHEMA_VERSION = 3  # 2: departments, qpvs, spell; 3: field nouns kept (été), credits apart

# Multi-valued facet fields are stored and indexed as comma-separated ids (ids never contain commas).
SEP = ","

# The text fields a query searches, with their BM25F boosts. title_exact holds unstemmed words, so a title
# that has the very word typed ranks above one that only shares its stem.
# credits holds the metadata lines of the text (authors, editors, photo credits…): a name there says who made the
# document, not what it is about, so it weighs a fraction of the text.
TEXT_FIELDS = {"title": 3.0, "title_exact": 4.0, "summary": 2.0, "body": 1.0, "credits": 0.2}
# Fields whose terms are stemmed: the ones a highlighter compares document words with.
STEMMED_FIELDS = ("title", "summary", "body", "credits")

# SearchRequest facet name → index field.
FACET_FIELDS = {
    "theme": "themes", "pillar": "pillars", "centre": "centre", "region": "region", "department": "departments",
    "qpv": "qpvs", "type": "type", "year": "year", "language": "language",
}
MULTI_VALUED = frozenset({"themes", "region", "pillars", "departments", "qpvs"})
# The unstemmed words of titles and summaries: the vocabulary "Vouliez-vous dire" corrects typing against.
SPELL_FIELD = "spell"


# A line of the text that credits people or says who published it and under which licence: "Auteur : …",
# "Rédaction : …", "Crédits photos : …", "Directrice de la publication …", "Publié par … le …", "… Creative
# Commons …". Only short lines (a paragraph that starts with "Source" or "Photo" and goes on is text).
CREDIT_LINE = re.compile(
    r"""^\W*(?:auteur|autrice|auteurs|autrices|r[ée]daction|r[ée]dig[ée]e?s?\s+par|r[ée]dact(?:eur|rice)s?|
    direct(?:eur|rice)\s+(?:de\s+la\s+)?(?:publication|r[ée]daction)|directions?\s+de\s+la\s+publication|
    comit[ée]\s+de\s+r[ée]daction|cr[ée]dits?|photos?\s*(?::|©)|photographies?\s*:|illustrations?\s*:|©|
    conception(?:\s+graphique)?\s*:|mise\s+en\s+page|maquette\s*:|graphisme\s*:|r[ée]alisation\s*:|
    coordination\s*:|[ée]dit[ée]e?\s+par|[ée]dit(?:eur|rice)\s*:|issn|isbn|d[ée]p[ôo]t\s+l[ée]gal|
    publi[ée]e?s?\s+(?:le|par)\b|mis\s+[àa]\s+jour\s+le|source\s*:|contacts?\s*:|t[ée]l(?:[ée]phone)?\s*:|
    licen[cs]e\b|attribution\s*[—–-]|pas\s+d.utilisation\s+commerciale|.{0,200}creative\s+commons)""",
    re.IGNORECASE | re.VERBOSE,
)
CREDIT_LINE_CHARS = 300
# A label alone on its line ("Rédaction") credits the line after it.
CREDIT_LABEL = re.compile(r"^\W*(?:auteurs?|autrices?|r[ée]daction|cr[ée]dits?(?:\s+photos?)?|coordination)\W*$",
                          re.IGNORECASE)


def split_credits(text: str) -> tuple[str, str]:
    """(the text without its credit lines, the credit lines)."""
    if not text:
        return "", ""
    body, credits = [], []
    label = False
    for line in text.split("\n"):
        short = len(line) <= CREDIT_LINE_CHARS
        if short and (label or CREDIT_LINE.match(line)):
            credits.append(line)
            label = bool(CREDIT_LABEL.match(line))
        else:
            body.append(line)
            label = short and bool(CREDIT_LABEL.match(line))
            if label:
                body.pop()
                credits.append(line)
    return "\n".join(body), "\n".join(credits)


def build_schema() -> Schema:
    stemmed = french_analyzer(stem=True, field_nouns=True)
    exact = french_analyzer(stem=False, field_nouns=True)
    return Schema(
        id=ID(unique=True, stored=True),
        url=STORED(),
        title=_text(analyzer=stemmed, stored=True),
        title_exact=_text(analyzer=exact),
        summary=_text(analyzer=stemmed, stored=True),
        # The full text stays in the database (text_for gives it to the highlighter): a third less disk.
        body=_text(analyzer=stemmed),
        credits=_text(analyzer=stemmed),
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
        spell=TEXT(analyzer=exact, phrase=False),
    )


def _text(**options) -> TEXT:
    """A text field whose positions are packed integers (search/positions.py: phrases decode them with numpy)."""
    field = TEXT(**options)
    field.format = PackedPositions(field_boost=field.format.field_boost)
    return field


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
    body, credits = split_credits(doc.text or "")
    fields: dict[str, Any] = {
        "id": doc.id,
        "url": doc.url,
        "title": title,
        "title_exact": title,
        "summary": doc.summary or "",
        "body": body,
        "credits": credits,
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
