"""Curation: hide / unhide, « À la une », merge, the review queue; every action audited and carried to the index
by the index writer."""

from __future__ import annotations

from html import unescape

import pytest
from editors_support import EDITOR, add_document, login, make_app, make_services, post

from crpv_watch.indexing.writer import Indexer
from crpv_watch.search.types import SearchRequest
from crpv_watch.store.models import AuditLog, Document, IndexQueue, Place

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "doc1", "Jardins partagés en pied d'immeuble", themes=[("jeunesse", 4.0)])
    add_document(svc, "doc2", "Jardins partagés (copie)", themes=[("jeunesse", 2.0)])
    add_document(svc, "doc3", "Sans thème", themes=[])
    yield svc
    svc.close()


@pytest.fixture
def client(svc):
    client = make_app(svc).test_client()
    login(client, *EDITOR)
    return client


def ids(svc, q="") -> set[str]:
    return {h.id for h in svc.engine.search(SearchRequest(q=q, per_page=50)).results}


def test_hide_leaves_search_after_the_writer_drains_then_unhide(client, svc):
    assert "doc1" in ids(svc)
    resp = post(client, "/editeurs/documents/doc1/masquer")
    assert resp.status_code == 302
    with svc.db.session() as session:
        assert session.get(Document, "doc1").status == "hidden"
        assert session.query(IndexQueue).filter_by(document_id="doc1").count() == 1
    assert "doc1" in ids(svc)  # the web does not write the index…
    Indexer(svc).drain()  # …the writer does
    assert "doc1" not in ids(svc)
    assert client.get("/documents/doc1").status_code == 404
    html = unescape(client.get("/editeurs/documents/doc1").get_data(as_text=True))
    assert "Masqué" in html and "Afficher de nouveau" in html
    post(client, "/editeurs/documents/doc1/afficher")
    Indexer(svc).drain()
    assert "doc1" in ids(svc)
    with svc.db.session() as session:
        log = session.query(AuditLog).filter(AuditLog.target == "doc1").order_by(AuditLog.id).all()
        assert [e.action for e in log] == ["document.hide", "document.unhide"]
        assert log[0].user_email == EDITOR[0]
        assert log[0].before["status"] == "active" and log[0].after["status"] == "hidden"


def test_hide_twice_is_a_conflict(client):
    post(client, "/editeurs/documents/doc1/masquer")
    assert post(client, "/editeurs/documents/doc1/masquer").status_code == 409


def test_featured_list(client, svc):
    post(client, "/editeurs/documents/doc1/une", {"value": "1"})
    html = unescape(client.get("/editeurs/documents/a-la-une").get_data(as_text=True))
    assert "Jardins partagés en pied d'immeuble" in html
    with svc.db.session() as session:
        assert session.get(Document, "doc1").featured
    # hiding a featured document takes it out of the digest too
    post(client, "/editeurs/documents/doc1/masquer")
    with svc.db.session() as session:
        assert not session.get(Document, "doc1").featured
    assert "Jardins partagés en pied" not in unescape(client.get("/editeurs/documents/a-la-une").get_data(as_text=True))


def test_merge_moves_places_and_hides_the_duplicate(client, svc):
    resp = post(client, "/editeurs/documents/doc1/fusionner", {"other": "http://127.0.0.1:9/doc/doc2"},
                page="/editeurs/documents/doc1")
    assert resp.status_code == 302
    Indexer(svc).drain()
    with svc.db.session() as session:
        keep, dup = session.get(Document, "doc1"), session.get(Document, "doc2")
        assert sorted(p.url for p in keep.places) == ["http://127.0.0.1:9/doc/doc1", "http://127.0.0.1:9/doc/doc2"]
        assert dup.status == "hidden" and dup.meta["merged_into"] == "doc1" and not dup.places
        assert session.query(Place).filter_by(url="http://127.0.0.1:9/doc/doc2").one().document_id == "doc1"
        assert session.query(AuditLog).filter_by(action="document.merge", target="doc1").count() == 1
    assert "doc2" not in ids(svc)
    html = unescape(client.get("/editeurs/documents/doc1").get_data(as_text=True))
    assert "Trouvé à ces adresses (2)" in html
    # a merged duplicate cannot be shown again by mistake, nor merged twice
    assert post(client, "/editeurs/documents/doc2/afficher").status_code == 409
    resp = post(client, "/editeurs/documents/doc3/fusionner", {"other": "doc2"}, page="/editeurs/documents/doc3")
    assert resp.status_code == 400 and "déjà été fusionné" in unescape(resp.get_data(as_text=True))


def test_merge_errors_are_shown_next_to_the_field(client):
    for other, message in (("inconnu", "Aucun document"), ("doc1", "lui-même"), ("", "Saisissez")):
        resp = post(client, "/editeurs/documents/doc1/fusionner", {"other": other}, page="/editeurs/documents/doc1")
        html = unescape(resp.get_data(as_text=True))
        assert resp.status_code == 400 and message in html
        assert 'id="other-error"' in html and 'aria-invalid="true"' in html


def test_review_queue_lists_uncertain_documents_until_reviewed(client):
    html = unescape(client.get("/editeurs/documents/a-revoir").get_data(as_text=True))
    assert "Sans thème" in html and "aucun thème" in html
    assert "Jardins partagés (copie)" in html and "score faible" in html
    assert "pied d'immeuble" not in html  # confident tagging
    post(client, "/editeurs/documents/doc3/verifie")
    html = unescape(client.get("/editeurs/documents/a-revoir").get_data(as_text=True))
    assert "Sans thème" not in html


def test_document_page_explains_tags_and_places(client):
    html = unescape(client.get("/editeurs/documents/doc1").get_data(as_text=True))
    assert "Jeunesse" in html or "jeunesse" in html
    assert "« mot-clé » dans titre" in html
    assert "http://127.0.0.1:9/doc/doc1" in html


def test_lists_filter_by_status(client):
    post(client, "/editeurs/documents/doc3/masquer")
    html = unescape(client.get("/editeurs/documents/?statut=hidden").get_data(as_text=True))
    assert "Sans thème" in html and "Jardins" not in html
    assert client.get("/editeurs/documents/inconnu").status_code == 404
    assert client.get("/editeurs/documents/..%2Fetc").status_code == 404
