"""Issue 13, findings 4, 5 and 9 (delivery): editors cannot act as a subscriber, an unsubscribe link only
unsubscribes, coming back takes a new double opt-in, and a Maildir delivery is exactly once across a kill.

Through a real HTTP server on loopback (the app in a Werkzeug server thread), a real SMTP server (aiosmtpd)
for the confirmation mails, and a real ``crpv-watch digest send`` process killed at the worst moment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from html import unescape

import httpx
from digest_helpers import add_doc, add_subscriber
from digest_helpers import make_services as make_digest_services
from editors_support import EDITOR
from itsdangerous import TimestampSigner
from live_server import serve
from smtp_server import SMTPServer

from crpv_watch.digest.tokens import Tokens
from crpv_watch.store import users
from crpv_watch.store.models import AuditLog, Digest, Subscriber, utcnow

SUBSCRIBER = "abonne@example.org"
TOKEN_LINK = re.compile(r"/abonnement/(?:gerer|desinscription)/([A-Za-z0-9_.-]{20,})")


def csrf(http: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', http.get(path).text).group(1)


def sign_in(http: httpx.Client) -> None:
    resp = http.post("/connexion", data={"email": EDITOR[0], "password": EDITOR[1], "next": "",
                                         "csrf_token": csrf(http, "/connexion")})
    assert resp.status_code == 302


def old_token(tokens: Tokens, purpose: str, sub_id: int, email: str, years: float, monkeypatch) -> str:
    """A token signed ``years`` ago (itsdangerous puts the signing time in the token)."""
    then = int(time.time() - years * 365.25 * 86400)
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: then)
        return tokens.make(purpose, sub_id, email)


def test_editors_preview_has_no_working_link_and_is_audited(tmp_path):
    svc = make_digest_services(tmp_path)
    with svc.db.session() as db:
        users.create_user(db, *EDITOR, role="editor")
    add_subscriber(svc, SUBSCRIBER, q="jardin")
    add_doc(svc, "Jardin partagé du quartier", "jardin", seen=utcnow())
    with serve(svc) as base, httpx.Client(base_url=base, timeout=20) as http:
        sign_in(http)
        text_page = http.get("/editeurs/digests/", params={"email": SUBSCRIBER}).text
        html_part = http.get("/editeurs/digests/apercu.html", params={"email": SUBSCRIBER}).text
        assert "Jardin partagé du quartier" in unescape(text_page)
        for page in (text_page, html_part):
            assert not TOKEN_LINK.search(page), TOKEN_LINK.search(page).group(0)
        assert "/abonnement/lien-d-apercu" in html_part
        assert http.get("/abonnement/lien-d-apercu").status_code == 200
        with svc.db.session() as db:
            entries = db.query(AuditLog).filter_by(action="subscriber.preview", target=SUBSCRIBER).all()
            assert len(entries) == 2 and {e.user_email for e in entries} == {EDITOR[0]}


def test_an_old_unsubscribe_link_unsubscribes_and_nothing_more(tmp_path, monkeypatch):
    with SMTPServer() as smtp:
        svc = make_digest_services(tmp_path, mail_url=smtp.url)
        sub_id, _ = add_subscriber(svc, SUBSCRIBER, q="jardin")
        tokens = Tokens.from_settings(svc.settings)
        leave = old_token(tokens, "unsubscribe", sub_id, SUBSCRIBER, 5, monkeypatch)
        with serve(svc) as base, httpx.Client(base_url=base, timeout=20) as http:
            page = http.post(f"/abonnement/desinscription/{leave}")
            assert page.status_code == 200 and "Vous êtes désinscrit" in unescape(page.text)
            assert "/abonnement/gerer/" not in page.text  # no way from here to the data or the alerts
            with svc.db.session() as db:
                sub = db.get(Subscriber, sub_id)
                assert sub.status == "unsubscribed"
                consent_before = sub.consent_at

            # Even with a manage link (an old mail), coming back is a new double opt-in by mail.
            manage = tokens.make("manage", sub_id, SUBSCRIBER)
            token = csrf(http, f"/abonnement/gerer/{manage}")
            resp = http.post(f"/abonnement/gerer/{manage}", data={"csrf_token": token, "action": "resubscribe"},
                             follow_redirects=True)
            assert "mail de confirmation" in unescape(resp.text)
            with svc.db.session() as db:
                sub = db.get(Subscriber, sub_id)
                assert sub.status == "unsubscribed" and sub.consent_at == consent_before
            [mail] = smtp.wait_for(1, timeout=10)
            assert mail.rcpt_tos == [SUBSCRIBER]
            confirm = re.search(r"/abonnement/confirmer/[A-Za-z0-9_.-]+", mail.message.get_body(("plain",))
                                .get_content()).group(0)
            assert http.get(confirm).status_code == 200  # the subscriber's own click
            with svc.db.session() as db:
                sub = db.get(Subscriber, sub_id)
                assert sub.status == "active" and sub.consent_at > consent_before
        svc.close()


SENDER_KILLED_AFTER_STAGING = textwrap.dedent("""\
    import os, sys
    from crpv_watch.digest import sender
    from crpv_watch.digest.send import MaildirTransport
    from crpv_watch.services import Services
    from crpv_watch.settings import Settings

    real_stage = MaildirTransport.stage

    def stage_then_die_before_the_record(self, raw, key):
        real_stage(self, raw, key)
        if os.environ.get("DIE_AT") == "staged":
            os._exit(9)  # the letter is written, the database does not know it yet

    real_publish = MaildirTransport.publish

    def die_before_publishing(self, key):
        if os.environ.get("DIE_AT") == "recorded":
            os._exit(9)  # the database says sent, the letter is not in new/ yet
        return real_publish(self, key)

    MaildirTransport.stage = stage_then_die_before_the_record
    MaildirTransport.publish = die_before_publishing
    services = Services(Settings.load())
    print(sender.DigestSender(services).run(force=True).to_json())
""")


def test_maildir_delivery_is_exactly_once_whenever_the_sender_dies(tmp_path):
    svc = make_digest_services(tmp_path)
    add_subscriber(svc, SUBSCRIBER, q="jardin")
    add_subscriber(svc, "second@example.org", q="jardin")
    add_doc(svc, "Jardin partagé du quartier", "jardin", seen=utcnow())
    maildir = tmp_path / "data" / "mail"
    env = {**os.environ, "CRPV_WATCH_DATA_DIR": str(svc.settings.data_dir),
           "CRPV_WATCH_SOURCES_PATH": str(svc.settings.sources_path), "CRPV_WATCH_SECRET_KEY": "test-secret",
           "CRPV_WATCH_MAIL_URL": f"maildir://{maildir}", "CRPV_WATCH_MAIL_RATE_PER_MINUTE": "0"}

    def run(die_at: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", SENDER_KILLED_AFTER_STAGING], env={**env, "DIE_AT": die_at},
                              capture_output=True, timeout=120)

    def files(box: str) -> int:
        return len(list((maildir / box).iterdir()))

    def statuses() -> list[str]:
        with svc.db.session() as db:
            return sorted(d.status for d in db.query(Digest))

    # Killed after the record, before the letter reached new/: the database says sent.
    assert run("recorded").returncode == 9
    assert statuses() == ["sent"] and (files("tmp"), files("new")) == (1, 0)
    # The next run publishes it first; then killed with the second letter written but not recorded.
    assert run("staged").returncode == 9
    assert statuses() == ["sending", "sent"] and (files("tmp"), files("new")) == (1, 1)
    done = run("")
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    delivered = [p for p in (maildir / "new").iterdir()] + [p for p in (maildir / "cur").iterdir()]
    recipients = sorted(re.search(rb"^To: (.+)$", p.read_bytes(), re.M).group(1).decode().strip() for p in delivered)
    assert recipients == sorted([SUBSCRIBER, "second@example.org"]), recipients
    assert list((maildir / "tmp").iterdir()) == []
    with svc.db.session() as db:
        assert {d.status for d in db.query(Digest)} == {"sent"}
    svc.close()


def test_the_command_line_previews_inert_links_and_audits_too(tmp_path):
    svc = make_digest_services(tmp_path)
    add_subscriber(svc, SUBSCRIBER, q="jardin")
    add_doc(svc, "Jardin partagé du quartier", "jardin", seen=utcnow())
    env = {**os.environ, "CRPV_WATCH_DATA_DIR": str(svc.settings.data_dir),
           "CRPV_WATCH_SOURCES_PATH": str(svc.settings.sources_path), "CRPV_WATCH_SECRET_KEY": "test-secret"}
    cli = [sys.executable, "-m", "crpv_watch"]
    shown = subprocess.run([*cli, "digest", "preview", SUBSCRIBER, "--html"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0 and "Jardin partagé du quartier" in shown.stdout
    assert not TOKEN_LINK.search(shown.stdout) and "/abonnement/lien-d-apercu" in shown.stdout
    subprocess.run([*cli, "subscribers", "delete", SUBSCRIBER], env=env, check=True, capture_output=True,
                   timeout=120)
    with svc.db.session() as db:
        actions = [(e.action, e.target) for e in db.query(AuditLog).order_by(AuditLog.id)]
        assert actions == [("subscriber.preview", SUBSCRIBER), ("subscriber.delete", SUBSCRIBER)]
        assert all(e.user_email.startswith("cli") for e in db.query(AuditLog))
    svc.close()
