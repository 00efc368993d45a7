"""Editors and the tagger through the app: « À qualifier » shown as such and queued, least confident first; a
confirmation or a correction kept as a labelled example; the tagging page (rules only, said so) and the admins'
« Réentraîner » button queuing a request the worker claims; a source's sections in the form, saved to
sources.yaml, and shown by the Tester."""

from __future__ import annotations

import re
from html import unescape

import pytest
from editors_support import ADMIN, EDITOR, CentreSite, add_document, login, make_app, make_services, post
from sqlalchemy import select

from crpv_watch.indexing import requests as crawl_requests
from crpv_watch.items import Tags, ThemeDecision
from crpv_watch.sources.load import load_sources
from crpv_watch.store.ingest import retag
from crpv_watch.store.models import Document, TagExample


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "sure", "Jardins partagés en pied d'immeuble", themes=[("jeunesse", 4.0)])
    add_document(svc, "weak", "Une réunion de quartier", themes=[("participation_habitants", 1.2)])
    add_document(svc, "unsettled", "Page sans genre", themes=[("participation_habitants", 3.0)])
    add_document(svc, "bare", "Sans thème", themes=[])
    with svc.db.session() as session:
        session.get(Document, "unsettled").doctype = "a_qualifier"
        session.get(Document, "unsettled").doctype_explanation = [
            {"signal": "indices de genre insuffisants", "field": "fallback", "count": 0, "score": 0.4}]
        session.get(Document, "weak").doctype_explanation = [{"signal": "score", "field": "score", "count": 0,
                                                              "score": 3.0}]
    yield svc
    svc.close()


def client_for(svc, who=EDITOR):
    client = make_app(svc).test_client()
    login(client, *who)
    return client


def test_a_qualifier_is_shown_as_such_and_queued_least_confident_first(svc):
    client = client_for(svc)
    html = unescape(client.get("/editeurs/documents/a-revoir").get_data(as_text=True))
    assert "Page sans genre" in html and "type à qualifier" in html and "Qualifier" in html
    assert "Jardins partagés en pied d'immeuble" not in html  # confident: not queued
    order = [html.index(t) for t in ("Page sans genre", "Sans thème", "Une réunion de quartier")]
    assert order == sorted(order[:2]) + [order[2]] and max(order[:2]) < order[2]  # 0 % before 55 %
    assert "règles seules" in html
    public = unescape(client.get("/documents/unsettled").get_data(as_text=True))
    assert "À qualifier" in public and "(défaut)" not in public


def test_a_model_guess_is_queued_and_a_sure_model_type_is_not(svc):
    """The learned model names a type for nearly every text the rules leave open: a guess at 20 % must still reach
    an editor, through the type confidence the store keeps beside the type."""
    add_document(svc, "guess", "Une page que le modèle devine", themes=[("jeunesse", 4.0)])
    add_document(svc, "known", "Une page que le modèle reconnaît", themes=[("jeunesse", 4.0)])
    with svc.db.session() as session:
        for doc_id, probability in (("guess", 0.2), ("known", 0.9)):
            doc = session.get(Document, doc_id)
            retag(session, doc, Tags(themes=[ThemeDecision("jeunesse", 4.0)], doctype="guide_outil",
                                     doctype_explanation=[{"signal": "modèle appris", "field": "model", "count": 1,
                                                           "score": probability}]))
    with svc.db.session() as session:
        assert session.get(Document, "guess").type_confidence == pytest.approx(0.2)
    html = unescape(client_for(svc).get("/editeurs/documents/a-revoir").get_data(as_text=True))
    assert "Une page que le modèle devine" in html and "type incertain (20 %)" in html
    assert "Une page que le modèle reconnaît" not in html


def test_confirming_a_document_keeps_a_labelled_example(svc):
    client = client_for(svc)
    assert post(client, "/editeurs/documents/weak/verifie").status_code == 302
    assert post(client, "/editeurs/documents/unsettled/verifie").status_code == 302  # no type: no example
    with svc.db.session() as session:
        rows = session.scalars(select(TagExample)).all()
        assert [(r.document_id, r.origin, r.doctype, r.themes) for r in rows] == [
            ("weak", "review", "fiche_experience", ["participation_habitants"])]


def test_tagging_page_and_the_admins_retrain_button(svc):
    editor = client_for(svc)
    html = unescape(editor.get("/editeurs/etiquetage/").get_data(as_text=True))
    assert "Règles seules" in html and "Aucun modèle appris" in html and "Réentraîner" not in html
    assert post(editor, "/editeurs/etiquetage/entrainer").status_code == 403
    admin = client_for(svc, ADMIN)
    html = unescape(admin.get("/editeurs/etiquetage/").get_data(as_text=True))
    assert "Réentraîner le modèle" in html
    assert post(admin, "/editeurs/etiquetage/entrainer", page="/editeurs/etiquetage/").status_code == 302
    [request] = crawl_requests.pending(svc, crawl_requests.TRAIN)
    assert request["user"] == ADMIN[0]
    html = unescape(admin.get("/editeurs/etiquetage/").get_data(as_text=True))
    assert "en attente ou en cours" in html and 'http-equiv="refresh"' in html


def test_sections_in_the_source_form_and_the_tester(svc):
    site = CentreSite().start()
    try:
        site.add("agenda-forum", "Forum des associations")
        sources = svc.settings.sources_path
        sources.write_text(site.sources_yaml("centre-demo"), encoding="utf-8")
        svc.reload_sources()
        client = client_for(svc, ADMIN)
        page = "/editeurs/sources/centre-demo/modifier"
        html = client.get(page).get_data(as_text=True)
        assert "Rubriques du site" in html
        stamp = re.search(r'name="stamp" type="hidden" value="([^"]*)"', html).group(1)
        form = {"id": "centre-demo", "name": "Centre de démonstration", "homepage": f"{site.base}/", "region": "84",
                "feeds": f"{site.base}/feed/", "schedule": "daily", "enabled": "y", "private_hosts": "127.0.0.1",
                "stamp": stamp}
        bad = post(client, page, {**form, "sections": "url /doc/ = agenda_evenemnt", "save": "1"}, page=page)
        assert "identifiant inconnu agenda_evenemnt" in unescape(bad.get_data(as_text=True))
        tested = post(client, page, {**form, "sections": "url /doc/ = agenda_evenement, vie_associative",
                                     "test": "1"}, page=page)
        html = unescape(tested.get_data(as_text=True))
        assert "Ce que donne chaque rubrique" in html and "rubrique (adresse) « /doc/ »" in html
        assert "type Agenda" in html and "Forum des associations" in html
        saved = post(client, page, {**form, "sections": "url /doc/ = agenda_evenement, vie_associative",
                                    "save": "1"}, page=page)
        assert saved.status_code == 302, unescape(saved.get_data(as_text=True))[:2000]
        [source] = load_sources(sources)
        assert source.sections == [{"url_prefix": "/doc/", "type": "agenda_evenement", "themes": ["vie_associative"]}]
        assert "sections:" in sources.read_text(encoding="utf-8")
    finally:
        site.stop()


def test_the_type_confidence_migration_backfills_as_the_store_computes():
    # Revision 0011 carries a frozen copy of the function: today both must agree on every kind of explanation.
    import importlib.util
    from pathlib import Path

    import crpv_watch
    from crpv_watch.store.confidence import type_confidence_of

    path = next((Path(crpv_watch.__file__).parent / "store" / "migrations" / "versions").glob("0011_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    cases = [("a_qualifier", None), ("guide_methodologique", [{"field": "model", "score": 0.2}]),
             ("etude_rapport", [{"field": "title"}, {"field": "score", "score": 1.2}]),
             ("actualite", [{"field": "score", "score": 0}]), ("actualite", None), ("actualite", ["x"])]
    for doctype, explanation in cases:
        assert revision.type_confidence_of(doctype, explanation) == type_confidence_of(doctype, explanation)
