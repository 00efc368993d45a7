"""Both process models end to end on loopback.

- ``run``: web + scheduler + index writer in one process (here: the app in a server thread beside the same
  background the command starts).
- production: ``crpv-watch worker`` (the only index writer) and gunicorn with two web workers, as two processes
  sharing a data directory: a document crawled by the worker appears in search served by gunicorn, and an
  editor's hide done through gunicorn reaches the index through the worker.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from editors_support import EDITOR, CentreSite, add_document, login, make_app, make_services, post

from crpv_watch.worker.runtime import start_background

VENV_BIN = Path(sys.executable).parent


def wait_for(predicate, timeout: float = 60.0, every: float = 0.3, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def site():
    site = CentreSite().start()
    site.add("jardins", "Jardins partagés au pied des immeubles")
    yield site
    site.stop()


def api_titles(get) -> list[str]:
    resp = get("/api/search?q=")
    return [r["title"] for r in resp.json()["results"]] if resp.status_code == 200 else []


def test_run_model_one_process(tmp_path, site):
    from werkzeug.serving import make_server

    svc = make_services(tmp_path, site.sources_yaml())
    add_document(svc, "ancien", "Un document déjà là", source_id="centre-demo")
    app = make_app(svc)
    scheduler = start_background(svc, mode="run")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            health = wait_for(lambda: (r := http.get("/healthz").json())["scheduler"]["status"] == "ok" and r,
                              10, what="heartbeat")
            assert health["scheduler"]["mode"] == "run" and health["scheduler"]["crawl_jobs"] == 1
            client = app.test_client()
            login(client, *EDITOR)
            assert post(client, "/editeurs/collectes/lancer", {"source": "centre-demo"}).status_code == 302
            wait_for(lambda: "Jardins partagés au pied des immeubles" in api_titles(http.get), 60,
                     what="the crawled document in search")
            # an editor's hide goes through the queue; the background drain carries it to the index
            post(client, "/editeurs/documents/ancien/masquer")
            wait_for(lambda: "Un document déjà là" not in api_titles(http.get), 20, what="the hide in search")
            html = client.get("/editeurs/collectes/").get_data(as_text=True)
            assert "terminée" in html
    finally:
        server.shutdown()
        scheduler.shutdown(wait=False)
        svc.close()


@pytest.fixture
def gunicorn():
    exe = VENV_BIN / "gunicorn"
    if not exe.exists() and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed (pip install -e '.[prod]')")
    return str(exe if exe.exists() else shutil.which("gunicorn"))


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""


def test_worker_and_gunicorn_two_processes(tmp_path, site, gunicorn):
    data_dir = tmp_path / "data"
    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    env = {**os.environ, "CRPV_WATCH_DATA_DIR": str(data_dir), "CRPV_WATCH_SOURCES_PATH": str(sources),
           "CRPV_WATCH_SECRET_KEY": "process-test-secret", "CRPV_WATCH_CRAWL_DELAY": "0",
           "CRPV_WATCH_RETRY_BASE_DELAY": "0", "CRPV_WATCH_NEW_PASSWORD": EDITOR[1], "PYTHONUNBUFFERED": "1"}
    cli = str(VENV_BIN / "crpv-watch")
    subprocess.run([cli, "users", "add", EDITOR[0], "--role", "editor"], env=env, check=True, timeout=60,
                   capture_output=True)
    port = free_port()
    worker = subprocess.Popen([cli, "-v", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    web = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
                            "crpv_watch.wsgi:app"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    logs = ""
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            def healthy():
                try:
                    data = http.get("/healthz").json()
                except (httpx.HTTPError, ValueError):
                    return None
                return data if data["scheduler"]["status"] == "ok" else None

            health = wait_for(healthy, 60, what="gunicorn up and the worker's heartbeat")
            assert health["scheduler"]["mode"] == "worker"
            assert api_titles(http.get) == []

            # sign in through gunicorn and ask for a crawl: the worker runs it
            html = http.get("/connexion").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
            resp = http.post("/connexion", data={"email": EDITOR[0], "password": EDITOR[1], "csrf_token": token,
                                                 "next": ""})
            assert resp.status_code == 302
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', http.get("/editeurs/").text).group(1)
            assert http.post("/editeurs/collectes/lancer", data={"csrf_token": token}).status_code == 302

            # every gunicorn worker sees the document without restart
            wait_for(lambda: "Jardins partagés au pied des immeubles" in api_titles(http.get), 90,
                     what="the worker's document in gunicorn's search")
            # each gunicorn worker notices the new commit within the engine's check interval (1 s)
            wait_for(lambda: all("Jardins partagés au pied des immeubles" in api_titles(http.get) for _ in range(6)),
                     10, what="every gunicorn worker to see the document")

            # a second publication reaches search after the next crawl, still without restart
            site.add("conseil", "Le conseil citoyen fait son bilan")
            assert http.post("/editeurs/collectes/lancer", data={"csrf_token": token}).status_code == 302
            wait_for(lambda: "Le conseil citoyen fait son bilan" in api_titles(http.get), 90,
                     what="the second document")

            # hide through gunicorn: the database and the queue change; the worker's drain updates the index
            def conseil_id():  # any gunicorn worker may answer: each sees the commit within its check interval
                return next((r["id"] for r in http.get("/api/search?q=").json()["results"]
                             if r["title"] == "Le conseil citoyen fait son bilan"), None)

            doc_id = wait_for(conseil_id, 10, what="the second document's id")
            assert http.post(f"/editeurs/documents/{doc_id}/masquer", data={"csrf_token": token}).status_code == 302
            wait_for(lambda: "Le conseil citoyen fait son bilan" not in api_titles(http.get), 30,
                     what="the hidden document to leave search")
    except AssertionError as exc:
        logs = _stop(web) + _stop(worker)
        raise AssertionError(f"{exc}\n--- logs ---\n{logs[-6000:]}") from exc
    finally:
        logs = logs or (_stop(web) + _stop(worker))
    assert "Traceback" not in logs, logs[-3000:]
