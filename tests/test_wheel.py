"""The built wheel is a whole site: installed in a fresh virtual environment outside the checkout, it serves a
search page over HTTP and renders a letter, with the templates and static files it carries."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LETTER = """
import datetime as dt
from crpv_watch.digest.build import Candidate, DigestContent, Group, Item
from crpv_watch.digest.render import Renderer
from crpv_watch.settings import Settings, TEMPLATES_DIR
import crpv_watch

assert str(TEMPLATES_DIR).startswith(str(__import__("pathlib").Path(crpv_watch.__file__).parent)), TEMPLATES_DIR
now = dt.datetime(2026, 3, 2, 6, 30)
doc = Candidate(id="d1", title="Un jardin partagé", summary="Les habitants ont créé un jardin.",
                url="http://127.0.0.1:9/d1", centre="oriv", regions=frozenset(), themes=("sante",),
                doctype="guide_methodologique", published=dt.date(2026, 3, 1), first_seen_at=now, featured=False)
content = DigestContent(1, now - dt.timedelta(days=7), now, [], [Group(1, {"q": "jardin"}, [Item(doc, 1.0)])])
subject, text, html = Renderer(Settings(), lambda facet, value: value).digest(
    content, "weekly", {"manage_url": "https://x/gerer", "unsubscribe_url": "https://x/desinscription"})
assert "Un jardin partagé" in text and "Un jardin partagé" in html and "<html" in html.lower(), html[:200]
print("LETTER OK", subject)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; the dependencies are this environment's (a .pth line, no download)."""
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"),
                            str(ROOT)], capture_output=True, text=True, cwd=work, timeout=600)
    if build.returncode != 0 and "Could not find a version" in build.stderr:
        pytest.skip("setuptools for the build is neither in pip's cache nor reachable")
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = (work / "dist").glob("crpv_watch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for carried in ("crpv_watch/templates/base.html", "crpv_watch/templates/mail/digest.html",
                    "crpv_watch/templates/search/index.html", "crpv_watch/web/static/style.css",
                    "crpv_watch/data/themes.yaml"):
        assert carried in names, carried
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.check_output([venv / "bin" / "python", "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # This environment's packages come after the venv's own, without running its .pth files (so no editable
    # finder pointing back at the checkout).
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    with zipfile.ZipFile(wheel) as archive:  # what pip does for a pure wheel, minus the network
        archive.extractall(site)
    scripts = venv / "bin" / "crpv-watch"
    scripts.write_text(f"#!{venv / 'bin' / 'python'}\nfrom crpv_watch.cli import main\nmain(prog_name='crpv-watch')\n")
    scripts.chmod(0o755)
    return venv


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRPV_WATCH_", "PYTHON"))}
    env["CRPV_WATCH_DATA_DIR"] = str(tmp / "data")
    env["CRPV_WATCH_SECRET_KEY"] = "wheel-test"
    return env


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    where = subprocess.check_output([installed / "bin" / "python", "-c", "import crpv_watch; print(crpv_watch.__file__)"],
                                    text=True, cwd=tmp_path, env=_env(tmp_path)).strip()
    assert str(installed) in where and str(ROOT) not in where


def test_the_installed_package_serves_a_search_page(installed, tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text((ROOT / "sources.demo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    port = _free_port()
    proc = subprocess.Popen([installed / "bin" / "crpv-watch", "--sources", str(sources), "serve", "--host",
                             "127.0.0.1", "--port", str(port)], cwd=tmp_path, env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=jardin", timeout=5) as resp:
                    assert resp.status == 200
                    body = resp.read().decode("utf-8")
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stdout.read())
                time.sleep(0.2)
        assert body is not None, "the server never answered"
        assert 'lang="fr"' in body and "jardin" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=5) as resp:
            assert resp.status == 200 and resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_installed_package_renders_a_letter(installed, tmp_path):
    out = subprocess.run([installed / "bin" / "python", "-c", LETTER], cwd=tmp_path, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "LETTER OK" in out.stdout
