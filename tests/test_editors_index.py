"""/editeurs/index: the search index's state and « Reconstruire l'index », admins only. The web only queues a
request; the writing process's upkeep handler (called directly here) rebuilds and records the progress."""

from __future__ import annotations

import pytest
from editors_support import ADMIN, EDITOR, add_document, login, make_app, make_services, post

from crpv_watch.indexing import rebuild as index_rebuild
from crpv_watch.indexing import requests as crawl_requests
from crpv_watch.search.types import SearchRequest
from crpv_watch.store import audit, repo

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

PAGE = "/editeurs/index/"
ACTION = "/editeurs/index/reconstruire"


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    for n in range(3):
        add_document(svc, f"doc{n}", title=f"Document {n}")
    add_document(svc, "hidden", title="Retiré", status="hidden")
    yield svc
    svc.close()


@pytest.fixture
def app(svc):
    return make_app(svc)


@pytest.fixture
def admin(app):
    client = app.test_client()
    login(client, *ADMIN)
    return client


def test_admins_see_the_index_state(admin, svc):
    resp = admin.get(PAGE)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1>Index de recherche</h1>" in html
    assert "Documents consultables dans la base" in html and "Reconstruire l'index" in html
    assert 'aria-live="polite"' in html
    assert str(svc.engine.generation_dir) in html
    assert 'http-equiv="refresh"' not in html  # nothing runs: no reload
    assert f'href="{PAGE}" aria-current="page">Index</a>' in html


def test_editors_get_403_and_anonymous_visitors_sign_in(app):
    anonymous = app.test_client()
    resp = anonymous.get(PAGE)
    assert resp.status_code == 302 and "/connexion" in resp.headers["Location"]
    editor = app.test_client()
    login(editor, *EDITOR)
    assert editor.get(PAGE).status_code == 403
    assert post(editor, ACTION).status_code == 403
    assert "/editeurs/index/" not in editor.get("/editeurs/").get_data(as_text=True)  # no link either


def test_posting_without_the_csrf_token_is_refused(admin, svc):
    assert admin.post(ACTION).status_code == 400
    assert crawl_requests.pending(svc, crawl_requests.REBUILD) == []


def test_a_rebuild_asked_in_the_web_is_run_by_the_writer(admin, svc):
    with svc.db.session() as session:
        searchable = repo.count_searchable(session)
    assert searchable == 3

    resp = post(admin, ACTION, page=PAGE)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(PAGE)
    [request] = crawl_requests.pending(svc, crawl_requests.REBUILD)
    assert request["user"] == ADMIN[0]
    assert crawl_requests.pending(svc) == []  # not mistaken for a crawl request
    html = admin.get(PAGE).get_data(as_text=True)
    assert "en attente de démarrage" in html and 'http-equiv="refresh"' in html
    assert 'disabled aria-describedby="rebuild-busy">Reconstruire l\'index</button>' in html  # asked already

    # The writing process's upkeep handler, called directly (no scheduler, no timers).
    assert index_rebuild.handle_requests(svc) == searchable
    assert crawl_requests.pending(svc, crawl_requests.REBUILD) == []
    record = index_rebuild.read_progress(svc)  # in the database: web nodes on other machines read it too
    assert record["status"] == "completed"
    assert record["done"] == record["total"] == searchable
    assert record["started"] and record["finished"] and record["error"] is None
    assert record["user"] == ADMIN[0] and record["origin"] == "web"
    assert svc.engine.count() == searchable

    html = admin.get(PAGE).get_data(as_text=True)
    assert "Dernière reconstruction" in html and "terminée" in html
    assert f'value="{searchable}"' in html and f"{searchable} / {searchable} documents" in html
    assert 'http-equiv="refresh"' not in html

    with svc.db.session() as session:
        [entry] = audit.entries(session, action="index.rebuild")
        assert entry.user_email == ADMIN[0] and entry.after["searchable"] == searchable


def test_the_page_reloads_itself_while_a_rebuild_runs(admin, svc):
    import os
    import socket

    index_rebuild.write_progress(svc, {"status": "running", "done": 200, "total": 500,
                                                "started": "2026-01-05T10:00:00", "finished": None, "error": None,
                                                "user": "ops", "origin": "cli", "pid": os.getpid(),
                                                "host": socket.gethostname()})
    html = admin.get(PAGE).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "Reconstruction en cours" in html and 'value="200"' in html and "ligne de commande" in html
    # A request while one runs elsewhere waits for it instead of failing.
    crawl_requests.request_rebuild(svc, ADMIN[0])
    assert index_rebuild.handle_requests(svc) is None
    assert len(crawl_requests.pending(svc, crawl_requests.REBUILD)) == 1


def test_a_rebuild_whose_process_died_reads_as_interrupted(admin, svc):
    import socket

    index_rebuild.write_progress(svc, {"status": "running", "done": 1, "total": 3, "started": None,
                                                "finished": None, "error": None, "user": "", "origin": "cli",
                                                "pid": 2**22 + 12345, "host": socket.gethostname()})
    assert index_rebuild.read_progress(svc)["status"] == "interrupted"
    html = admin.get(PAGE).get_data(as_text=True)
    assert "interrompue" in html and 'http-equiv="refresh"' not in html


def rebuild_from_cli(svc) -> dict:
    """``crpv-watch index rebuild`` on ``svc``'s data; its progress record, checked complete."""
    from click.testing import CliRunner

    from crpv_watch.cli import main

    settings = svc.settings
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "--sources",
                                       str(settings.sources_path), "index", "rebuild"],
                                env={"CRPV_WATCH_INDEX_DIR": str(settings.index_dir),
                                     "CRPV_WATCH_SECRET_KEY": "test-secret"})
    assert result.exit_code == 0, result.output
    assert "Index reconstruit : 3 documents" in result.output
    record = index_rebuild.read_progress(svc)
    assert record["status"] == "completed" and record["done"] == record["total"] == 3
    return record


def test_the_cli_rebuild_writes_the_same_record(svc):
    record = rebuild_from_cli(svc)
    assert record["origin"] == "cli"


def test_the_cli_rebuild_runs_on_several_processes(svc, monkeypatch):
    """The command as an editor runs it, through the parallel path (workers spawned from the CLI process, each
    reading its own range of the store): same documents, one segment per worker, the progress record complete."""
    from crpv_watch.search import parallel, segments

    monkeypatch.setattr(segments, "PARALLEL_MIN_DOCS", 2)
    monkeypatch.setattr(parallel, "default_procs", lambda: 2)
    before = sorted(h.id for h in svc.engine.search(SearchRequest(q="", per_page=50)).results)
    rebuild_from_cli(svc)
    svc.engine.refresh()
    with svc.engine._read_lock:
        sizes = [leaf.doc_count_all() for leaf, _ in svc.engine._current().reader().leaf_readers()]
    assert sorted(sizes) == [1, 2], "two workers, each its own segment"
    assert sorted(h.id for h in svc.engine.search(SearchRequest(q="", per_page=50)).results) == before
