"""Subscribing from the site: double opt-in, manage page, one-click unsubscribe, GDPR export and erasure,
bad input and abuse (invalid addresses, CSRF, rate limits, tampered tokens), and the editors' pages."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from html import unescape

import pytest
from test_web_search import build_services

from crpv_watch.store.models import Alert, Subscriber
from crpv_watch.store.users import create_user
from crpv_watch.web.app import create_app

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


@pytest.fixture
def env(tmp_path, smtp):
    services = build_services(tmp_path, mail_url=smtp.url, subscribe_rate_limit=5)
    app = create_app(services=services)
    yield app, app.test_client(), services, smtp
    services.close()


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def subscribe(client, email, **fields):
    page = client.get("/abonnement")
    data = {"csrf_token": csrf(page.get_data(as_text=True)), "email": email, "frequency": "weekly", **fields}
    return client.post("/abonnement", data=data)


def link(raw: bytes, path: str) -> str:
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]+)", text).group(1)


def test_double_opt_in_then_manage_and_unsubscribe(env):
    app, client, services, smtp = env
    res = subscribe(client, "Lea.Martin@Mairie-Exemple.fr", theme=["participation_habitants"], q="jardins")
    assert res.status_code == 302 and res.headers["Location"].endswith("/abonnement/merci")
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["lea.martin@mairie-exemple.fr"]
    msg = mail.message
    assert "confirmez" in msg["Subject"].lower()
    assert msg.get_body(("html",)) is not None
    with services.db.session() as db:
        sub = db.query(Subscriber).one()
        assert sub.status == "pending" and sub.confirmed_at is None
        assert sub.alerts[0].params == {"q": "jardins", "theme": ["participation_habitants"]}

    page = client.get(link(mail.raw, "/abonnement/confirmer/"))
    assert page.status_code == 200 and "Abonnement confirmé" in page.get_data(as_text=True)
    with services.db.session() as db:
        sub = db.query(Subscriber).one()
        assert sub.status == "active" and sub.consent_at and sub.consent_source == "site:/abonnement"
        assert sub.alerts[0].active

    manage = re.search(r'href="(/abonnement/gerer/[^"]+)"', page.get_data(as_text=True)).group(1)
    page = client.get(manage)
    html = page.get_data(as_text=True)
    assert "jardins" in html and "Participation des habitants" in html
    res = client.post(manage, data={"csrf_token": csrf(html), "action": "frequency", "frequency": "daily"})
    assert res.status_code == 302
    res = client.post(manage, data={"csrf_token": csrf(html), "action": "pause"})
    with services.db.session() as db:
        sub = db.query(Subscriber).one()
        assert (sub.frequency, sub.status) == ("daily", "paused")
    data = json.loads(client.get(manage + "/export.json").get_data(as_text=True))
    assert data["email"] == "lea.martin@mairie-exemple.fr" and data["consent"]["source"] == "site:/abonnement"
    assert data["alerts"][0]["params"]["q"] == "jardins"

    unsubscribe = unescape(re.search(r'href="(/abonnement/desinscription/[^"]+)"', html).group(1))
    assert "Confirmer la désinscription" in client.get(unsubscribe).get_data(as_text=True)
    with services.db.session() as db:
        assert db.query(Subscriber).one().status == "paused"  # a GET (link scanner) changes nothing
    # RFC 8058 one-click: a bare POST, no CSRF token, no session.
    res = app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert res.status_code == 200
    with services.db.session() as db:
        assert db.query(Subscriber).one().status == "unsubscribed"

    res = client.post(manage + "/supprimer", data={"csrf_token": csrf(html)})
    assert res.status_code == 200 and "supprimé" in res.get_data(as_text=True)
    with services.db.session() as db:
        assert db.query(Subscriber).count() == 0 and db.query(Alert).count() == 0
    assert client.get(manage).status_code == 404


def test_same_answer_whether_subscribed_or_not_and_one_mail_per_hour(env):
    _, client, services, smtp = env
    first = subscribe(client, "a@example.org")
    again = subscribe(client, "a@example.org", q="emploi")
    other = subscribe(client, "b@example.org")
    assert first.headers["Location"] == again.headers["Location"] == other.headers["Location"]
    smtp.wait_for(2)
    assert len(smtp.to("a@example.org")) == 1  # the second confirmation waits for the next hour
    with services.db.session() as db:
        assert db.query(Alert).count() == 3


def test_invalid_address_gets_a_clear_message(env):
    _, client, _, smtp = env
    for bad in ("pas-une-adresse", "a@", "a b@example.org", ""):
        res = subscribe(client, bad)
        assert res.status_code == 400
        html = res.get_data(as_text=True)
        assert 'role="alert"' in html and "adresse e-mail" in html.lower()
    assert smtp.messages == []


def test_csrf_and_ip_rate_limit(env):
    _, client, _, _ = env
    assert client.post("/abonnement", data={"email": "a@example.org"}).status_code == 400
    codes = [subscribe(client, f"x{n}@example.org").status_code for n in range(7)]
    assert codes[:5] == [302] * 5 and codes[5:] == [429, 429]


@pytest.mark.parametrize("path", ["/abonnement/confirmer/", "/abonnement/gerer/", "/abonnement/desinscription/",
                                  "/abonnement/gerer/x/export.json"])
def test_tampered_tokens_get_a_clear_page(env, path):
    _, client, services, _ = env
    from crpv_watch.digest.tokens import Tokens

    good = Tokens.from_settings(services.settings).make("manage", 1, "a@example.org")
    for token in ("nimportequoi", good[:-3] + "abc", good if "gerer" not in path else good + "x"):
        url = path.replace("/x/", f"/{token}/") if "/x/" in path else path + token
        res = client.get(url)
        assert res.status_code in (400, 404), (url, res.status_code)
        assert "Lien invalide" in res.get_data(as_text=True) or "introuvable" in res.get_data(as_text=True)
    res = client.post("/abonnement/desinscription/nimportequoi")
    assert res.status_code == 400


def test_expired_confirmation_link(env, monkeypatch):
    _, client, services, _ = env
    import time

    from itsdangerous.timed import TimestampSigner

    from crpv_watch.digest.tokens import Tokens

    old = int(time.time()) - 73 * 3600  # the link is valid 72 hours
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: old)
    token = Tokens.from_settings(services.settings).make("confirm", 1, "a@example.org", 1)
    monkeypatch.undo()
    res = client.get("/abonnement/confirmer/" + token)
    assert res.status_code == 400 and "expiré" in res.get_data(as_text=True)


def test_search_page_offers_the_alert_and_the_form_is_prefilled(env):
    _, client, _, _ = env
    html = client.get("/?q=jardins&theme=participation_habitants").get_data(as_text=True)
    href = unescape(re.search(r'href="(/abonnement\?[^"]+)">Recevoir ces résultats chaque semaine', html).group(1))
    form = client.get(href).get_data(as_text=True)
    assert 'value="jardins"' in form
    assert re.search(r'value="participation_habitants" checked', form)
    assert "/search.atom?q=jardins&amp;theme=participation_habitants" in form
    assert "Alerte créée à partir de votre recherche" in form


def test_editors_see_preview_and_log(env):
    _, client, services, _ = env
    with services.db.session() as db:
        create_user(db, "ed@example.org", "motdepasse-long", "editor")
    assert client.get("/editeurs/digests/").status_code == 302
    page = client.get("/connexion")
    client.post("/connexion", data={"csrf_token": csrf(page.get_data(as_text=True)), "email": "ed@example.org",
                                    "password": "motdepasse-long"})
    res = client.get("/editeurs/digests/?email=inconnu@example.org")
    assert res.status_code == 200 and "Aucun abonné" in res.get_data(as_text=True)


def test_unknown_values_are_told_as_on_the_search_page(env):
    """One check of facet values for the search page and /abonnement: the same refusals, the same suggestions."""
    _app, client, _services, _smtp = env
    res = client.get("/abonnement?theme=participation&region=00&q=jardin")
    html = unescape(res.get_data(as_text=True))
    assert res.status_code == 400
    assert ("« participation » n'est pas un thème connu ; vouliez-vous dire : participation_habitants "
            "(Participation des habitants)") in html
    assert "« 00 » n'est pas une région connue" in html
    search = unescape(client.get("/?theme=participation&region=00&q=jardin").get_data(as_text=True))
    assert "« participation » n'est pas un thème connu" in search and "« 00 » n'est pas une région connue" in search
