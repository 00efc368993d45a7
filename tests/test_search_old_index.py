"""An index built before the packed positions (Whoosh's pickled ``Positions`` in its stored schema) stays readable:
the engine opens it without asking for a rebuild, answers every request as an index built now does (same
documents, order, totals, exact-phrase counts, facets), keeps Whoosh's format when documents are added to it, and
packs positions once rebuilt. Phrase counts are also checked against the texts themselves."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from whoosh.fields import TEXT
from whoosh.formats import Positions

from crpv_watch.items import IndexDocument
from crpv_watch.search import schema as schema_module
from crpv_watch.search.engine import SearchEngine
from crpv_watch.search.positions import PackedPositions
from crpv_watch.search.types import SearchRequest

WORDS = ["jardin", "partagé", "conseil", "citoyen", "quartier", "habitants", "rénovation", "urbaine", "école"]
PHRASES = ["jardin partagé", "conseil citoyen", "rénovation urbaine", "quartier habitants"]


def _doc(i: int, rng: random.Random) -> IndexDocument:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
    if i % 4 == 0:
        text += f" Le {rng.choice(PHRASES)} du quartier."
    return IndexDocument(
        id=f"d{i}", url=f"https://example.org/{i}", title=f"Fiche {i} {rng.choice(WORDS)}", text=text,
        summary=" ".join(rng.choice(WORDS) for _ in range(6)), centre=["crpv-a", "crpv-b"][i % 2], region=["11"],
        themes=[["emploi", "sante", "habitat"][i % 3]], doctype="guide",
        published=dt.date(2020 + i % 5, 1 + i % 12, 1), first_seen=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )


DOCS = [_doc(i, random.Random(i)) for i in range(160)]
LATER = [_doc(i, random.Random(i)) for i in range(160, 200)]


def _texts(docs):
    return {d.id: d.text for d in docs}


def _whoosh_text(**options) -> TEXT:
    return TEXT(**options)  # the text fields as schema.py declared them before the packed positions


def _engine(path, docs) -> SearchEngine:
    texts = _texts(docs)
    return SearchEngine(path, text_for=lambda ids: {i: texts[i] for i in ids if i in texts})


def _body_format(engine: SearchEngine):
    return type(engine._ix.schema["body"].format)


def _answers(engine: SearchEngine) -> list:
    out = []
    for q in [*(f'"{p}"' for p in PHRASES), "jardin", "conseil citoyen", '"jardin partagé" école', ""]:
        for sort in ("relevance", "date"):
            r = engine.search(SearchRequest(q=q, sort=sort, per_page=20))
            facets = {name: [(f.value, f.count) for f in values] for name, values in r.facets.items()}
            out.append((q, sort, r.total, r.complete, [h.id for h in r.results], facets))
    return out


def _phrase_count(docs, phrase: str) -> int:
    """Documents whose title, summary or text holds the phrase (the words are lowercase, no elision)."""
    pattern = re.compile(r"\b" + phrase + r"\b")
    return sum(1 for d in docs if any(pattern.search(t.lower()) for t in (d.title, d.summary, d.text)))


@pytest.fixture
def old_index(tmp_path, monkeypatch):
    """An index directory written with Whoosh's pickled positions, as before."""
    with monkeypatch.context() as patch:
        patch.setattr(schema_module, "_text", _whoosh_text)
        engine = _engine(tmp_path / "old", DOCS)
        engine.index(DOCS)
        assert _body_format(engine) is Positions
        engine.close()
    return tmp_path / "old"


def test_an_index_built_before_the_packed_positions_answers_as_a_new_one(old_index, tmp_path):
    old = _engine(old_index, DOCS + LATER)
    new = _engine(tmp_path / "new", DOCS + LATER)
    try:
        assert not old.needs_rebuild and _body_format(old) is Positions
        new.index(DOCS)
        assert _body_format(new) is PackedPositions
        assert _answers(old) == _answers(new)
        for phrase in PHRASES:
            assert old.search(SearchRequest(q=f'"{phrase}"')).complete == _phrase_count(DOCS, phrase) > 5, phrase

        old.index(LATER)  # documents added to the old index keep its format
        new.index(LATER)
        assert _body_format(old) is Positions
        assert _answers(old) == _answers(new)
        for phrase in PHRASES:
            assert old.search(SearchRequest(q=f'"{phrase}"')).complete == _phrase_count(DOCS + LATER, phrase)

        old.rebuild(DOCS + LATER)  # a rebuild packs the positions
        assert _body_format(old) is PackedPositions
        assert _answers(old) == _answers(new)
    finally:
        old.close()
        new.close()
