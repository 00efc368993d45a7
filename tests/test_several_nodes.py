"""Several nodes, sharing nothing but PostgreSQL: one `crpv-watch worker` and two web nodes (gunicorn), each with
its own data directory and its own copy of the configuration.

- a document crawled by the worker (asked for through node A) is found on both nodes;
- an editor's hide on node A is gone from search on node B within one drain period;
- a login lock set through node A holds on node B;
- node B's /healthz sees the worker's heartbeat.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import httpx
import pytest
from editors_support import EDITOR
from test_process_models import VENV_BIN, _stop, api_titles, free_port, gunicorn, site, wait_for  # noqa: F401

from crpv_watch.indexing.node import DRAIN_EVERY

TITLE = "Jardins partagés au pied des immeubles"
LOGIN_LIMIT = 3


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def node_env(tmp_path, name: str, database_url: str, sources_yaml: str, **extra: str) -> dict[str, str]:
    home = tmp_path / name
    (home / "etc").mkdir(parents=True)
    sources = home / "etc" / "sources.yaml"  # each node its own copy of the configuration, like its own machine
    sources.write_text(sources_yaml, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRPV_WATCH_")}
    env.update({"CRPV_WATCH_DATA_DIR": str(home / "data"), "CRPV_WATCH_SOURCES_PATH": str(sources),
                "CRPV_WATCH_DATABASE_URL": database_url, "CRPV_WATCH_SECRET_KEY": "nodes-test-secret",
                "CRPV_WATCH_CRAWL_DELAY": "0", "CRPV_WATCH_RETRY_BASE_DELAY": "0",
                "CRPV_WATCH_LOGIN_RATE_LIMIT": str(LOGIN_LIMIT), "PYTHONUNBUFFERED": "1", **extra})
    return env


def sign_in(http: httpx.Client, password: str) -> httpx.Response:
    token = csrf(http.get("/connexion").text)
    return http.post("/connexion", data={"email": EDITOR[0], "password": password, "csrf_token": token, "next": ""})


def test_one_worker_two_web_nodes_share_only_the_database(tmp_path, site, gunicorn, postgres):  # noqa: F811
    database_url = postgres.create_database().replace("postgresql+psycopg", "postgresql")
    worker_env = node_env(tmp_path, "worker", database_url, site.sources_yaml())
    envs = {n: node_env(tmp_path, n, database_url, site.sources_yaml(), CRPV_WATCH_NODE_NAME=n)
            for n in ("web-a", "web-b")}
    cli = str(VENV_BIN / "crpv-watch")
    subprocess.run([cli, "users", "add", EDITOR[0], "--role", "editor"], check=True, timeout=60, capture_output=True,
                   env={**worker_env, "CRPV_WATCH_NEW_PASSWORD": EDITOR[1]})
    ports = {n: free_port() for n in envs}
    procs = {"worker": subprocess.Popen([cli, "-v", "worker"], env=worker_env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)}
    for name, env in envs.items():
        procs[name] = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{ports[name]}", "--graceful-timeout",
                                        "5", "crpv_watch.wsgi:app"], env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT)
    logs = ""
    try:
        a = httpx.Client(base_url=f"http://127.0.0.1:{ports['web-a']}", timeout=10)
        b = httpx.Client(base_url=f"http://127.0.0.1:{ports['web-b']}", timeout=10)

        def healthy(http):
            try:
                data = http.get("/healthz").json()
            except (httpx.HTTPError, ValueError):
                return None
            return data if data["scheduler"]["status"] == "ok" else None

        for http in (a, b):  # the worker's heartbeat reaches both nodes through the database
            assert wait_for(lambda http=http: healthy(http), 90, what="nodes up")["scheduler"]["mode"] == "worker"

        # A crawl asked for on node A is run by the worker; its document is found on both nodes.
        assert sign_in(a, EDITOR[1]).status_code == 302
        token = csrf(a.get("/editeurs/").text)
        assert a.post("/editeurs/collectes/lancer", data={"csrf_token": token}).status_code == 302
        def crawled_id(http):
            # Each gunicorn worker refreshes its own searcher: the id is read from the very answer that shows the
            # document, never from a second request that may reach a worker not yet refreshed.
            resp = http.get("/api/search?q=")
            found = [r["id"] for r in resp.json()["results"] if r["title"] == TITLE] if resp.status_code == 200 else []
            return found[0] if found else None

        ids = {wait_for(lambda http=http: crawled_id(http), 90, what="the crawled document on a node") for http in (a, b)}
        assert len(ids) == 1, ids  # one database, one id
        doc_id = ids.pop()

        # Hidden on node A: gone from node B's search within one drain period (plus the readers' refresh).
        assert a.post(f"/editeurs/documents/{doc_id}/masquer", data={"csrf_token": token}).status_code == 302
        hidden_at = time.monotonic()
        wait_for(lambda: all(TITLE not in api_titles(b.get) for _ in range(4)), 30, every=0.2,
                 what="the hide on node B")
        assert time.monotonic() - hidden_at <= DRAIN_EVERY + 2.5

        # Failed sign-ins through node A lock the address on node B too.
        other = httpx.Client(base_url=a.base_url, timeout=10)
        for _ in range(LOGIN_LIMIT):
            assert sign_in(other, "mauvais mot de passe").status_code == 401
        fresh_b = httpx.Client(base_url=b.base_url, timeout=10)
        locked = sign_in(fresh_b, EDITOR[1])
        assert locked.status_code == 429 and "Trop de tentatives" in locked.text

        # Nothing went through files: no node ever wrote into the worker's data directory, nor the reverse.
        worker_files = {p.name for p in (tmp_path / "worker" / "data").iterdir()}
        assert not worker_files & {"crawl-requests", "rebuild-requests", "heartbeat.json", "index-rebuild.json"}
    except AssertionError as exc:
        logs = "".join(_stop(p) for p in procs.values())
        raise AssertionError(f"{exc}\n--- logs ---\n{logs[-8000:]}") from exc
    finally:
        logs = logs or "".join(_stop(p) for p in procs.values())
    assert "Traceback" not in logs, logs[-3000:]


pytestmark = pytest.mark.timeout(400)
