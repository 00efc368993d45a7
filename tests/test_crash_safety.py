"""Crash safety of `crpv-watch crawl`, as real processes against the demo network.

A crawl is SIGKILLed mid-run while a second `crawl` waits for the writer lock and gives up with a clear message;
a new crawl then finishes the work without manual steps: no duplicate, no half-written document, an index that
agrees with the store, the killed run marked ``interrupted``. Its ``--json`` stdout is pure JSON, progress on
stderr.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_demo_port

from crpv_watch.demo import DemoNetwork
from crpv_watch.text.dedup import canonicalize

DEMO_PORT = free_demo_port()  # a fixed port collided with concurrent test runs
CLI = str(Path(sys.executable).parent / "crpv-watch")


@pytest.fixture(scope="module")
def network():
    net = DemoNetwork(port=DEMO_PORT)
    net.start()
    yield net
    net.stop()


def cli(tmp_path: Path, sources: Path, *args: str) -> list[str]:
    return [CLI, "--data-dir", str(tmp_path / "data"), "--sources", str(sources), *args]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRPV_WATCH_")}
    env.update({"CRPV_WATCH_RETRY_BASE_DELAY": "0", "CRPV_WATCH_SECRET_KEY": "x", "CRPV_WATCH_PDF_WORKERS": "1"})
    env.update({f"CRPV_WATCH_{k.upper()}": v for k, v in extra.items()})
    return env


def query(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        con.close()


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_mid_crawl_then_recrawl(tmp_path, network):
    sources = network.write_sources(tmp_path / "sources.yaml")
    db = tmp_path / "data" / "crpv-watch.db"
    expected = len(network.manifest["documents"])
    first = subprocess.Popen(cli(tmp_path, sources, "crawl"), env=environment(crawl_delay="0.5"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_for(lambda: db.exists() and (query(db, "select count(*) from documents") or [(0,)])[0][0] >= 12,
                 90, "the first crawl to store a dozen documents")
        # A second writer waits for the lock (1 s here), then fails with a clear message.
        second = subprocess.run(cli(tmp_path, sources, "crawl"), env=environment(writer_lock_timeout="1"),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 3, second.stderr
        assert "un autre processus écrit déjà" in second.stderr and "Another process" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert first.poll() is None, "the first crawl ended before it could be killed: slow it down"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        first.stderr.close()
    stored = query(db, "select count(*) from documents")[0][0]
    assert 12 <= stored < expected

    # The next crawl needs no manual step (no lock file deleted) and completes the work.
    third = subprocess.run(cli(tmp_path, sources, "crawl", "--json"), env=environment(crawl_delay="0"),
                           capture_output=True, text=True, timeout=180)
    assert third.returncode == 0, third.stderr
    report = json.loads(third.stdout)  # stdout is the report and nothing else
    assert "terminé" in third.stderr  # progress went to stderr
    assert report["status"] == "completed"
    assert sum(len(s["errors"]) for s in report["sources"]) == 0, report

    runs = query(db, "select id, status from crawl_runs order by id")
    assert runs == [(1, "interrupted"), (report["run_id"], "completed")]
    places = {u for (u,) in query(db, "select url from places")}
    missing = [d["url"] for d in network.manifest["documents"] if canonicalize(d["url"]) not in places]
    assert not missing, (missing, report)
    assert query(db, "select count(*) from documents")[0][0] == expected  # no duplicate, none lost
    assert query(db, "select count(*) from (select url from places group by url having count(*) > 1)") == [(0,)]
    half = query(db, "select d.id from documents d left join places p on p.document_id = d.id "
                     "where p.id is null or d.text = '' or d.content_hash = '' or d.title = ''")
    assert half == []
    assert query(db, "select count(*) from index_queue") == [(0,)]
    searchable = query(db, "select count(*) from documents where status = 'active'")[0][0]
    assert report["documents_total"] == searchable == expected
    found = subprocess.run(cli(tmp_path, sources, "search", "", "--json", "--limit", "5"), env=environment(),
                           capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == expected
