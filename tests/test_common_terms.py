"""A rebuilt segment's common terms kept uncompressed (search/common_terms.py) are its blocks' own postings.

References independent of the file under test: Whoosh's raw matcher, posting by posting (ids, weights, values),
and a pure-Python phrase check on the analyzer's positions. The index is rebuilt as the engine does
(``RebuildWriter``), three segments with deletions after, two documents longer than 65,536 words (wide
positions); one more segment comes from an ordinary commit (no file: read from its blocks).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_search_blocks import COMMON, _fresh, _long_text, _text, _whoosh_postings, check_phrase
from whoosh import query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage

from crpv_watch.search import common_terms, topk
from crpv_watch.search.blocks import TermBlocks
from crpv_watch.search.common_terms import CommonTerm, CommonTerms
from crpv_watch.search.generations import RebuildWriter
from crpv_watch.search.matching import matching_docs
from crpv_watch.search.positions import packed_positions
from crpv_watch.search.schema import build_schema
from crpv_watch.search.topk import ScoreData

LEAST = 40  # postings a term needs to be kept (MIN_POSTINGS is 256: too many documents for a quick test)


def _index(path, rebuilt_segments: int = 3, compound: bool = True):
    rng = random.Random(16)
    ix = FileStorage(str(path)).create_index(build_schema())
    texts: dict[str, dict[str, str]] = {}
    for part in range(rebuilt_segments + 1):
        # The last segment comes from an ordinary commit (what the worker's incremental writes do).
        writer = RebuildWriter(ix, compound=compound) if part < rebuilt_segments else ix.writer()
        for i in range(part * 600, part * 600 + 600):
            texts[f"d{i}"] = {"title": _text(rng, i)[:80], "body": _text(rng, i)}
            if i in (300, 1500):
                texts[f"d{i}"]["body"] = _long_text(rng, i % 3)
            if i == 900:  # one word more than 65,535 times in a document: counts kept as uint32
                texts[f"d{i}"]["body"] = "quartier " * 66_000 + "habitants"
            # A document's own boost in the middle segment: weights that are not counts times the field's boost.
            boost = {"_boost": 2.0} if 600 <= i < 1200 and i % 40 == 0 else {}
            writer.add_document(id=f"d{i}", **texts[f"d{i}"], **boost)
        writer.commit(merge=False)
    writer = ix.writer()
    for i in range(0, 600 * (rebuilt_segments + 1), 11):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    return ix, texts


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(common_terms.CommonTermsWriter, "min_postings", LEAST)
        ix, texts = _index(tmp_path_factory.mktemp("common"))
    s = ix.searcher()
    yield s, texts
    s.close()


def test_kept_terms_are_the_blocks_postings(indexed):
    searcher, _ = indexed
    rng = random.Random(3)
    leaves = searcher.reader().leaf_readers()
    files = [CommonTerms.of(leaf) for leaf, _ in leaves]
    assert sum(f is not None for f in files) == 3 and files[-1] is None  # the ordinary commit has none
    kept = below = wide = 0
    for (leaf, _), found in zip(leaves, files, strict=True):
        if found is None:
            continue
        for fieldname in ("body", "title"):
            for text in leaf.lexicon(fieldname):
                m = _fresh(leaf, fieldname, text)
                if type(m) is not W3LeafMatcher:
                    continue
                term = found.term(m._startoffset)
                ids, weights, values = _whoosh_postings(leaf, fieldname, text)
                if len(ids) < LEAST:
                    assert term is None
                    below += 1
                    continue
                assert isinstance(term, CommonTerm), (fieldname, text)
                got_ids, got_weights = term.ids_weights()
                assert np.array_equal(got_ids, ids) and np.array_equal(got_weights, weights), (fieldname, text)
                every = dict(zip(ids.tolist(), values, strict=True))
                wanted = sorted(set(rng.sample(range(leaf.doc_count_all()), 60)) | set(ids[::7].tolist()))
                present, counts, positions = term.positions_for(wanted)
                expected = [d for d in wanted if d in every]
                want_counts, want_positions = packed_positions([every[d] for d in expected])
                assert present == expected
                assert counts.tolist() == want_counts.tolist() and positions.tolist() == want_positions.tolist()
                wide += int(positions.max(initial=0)) >= 1 << 16
                kept += 1
    assert kept > 20 and below > 5 and wide > 0
    entries = np.concatenate([f._entries for f in files if f is not None])
    assert set(entries["weights"].tolist()) == {0, 1}  # weights derived from the counts, and weights kept
    assert set(entries["count_width"].tolist()) == {2, 4} and set(entries["width"].tolist()) == {2, 4}


def test_phrases_read_the_kept_terms_and_match_the_positions(indexed, monkeypatch):
    searcher, texts = indexed
    reader = searcher.reader()
    used = []
    real = CommonTerm.positions_for
    monkeypatch.setattr(CommonTerm, "positions_for", lambda self, wanted: used.append(1) or real(self, wanted))
    data = ScoreData(searcher)
    all_docs = frozenset(d for d in range(searcher.doc_count_all()) if not reader.is_deleted(d))
    rng = random.Random(4)
    phrases = ["quartier habitants", "école projet", "puits lavoir", "fontaine lavoir", "roseraie tilleuls",
               "quartier champ moulin"] + [" ".join(rng.choice(COMMON) for _ in range(rng.randint(2, 3)))
                                           for _ in range(20)]
    nonempty = 0
    for text in phrases:
        _, expected = check_phrase(searcher, texts, text, all_docs, data)
        data.drop_postings()
        nonempty += bool(expected)
    assert nonempty > 10 and used


def test_ranking_reads_the_kept_terms_and_scores_as_whoosh(indexed):
    searcher, _ = indexed
    data = ScoreData(searcher)
    q = query.Or([query.Term("body", w) for w in [t.text for t in searcher.schema["body"].analyzer("quartier école")]])
    expected = [(hit.score, hit.docnum) for hit in searcher.search(q, limit=20)]
    got = topk.top_docs(searcher, q, 20, None, data)
    assert [d for _, d in got] == [d for _, d in expected]
    assert [s for s, _ in got] == pytest.approx([s for s, _ in expected], rel=1e-12)
    assert any(isinstance(b, CommonTerm) for b in data._blocks.values())


def test_a_missing_or_damaged_file_is_read_from_the_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(common_terms.CommonTermsWriter, "min_postings", LEAST)
    ix, _ = _index(tmp_path, rebuilt_segments=1, compound=False)  # the file on its own: it can be damaged
    (ctp,) = tmp_path.glob(f"*{common_terms.EXTENSION}")
    raw = ctp.read_bytes()
    with ix.searcher() as s:
        leaf = s.reader().leaf_readers()[0][0]
        assert CommonTerms.of(leaf) is not None
        ctp.write_bytes(raw[:-1])  # truncated: its footer no longer reads
        assert CommonTerms.of(leaf) is None
        ctp.write_bytes(raw[:-8] + b"XXXXXXXX")  # another magic
        assert CommonTerms.of(leaf) is None
        directory, count, _ = common_terms._FOOTER.unpack(raw[-common_terms._FOOTER.size:])
        entries = np.frombuffer(raw, dtype=common_terms._ENTRY, count=count, offset=directory).copy()
        entries["offset"][-1] += 1  # its last term would run into the directory
        ctp.write_bytes(raw[:directory] + entries.tobytes() + raw[-common_terms._FOOTER.size:])
        assert CommonTerms.of(leaf) is None
        ctp.unlink()
        assert CommonTerms.of(leaf) is None
        data = ScoreData(s)
        words = [t.text for t in s.schema["body"].analyzer("quartier habitants")]
        all_docs = frozenset(range(s.doc_count_all()))
        assert matching_docs(s, query.Phrase("body", words), all_docs, data)
        assert all(isinstance(b, TermBlocks) for b in data._blocks.values() if b is not None)


def test_the_api_answers_alike_with_the_file_read_or_ignored(tmp_path, monkeypatch):
    """Through the app's own client on an index the engine rebuilt: phrases, words and exclusions give the same
    totals, facet counts, documents, order and scores whether the common terms are read or their blocks are."""
    from conftest import fast_settings

    from crpv_watch.search.evaluation import demo_documents
    from crpv_watch.search.types import SearchRequest
    from crpv_watch.services import Services
    from crpv_watch.web.app import create_app

    monkeypatch.setattr(common_terms.CommonTermsWriter, "min_postings", 10)  # 74 demo documents
    settings = fast_settings(tmp_path)
    services = Services(settings)
    try:
        services.engine.rebuild(demo_documents())  # in this process (a list, not parts): the threshold holds
        client = create_app(settings, services).test_client()
        read = []
        real_term = CommonTerms.term
        monkeypatch.setattr(CommonTerms, "term", lambda self, start: read.append(real_term(self, start)) or read[-1])
        queries = ['"quartiers prioritaires"', '"projet de ville"', '"habitants du quartier"', "quartier habitants",
                   "projet -contrat", '"action sociale" OU accompagnement', "title:quartier"]

        def answers():
            out = []
            for q in queries:
                services.engine._score_data(services.engine._current()).drop_postings()
                answer = client.get("/api/search", query_string={"q": q}).get_json()
                scores = [h.score for h in services.engine.search(SearchRequest(q=q)).results]  # not in the JSON
                out.append((answer, scores))
            return out

        with_file = answers()
        assert any(isinstance(t, CommonTerm) for t in read)
        monkeypatch.setattr(CommonTerms, "of", classmethod(lambda cls, leaf: None))
        services.engine._scores = None  # a new per-generation cache, which looks for the file again
        read.clear()
        from_blocks = answers()
        assert not read
        assert sum(answer["total"] for answer, _ in with_file) > 20
        assert with_file == from_blocks
    finally:
        services.close()
