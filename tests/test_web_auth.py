"""Editor accounts: sign-in, sign-out, CSRF, the role guard, the login rate limit, hashed passwords."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from conftest import fast_settings
from flask import Blueprint

from crpv_watch.services import Services
from crpv_watch.store import ratelimit, users
from crpv_watch.store.models import User
from crpv_watch.web.app import create_app
from crpv_watch.web.auth import login_required, safe_next

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

EDITOR = ("editrice@example.org", "mot-de-passe-editrice")
ADMIN = ("admin@example.org", "mot-de-passe-admin-1")
LIMIT = 3


@pytest.fixture
def services(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    svc = Services(fast_settings(tmp_path, sources_path=sources,
                                 login_rate_limit=LIMIT, login_rate_window=600))
    with svc.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
        users.create_user(session, *ADMIN, role="admin")
    yield svc
    svc.close()


@pytest.fixture
def app(services):
    app = create_app(services=services)
    app.config["TESTING"] = True
    # A route only admins may open, to check the role guard (the real admin pages come later).
    bp = Blueprint("admin_probe", __name__)

    @bp.route("/editeurs/admin-only")
    @login_required(role="admin")
    def admin_only():
        return "réservé aux administrateurs"

    app.register_blueprint(bp)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path="/connexion") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def login(client, email, password, next_url=""):
    token = csrf_token(client)
    return client.post("/connexion", data={"email": email, "password": password, "csrf_token": token,
                                           "next": next_url})


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/editeurs/")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/connexion?next=/editeurs/"
    html = client.get("/connexion?next=/editeurs/").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/editeurs/"' in html
    assert '<label for="email">Adresse e-mail</label>' in html


def test_wrong_password_fails_in_french(client):
    resp = login(client, EDITOR[0], "pas-le-bon-mot-de-passe")
    assert resp.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in unescape(resp.get_data(as_text=True))
    assert client.get("/editeurs/").status_code == 302
    # an unknown address gets the same answer (does not reveal which addresses have an account)
    resp = login(client, "inconnu@example.org", "pas-le-bon-mot-de-passe")
    assert resp.status_code == 401 and "mot de passe incorrect" in unescape(resp.get_data(as_text=True))


def test_good_login_then_logout(client):
    resp = login(client, EDITOR[0].upper(), EDITOR[1], next_url="/editeurs/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/editeurs/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    dashboard = client.get("/editeurs/")
    html = dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200 and EDITOR[0] in html
    assert "Documents consultables" in html
    assert dashboard.headers["Cache-Control"] == "no-store"
    # sign out: a POST carrying the token found in the page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/deconnexion", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/editeurs/").status_code == 302


def test_login_updates_last_login(client, services):
    login(client, *EDITOR)
    with services.db.session() as session:
        assert users.get_user_by_email(session, EDITOR[0]).last_login_at is not None


def test_offsite_next_is_ignored(client):
    resp = login(client, *EDITOR, next_url="https://evil.example/")
    assert resp.headers["Location"] == "/editeurs/"
    for bad in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""):
        assert safe_next(bad) is None
    assert safe_next("/editeurs/?a=1") == "/editeurs/?a=1"


def test_post_without_csrf_is_400(client):
    resp = client.post("/connexion", data={"email": EDITOR[0], "password": EDITOR[1]})
    assert resp.status_code == 400
    html = unescape(resp.get_data(as_text=True))
    assert "jeton de sécurité" in html and '<html lang="fr">' in html
    login(client, *EDITOR)
    assert client.post("/deconnexion").status_code == 400  # logout needs the token too
    assert client.get("/editeurs/").status_code == 200  # still signed in


def test_roles(client):
    login(client, *EDITOR)
    assert client.get("/editeurs/").status_code == 200
    resp = client.get("/editeurs/admin-only")
    assert resp.status_code == 403 and "Accès refusé" in unescape(resp.get_data(as_text=True))
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/editeurs/")})
    login(client, *ADMIN)
    assert client.get("/editeurs/admin-only").status_code == 200  # admin
    assert client.get("/editeurs/").status_code == 200  # admin implies editor


def test_deactivated_user_is_signed_out(client, services):
    login(client, *EDITOR)
    with services.db.session() as session:
        users.get_user_by_email(session, EDITOR[0]).active = False
    assert client.get("/editeurs/").status_code == 302


def test_rate_limit_after_failed_logins(client, services):
    for _ in range(LIMIT):
        assert login(client, EDITOR[0], "mauvais-mot-de-passe").status_code == 401
    resp = login(client, *EDITOR)  # even the right password waits until the window ends
    assert resp.status_code == 429
    assert "Trop de tentatives" in unescape(resp.get_data(as_text=True))
    assert client.get("/editeurs/").status_code == 302
    with services.db.session() as session:
        ratelimit.reset(session, "login:client:127.0.0.1")
        ratelimit.reset(session, f"login:account:{EDITOR[0]}:127.0.0.1")
    assert login(client, *EDITOR).status_code == 302


def test_successful_logins_do_not_count(app):
    # Several editors behind one office address must not lock each other out by signing in.
    for _ in range(LIMIT + 1):
        assert login(app.test_client(), *EDITOR).status_code == 302


def test_ratelimit_fixed_window(services):
    now = dt.datetime(2025, 1, 1, 12, 0, 0)
    with services.db.session() as session:
        assert [ratelimit.take(session, "k", 2, 60, now=now) for _ in range(3)] == [True, True, False]
        assert ratelimit.exceeded(session, "k", 2, 60, now=now)
        later = now + dt.timedelta(seconds=61)
        assert not ratelimit.exceeded(session, "k", 2, 60, now=later)
        assert ratelimit.take(session, "k", 2, 60, now=later)
        assert ratelimit.count(session, "k", 60, now=later) == 1
        assert ratelimit.count(session, "other", 60, now=later) == 0


def test_passwords_are_hashed(services):
    with services.db.session() as session:
        user = session.query(User).filter_by(email=EDITOR[0]).one()
        assert EDITOR[1] not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        assert users.authenticate(session, EDITOR[0], EDITOR[1]) is not None
        users.set_password(user, "nouveau-mot-de-passe")
        assert users.authenticate(session, EDITOR[0], EDITOR[1]) is None
        assert users.authenticate(session, " Editrice@Example.org ", "nouveau-mot-de-passe").id == user.id


def test_create_user_rejects_bad_input(services):
    with services.db.session() as session:
        with pytest.raises(users.UserError):
            users.create_user(session, EDITOR[0], "un-autre-mot-de-passe")  # duplicate
        with pytest.raises(users.UserError):
            users.create_user(session, "x@example.org", "court")
        with pytest.raises(users.UserError):
            users.create_user(session, "x@example.org", "assez-long-mot-de-passe", role="superuser")
    assert users.role_allows("admin", "editor") and not users.role_allows("editor", "admin")


@pytest.mark.parametrize(("base_url", "setting", "secure"), [
    ("https://veille.example.org", None, True), ("http://127.0.0.1:5000", None, False),
    ("https://veille.example.org", False, False)])
def test_the_session_cookie_is_secure_when_the_site_is_https(tmp_path, base_url, setting, secure):
    import httpx
    from live_server import serve

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    svc = Services(fast_settings(tmp_path, sources_path=sources, base_url=base_url, session_cookie_secure=setting))
    with svc.db.session() as session:
        users.create_user(session, *EDITOR, role="editor")
    with serve(svc) as base, httpx.Client(base_url=base) as http:
        resp = http.get("/connexion")  # the sign-in form's CSRF token already lives in the session cookie
        cookie = next(v for k, v in resp.headers.multi_items() if k == "set-cookie" and "crpv_session=" in v)
    assert ("; Secure" in cookie) is secure, cookie


def test_forwarded_for_is_believed_only_from_trusted_proxies():
    from crpv_watch.web.proxies import TrustedProxies

    proxies = TrustedProxies(None, "127.0.0.1, 10.0.0.0/8")
    # From the proxy: the first address from the right that is not a proxy is the visitor.
    assert proxies.client_address("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert proxies.client_address("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.2.3") == "203.0.113.5"
    # A client writing the header itself, straight to the server, is not believed.
    assert proxies.client_address("198.51.100.7", "127.0.0.1, 203.0.113.5") == "198.51.100.7"
    assert proxies.client_address("127.0.0.1", "pas-une-adresse") == "127.0.0.1"
    assert TrustedProxies(None, "").client_address("127.0.0.1", "203.0.113.5") == "127.0.0.1"
