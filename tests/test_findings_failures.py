"""Issue 13, findings 7 and 10: write failures and a busy index, seen from real processes.

- A crawl whose index sits on a full file system (a 1 MB tmpfs, filled) prints its report and one French line,
  exits with status 4, and shows no traceback; with a read-only database, the same one line.
- ``crpv-watch serve`` whose database and index cannot be written: ``/healthz`` answers 503 naming both, a
  sign-in answers a French 503 page, never a 500.
- What killed rebuilds leave in the index directory is removed by the next rebuild and at the worker's start.
- ``tags set`` while another live process holds the Whoosh lock: a French message and a non-zero exit.

Full disks come from a small tmpfs and read-only files from ``chattr +i`` (both need root, as on the
development machines and CI); the tests skip with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from editors_support import EDITOR, CentreSite, add_document, make_services
from test_process_models import _stop, free_port, wait_for

VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "crpv-watch")


def _root_tool(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"{' '.join(args[:2])} is not permitted here ({result.stderr.strip()}): needs root")


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB file system of its own, unmounted at the end."""
    mount_point = tmp_path / "petit-disque"
    mount_point.mkdir()
    _root_tool(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)])
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> None:
    fd = os.open(directory / "remplissage", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as exc:
        (directory / "sonde").write_bytes(b"\0" * 8192)
    assert exc.value.errno == errno.ENOSPC


@contextlib.contextmanager
def immutable(*paths: Path):
    """``chattr +i``: not even root may write (a read-only database or index), undone at the end."""
    done = []
    try:
        for path in paths:
            if path.exists():
                _root_tool(["chattr", "+i", str(path)])
                done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run(["chattr", "-i", str(path)], check=False)


def cli_env(svc, **extra) -> dict:
    s = svc.settings
    return {**os.environ, "CRPV_WATCH_DATA_DIR": str(s.data_dir), "CRPV_WATCH_SOURCES_PATH": str(s.sources_path),
            "CRPV_WATCH_INDEX_DIR": str(s.index_dir), "CRPV_WATCH_SECRET_KEY": "test-secret",
            "CRPV_WATCH_CRAWL_DELAY": "0", "PYTHONUNBUFFERED": "1", **extra}


def database_files(svc) -> list[Path]:
    db = Path(svc.settings.database_url.removeprefix("sqlite:///"))
    return [db, db.with_name(db.name + "-wal")]


@pytest.fixture
def site():
    site = CentreSite().start()
    for n in range(12):
        site.add(f"doc-{n}", f"Publication numéro {n} sur les jardins partagés")
    yield site
    site.stop()


def test_a_crawl_on_a_full_disk_reports_and_says_so_in_one_french_line(tmp_path, small_disk, site):
    svc = make_services(tmp_path, site.sources_yaml(), index_dir=small_disk / "index")
    svc.engine.count()  # the live generation exists; then the disk fills up
    svc.close()
    fill(small_disk)
    crawl = subprocess.run([CLI, "crawl"], env=cli_env(svc, COLUMNS="160"), capture_output=True, text=True,
                           timeout=240)
    assert crawl.returncode == 4, crawl.stderr[-3000:]
    assert "Traceback" not in crawl.stderr + crawl.stdout
    assert "Collecte n°" in crawl.stderr  # the report, as far as the crawl got
    [line] = [ln for ln in crawl.stderr.splitlines() if ln.startswith("Erreur :")]
    assert "disque plein" in line

    with immutable(*database_files(svc)):
        again = subprocess.run([CLI, "crawl"], env=cli_env(svc), capture_output=True, text=True, timeout=120)
    assert again.returncode == 4 and "Traceback" not in again.stderr, again.stderr[-3000:]
    assert re.search(r"^Erreur : .*(lecture seule|entrée-sortie)", again.stderr, re.M), again.stderr[-2000:]


def test_healthz_and_sign_in_when_nothing_can_be_written(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "doc", "Un document")
    svc.close()
    port = free_port()
    web = subprocess.Popen([CLI, "serve", "--port", str(port)], env=cli_env(svc), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    logs = ""
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            wait_for(lambda: _status(http, "/healthz") == 200, 60, what="the site up and healthy")
            html = http.get("/connexion").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
            index_dir = Path(svc.settings.index_dir)
            with immutable(*database_files(svc), index_dir, *index_dir.glob("v-*")):
                health = http.get("/healthz")
                assert health.status_code == 503
                assert set(health.json()["failing"]) == {"database", "index"}, health.json()
                login = http.post("/connexion", data={"email": EDITOR[0], "password": "mauvais-mot-de-passe",
                                                      "csrf_token": token, "next": ""})
                assert login.status_code == 503 and "momentanément impossible" in login.text
            assert http.get("/healthz").status_code == 200
    finally:
        logs = _stop(web)
    assert "Traceback" not in logs, logs[-3000:]


def _status(http: httpx.Client, path: str) -> int | None:
    try:
        return http.get(path).status_code
    except httpx.HTTPError:
        return None


def test_leftovers_of_killed_rebuilds_are_removed(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "doc", "Un document")
    index_dir = Path(svc.settings.index_dir)
    live = (index_dir / "CURRENT").read_text().strip()
    svc.close()

    def leave_leftovers() -> list[Path]:
        # What `index rebuild` leaves when killed: a generation being filled, a pointer being written.
        generation = index_dir / "v-20260101-000000-dead00"
        generation.mkdir()
        (generation / "MAIN_segment.seg").write_bytes(b"\0" * 1000)
        pointer = index_dir / ".CURRENT.4242.deadbeef.tmp"
        pointer.write_text("v-20260101-000000-dead00")
        return [generation, pointer]

    leftovers = leave_leftovers()
    rebuild = subprocess.run([CLI, "index", "rebuild"], env=cli_env(svc), capture_output=True, text=True,
                             timeout=120)
    assert rebuild.returncode == 0, rebuild.stderr[-2000:]
    assert not any(p.exists() for p in leftovers)

    leftovers = leave_leftovers()
    worker = subprocess.Popen([CLI, "worker"], env=cli_env(svc), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: not any(p.exists() for p in leftovers), 30, what="the worker to clear the leftovers")
    finally:
        logs = _stop(worker)
    assert "Traceback" not in logs, logs[-3000:]
    assert (index_dir / "CURRENT").read_text().strip() != live or (index_dir / live).is_dir()


HOLD_THE_INDEX_LOCK = textwrap.dedent("""\
    import sys, time
    from crpv_watch.search.generations import read_pointer, storage
    from pathlib import Path

    index_dir = Path(sys.argv[1])
    ix = storage(index_dir / read_pointer(index_dir)).open_index()
    writer = ix.writer()
    print("locked", flush=True)
    time.sleep(120)
""")


def test_tags_set_on_a_busy_index_says_so_in_french(tmp_path):
    svc = make_services(tmp_path)
    add_document(svc, "doc", "Un document")
    svc.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_INDEX_LOCK, str(svc.settings.index_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = subprocess.run([CLI, "tags", "set", "doc", "--add", "participation_habitants"], env=cli_env(svc),
                                capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Erreur : l'index de recherche est verrouillé")
