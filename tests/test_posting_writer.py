"""The rebuild's posting writer (search/posting_writer.py), its pool taking a document's postings at once
(search/posting_pool.py ``add_many``) and the analyzer's grouped positions (text/analysis.py
``positions_by_word``) write the same segment, byte for byte, as Whoosh's own loops.

Two indexes of the same documents: one through ``RebuildWriter`` as the engine uses it, one with Whoosh's
``FieldWriter.add_postings`` and ``Positions.word_values`` (a token at a time) put back. Every file of the segment
(terms, postings, lengths, stored fields, columns) must be equal; the file names carry a random segment id, so
they are compared by what follows it. Small blocks (``blocklimit``) put many block boundaries inside the terms.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from whoosh import index
from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import W3Codec
from whoosh.formats import Positions
from whoosh.writing import SegmentWriter

from crpv_watch.items import IndexDocument
from crpv_watch.search import evaluation, generations
from crpv_watch.search import posting_writer as pw
from crpv_watch.search.positions import PackedPositions
from crpv_watch.search.posting_pool import MarshalPostingPool
from crpv_watch.search.schema import build_schema
from crpv_watch.search.synonyms import Synonyms
from crpv_watch.text.analysis import FrenchAnalyzer


class WhooshLoopWriter(generations.RebuildWriter):
    """``RebuildWriter`` with Whoosh's per-posting ``add_document`` (one pool call a posting) and
    ``add_postings``."""

    add_document = SegmentWriter.add_document

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = generations._Lengths(self.per_document_reader())
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        lengths.close()


def documents() -> list[IndexDocument]:
    docs = evaluation.demo_documents(Synonyms.from_themes_file())
    # A long document (positions past 65,535: the wide encoding) and one with hyphens, « été » and elisions.
    docs.append(IndexDocument(id="long", url="https://x.example/long", title="Rapport long",
                              text=" ".join(f"mot{i % 5000} quartier" for i in range(40_000)),
                              published=dt.date(2024, 1, 2)))
    docs.append(IndexDocument(id="tricky", url="https://x.example/t", title="L'été au tiers-lieu",
                              text="Il a été au tiers-lieu d'Aujourd’hui ; bien-être à Saint-Denis-de-la-Réunion. " * 30))
    return docs


def build(path: Path, docs, writer_class, blocklimit: int, limitmb: int = 128) -> dict[str, bytes]:
    path.mkdir()
    ix = index.create_in(str(path), build_schema())
    writer = writer_class(ix, codec=W3Codec(blocklimit=blocklimit), compound=False,  # one file per part
                          limitmb=limitmb)
    generations.add_documents(writer, docs)
    writer.commit()
    segment = {s.segment_id() for s in ix._segments()}
    assert len(segment) == 1, "one fill, one segment"
    prefix = segment.pop()
    return {f.name.removeprefix(prefix): f.read_bytes() for f in path.iterdir() if f.name.startswith(prefix)}


@pytest.mark.parametrize(("blocklimit", "limitmb"), [(128, 128), (3, 128), (128, 1)])
def test_the_segment_is_the_same_byte_for_byte(tmp_path, monkeypatch, blocklimit, limitmb):
    """``limitmb=1``: the pool writes sorted runs to disk and merges them, cut at other places on each side
    (after a whole document when gathered, mid-document otherwise)."""
    docs = documents()
    ours = build(tmp_path / "ours", docs, generations.RebuildWriter, blocklimit, limitmb)
    monkeypatch.setattr(PackedPositions, "word_values", Positions.word_values)
    whoosh = build(tmp_path / "whoosh", docs, WhooshLoopWriter, blocklimit, limitmb)
    # The rebuild also writes its common terms uncompressed (search/common_terms.py, tests/test_common_terms.py).
    assert ours.pop(".ctp", None) is not None
    assert set(ours) == set(whoosh) and {".pst", ".trm"} <= set(ours)
    for part in ours:
        assert ours[part] == whoosh[part], f"the {part} file differs"


def test_the_fast_path_is_the_one_that_ran(tmp_path, monkeypatch):
    """The comparison above would pass trivially if the rebuild still went through Whoosh's loops."""
    calls = []
    real = pw._add_term_postings
    monkeypatch.setattr(pw, "_add_term_postings", lambda *a: (calls.append(1), real(*a)))
    grouped = []
    real_positions = FrenchAnalyzer.positions_by_word

    def positions_by_word(self, value):
        grouped.append(value)
        return real_positions(self, value)

    monkeypatch.setattr(FrenchAnalyzer, "positions_by_word", positions_by_word)
    gathered = []
    real_many = MarshalPostingPool.add_many
    monkeypatch.setattr(MarshalPostingPool, "add_many", lambda self, items: (gathered.append(len(items)),
                                                                            real_many(self, items)))
    build(tmp_path / "ix", documents()[:5], generations.RebuildWriter, 128)
    assert calls and grouped and len(gathered) == 5 and min(gathered) > 10


def test_postings_out_of_order_are_refused(tmp_path):
    path = tmp_path / "ix"
    path.mkdir()
    ix = index.create_in(str(path), build_schema())
    writer = generations.RebuildWriter(ix)
    items = [("body", b"b", 0, 1.0, b""), ("body", b"a", 1, 1.0, b"")]
    with pytest.raises(OutOfOrderError):
        pw.write_postings(writer.fieldwriter, ix.schema, None, iter(items))
    writer.cancel()
