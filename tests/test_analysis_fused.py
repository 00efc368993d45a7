"""The fused French analyzer against the filter chain it replaces: the same tokens, word for word, and the same
positions grouped by word for indexing (``positions_by_word``).

``FrenchAnalyzer`` (one pass, a per-word cache) must give exactly what ``filter_chain`` (tokenizer, lower case,
elision, stop words, hyphen parts, folding, stemming as separate Whoosh filters) gives — text, position,
character offsets and boost of every token — for the index and for queries, on real French texts (the shared
corpus of the centres' pages and the demo network), or the index would no longer match what queries ask.
"""

from __future__ import annotations

import json
import pickle
from itertools import product

import pytest

from crpv_watch.text import analysis
from crpv_watch.text.analysis import FrenchAnalyzer, filter_chain, french_analyzer

CONFIGS = list(product((True, False), (True, False)))  # (stem, field_nouns)
CALLS = [
    {"positions": True, "mode": "index", "boosts": True},  # what Whoosh's Positions format asks
    {"positions": True, "chars": True, "mode": "index"},
    {"chars": True, "mode": "query"},  # the highlighter
    {"mode": "query"},  # the query parser
    {"positions": True, "chars": True, "mode": "query", "start_pos": 7, "start_char": 40},
    {"positions": True, "removestops": False, "mode": "query"},  # phrases: falls back to the chain
    {"tokenize": False, "removestops": False, "mode": "query"},  # range ends: falls back too
]

TRICKY = [
    "L'été, il a été au tiers-lieu d'Aujourd’hui : bien-être à Nord-Est, c'est-à-dire les jeux.",
    "Quartiers d'été : cet été, n'a pas été ; ont d'ailleurs été ; l'été ; Été 2024 ; avait-il été",
    "qu'il lorsqu'elle jusqu'au presqu'île l' d' l'-x a-t-il vingt-deux Saint-Denis-de-la-Réunion",
    "Les-de-la x-y-z- -a ÉCOLE École œuvre cœur Œuvre façade naïf MAJUSCULES l’HABITANT",
    "",
    "   ",
    "123 4-5 2024-2030 3’ l'2 _x_ x__y",
]


def tokens(analyzer, text: str, **kw) -> list[tuple]:
    return [(t.text, getattr(t, "pos", None), getattr(t, "startchar", None), getattr(t, "endchar", None),
             t.boost, t.stopped) for t in analyzer(text, **kw)]


def grouped(analyzer, text: str) -> list[tuple[str, list[int]]]:
    """Each term with its positions, in order of first occurrence: what Whoosh's Positions format builds."""
    out: dict[str, list[int]] = {}
    for t in analyzer(text, positions=True, mode="index"):
        if not t.stopped:
            out.setdefault(t.text, []).append(t.pos)
    return list(out.items())


def assert_same(texts: list[str]) -> int:
    """Tokens of every call, and the grouped positions indexing asks for (``positions_by_word``)."""
    compared = 0
    for stem, field_nouns in CONFIGS:
        fused, chain = french_analyzer(stem=stem, field_nouns=field_nouns), filter_chain(stem, field_nouns)
        for text, kw in product(texts, CALLS):
            expected = tokens(chain, text, **kw)
            assert tokens(fused, text, **kw) == expected, (stem, field_nouns, kw, text[:200])
            compared += len(expected)
        for text in texts:
            assert list(fused.positions_by_word(text).items()) == grouped(chain, text), (stem, field_nouns, text[:200])
    return compared


def test_tricky_sentences_give_the_chains_tokens():
    assert assert_same(TRICKY) > 100


def test_real_texts_give_the_chains_tokens(shared_dir):
    items = json.loads((shared_dir / "corpora" / "crpv-real-texts" / "items.json").read_text(encoding="utf-8"))
    texts = [item["title"] for item in items] + ["\n\n".join(item["body"]) for item in items]
    assert len(items) >= 100
    assert assert_same(texts) > 500_000


def test_demo_corpus_gives_the_chains_tokens():
    from crpv_watch.demo.compose import build_docs

    texts = []
    for doc in build_docs():
        texts.append(doc.title)
        texts.extend(" ".join(paragraphs) for _heading, paragraphs in doc.sections or doc.pdf_pages)
    assert assert_same(texts) > 10_000


def test_a_full_word_cache_is_emptied_without_changing_tokens(monkeypatch):
    monkeypatch.setattr(analysis, "WORD_CACHE_SIZE", 5)
    assert assert_same(TRICKY) > 100


@pytest.mark.parametrize(("stem", "field_nouns"), CONFIGS)
def test_the_analyzer_survives_whooshs_schema_pickle(stem, field_nouns):
    analyzer = french_analyzer(stem=stem, field_nouns=field_nouns)
    list(analyzer(TRICKY[0]))  # fills the cache, which is not pickled
    loaded = pickle.loads(pickle.dumps(analyzer))
    assert isinstance(loaded, FrenchAnalyzer) and loaded == analyzer
    assert loaded != french_analyzer(stem=not stem, field_nouns=field_nouns)
    assert tokens(loaded, TRICKY[1], positions=True) == tokens(filter_chain(stem, field_nouns), TRICKY[1],
                                                               positions=True)


def test_another_field_can_build_on_it():
    """A field adding a filter after the French analysis keeps the fused path for the French part."""
    from whoosh.analysis import Filter

    class Upper(Filter):
        def __call__(self, tokens):
            for t in tokens:
                t.text = t.text.upper()
                yield t

    built = french_analyzer(stem=True, field_nouns=True) | Upper()
    assert [t.text for t in built("Les habitants du tiers-lieu")] == ["HABIT", "TIERSLIEU", "TIER", "LIEU"]
