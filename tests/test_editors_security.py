"""Security of the editors' workspace: every route behind sign-in, admin routes behind the admin role, CSRF on
every action, hostile document text escaped everywhere."""

from __future__ import annotations

import pytest
from editors_support import ADMIN, EDITOR, add_document, login, make_app, make_services, post

from crpv_watch.web.app import create_app

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

XSS_TITLE = '<script>alert("titre")</script><img src=x onerror=alert(1)>'
XSS_TEXT = '<iframe src="javascript:alert(2)"></iframe> texte <b onmouseover=alert(3)>gras</b>'


@pytest.fixture
def svc(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "doc1", title=XSS_TITLE, text=XSS_TEXT, themes=[("jeunesse", 2.0)])
    add_document(svc, "doc2", title="Deuxième", themes=[])
    yield svc
    svc.close()


@pytest.fixture
def app(svc):
    return make_app(svc)


def workspace_rules(app):
    """Every rule of the workspace blueprints, with sample values for its arguments."""
    samples = {"doc_id": "doc1", "source_id": "centre-test", "run_id": 1, "user_id": 1, "dossier_id": 1}
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/editeurs"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", str(samples[arg])).replace(f"<int:{arg}>", str(samples[arg]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, url, rule.endpoint))
    return out


def test_the_workspace_has_its_routes(app):
    endpoints = {e for _, _, e in workspace_rules(app)}
    for expected in ("editors_sources.index", "editors_sources.create", "editors_sources.edit",
                     "editors_sources.toggle", "editors_crawl.start", "editors_crawl.index",
                     "editors_documents.hide", "editors_documents.unhide", "editors_documents.feature",
                     "editors_documents.merge", "editors_documents.review", "admin.accounts",
                     "admin.edit_account", "admin.audit_log", "editors.account"):
        assert expected in endpoints


def test_anonymous_users_are_sent_to_login_everywhere(app):
    client = app.test_client()
    for method, url, _ in workspace_rules(app):
        resp = client.open(url, method=method)
        if method == "POST" and resp.status_code == 400:
            continue  # CSRF is checked before the guard for POSTs: refused either way
        assert resp.status_code == 302, (method, url, resp.status_code)
        assert resp.headers["Location"].startswith("/connexion?next="), (method, url)


def test_anonymous_post_with_a_valid_token_is_still_refused(app, svc):
    client = app.test_client()
    html = client.get("/connexion").get_data(as_text=True)
    from editors_support import token

    resp = client.post("/editeurs/documents/doc1/masquer", data={"csrf_token": token(html)})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/connexion")
    with svc.db.session() as session:
        from crpv_watch.store.models import Document

        assert session.get(Document, "doc1").status == "active"


def test_editors_cannot_do_admin_things(app):
    client = app.test_client()
    login(client, *EDITOR)
    admin_rules = [(m, u) for m, u, e in workspace_rules(app) if e.startswith("admin.")]
    assert admin_rules
    for method, url in admin_rules:
        resp = post(client, url) if method == "POST" else client.get(url)
        assert resp.status_code == 403, (method, url)
    # nor create an account through the form
    resp = post(client, "/editeurs/admin/comptes", {"email": "pirate@example.org", "role": "admin",
                                                    "password": "x" * 12})
    assert resp.status_code == 403


def test_admins_reach_everything(app):
    client = app.test_client()
    login(client, *ADMIN)
    for method, url, _ in workspace_rules(app):
        if method == "GET":
            assert client.get(url).status_code in (200, 404), url  # 404: run 1 does not exist


def test_missing_csrf_token_is_a_400(app, svc):
    client = app.test_client()
    login(client, *EDITOR)
    for method, url, _ in workspace_rules(app):
        if method == "POST":
            resp = client.post(url, data={"value": "1", "enabled": "0", "other": "doc2"})
            assert resp.status_code == 400, url
            assert "jeton de sécurité" in resp.get_data(as_text=True)
    with svc.db.session() as session:
        from crpv_watch.store.models import Document

        assert session.get(Document, "doc1").status == "active"


def test_hostile_titles_and_text_are_escaped_everywhere(app, svc):
    client = app.test_client()
    login(client, *ADMIN)
    post(client, "/editeurs/documents/doc1/une", {"value": "1"})
    pages = ["/editeurs/documents/", "/editeurs/documents/doc1", "/editeurs/documents/a-la-une",
             "/editeurs/documents/a-revoir", "/editeurs/", "/editeurs/admin/journal", "/documents/doc1",
             "/?q=alert"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        for raw in ("<script>alert", "<img src=x", "<iframe", "<b onmouseover"):
            assert raw not in html, (url, raw)
    html = client.get("/editeurs/documents/doc1").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;titre&#34;)&lt;/script&gt;" in html
    assert "&lt;iframe" in html


def test_hostile_source_names_are_escaped(tmp_path):
    from editors_support import SOURCES

    svc = make_services(tmp_path, SOURCES.replace('"Centre de test"', '"<script>alert(9)</script>"'))
    try:
        client = make_app(svc).test_client()
        login(client, *EDITOR)
        for url in ("/editeurs/sources/", "/editeurs/sources/centre-test", "/editeurs/collectes/"):
            html = client.get(url).get_data(as_text=True)
            assert "<script>alert(9)" not in html and "&lt;script&gt;alert(9)" in html, url
    finally:
        svc.close()


def test_sessions_expire_and_follow_password_resets(app, svc):
    editor, admin = app.test_client(), app.test_client()
    login(editor, *EDITOR)
    assert editor.get("/editeurs/").status_code == 200
    login(admin, *ADMIN)
    with svc.db.session() as session:
        from crpv_watch.store import users

        editor_id = users.get_user_by_email(session, EDITOR[0]).id
    resp = post(admin, f"/editeurs/admin/comptes/{editor_id}",
                {"role": "editor", "active": "y", "password": "nouveau-mot-de-passe"})
    assert resp.status_code == 302
    # the editor's open session was signed out by the reset
    assert editor.get("/editeurs/").status_code == 302
    login(editor, EDITOR[0], "nouveau-mot-de-passe")
    assert editor.get("/editeurs/").status_code == 200
    # and a session older than session_hours is over, however active
    with editor.session_transaction() as sess:
        sess["auth_at"] = "2000-01-01T00:00:00"
    assert editor.get("/editeurs/").status_code == 302


def test_session_cookie_is_secure_when_configured(tmp_path):
    svc = make_services(tmp_path, session_cookie_secure=True)
    try:
        app = create_app(services=svc)
        client = app.test_client()
        resp = login(client, *EDITOR)
        cookie = resp.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        svc.close()
