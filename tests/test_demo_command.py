"""`crpv-watch demo` — what `make run` runs — and `crpv-watch serve`, as real processes over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import free_demo_port
from test_process_models import free_port, wait_for

from crpv_watch.demo import DemoNetwork

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


def test_demo_crawls_the_network_and_serves_it_then_serve_reads_the_same_index(tmp_path):
    expected = len(DemoNetwork(port=8800).manifest["documents"])
    data, demo_port, port = tmp_path / "data", free_demo_port(), free_port()
    demo = start(["--data-dir", str(data), "demo", "--port", str(port), "--demo-port", str(demo_port)],
                 tmp_path / "demo.log")
    try:
        wait_for(lambda: total(f"http://127.0.0.1:{port}") == expected, 120,
                 what=f"the demo's {expected} documents at /api/search")
        page = httpx.get(f"http://127.0.0.1:{port}/?q=conseil+citoyen", timeout=5).text
        assert '<html lang="fr"' in page and "documents" in page
    finally:
        stop(demo)
    log = (tmp_path / "demo.log").read_text()
    assert f"{expected} documents dans l'index" in log and "http://127.0.0.1:" in log

    # `serve` alone reads what the demo wrote (the demo's sources file lives in the data directory)
    port = free_port()
    serve = start(["--data-dir", str(data), "--sources", str(data / "sources.demo.yaml"), "serve", "--port",
                   str(port)], tmp_path / "serve.log")
    try:
        wait_for(lambda: total(f"http://127.0.0.1:{port}") == expected, 30, what="serve answering")
    finally:
        stop(serve)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
