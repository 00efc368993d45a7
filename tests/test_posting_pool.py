"""The rebuild's posting pool (runs written with marshal) gives the segment Whoosh's own pool gives.

A tiny memory limit forces the pool to write many runs and merge them, the path a big rebuild takes; the index
written through ``RebuildWriter`` must then hold exactly the terms, postings, weights, positions and lengths of
one written through Whoosh's ``SegmentWriter`` with the same limit.
"""

from __future__ import annotations

import dataclasses

from whoosh.writing import SegmentWriter

from crpv_watch.search import evaluation
from crpv_watch.search import generations as gens
from crpv_watch.search.posting_pool import CHUNK, MarshalPostingPool
from crpv_watch.search.schema import build_schema, to_fields
from crpv_watch.search.synonyms import Synonyms


def _documents():
    return evaluation.demo_documents(Synonyms.from_themes_file())


def _write(path, writer_class, docs, runs_seen):
    path.mkdir()
    ix = gens.storage(path).create_index(build_schema())
    writer = writer_class(ix, limitmb=1)
    save = writer.pool.save

    def counting_save():
        save()
        runs_seen.append(len(writer.pool.runs))

    writer.pool.save = counting_save
    for doc in docs:
        writer.add_document(**to_fields(doc))
    writer.commit()
    return gens.storage(path).open_index()


def _contents(ix):
    with ix.reader() as reader:
        postings = {}
        for fieldname, text in reader.all_terms():
            m = reader.postings(fieldname, text)
            rows = []
            while m.is_active():
                rows.append((m.id(), m.weight(), m.value()))
                m.next()
            postings[(fieldname, text)] = rows
        lengths = {(d, f): reader.doc_field_length(d, f) for d in range(reader.doc_count_all())
                   for f in ("title", "summary", "body")}
        return postings, lengths, [reader.stored_fields(d)["id"] for d in range(reader.doc_count_all())]


def test_rebuild_pool_writes_the_segment_whooshs_pool_writes(tmp_path):
    docs = _documents() * 6  # enough postings for several runs at 1 MB
    for n, doc in enumerate(docs):  # distinct ids: the index takes them as they come
        docs[n] = dataclasses.replace(doc, id=f"{doc.id}-{n}")
    ours_runs, whoosh_runs = [], []
    ours = _contents(_write(tmp_path / "ours", gens.RebuildWriter, docs, ours_runs))
    theirs = _contents(_write(tmp_path / "whoosh", SegmentWriter, docs, whoosh_runs))
    assert max(ours_runs) >= 3, "the limit must force several runs, or the merge path is not tested"
    assert ours_runs == whoosh_runs
    assert ours[2] == theirs[2]
    assert ours[1] == theirs[1]
    assert ours[0].keys() == theirs[0].keys()
    assert ours[0] == theirs[0]


def test_runs_are_read_back_in_chunks_in_order(tmp_path):
    from whoosh.filedb.filestore import FileStorage

    pool = MarshalPostingPool(FileStorage(str(tmp_path)), segment=None, limitmb=1)
    items = [("body", f"mot{n:06d}".encode(), n % 7, 1.0 + n % 3, bytes([n % 256]) if n % 5 else None)
             for n in range(CHUNK * 2 + 17)]
    path, f = pool._new_run()
    pool._write_run(f, iter(items))  # a generator, as the merge of runs gives it
    assert list(pool._read_run(path)) == items
    assert not (tmp_path / path).exists(), "a run is removed once read"
