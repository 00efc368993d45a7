"""More-like-this ranks by arrays (``topk.top_docs``) and gives Whoosh's own answer: same documents, same order,
same scores as ``searcher.search`` with the document masked, on the demo network's documents in two segments
(one with deletions: documents indexed again)."""

from __future__ import annotations

import pytest

from crpv_watch.search import engine as engine_module
from crpv_watch.search.engine import SearchEngine
from crpv_watch.search.evaluation import demo_documents


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    docs = demo_documents()
    texts = {d.id: d.text for d in docs}
    engine = SearchEngine(tmp_path_factory.mktemp("mlt") / "index",
                          text_for=lambda ids: {i: texts[i] for i in ids if i in texts})
    engine.rebuild(docs)
    engine.index(docs[::7])  # a second segment; the first keeps deleted versions of these
    yield engine, [d.id for d in docs]
    engine.close()


def test_more_like_this_is_whooshs_ranking(demo_engine, monkeypatch):
    engine, ids = demo_engine
    calls = []
    real = engine_module.top_docs
    monkeypatch.setattr(engine_module, "top_docs", lambda *a: calls.append(1) or real(*a))
    chosen = ids[::5]
    fast = {i: [(h.id, h.score) for h in engine.more_like_this(i, limit=5)] for i in chosen}
    assert len(calls) == len(chosen)
    monkeypatch.setattr(engine_module, "top_docs", lambda *a: None)  # Whoosh's collector, the document masked
    whoosh = {i: [(h.id, h.score) for h in engine.more_like_this(i, limit=5)] for i in chosen}
    assert sum(len(v) for v in whoosh.values()) > 3 * len(chosen)
    for doc_id in chosen:
        assert [h for h, _ in fast[doc_id]] == [h for h, _ in whoosh[doc_id]], doc_id
        assert [s for _, s in fast[doc_id]] == pytest.approx([s for _, s in whoosh[doc_id]], rel=1e-12)
        assert doc_id not in [h for h, _ in fast[doc_id]]
