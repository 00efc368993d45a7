"""Digests: what goes in, how it is rendered, and how it is sent exactly once through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import mailbox
import re

import pytest
from click.testing import CliRunner
from digest_helpers import add_doc, add_subscriber, make_services

from crpv_watch.cli import main
from crpv_watch.digest import subscriptions as subs
from crpv_watch.digest.build import period_for, positive_words
from crpv_watch.digest.sender import DigestSender, scheduled_moment
from crpv_watch.store.models import Digest, Subscriber, utcnow

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

DAY = dt.timedelta(days=1)


@pytest.fixture
def svc(tmp_path, smtp):
    services = make_services(tmp_path, mail_url=smtp.url)
    yield services
    services.close()


def body(received, kind="plain") -> str:
    return received.message.get_body((kind,)).get_content()


def test_content_rules(svc, smtp):
    now = utcnow()
    add_subscriber(svc, "a@example.org", q="jardin", when=now - 3 * DAY)
    add_subscriber(svc, "a@example.org", theme=["participation_habitants"], when=now - 3 * DAY)
    new = add_doc(svc, "Des jardins partagés à Grigny", "Les jardins partagés du quartier.", seen=now - DAY)
    pick = add_doc(svc, "Un conseil citoyen", "Conseil citoyen et habitants.", themes=["participation_habitants"],
                   seen=now - DAY, featured=True)
    both = add_doc(svc, "Jardin et conseil citoyen", "jardin", themes=["participation_habitants"], seen=now - DAY)
    add_doc(svc, "Jardin du catalogue", "jardin", seen=now - DAY, first_crawl=True)  # back catalogue
    add_doc(svc, "Jardin ancien", "jardin", seen=now - DAY, published=dt.date.today() - dt.timedelta(days=45))
    add_doc(svc, "Jardin d'avant l'abonnement", "jardin", seen=now - 4 * DAY)
    add_doc(svc, "Jardin masqué", "jardin", seen=now - DAY, status="hidden")
    add_doc(svc, "Emploi des jeunes", "emploi", seen=now - DAY)  # matches no alert

    report = DigestSender(svc).run(force=True)
    assert report.sent == 1
    [mail] = smtp.messages
    msg = mail.message
    assert msg["Subject"] == "crpv-watch : 3 nouveaux documents sur vos thèmes"
    text = body(mail)
    assert text.index("À la une") < text.index("Un conseil citoyen") < text.index("« jardin »")
    assert "Des jardins partagés à Grigny" in text and "Jardin et conseil citoyen" in text
    for absent in ("catalogue", "ancien", "avant l'abonnement", "masqué", "Emploi"):
        assert absent not in text
    assert text.count("Jardin et conseil citoyen") == 1  # one document once, under its first alert
    assert f"http://127.0.0.1:5000/documents/{new}" in text
    html = body(mail, "html")
    assert f'href="http://127.0.0.1:5000/documents/{pick}"' in html and 'lang="fr"' in html
    assert 'href="http://127.0.0.1:9/profession-banlieue/' in html  # the original
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:5000/abonnement/desinscription/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and "/abonnement/gerer/" in text
    with svc.db.session() as db:
        digest = db.query(Digest).one()
        assert digest.status == "sent" and digest.message is None and digest.message_id == msg["Message-ID"]
        assert set(digest.document_ids) == {new, pick, both}


def test_alert_added_later_counts_from_its_creation_and_next_digest_from_the_last(svc, smtp):
    now = utcnow()
    add_subscriber(svc, "b@example.org", q="jardin", when=now - 10 * DAY)
    add_doc(svc, "Jardin un", seen=now - 5 * DAY)
    add_doc(svc, "Emploi un", "emploi", seen=now - 5 * DAY)
    add_subscriber(svc, "b@example.org", q="emploi", when=now - 2 * DAY)
    add_doc(svc, "Emploi deux", "emploi", seen=now - DAY)
    DigestSender(svc).run(now=now, force=True)
    text = body(smtp.messages[0])
    assert "Jardin un" in text and "Emploi deux" in text and "Emploi un" not in text

    add_doc(svc, "Jardin trois", seen=now + DAY)
    DigestSender(svc).run(now=now + 8 * DAY, force=True)
    text = body(smtp.messages[1])
    assert "Jardin trois" in text and "Jardin un" not in text


def test_nothing_new_nothing_sent_and_now_twice_sends_once(svc, smtp, tmp_path):
    add_subscriber(svc, "c@example.org", q="jardin")
    add_subscriber(svc, "d@example.org", q="introuvable")
    add_doc(svc, "Jardin", seen=utcnow())
    runner = CliRunner()
    args = ["--data-dir", str(svc.settings.data_dir), "--sources", str(svc.settings.sources_path)]
    env = {"CRPV_WATCH_MAIL_URL": smtp.url, "CRPV_WATCH_SECRET_KEY": "test-secret",
           "CRPV_WATCH_MAIL_RATE_PER_MINUTE": "0"}
    first = runner.invoke(main, [*args, "digest", "send", "--now", "--json"], env=env)
    assert first.exit_code == 0, first.output
    assert '"sent": 1' in first.output and '"empty": 1' in first.output
    second = runner.invoke(main, [*args, "digest", "send", "--now", "--json"], env=env)
    assert '"sent": 0' in second.output and '"empty": 0' in second.output
    assert [m.rcpt_tos for m in smtp.messages] == [["c@example.org"]]
    dry = runner.invoke(main, [*args, "digest", "send", "--dry-run", "--now"], env=env)
    assert "aucune envoyée" in dry.output


def test_send_empty_when_configured(tmp_path, smtp):
    services = make_services(tmp_path, mail_url=smtp.url, digest_send_empty=True)
    add_subscriber(services, "e@example.org", q="jardin")
    DigestSender(services).run(force=True)
    assert "aucun nouveau document" in smtp.messages[0].message["Subject"]


def test_transient_failures_are_retried_with_the_same_message_id(svc, smtp):
    add_subscriber(svc, "f@example.org", q="jardin")
    add_doc(svc, "Jardin", seen=utcnow())
    smtp.fail_next(451, times=2)  # mail_max_retries = 3: the third attempt goes through
    sleeps = []
    report = DigestSender(svc, sleep=sleeps.append).run(force=True)
    assert report.sent == 1 and sleeps == [0, 0]
    smtp.fail_next(421, times=10)
    add_subscriber(svc, "g@example.org", q="jardin")
    report = DigestSender(svc).run(force=True)
    assert report.failed == 1 and report.sent == 0
    with svc.db.session() as db:
        failed = db.query(Digest).filter_by(status="failed").one()
        assert failed.message is not None and "421" in failed.last_error
        assert failed.last_error.startswith("refus temporaire du serveur de courrier (code 421)")
        message_id = failed.message_id
    smtp.fail_next(421, times=0)
    report = DigestSender(svc).run(force=True)
    assert report.resent == 1
    assert smtp.to("g@example.org")[0].message_id == message_id


def test_permanent_failures_stop_mailing_after_repeated_ones(svc, smtp):
    smtp.rcpt_codes["gone@example.org"] = 550
    add_subscriber(svc, "gone@example.org", q="jardin", frequency="daily")
    for day in range(3):
        add_doc(svc, f"Jardin {day}", seen=utcnow() + day * DAY)
        report = DigestSender(svc).run(now=utcnow() + day * DAY + dt.timedelta(minutes=1), force=True)
        assert report.bounced == 1
    with svc.db.session() as db:
        sub = db.query(Subscriber).one()
        assert sub.status == "bouncing" and sub.bounce_count == 3 and "550" in sub.last_bounce
        [last] = db.query(Digest).order_by(Digest.id.desc()).limit(1).all()
        assert last.last_error.startswith("adresse refusée définitivement par le serveur de courrier (code 550)")
    assert DigestSender(svc).run(now=utcnow() + 5 * DAY, force=True).bounced == 0
    assert smtp.messages == []


def test_smtp_down_then_up_loses_nothing(svc, smtp):
    for n in range(3):
        add_subscriber(svc, f"h{n}@example.org", q="jardin")
    add_doc(svc, "Jardin", seen=utcnow())
    smtp.stop()
    report = DigestSender(svc).run(force=True)
    assert report.stopped and report.sent == 0
    smtp.start()
    report = DigestSender(svc).run(force=True)
    assert report.sent + report.resent == 3
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == [f"h{n}@example.org" for n in range(3)]
    assert len({m.message_id for m in smtp.messages}) == 3


def test_maildir_is_the_default(tmp_path):
    services = make_services(tmp_path)
    assert services.settings.mail_url == f"maildir://{services.settings.data_dir / 'mail'}"
    add_subscriber(services, "i@example.org", q="jardin")
    add_doc(services, "Jardin", seen=utcnow())
    assert DigestSender(services).run(force=True).sent == 1
    [msg] = list(mailbox.Maildir(str(services.settings.data_dir / "mail")))
    assert msg["To"] == "i@example.org"


def test_schedule_and_periods():
    tz = "Europe/Paris"
    # Monday 2026-11-23 07:00 Paris = 06:00 UTC.
    assert scheduled_moment("weekly", dt.datetime(2026, 11, 25, 12), "mon 07:00", tz) == dt.datetime(2026, 11, 23, 6)
    assert scheduled_moment("weekly", dt.datetime(2026, 11, 23, 5), "mon 07:00", tz) == dt.datetime(2026, 11, 16, 6)
    assert scheduled_moment("daily", dt.datetime(2026, 11, 25, 5), "mon 07:00", tz) == dt.datetime(2026, 11, 24, 6)
    # Sunday 23:30 UTC is already Monday in Paris: the new ISO week.
    assert period_for("weekly", dt.datetime(2026, 11, 29, 23, 30), tz) == "2026-W49"
    assert period_for("daily", dt.datetime(2026, 11, 29, 23, 30), tz) == "2026-11-30"


def test_scheduled_run_waits_for_the_scheduled_time(svc, smtp):
    monday_0630_paris = dt.datetime(2026, 11, 23, 5, 30)
    add_subscriber(svc, "j@example.org", q="jardin", when=monday_0630_paris - 3 * DAY)
    add_doc(svc, "Jardin", seen=monday_0630_paris - DAY)
    assert DigestSender(svc).run(now=monday_0630_paris).sent == 0
    assert DigestSender(svc).run(now=monday_0630_paris + dt.timedelta(hours=1)).sent == 1
    assert DigestSender(svc).run(now=monday_0630_paris + 2 * DAY).sent == 0  # same week


def test_ranking_words_leave_operators_and_exclusions_out():
    assert positive_words('jardins "conseil citoyen" SAUF emploi') == {"jardin", "conseil", "citoyen"}
    assert positive_words("jardin OU potager -friche") == {"jardin", "potag"}


def test_cli_subscribers_and_preview(svc, smtp):
    runner = CliRunner()
    args = ["--data-dir", str(svc.settings.data_dir), "--sources", str(svc.settings.sources_path)]
    env = {"CRPV_WATCH_MAIL_URL": smtp.url, "CRPV_WATCH_SECRET_KEY": "test-secret"}
    out = runner.invoke(main, [*args, "subscribers", "add", "k@example.org", "--theme", "participation_habitants",
                               "--query", "jardin"], env=env)
    assert out.exit_code == 0, out.output
    assert "confirmez" in smtp.wait_for(1)[0].message["Subject"].lower()
    out = runner.invoke(main, [*args, "subscribers", "add", "l@example.org", "--confirmed"], env=env)
    assert out.exit_code == 0 and len(smtp.messages) == 1
    assert runner.invoke(main, [*args, "subscribers", "add", "pas une adresse"], env=env).exit_code != 0
    listing = runner.invoke(main, [*args, "subscribers", "list"], env=env).output
    assert re.search(r"k@example.org\s+pending", listing) and re.search(r"l@example.org\s+active", listing)
    add_doc(svc, "Un jardin nouveau", seen=utcnow())
    preview = runner.invoke(main, [*args, "digest", "preview", "l@example.org"], env=env)
    assert "Un jardin nouveau" in preview.output and "Objet :" in preview.output
    with svc.db.session() as db:
        assert subs.by_email(db, "l@example.org").alerts[0].params == {}


def test_dry_run_says_when_letters_are_due_and_how_to_send_now(svc):
    import datetime as dt

    from crpv_watch.digest.sender import next_moment, when_due

    thursday = dt.datetime(2026, 12, 10, 12, 0)  # naive UTC
    assert next_moment("weekly", thursday, "mon 07:00", "Europe/Paris") == dt.datetime(2026, 12, 14, 6, 0)
    assert next_moment("daily", thursday, "mon 07:00", "Europe/Paris") == dt.datetime(2026, 12, 11, 6, 0)
    assert when_due(thursday, "mon 07:00", "Europe/Paris").startswith(
        "Prochaines lettres : hebdomadaires le lundi 14 décembre 2026 à 07:00, quotidiennes le vendredi 11")
    args = ["--data-dir", str(svc.settings.data_dir), "--sources", str(svc.settings.sources_path)]
    dry = CliRunner().invoke(main, [*args, "digest", "send", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Prochaines lettres : hebdomadaires le lundi" in dry.output and "digest send --now" in dry.output
