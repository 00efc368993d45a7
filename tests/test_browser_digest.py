"""End to end, in Chromium: a search becomes an alert → the confirmation mail arrives on a real SMTP server →
its link is opened → the demo network publishes new documents and is crawled → `digest send --now` → the digest
holds exactly those documents → its unsubscribe link (the page, and the RFC 8058 one-click POST) ends it."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner
from conftest import fast_settings
from smtp_server import SMTPServer, free_port
from werkzeug.serving import make_server

from crpv_watch.cli import main
from crpv_watch.crawl.run import CrawlRunner
from crpv_watch.demo import DemoNetwork
from crpv_watch.services import Services
from crpv_watch.store.models import Subscriber
from crpv_watch.web.app import create_app

pytestmark = pytest.mark.browser
DEMO_PORT = 18831
RSS_SOURCE = "demo-passerelles"  # where DemoNetwork.publish_new() publishes


def plain(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture
def world(tmp_path):
    network = DemoNetwork(port=DEMO_PORT)
    network.start()
    sources = network.write_sources(tmp_path / "sources.yaml")
    port = free_port()
    with SMTPServer() as smtp:
        settings = fast_settings(tmp_path, sources_path=sources, mail_url=smtp.url,
                                 base_url=f"http://127.0.0.1:{port}", mail_rate_per_minute=0)
        services = Services(settings)
        runner = CrawlRunner(services)
        runner.run([RSS_SOURCE])  # its back catalogue: never in a digest (one source keeps the test short)
        server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield network, services, runner, smtp, settings.base_url
        finally:
            server.shutdown()
            thread.join(timeout=5)
            runner.close()
            services.close()
            network.stop()


def test_subscribe_confirm_digest_unsubscribe(page, world):
    network, services, runner, smtp, base = world
    page.goto(base + "/?centre=demo-passerelles")
    page.get_by_role("link", name="Recevoir ces résultats chaque semaine").click()
    page.wait_for_url(re.compile(r"/abonnement\?"))
    assert page.locator('input[name="centre"][value="demo-passerelles"]').is_checked()
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="S'abonner").click()
    assert "n'est pas valide" in page.get_by_role("alert").inner_text()
    assert page.locator('input[name="centre"][value="demo-passerelles"]').is_checked()
    page.get_by_label("Adresse e-mail").fill("cheffe.projet@mairie-exemple.fr")
    page.get_by_role("button", name="S'abonner").click()
    page.wait_for_url(re.compile(r"/abonnement/merci"))

    [confirmation] = smtp.wait_for(1)
    confirm_url = re.search(r"(http://\S+/abonnement/confirmer/\S+)", plain(confirmation.raw)).group(1)
    page.goto(confirm_url)
    assert page.get_by_role("heading", level=1).inner_text() == "Abonnement confirmé"

    published = [network.publish_new()[0], network.publish_new()[0]]
    report = runner.run([RSS_SOURCE])
    assert sum(s.new for s in report.sources) == 2

    cli = ["--data-dir", str(services.settings.data_dir), "--sources", str(services.settings.sources_path)]
    env = {"CRPV_WATCH_MAIL_URL": smtp.url, "CRPV_WATCH_SECRET_KEY": "test-secret",
           "CRPV_WATCH_BASE_URL": base, "CRPV_WATCH_MAIL_RATE_PER_MINUTE": "0"}
    result = CliRunner().invoke(main, [*cli, "digest", "send", "--now"], env=env)
    assert result.exit_code == 0, result.output
    digest = smtp.wait_for(2)[1]
    msg = digest.message
    assert msg["Subject"].startswith("crpv-watch : 2 nouveaux documents")
    text = plain(digest.raw)
    titles = re.findall(r"^\* (.+)$", text, flags=re.M)
    assert sorted(titles) == sorted(p["title"] for p in published)
    assert CliRunner().invoke(main, [*cli, "digest", "send", "--now"], env=env).exit_code == 0
    assert len(smtp.messages) == 2  # nothing more in the same period

    # The document link of the digest opens the document page.
    page.goto(re.search(r"Fiche : (\S+)", text).group(1))
    assert page.get_by_role("heading", level=1).inner_text() in titles

    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe in text
    page.goto(unsubscribe)
    button = page.get_by_role("button", name="Confirmer la désinscription")
    assert button.is_visible()
    one_click = page.request.post(unsubscribe, form={"List-Unsubscribe": "One-Click"})
    assert one_click.status == 200
    with services.db.session() as db:
        assert db.query(Subscriber).one().status == "unsubscribed"
    button.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Désinscription enregistrée"
