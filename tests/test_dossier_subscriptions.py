"""« Recevoir les ajouts à ce dossier »: a reader follows a published dossier (from its page or from /abonnement,
double opt-in), editors add documents to it, and the weekly letter carries exactly those, with their notes, once."""

from __future__ import annotations

import datetime as dt
import json
import re
from email import message_from_bytes, policy
from html import unescape

import pytest
from digest_helpers import add_doc, add_subscriber, make_services
from editors_support import EDITOR, login, token

from crpv_watch.digest.sender import DigestSender
from crpv_watch.store import users
from crpv_watch.store.models import Alert, Digest, Document, Dossier, Subscriber, utcnow
from crpv_watch.web.app import create_app

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

LONG_AGO = utcnow() - dt.timedelta(days=400)


@pytest.fixture
def svc(tmp_path, smtp):
    services = make_services(tmp_path, mail_url=smtp.url)
    with services.db.session() as db:
        users.create_user(db, *EDITOR, role="editor")
    yield services
    services.close()


@pytest.fixture
def docs(svc):
    """Back-catalogue documents (first crawl, a year old): no search alert would send them, a dossier does."""
    return {name: add_doc(svc, title, "Texte du document.", seen=LONG_AGO, published=LONG_AGO.date(),
                          first_crawl=True)
            for name, title in (("guide", "Guide des conseils citoyens"), ("etude", "Étude santé et quartiers"),
                                ("rapport", "Rapport emploi des jeunes"))}


@pytest.fixture
def editor(svc):
    client = create_app(services=svc).test_client()
    login(client, *EDITOR)
    return client


def new_dossier(editor, title: str, publish: bool = True) -> tuple[int, str]:
    """Creates (and publishes) a dossier through the editors' pages; returns its id and public address."""
    page = editor.get("/editeurs/dossiers/").get_data(as_text=True)
    edit_url = editor.post("/editeurs/dossiers/", data={"csrf_token": token(page), "title": title,
                                                        "intro": "Une sélection."}).headers["Location"]
    if publish:
        page = editor.get(edit_url).get_data(as_text=True)
        editor.post(edit_url, data={"csrf_token": token(page), "title": title, "intro": "Une sélection.",
                                    "published": "y"})
    html = editor.get(edit_url).get_data(as_text=True)
    return int(edit_url.rstrip("/").rsplit("/", 1)[1]), re.search(r'(/dossiers/[a-z0-9-]+)', html).group(1)


def add_to_dossier(editor, dossier_id: int, doc_id: str, note: str) -> None:
    page = editor.get(f"/documents/{doc_id}").get_data(as_text=True)
    resp = editor.post("/editeurs/dossiers/ajouter", data={
        "csrf_token": token(page), "dossier": dossier_id, "action": "add", "document": doc_id, "note": note,
        "back": f"/documents/{doc_id}"})
    assert resp.status_code == 302


def search_and_dossier(svc, email: str, q: str, dossier_id: int) -> None:
    """A subscriber confirmed two days ago, with a search alert then the dossier."""
    earlier = utcnow() - dt.timedelta(days=2)
    add_subscriber(svc, email, q=q, when=earlier)
    with svc.db.session() as db:
        sub = db.query(Subscriber).filter_by(email=email).one()
        sub.alerts.append(Alert(params={}, dossier_id=dossier_id, active=True, created_at=earlier, source="test"))


def mail_link(raw: bytes, path: str) -> str:
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]+)", text).group(1)


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def follow_from_the_dossier_page(reader, smtp, public_url: str, email: str) -> str:
    """The reader's path: the dossier's page, its « Recevoir les ajouts » link, the form, the confirmation mail.
    Returns the manage page's address."""
    page = reader.get(public_url).get_data(as_text=True)
    follow = unescape(re.search(r'<a href="([^"]+)">Recevoir les ajouts à ce dossier</a>', page).group(1))
    form = reader.get(follow)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Recevoir les ajouts au dossier « Participation »" in unescape(html)
    assert 'id="t-' not in html  # no search criteria: it is the dossier that is followed
    resp = reader.post("/abonnement", data={"csrf_token": token(html), "email": email, "frequency": "weekly",
                                            "dossier": re.search(r'name="dossier" value="([^"]+)"', html).group(1)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/abonnement/merci")
    mail = smtp.wait_for(1)[-1]
    assert "Les ajouts au dossier « Participation »" in plain(mail)
    confirmed = reader.get(mail_link(mail.raw, "/abonnement/confirmer/"))
    assert "Abonnement confirmé" in confirmed.get_data(as_text=True)
    return re.search(r'href="(/abonnement/gerer/[^"]+)"', confirmed.get_data(as_text=True)).group(1)


def test_a_follower_gets_the_two_additions_exactly_once(svc, smtp, editor, docs):
    dossier_id, public_url = new_dossier(editor, "Participation")
    other_id, _ = new_dossier(editor, "Santé")
    add_to_dossier(editor, dossier_id, docs["rapport"], "Ajouté avant l'abonnement.")
    reader = create_app(services=svc).test_client()
    manage = follow_from_the_dossier_page(reader, smtp, public_url, "lecteur@example.org")
    with svc.db.session() as db:
        sub = db.query(Subscriber).one()
        assert sub.status == "active" and sub.consent_source == "site:dossier"
        assert [(a.dossier_id, a.params, a.active) for a in sub.alerts] == [(dossier_id, {}, True)]

    add_to_dossier(editor, dossier_id, docs["guide"], "Le guide de référence.")
    add_to_dossier(editor, dossier_id, docs["etude"], "")
    add_to_dossier(editor, other_id, docs["rapport"], "Dans un dossier que le lecteur ne suit pas.")

    sent_before = len(smtp.messages)
    report = DigestSender(svc).run(force=True)
    assert report.sent == 1
    [letter] = smtp.messages[sent_before:]
    text = plain(letter)
    assert "== Les ajouts au dossier « Participation » ==" in text
    assert "Guide des conseils citoyens" in text and "Étude santé et quartiers" in text
    assert "Note de la documentaliste : Le guide de référence." in text
    assert "Rapport emploi des jeunes" not in text  # added before the subscription, or to another dossier
    assert f"Tout le dossier : http://127.0.0.1:5000{public_url}" in text
    html = letter.message.get_body(("html",)).get_content()
    assert "Le guide de référence." in html and f'href="http://127.0.0.1:5000{public_url}"' in html
    with svc.db.session() as db:
        [digest] = db.query(Digest).all()
        assert sorted(digest.document_ids) == sorted([docs["guide"], docs["etude"]]) and digest.count == 2

    # The same period again, and the next week with nothing added: nothing new is sent.
    assert DigestSender(svc).run(force=True).sent == 0
    next_week = DigestSender(svc).run(now=utcnow() + dt.timedelta(days=8), force=True)
    assert (next_week.sent, next_week.empty) == (0, 1)
    assert len(smtp.messages) == sent_before + 1

    # The manage page names the followed dossier and links to it; the export says which one.
    html = unescape(reader.get(manage).get_data(as_text=True))
    assert f'<a href="{public_url}">Les ajouts au dossier « Participation »</a>' in html
    data = json.loads(reader.get(manage + "/export.json").get_data(as_text=True))
    assert data["alerts"][0]["dossier"] == public_url.rsplit("/", 1)[1]


def test_additions_claim_their_documents_in_a_letter_with_searches_too(svc, smtp, editor, docs):
    """A document both new for a search alert and added to a followed dossier comes once, with its note."""
    dossier_id, _ = new_dossier(editor, "Participation")
    search_and_dossier(svc, "deux@example.org", "jardin", dossier_id)
    fresh = add_doc(svc, "Jardins partagés du quartier", "jardin", seen=utcnow() - dt.timedelta(hours=1))
    add_to_dossier(editor, dossier_id, fresh, "Une belle expérience.")
    assert DigestSender(svc).run(force=True).sent == 1
    text = plain(smtp.messages[-1])
    assert text.count("Jardins partagés du quartier") == 1
    assert "Note de la documentaliste : Une belle expérience." in text


def test_follow_from_the_subscription_and_manage_pages(svc, smtp, editor, docs):
    dossier_id, public_url = new_dossier(editor, "Participation")
    new_dossier(editor, "Brouillon", publish=False)
    reader = create_app(services=svc).test_client()
    page = unescape(reader.get("/abonnement").get_data(as_text=True))
    assert "Recevoir les ajouts au dossier « Participation »" in page and "Brouillon" not in page
    assert reader.get("/abonnement?dossier=brouillon").status_code == 404  # a draft cannot be followed
    missing = reader.get("/abonnement?dossier=inconnu")
    assert missing.status_code == 404 and "n'existe pas ou n'est plus publié" in unescape(missing.get_data(as_text=True))

    # A subscriber of a search adds the dossier from their manage page (the signed link proves the address).
    manage_from_search = subscribe_to_a_search(reader, smtp, "abonnee@example.org")
    html = reader.get(manage_from_search).get_data(as_text=True)
    assert '<label for="follow-dossier">Recevoir les ajouts au dossier</label>' in html and "Brouillon" not in html
    reader.post(manage_from_search, data={"csrf_token": token(html), "action": "follow_dossier",
                                          "dossier": public_url.rsplit("/", 1)[1]})
    reader.post(manage_from_search, data={"csrf_token": token(html), "action": "follow_dossier",
                                          "dossier": public_url.rsplit("/", 1)[1]})  # twice is once
    with svc.db.session() as db:
        alerts = db.query(Subscriber).filter_by(email="abonnee@example.org").one().alerts
        assert [(a.dossier_id, a.active) for a in alerts] == [(None, True), (dossier_id, True)]
    assert "Vous recevrez les ajouts au dossier « Participation »." in unescape(
        reader.get(manage_from_search).get_data(as_text=True))


def subscribe_to_a_search(reader, smtp, email: str) -> str:
    html = reader.get("/abonnement?q=jardin").get_data(as_text=True)
    reader.post("/abonnement", data={"csrf_token": token(html), "email": email, "q": "jardin"})
    mail = smtp.wait_for(1)[-1]
    confirmed = reader.get(mail_link(mail.raw, "/abonnement/confirmer/")).get_data(as_text=True)
    return re.search(r'href="(/abonnement/gerer/[^"]+)"', confirmed).group(1)


def test_an_unpublished_dossier_and_a_hidden_document_send_nothing(svc, smtp, editor, docs):
    dossier_id, _ = new_dossier(editor, "Participation")
    search_and_dossier(svc, "trois@example.org", "introuvable", dossier_id)
    add_to_dossier(editor, dossier_id, docs["guide"], "Visible.")
    add_to_dossier(editor, dossier_id, docs["etude"], "Masqué ensuite.")
    with svc.db.session() as db:
        db.get(Document, docs["etude"]).status = "hidden"
    preview = DigestSender(svc).preview("trois@example.org")
    assert [i.doc.id for g in preview[0].groups for i in g.items] == [docs["guide"]]
    with svc.db.session() as db:
        db.get(Dossier, dossier_id).published = False
    assert DigestSender(svc).preview("trois@example.org")[0].count == 0
    report = DigestSender(svc).run(force=True)
    assert (report.sent, report.empty) == (0, 1)
