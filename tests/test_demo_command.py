"""`crpv-watch demo` — what `make run` runs —, `demo publish`, a crawl, a letter, and `crpv-watch serve`, as real
processes over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from mailbox import Maildir
from pathlib import Path

import httpx
from conftest import free_demo_port
from test_process_models import free_port, wait_for

from crpv_watch.demo import DemoNetwork
from crpv_watch.services import Services
from crpv_watch.settings import Settings
from crpv_watch.store import workspace

CLI = [sys.executable, "-m", "crpv_watch"]


def total(base: str) -> int:
    try:
        resp = httpx.get(f"{base}/api/search?q=", timeout=5)
    except httpx.HTTPError:
        return -1
    return resp.json()["total"] if resp.status_code == 200 else -1


def start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "CRPV_WATCH_SECRET_KEY": "test", "CRPV_WATCH_RETRY_BASE_DELAY": "0"}
    return subprocess.Popen(CLI + args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CRPV_WATCH_SECRET_KEY": "test", "CRPV_WATCH_RETRY_BASE_DELAY": "0",
                               "CRPV_WATCH_CRAWL_DELAY": "0"})


def test_demo_crawls_serves_publishes_and_sends_a_letter_then_serve_reads_the_same_index(tmp_path):
    """One demo process for the whole story (its crawl is the costly part): `make run`'s demo serves the network;
    `demo publish` puts new documents on the running demo sites, the next crawl finds them (the CLI uses the demo's
    sources by itself, nothing leaves loopback), the review queue has work, and `digest send --now` leaves a letter
    with content in the demo's Maildir; then `serve` alone reads the same index."""
    expected = len(DemoNetwork(port=8800).manifest["documents"])
    data, demo_port, port = tmp_path / "data", free_demo_port(), free_port()
    demo = start(["--data-dir", str(data), "demo", "--port", str(port), "--demo-port", str(demo_port)],
                 tmp_path / "demo.log")
    try:
        wait_for(lambda: total(f"http://127.0.0.1:{port}") == expected, 180,
                 what=f"the demo's {expected} documents at /api/search")
        page = httpx.get(f"http://127.0.0.1:{port}/?q=conseil+citoyen", timeout=5).text
        assert '<html lang="fr"' in page and "documents" in page

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
        new = sum(s["new"] for s in report["sources"])
        assert new >= 3
        dry = cli(data, "digest", "send", "--dry-run")
        assert "Prochaines lettres" in dry.stdout and "--now" in dry.stdout
        sent = cli(data, "digest", "send", "--now")
        assert sent.returncode == 0, sent.stdout + sent.stderr
    finally:
        stop(demo)
    log = (tmp_path / "demo.log").read_text()
    assert f"{expected} documents dans l'index" in log and "http://127.0.0.1:" in log
    assert "Traceback" not in log

    box = Maildir(str(data / "mail"), create=False)
    texts = [part.get_payload(decode=True).decode() for message in box for part in message.walk()
             if part.get_content_type() == "text/plain"]
    assert any("Un potager sur le toit du centre social" in text for text in texts), texts
    services = Services(Settings.load(data_dir=data))
    try:
        with services.db.session() as session:
            waiting, docs = workspace.review_queue(session)
    finally:
        services.close()
    assert waiting >= 1 and "Retour sur la fête de la place du marché" in [d.title for d in docs]

    # `serve` alone reads what the demo wrote (the demo's sources file lives in the data directory)
    port = free_port()
    serve = start(["--data-dir", str(data), "--sources", str(data / "sources.demo.yaml"), "serve", "--port",
                   str(port)], tmp_path / "serve.log")
    try:
        wait_for(lambda: total(f"http://127.0.0.1:{port}") >= expected + new, 30, what="serve answering")
    finally:
        stop(serve)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
