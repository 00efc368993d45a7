"""The whoosh3 block reader (search/blocks.py) and the phrase matcher built on it give Whoosh's own answers:
same ids, weights and positions as Whoosh's matcher, same phrase documents as Whoosh's phrase query, on an index
of a few segments with deletions, common words spanning many blocks and rare words with large id gaps."""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher

from crpv_watch.search.blocks import TermBlocks
from crpv_watch.search.matching import matching_docs
from crpv_watch.search.positions import PackedPositions, packed_positions
from crpv_watch.search.schema import build_schema
from crpv_watch.search.topk import ScoreData, _read_block_postings

COMMON = ["quartier", "habitants", "projet", "ville", "jardin", "école", "emploi", "santé"]
RARE = ["roseraie", "moulin", "champ", "tilleuls"]


def _text(rng: random.Random, i: int) -> str:
    words = [rng.choice(COMMON) for _ in range(rng.randint(1, 60))]
    if i % 97 == 0:  # rare words far apart: ids deltas above 255 in their blocks
        words.insert(rng.randint(0, len(words)), f"{rng.choice(RARE)} {rng.choice(RARE)}")
    if i % 7 == 0:  # punctuation, elision and hyphens between the words of a phrase
        words.insert(rng.randint(0, len(words)), rng.choice(["quartier, habitants", "l’école-projet",
                                                             "quartier-champ du moulin", "ville. Jardin"]))
    return " ".join(words)


def _whoosh_positions_schema():
    """The schema with Whoosh's own pickled positions (what indexes built before the packed format hold)."""
    schema = build_schema()
    for name in ("title", "title_exact", "summary", "body", "credits"):
        schema[name].format = Positions(field_boost=schema[name].format.field_boost)
    return schema


@pytest.fixture(scope="module", params=["packed", "whoosh"])
def searcher(tmp_path_factory, request):
    rng = random.Random(15)
    path = tmp_path_factory.mktemp("blocks")
    ix = FileStorage(str(path)).create_index(build_schema() if request.param == "packed" else _whoosh_positions_schema())
    for part in range(3):  # three segments
        writer = ix.writer()
        for i in range(part * 700, part * 700 + 700):
            writer.add_document(id=f"d{i}", title=_text(rng, i)[:80], body=_text(rng, i))
        writer.commit(merge=False)
    writer = ix.writer()
    for i in range(0, 2100, 13):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    s = ix.searcher()
    assert len(s.reader().leaf_readers()) >= 3
    yield s
    s.close()


def _fresh(leaf, fieldname, text):
    """The term's matcher at its first posting, deleted documents included (no deletion filter)."""
    return leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, text), leaf.schema[fieldname].format)


def test_ids_weights_and_values_are_whooshs(searcher):
    rng = random.Random(1)
    checked = 0
    for leaf, _ in searcher.reader().leaf_readers():
        for fieldname in ("body", "title"):
            for text in leaf.lexicon(fieldname):
                m = _fresh(leaf, fieldname, text)
                if type(m) is not W3LeafMatcher:  # postings of very rare terms are inlined in the term info
                    continue
                filtered = leaf.postings(fieldname, text)  # what the engine holds: maybe moved past deleted ids
                blocks = TermBlocks.of(filtered.child if isinstance(filtered, FilterMatcher) else filtered)
                assert blocks is not None
                values: list = []
                ids, weights = _read_block_postings(_fresh(leaf, fieldname, text), values)
                got_ids, got_weights = blocks.ids_weights()
                assert np.array_equal(got_ids, ids) and np.array_equal(got_weights, weights), (fieldname, text)
                every = dict(zip(ids.tolist(), values, strict=True))
                wanted = sorted(rng.sample(range(leaf.doc_count_all()), 40))
                assert blocks.values_for(wanted) == {d: every[d] for d in wanted if d in every}
                checked += 1
    assert checked > 30


@pytest.mark.parametrize("cached", [False, True])
def test_phrases_match_where_whoosh_phrase_does(searcher, cached):
    rng = random.Random(2)
    data = ScoreData(searcher) if cached else None
    schema = searcher.schema
    all_docs = frozenset(range(searcher.doc_count_all()))
    phrases = ["quartier habitants", "école projet", "champ moulin", "quartier champ moulin", "ville jardin"]
    phrases += [" ".join(rng.choice(COMMON + RARE) for _ in range(rng.randint(2, 3))) for _ in range(25)]
    nonempty = 0
    for text in phrases:
        words = [t.text for t in schema["body"].analyzer(text)]
        q = query.Phrase("body", words)
        expected = set(searcher.docs_for_query(q))
        assert set(matching_docs(searcher, q, all_docs, data)) == expected, text
        nonempty += bool(expected)
    assert nonempty > 10


def test_packed_positions_are_the_positions():
    fmt = PackedPositions()
    for poslist in ([0], [3, 4, 90], list(range(0, 300_000, 7)), [5, 70_000, 70_001], []):
        value = fmt.encode(poslist)
        assert fmt.decode_positions(value) == poslist
        assert fmt.decode_frequency(value) == len(poslist)
        assert Positions().decode_positions(Positions().encode(poslist)) == poslist
        assert PackedPositions().decode_positions(Positions().encode(poslist)) == poslist  # an older index's value
    values = [fmt.encode(p) for p in ([1, 2], [0, 80_000], [9])]
    counts, positions = packed_positions(values)
    assert counts.tolist() == [2, 2, 1] and positions.tolist() == [1, 2, 0, 80_000, 9]


def test_phrase_sets_do_not_depend_on_the_positions_format(tmp_path):
    """The same documents indexed with Whoosh's positions and with packed ones: every phrase, through Whoosh's own
    phrase matcher and through ours, matches the same documents (punctuation, elision and hyphens included)."""
    rng = random.Random(4)
    texts = [_text(rng, i) for i in range(400)]
    searchers = []
    for name, schema in (("packed", build_schema()), ("whoosh", _whoosh_positions_schema())):
        (tmp_path / name).mkdir()
        ix = FileStorage(str(tmp_path / name)).create_index(schema)
        with ix.writer() as writer:
            for i, text in enumerate(texts):
                writer.add_document(id=f"d{i}", body=text)
        searchers.append(ix.searcher())
    assert type(searchers[0].schema["body"].format) is PackedPositions
    phrases = ["quartier habitants", "l’école projet", "quartier-champ du moulin", "ville, jardin", "école-projet"]
    phrases += [" ".join(rng.choice(COMMON) for _ in range(rng.randint(2, 4))) for _ in range(30)]
    all_docs = frozenset(range(400))
    nonempty = 0
    for text in phrases:
        words = [t.text for t in searchers[0].schema["body"].analyzer(text)]
        q = query.Phrase("body", words)
        found = [set(s.docs_for_query(q)) for s in searchers]
        found += [set(matching_docs(s, q, all_docs, ScoreData(s))) for s in searchers]
        assert found[1:] == found[:1] * 3, text
        nonempty += bool(found[0])
    assert nonempty > 10
    for s in searchers:
        s.close()
