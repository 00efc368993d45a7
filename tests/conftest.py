"""Shared fixtures: settings in a temporary data directory, the ../shared corpora, the browser, and the database.

``pytest --database=postgresql`` runs the tests marked ``database`` against a throwaway PostgreSQL cluster
(tests/pg_cluster.py) instead of SQLite: every ``fast_settings`` then points at a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from crpv_watch.settings import PROJECT_ROOT, Settings

SHARED_DIR = Path(os.environ.get("CRPV_WATCH_SHARED", PROJECT_ROOT.parent / "shared"))
CHROMIUM = os.environ.get("CRPV_WATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"../shared is absent ({SHARED_DIR}): corpus tests need it")
    return SHARED_DIR


def pytest_addoption(parser):
    parser.addoption("--database", choices=["sqlite", "postgresql"], default="sqlite",
                     help="Database of the tests' settings (PostgreSQL: a throwaway cluster, see tests/pg_cluster.py)")


def pytest_configure(config):
    global _DATABASE
    _DATABASE = config.getoption("--database")


def pytest_unconfigure(config):
    if _PG is not None:
        _PG.stop()


_DATABASE = "sqlite"
_PG = None  # the session's PostgreSQL cluster, started on first use


def postgres_cluster():
    """The session's throwaway PostgreSQL cluster; a skip with the reason when there is none (a failure in CI)."""
    global _PG
    from pg_cluster import PgCluster, PostgresUnavailable

    if _PG is None:
        try:
            _PG = PgCluster().start()
        except PostgresUnavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true: {exc}")
            pytest.skip(str(exc))
    return _PG


_TEST_DATABASES: dict[Path, str] = {}  # data directory -> its PostgreSQL database, for the current test


def database_url_for_test(data_dir: Path) -> str | None:
    """Under --database=postgresql, the PostgreSQL database standing for ``data_dir``'s SQLite file (the first
    data directory of a test gets the one in the environment); None (SQLite in the data dir) otherwise."""
    if _DATABASE != "postgresql":
        return None
    if data_dir not in _TEST_DATABASES:
        env_url = os.environ.get("CRPV_WATCH_DATABASE_URL")
        claimed = env_url and env_url in _TEST_DATABASES.values()
        _TEST_DATABASES[data_dir] = env_url if env_url and not claimed else postgres_cluster().create_database()
    return _TEST_DATABASES[data_dir]


@pytest.fixture(autouse=True)
def _postgresql_database(request, monkeypatch):
    """Under --database=postgresql, a fresh database per test, also in the environment: the commands a test runs
    (CliRunner, subprocesses) then use the database its services use."""
    _TEST_DATABASES.clear()
    if _DATABASE == "postgresql" and request.node.get_closest_marker("database"):
        monkeypatch.setenv("CRPV_WATCH_DATABASE_URL", postgres_cluster().create_database())


@pytest.fixture
def postgres():
    """The session's PostgreSQL cluster, whatever --database says (tests that need PostgreSQL itself)."""
    return postgres_cluster()


def fast_settings(tmp_path: Path, **overrides) -> Settings:
    """Settings for tests: a private data directory and politeness delays turned down."""
    values = dict(data_dir=tmp_path / "data", crawl_delay=0.0, retry_base_delay=0.0, retry_after_cap=2.0,
                  connect_timeout=3.0, read_timeout=5.0, total_timeout=20.0, secret_key="test-secret",
                  pdf_timeout=20.0)
    values.update(overrides)
    if "database_url" not in overrides:
        values["database_url"] = database_url_for_test(Path(values["data_dir"]))
    return Settings(**values)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives (tests/smtp_server.py)."""
    from smtp_server import SMTPServer

    with SMTPServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path) -> Settings:
    return fast_settings(tmp_path)


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright; skipped (or failed under CI=true) when absent."""
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: run `make test` as root to install it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def free_demo_port(addresses: int = 5) -> int:
    """A port free on 127.0.0.2…127.0.0.(1+addresses), so that concurrent test runs never collide."""
    import random
    import socket

    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 40000)
        sockets = []
        try:
            for n in range(addresses):
                s = socket.socket()
                sockets.append(s)
                s.bind((f"127.0.0.{2 + n}", port))
            return port
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free port for the demo network")


@pytest.fixture
def services(tmp_path):
    """The web tests' corpus (tests/test_web_search.py), indexed; modules with their own `services` override it."""
    from test_web_search import build_services

    svc = build_services(tmp_path)
    yield svc
    svc.close()


@pytest.fixture
def client(services):
    """A Flask test client on whatever `services` the module provides."""
    from crpv_watch.web.app import create_app

    app = create_app(services=services)
    app.config["TESTING"] = True
    return app.test_client()
