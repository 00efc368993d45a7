"""« Dossiers documentaires »: composed by an editor (CSRF-protected forms), published at a stable address, followed
by Atom, printable, kept across an index rebuild."""

from __future__ import annotations

import re
from html import unescape

import feedparser
import pytest
from editors_support import EDITOR, add_document, login, make_app, make_services, token

from crpv_watch.indexing.rebuild import rebuild_with_progress
from crpv_watch.store.models import Document

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def svc(tmp_path):
    services = make_services(tmp_path)
    add_document(services, "doc-a", title="Guide des conseils citoyens")
    add_document(services, "doc-b", title="Étude santé et quartiers")
    add_document(services, "doc-c", title="Rapport emploi des jeunes")
    yield services
    services.close()


@pytest.fixture
def editor(svc):
    client = make_app(svc).test_client()
    login(client, *EDITOR)
    return client


def create_dossier(client, title="Participation : l'essentiel", intro="Une sélection.\n\nDeuxième paragraphe."):
    page = client.get("/editeurs/dossiers/").get_data(as_text=True)
    resp = client.post("/editeurs/dossiers/", data={"csrf_token": token(page), "title": title, "intro": intro})
    assert resp.status_code == 302
    return resp.headers["Location"]


def change(client, edit_url, **data):
    page = client.get(edit_url).get_data(as_text=True)
    return client.post(edit_url + "/documents", data={"csrf_token": token(page), **data})


def publish(client, edit_url, title="Participation : l'essentiel", intro="Une sélection.\n\nDeuxième paragraphe."):
    page = client.get(edit_url).get_data(as_text=True)
    client.post(edit_url, data={"csrf_token": token(page), "title": title, "intro": intro, "published": "y"})


def public_titles(client, path="/dossiers/participation-l-essentiel") -> list[str]:
    html = client.get(path).get_data(as_text=True)
    return [unescape(t) for t in re.findall(r'<h2 class="result-title"><a [^>]*>(.*?)</a>', html)]


def test_compose_publish_print_and_follow(editor, svc):
    edit_url = create_dossier(editor)
    # From a document page: the editor's « Ajouter à un dossier » form.
    doc_page = editor.get("/documents/doc-b").get_data(as_text=True)
    assert "Ajouter à un dossier documentaire" in doc_page
    dossier_id = re.search(r'<option value="(\d+)">', doc_page).group(1)
    resp = editor.post("/editeurs/dossiers/ajouter", data={
        "csrf_token": token(doc_page), "dossier": dossier_id, "action": "add", "document": "doc-b",
        "note": f"À lire d'abord {HOSTILE}", "back": "/documents/doc-b"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/documents/doc-b")
    change(editor, edit_url, action="add", document="http://127.0.0.1:5000/documents/doc-a", note="Le guide.")
    change(editor, edit_url, action="add", document="doc-c")
    assert "introuvable" in unescape(change(editor, edit_url, action="add", document="nope").get_data(as_text=True)
                                     + editor.get(edit_url).get_data(as_text=True))

    anonymous = make_app(svc).test_client()
    assert anonymous.get("/dossiers/participation-l-essentiel").status_code == 404  # a draft is not public
    publish(editor, edit_url)
    assert public_titles(anonymous) == ["Étude santé et quartiers", "Guide des conseils citoyens",
                                        "Rapport emploi des jeunes"]
    # Reorder: the guide goes up.
    items = re.findall(r'name="item" value="(\d+)"', editor.get(edit_url).get_data(as_text=True))
    change(editor, edit_url, action="up", item=items[1])
    assert public_titles(anonymous)[:2] == ["Guide des conseils citoyens", "Étude santé et quartiers"]

    html = anonymous.get("/dossiers/participation-l-essentiel").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and HOSTILE not in html
    assert "Deuxième paragraphe." in html
    css = anonymous.get("/static/style.css").get_data(as_text=True)
    assert "@media print" in css and ".dossier-item { break-inside: avoid; }" in css
    feed = feedparser.parse(anonymous.get("/dossiers/participation-l-essentiel.atom").get_data())
    assert not feed.bozo and "Participation : l'essentiel" in feed.feed.title
    assert {e.title for e in feed.entries} == {"Guide des conseils citoyens", "Étude santé et quartiers",
                                               "Rapport emploi des jeunes"}
    assert any(HOSTILE in e.summary or "alert(1)" in e.summary for e in feed.entries if "summary" in e)
    assert "/dossiers/participation-l-essentiel" in anonymous.get("/dossiers/").get_data(as_text=True)


def test_forms_need_csrf_and_an_editor(editor, svc):
    edit_url = create_dossier(editor)
    assert editor.post(edit_url + "/documents", data={"action": "add", "document": "doc-a"}).status_code == 400
    anonymous = make_app(svc).test_client()
    resp = anonymous.post("/editeurs/dossiers/", data={"title": "x"})
    assert resp.status_code in (302, 400, 401, 403)
    assert anonymous.get("/editeurs/dossiers/").status_code in (302, 401, 403)
    assert "Ajouter à un dossier" not in anonymous.get("/documents/doc-a").get_data(as_text=True)


def test_dossier_survives_index_rebuild_and_hides_removed_documents(editor, svc):
    edit_url = create_dossier(editor)
    change(editor, edit_url, action="add", document="doc-a")
    change(editor, edit_url, action="add", document="doc-b")
    publish(editor, edit_url)
    assert rebuild_with_progress(svc) == 3
    anonymous = make_app(svc).test_client()
    assert public_titles(anonymous) == ["Guide des conseils citoyens", "Étude santé et quartiers"]
    with svc.db.session() as db:
        db.get(Document, "doc-b").status = "hidden"
    assert public_titles(anonymous) == ["Guide des conseils citoyens"]


def test_slugs_are_stable_and_unique(editor):
    first = create_dossier(editor, title="Santé")
    second = create_dossier(editor, title="Santé")
    assert first != second
    publish(editor, first, title="Santé, renommé")
    publish(editor, second, title="Santé")
    anonymous_links = editor.get("/dossiers/").get_data(as_text=True)
    assert "/dossiers/sante\"" in anonymous_links and "/dossiers/sante-2\"" in anonymous_links


def test_add_from_search_results_comes_back_to_the_same_search(editor, svc):
    edit_url = create_dossier(editor)
    search = "/?q=conseils+citoyens&sort=date"
    page = editor.get(search).get_data(as_text=True)
    # One form per result, its fields labelled and named after the result.
    assert '<label for="dossier-doc-a">Dossier</label>' in page and 'id="note-doc-a"' in page
    assert f'name="back" value="{unescape("/?q=conseils+citoyens&amp;sort=date")}#r-doc-a"' in unescape(page)
    dossier_id = re.search(r'<select id="dossier-doc-a" name="dossier">\s*<option value="(\d+)">', page).group(1)
    form = {"dossier": dossier_id, "action": "add", "document": "doc-a", "note": "Le guide de référence.",
            "back": "/?q=conseils+citoyens&sort=date#r-doc-a"}
    assert editor.post("/editeurs/dossiers/ajouter", data=form).status_code == 400  # no CSRF token
    resp = editor.post("/editeurs/dossiers/ajouter", data={"csrf_token": token(page), **form})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/?q=conseils+citoyens&sort=date#r-doc-a"
    back = unescape(editor.get(resp.headers["Location"]).get_data(as_text=True))
    # The message is at the result the editor comes back to (where the focus is), not at the top of the page.
    result = back[back.index('id="r-doc-a"'):]
    result = result[:result.index("</li>")]
    assert "Document ajouté au dossier « Participation : l'essentiel »." in result
    assert 'class="flash-messages"' not in back
    assert "Dans le dossier : « Participation : l'essentiel »" in back
    # Added again: said so, in French, and still one item.
    resp = editor.post("/editeurs/dossiers/ajouter", data={"csrf_token": token(page), **form, "note": ""})
    assert "déjà dans le dossier" in unescape(editor.get(resp.headers["Location"]).get_data(as_text=True))
    # Sent back to a result that is no longer listed (another search), the message is still shown, at the top.
    resp = editor.post("/editeurs/dossiers/ajouter", data={"csrf_token": token(page), **form, "note": "",
                                                          "back": "/?q=zzzz#r-doc-a"})
    elsewhere = unescape(editor.get(resp.headers["Location"]).get_data(as_text=True))
    assert 'class="flash-messages"' in elsewhere and "déjà dans le dossier" in elsewhere
    assert len(re.findall(r'name="item" value="(\d+)"', editor.get(edit_url).get_data(as_text=True))) == 1
    assert "Le guide de référence." in editor.get(edit_url).get_data(as_text=True)


@pytest.mark.parametrize("back", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/?q=a#javascript:x",
                                  "/editeurs/comptes"])
def test_the_return_address_stays_on_a_public_page(editor, back):
    edit_url = create_dossier(editor)
    page = editor.get("/").get_data(as_text=True)
    dossier_id = re.search(r'<option value="(\d+)">', page).group(1)
    resp = editor.post("/editeurs/dossiers/ajouter", data={"csrf_token": token(page), "dossier": dossier_id,
                                                          "action": "add", "document": "doc-b", "back": back})
    assert resp.status_code == 302 and resp.headers["Location"] == edit_url


def test_the_public_sees_no_dossier_form_in_results(editor, svc):
    create_dossier(editor)
    anonymous = make_app(svc).test_client()
    page = anonymous.get("/?q=conseils").get_data(as_text=True)
    assert "Guide des conseils citoyens" in page
    assert "Ajouter à un dossier" not in page and "/editeurs/dossiers/ajouter" not in page
    assert "Ajouter à un dossier" in editor.get("/?q=conseils").get_data(as_text=True)
