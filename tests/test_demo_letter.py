"""The demo shows everything: after `make run` (`crpv-watch demo`), `crpv-watch demo publish` puts new documents
on the running demo sites, the next crawl finds them (the CLI uses the demo's sources by itself, nothing leaves
loopback), the review queue has work, and `digest send --now` leaves a letter with content in the demo's
Maildir. Real processes, real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from mailbox import Maildir

from conftest import free_demo_port
from test_demo_command import CLI, start, stop, total
from test_process_models import free_port, wait_for

from crpv_watch.demo import DemoNetwork


def cli(data, *args) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CRPV_WATCH_SECRET_KEY": "test", "CRPV_WATCH_RETRY_BASE_DELAY": "0",
                               "CRPV_WATCH_CRAWL_DELAY": "0"})


def test_demo_publish_crawl_and_a_letter_with_content(tmp_path):
    expected = len(DemoNetwork(port=8800).manifest["documents"])
    data, demo_port, port = tmp_path / "data", free_demo_port(), free_port()
    demo = start(["--data-dir", str(data), "demo", "--port", str(port), "--demo-port", str(demo_port)],
                 tmp_path / "demo.log")
    try:
        wait_for(lambda: total(f"http://127.0.0.1:{port}") == expected, 180, what="the demo's documents")
        added = cli(data, "subscribers", "add", "moi@example.org", "--confirmed")
        assert added.returncode == 0, added.stderr
        published = cli(data, "demo", "publish")
        assert published.returncode == 0, published.stdout + published.stderr
        assert "Un potager sur le toit du centre social" in published.stdout
        crawled = cli(data, "crawl", "--json")
        assert crawled.returncode == 0, crawled.stderr
        assert "sources.demo.yaml" in crawled.stderr  # the demo's sources, said so
        report = json.loads(crawled.stdout)
        assert {s["id"] for s in report["sources"]} == set(DemoNetwork(port=demo_port).urls)
        assert sum(s["new"] for s in report["sources"]) >= 3
        dry = cli(data, "digest", "send", "--dry-run")
        assert "Prochaines lettres" in dry.stdout and "--now" in dry.stdout
        sent = cli(data, "digest", "send", "--now")
        assert sent.returncode == 0, sent.stdout + sent.stderr
    finally:
        stop(demo)
    box = Maildir(str(data / "mail"), create=False)
    texts = [part.get_payload(decode=True).decode() for message in box for part in message.walk()
             if part.get_content_type() == "text/plain"]
    assert any("Un potager sur le toit du centre social" in text for text in texts), texts
    log = (tmp_path / "demo.log").read_text()
    assert "Traceback" not in log
    from crpv_watch.services import Services
    from crpv_watch.settings import Settings
    from crpv_watch.store import workspace

    services = Services(Settings.load(data_dir=data))
    with services.db.session() as session:
        waiting, docs = workspace.review_queue(session)
    assert waiting >= 1 and "Retour sur la fête de la place du marché" in [d.title for d in docs]
