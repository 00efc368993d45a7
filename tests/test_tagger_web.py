"""The document page explains each theme, and editors correct themes and type through a CSRF-protected form."""

from __future__ import annotations

import re
from html import unescape

import pytest
from conftest import fast_settings
from sqlalchemy import select

from crpv_watch.items import ExtractedDocument, FetchResult
from crpv_watch.services import Services
from crpv_watch.store import repo, users
from crpv_watch.store.ingest import SourceRef, ingest
from crpv_watch.store.models import AuditLog, TagOverride
from crpv_watch.tagging.tagger import Tagger

EDITOR = ("editrice@example.org", "mot-de-passe-editrice")
URL = "https://centre.example.org/ressources/jardin"


@pytest.fixture
def services(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    svc = Services(fast_settings(tmp_path, sources_path=sources))
    extracted = ExtractedDocument(
        url=URL, canonical_url=URL, title="Un jardin partagé au Val Fourré à Mantes-la-Jolie",
        text="Le conseil citoyen et les habitants ont créé un jardin partagé en Seine-Saint-Denis (93). "
             "La participation des habitants a permis de végétaliser la cité.")
    with svc.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
        ingest(session, source=SourceRef("centre-test"), url=URL,
               fetch=FetchResult(url=URL, final_url=URL, status=200, body=b"x"), extracted=extracted,
               tags=Tagger(svc.vocabulary).tag(extracted), first_crawl=False)
    yield svc
    svc.close()


def doc_id() -> str:
    return repo.document_id_for(URL)


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def login(client) -> None:
    html = client.get("/connexion").get_data(as_text=True)
    resp = client.post("/connexion", data={"email": EDITOR[0], "password": EDITOR[1], "csrf_token": token(html)})
    assert resp.status_code == 302


def test_everyone_sees_territories_but_only_editors_see_why_and_the_form(client):
    html = unescape(client.get(f"/documents/{doc_id()}").get_data(as_text=True))
    assert "Pourquoi ce thème ?" not in html and "Pourquoi ce type ?" not in html  # the tagger's inner workings
    assert "Seine-Saint-Denis (93)" in html and "Yvelines (78)" in html
    assert "Val Fourré (QN07801M)" in html
    assert "Corriger les thèmes" not in html
    login(client)
    html = unescape(client.get(f"/documents/{doc_id()}").get_data(as_text=True))
    assert "Pourquoi ce thème ?" in html and "« conseils citoyens »" in html
    assert "Pourquoi ce type ?" in html


def test_anonymous_post_is_redirected_to_login(client, services):
    # A valid CSRF token (from the sign-in page) so that the sign-in guard, not CSRF, is what answers.
    csrf = token(client.get("/connexion").get_data(as_text=True))
    resp = client.post(f"/documents/{doc_id()}/themes", data={"themes": ["sport"], "csrf_token": csrf})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/connexion?next=")
    with services.db.session() as session:
        assert session.scalars(select(TagOverride)).all() == []


def test_editor_corrects_themes_and_type(client, services):
    login(client)
    page = client.get(f"/documents/{doc_id()}").get_data(as_text=True)
    assert "Corriger les thèmes" in page
    checked = set(re.findall(r'<input checked id="themes-\d+" name="themes" type="checkbox" value="([a-z_]+)">',
                             page))
    assert "participation_habitants" in checked
    wanted = (checked - {"participation_habitants"}) | {"sport"}
    no_token = client.post(f"/documents/{doc_id()}/themes",
                           data={"themes": sorted(wanted), "doctype": "guide_methodologique"})
    assert no_token.status_code == 400
    resp = client.post(f"/documents/{doc_id()}/themes",
                       data={"themes": sorted(wanted), "doctype": "guide_methodologique", "csrf_token": token(page)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/documents/{doc_id()}")
    with services.db.session() as session:
        doc = repo.get_document(session, doc_id())
        assert {t.theme_id for t in doc.themes} == wanted and doc.doctype == "guide_methodologique"
        rows = session.scalars(select(TagOverride)).all()
        assert {(r.action, r.value, r.user_email) for r in rows} == {
            ("add_theme", "sport", EDITOR[0]), ("remove_theme", "participation_habitants", EDITOR[0]),
            ("set_type", "guide_methodologique", EDITOR[0])}
        assert session.scalars(select(AuditLog)).one().user_email == EDITOR[0]
    html = unescape(client.get(f"/documents/{doc_id()}").get_data(as_text=True))
    assert "Thème ajouté par un éditeur." in html and "Guide méthodologique" in html
