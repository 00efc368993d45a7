"""The whoosh3 block reader (search/blocks.py) and the phrase matcher built on it give Whoosh's own answers.

References independent of the code under test: Whoosh's raw matcher, posting by posting (ids, weights, values);
the analyzer's own token positions (what the index must hold); a pure-Python phrase check on those positions.
The index has three segments with deletions, common words spanning many 128-posting blocks, rare words with large
id gaps, and two documents longer than 65,536 words (a long PDF: positions stored as uint32, phrases placed
astride and beyond 65,536). Both position formats are checked: packed (search/positions.py) and Whoosh's
pickled one (indexes built before it).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.system import _INT_SIZE

from crpv_watch.search import topk
from crpv_watch.search.blocks import TermBlocks
from crpv_watch.search.matching import matching_docs
from crpv_watch.search.positions import WIDE, PackedPositions, packed_positions
from crpv_watch.search.schema import build_schema
from crpv_watch.search.topk import ScoreData

COMMON = ["quartier", "habitants", "projet", "ville", "jardin", "école", "emploi", "santé"]
RARE = ["roseraie", "moulin", "champ", "tilleuls"]
LONG = 70_000  # words of each long document


def _text(rng: random.Random, i: int) -> str:
    words = [rng.choice(COMMON) for _ in range(rng.randint(1, 60))]
    if i % 97 == 0:  # rare words far apart: ids deltas above 255 in their blocks
        words.insert(rng.randint(0, len(words)), f"{rng.choice(RARE)} {rng.choice(RARE)}")
    if i % 7 == 0:  # punctuation, elision and hyphens between the words of a phrase
        words.insert(rng.randint(0, len(words)), rng.choice(["quartier, habitants", "l’école-projet",
                                                             "quartier-champ du moulin", "ville. Jardin"]))
    return " ".join(words)


def _long_text(rng: random.Random, variant: int) -> str:
    """More than 65,536 words: "fontaine" first, "puits lavoir" astride 65,536 (a uint16 would wrap "lavoir" to
    a position right after "fontaine"), "roseraie tilleuls" near the end."""
    words = ["fontaine"] + [rng.choice(COMMON) for _ in range(LONG)]
    words[65_535 + variant:65_537 + variant] = ["puits", "lavoir"]
    words[LONG - 10:LONG - 8] = ["roseraie", "tilleuls"]
    return " ".join(words)


def whoosh_positions_schema():
    """The schema with Whoosh's own pickled positions (what indexes built before the packed format hold)."""
    schema = build_schema()
    for name in ("title", "title_exact", "summary", "body", "credits"):
        schema[name].format = Positions(field_boost=schema[name].format.field_boost)
    return schema


@pytest.fixture(scope="module", params=["packed", "whoosh"])
def indexed(tmp_path_factory, request):
    """(searcher, texts by id as {field: text})."""
    rng = random.Random(15)
    path = tmp_path_factory.mktemp("blocks")
    ix = FileStorage(str(path)).create_index(build_schema() if request.param == "packed" else whoosh_positions_schema())
    texts: dict[str, dict[str, str]] = {}
    for part in range(3):  # three segments
        writer = ix.writer()
        for i in range(part * 700, part * 700 + 700):
            texts[f"d{i}"] = {"title": _text(rng, i)[:80], "body": _text(rng, i)}
            if i in (350, 1750):  # one long document in the first and third segments
                texts[f"d{i}"]["body"] = _long_text(rng, i % 3)
            writer.add_document(id=f"d{i}", **texts[f"d{i}"])
        writer.commit(merge=False)
    writer = ix.writer()
    for i in range(0, 2100, 13):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    s = ix.searcher()
    assert len(s.reader().leaf_readers()) >= 3
    yield s, texts
    s.close()


def _analyzed(schema, fieldname: str, text: str) -> dict[str, list[int]]:
    """Each word's positions as the field's analyzer gives them at indexing time."""
    out: dict[str, list[int]] = {}
    for token in schema[fieldname].analyzer(text, positions=True, mode="index"):
        out.setdefault(token.text, []).append(token.pos)
    return out


def _fresh(leaf, fieldname, text):
    """Whoosh's matcher at the term's first posting, deleted documents included (no deletion filter)."""
    return leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, text), leaf.schema[fieldname].format)


def _whoosh_postings(leaf, fieldname, text):
    """Whoosh's own matcher, posting by posting: (ids, weights, raw values)."""
    m = _fresh(leaf, fieldname, text)
    ids, weights, values = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64), values


def test_ids_weights_and_positions_are_whooshs(indexed):
    searcher, texts = indexed
    rng = random.Random(1)
    fmt = searcher.schema["body"].format
    checked = multi_block = wide = 0
    for leaf, _ in searcher.reader().leaf_readers():
        analyzed = {}
        for d in range(leaf.doc_count_all()):
            doc = texts[leaf.stored_fields(d)["id"]]
            analyzed[d] = {f: _analyzed(searcher.schema, f, doc[f]) for f in ("title", "body")}
        for fieldname in ("body", "title"):
            for text in leaf.lexicon(fieldname):
                if type(_fresh(leaf, fieldname, text)) is not W3LeafMatcher:  # very rare terms: inlined postings
                    continue
                filtered = leaf.postings(fieldname, text)  # what the engine holds: maybe moved past deleted ids
                blocks = TermBlocks.of(filtered.child if isinstance(filtered, FilterMatcher) else filtered)
                assert blocks is not None
                ids, weights, values = _whoosh_postings(leaf, fieldname, text)
                got_ids, got_weights = blocks.ids_weights()
                assert np.array_equal(got_ids, ids) and np.array_equal(got_weights, weights), (fieldname, text)
                word = text.decode("utf-8")
                every = dict(zip(ids.tolist(), values, strict=True))
                for d, value in every.items():  # what the index holds is what the analyzer gave
                    assert fmt.decode_positions(value) == analyzed[d][fieldname][word], (fieldname, word, d)
                    wide += len(value) > _INT_SIZE and value[_INT_SIZE] == WIDE
                wanted = sorted(set(rng.sample(range(leaf.doc_count_all()), 40)) | set(ids[::50].tolist()))
                assert blocks.values_for(wanted) == {d: every[d] for d in wanted if d in every}
                checked += 1
                multi_block += len(blocks.blocks) > 3
    assert checked > 30 and multi_block > 5
    assert wide >= (8 if type(fmt) is PackedPositions else 0)  # the long documents' common words


def _reference_phrase(searcher, texts, words: list[str]) -> set[int]:
    """Live documents where the words follow each other, from the analyzer's positions alone."""
    found = set()
    reader = searcher.reader()
    for d in range(searcher.doc_count_all()):
        if reader.is_deleted(d):
            continue
        positions = _analyzed_body(searcher, texts[reader.stored_fields(d)["id"]]["body"])
        if all(w in positions for w in words):
            starts = set(positions[words[0]])
            for i, w in enumerate(words[1:], 1):
                starts &= {p - i for p in positions[w]}
            if starts:
                found.add(d)
    return found


def check_phrase(searcher, texts, text: str, all_docs, data) -> tuple[query.Phrase, set[int]]:
    """Asserts that the body phrase of ``text`` matches (``matching_docs``, with the cache ``data`` or None) the
    documents the analyzer's positions give; returns the phrase and those documents."""
    words = [t.text for t in searcher.schema["body"].analyzer(text)]
    expected = _reference_phrase(searcher, texts, words)
    q = query.Phrase("body", words)
    assert set(matching_docs(searcher, q, all_docs, data)) == expected, text
    return q, expected


_BODIES: dict[str, dict[str, list[int]]] = {}


def _analyzed_body(searcher, text: str) -> dict[str, list[int]]:
    if text not in _BODIES:
        _BODIES[text] = _analyzed(searcher.schema, "body", text)
    return _BODIES[text]


@pytest.mark.parametrize("cached", [False, True])
def test_phrases_match_the_positions(indexed, cached):
    searcher, texts = indexed
    rng = random.Random(2)
    data = ScoreData(searcher) if cached else None
    all_docs = frozenset(range(searcher.doc_count_all()))
    long_docs = {d for d in all_docs if searcher.stored_fields(d)["id"] in ("d350", "d1750")}
    phrases = ["quartier habitants", "école projet", "champ moulin", "quartier champ moulin", "ville jardin",
               "puits lavoir", "fontaine lavoir", "roseraie tilleuls", "lavoir fontaine"]
    phrases += [" ".join(rng.choice(COMMON + RARE) for _ in range(rng.randint(2, 3))) for _ in range(25)]
    nonempty = 0
    for text in phrases:
        q, expected = check_phrase(searcher, texts, text, all_docs, data)
        assert set(searcher.docs_for_query(q)) == expected, text
        if text in ("puits lavoir", "roseraie tilleuls"):
            assert long_docs <= expected  # positions beyond 65,536 found where they are
        if text == "fontaine lavoir":
            assert not expected & long_docs  # and not where a wrapped position would be
        nonempty += bool(expected)
    assert nonempty > 10


def test_a_phrase_reads_each_words_blocks_once(indexed, monkeypatch):
    """The ids pass (facet counts, total) and the positions pass of a phrase share the words' blocks."""
    searcher, _ = indexed
    reads = []
    of = TermBlocks.of.__func__
    monkeypatch.setattr(TermBlocks, "of", classmethod(lambda cls, m: reads.append(m) or of(cls, m)))
    all_docs = frozenset(range(searcher.doc_count_all()))
    q = query.Phrase("body", [t.text for t in searcher.schema["body"].analyzer("quartier habitants")])
    data = ScoreData(searcher)
    assert matching_docs(searcher, q, all_docs, data)
    segments = len(searcher.reader().leaf_readers())
    assert len(reads) == 2 * segments  # two words, each read once per segment
    reads.clear()
    assert matching_docs(searcher, q, all_docs, data) and not reads  # the same phrase again: nothing re-read
    data.drop_postings()
    assert matching_docs(searcher, q, all_docs, data) and len(reads) == 2 * segments
    monkeypatch.setattr(topk, "BLOCKS_BUDGET", 1)  # over the budget: only the last term read stays
    reads.clear()
    data.drop_postings()
    matching_docs(searcher, q, all_docs, data)
    assert len(data._blocks) == 1 and len(reads) > 2 * segments


def test_packed_positions_are_the_positions():
    fmt = PackedPositions()
    for poslist in ([0], [3, 4, 90], list(range(0, 300_000, 7)), [5, 65_535, 65_536, 70_001], [],
                    [1, 2**32 - 1], [1, 2**32 + 5, 2**40]):
        value = fmt.encode(poslist)
        assert fmt.decode_positions(value) == poslist
        assert fmt.decode_frequency(value) == len(poslist)
        assert PackedPositions().decode_positions(Positions().encode(poslist)) == poslist  # an older index's value
    assert fmt.encode([1, 2**32 + 5]) == Positions().encode([1, 2**32 + 5])  # beyond uint32: Whoosh's encoding
    values = [fmt.encode(p) for p in ([1, 2], [0, 80_000], [9])]
    counts, positions = packed_positions(values)
    assert counts.tolist() == [2, 2, 1] and positions.tolist() == [1, 2, 0, 80_000, 9]
    assert packed_positions(values + [fmt.encode([2**33])]) is None  # the caller then goes document by document
    assert packed_positions([fmt.encode([3, 4]), Positions().encode([3, 4])]) is None  # an older index's value
    assert packed_positions([fmt.encode([3, 4])[:-1]]) is None and packed_positions([b"\x00\x00"]) is None
    for uniform in ([[1, 2], [7], []], [[70_000], [0, 90_000, 2**32 - 1]]):  # one width for all the values
        counts, positions = packed_positions([fmt.encode(p) for p in uniform])
        assert counts.tolist() == [len(p) for p in uniform] and positions.tolist() == sum(uniform, [])
