"""What must hold on SQLite and PostgreSQL alike (this module runs in both passes of `make test`): column types
that keep their values, a crawl that stores what it fetched or says it failed, and migrations from every earlier
revision on PostgreSQL. Plus the settings that must never be silently ignored."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from click.testing import CliRunner
from conftest import fast_settings
from faulty_server import FaultyServer
from minisite import MiniSite, article, listing
from sqlalchemy import select, text

from crpv_watch.cli import main
from crpv_watch.services import Services
from crpv_watch.settings import Settings, SettingsError
from crpv_watch.store.db import Database, alembic_config, head_revision
from crpv_watch.store.models import Document, Place

pytestmark = pytest.mark.database

BIG_SIMHASH = (1 << 63) - 1  # the largest 63-bit simhash: beyond a 32-bit INTEGER
LONG_URL = "https://centre.example.org/ressources/" + "x" * 2400 + "?page=1"  # beyond the old VARCHAR(2000)


def test_column_types_hold_their_values(tmp_path):
    services = Services(fast_settings(tmp_path))
    paris_morning = dt.datetime(2026, 3, 29, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    try:
        with services.db.session() as session:
            doc = Document(id="d1", canonical_url=LONG_URL, source_id="s", content_hash="h", simhash=BIG_SIMHASH,
                           author="A" * 800, first_seen_at=paris_morning, updated_at=dt.datetime(2026, 1, 2, 3, 4))
            doc.places.append(Place(source_id="s", url=LONG_URL, etag='W/"' + "e" * 600 + '"'))
            session.add(doc)
        with services.db.session() as session:
            doc = session.get(Document, "d1")
            assert doc.simhash == BIG_SIMHASH
            assert doc.canonical_url == LONG_URL and doc.places[0].url == LONG_URL
            assert len(doc.author) == 800 and len(doc.places[0].etag) == 604
            # An aware instant comes back as the application's naive UTC; a naive one is UTC already.
            assert doc.first_seen_at == dt.datetime(2026, 3, 29, 7, 30)
            assert doc.updated_at == dt.datetime(2026, 1, 2, 3, 4)
            assert session.scalar(select(Document.id).where(Document.simhash == BIG_SIMHASH)) == "d1"
    finally:
        services.close()


def test_instants_do_not_depend_on_the_session_time_zone(postgres):
    """PostgreSQL only: a reader whose TimeZone is not UTC reads the same instants."""
    url = postgres.create_database()
    db = Database(url)
    with db.session() as session:
        session.add(Document(id="d1", canonical_url="https://a.example/1", source_id="s", content_hash="h",
                             first_seen_at=dt.datetime(2026, 6, 1, 12, 0)))
    db.dispose()
    shifted = Database(url + "?options=-c%20TimeZone%3DPacific/Auckland")
    with shifted.session() as session:
        assert session.scalar(text("SHOW TimeZone")) == "Pacific/Auckland"
        assert session.get(Document, "d1").first_seen_at == dt.datetime(2026, 6, 1, 12, 0)
    shifted.dispose()


@pytest.fixture
def eight_document_site():
    with FaultyServer() as server:
        site = MiniSite(server)
        paths = [f"/actualites/{n}" for n in range(8)]
        site.page("/", listing(paths))
        for path in paths:
            site.page(path, article(path))
        yield site


def crawl_cli(tmp_path, site, database_url: str):
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n- id: mini\n  name: Mini\n  region: ['11']\n  homepage: {site.base}/\n  start_urls: ['{site.base}/']\n"
                       "  private_hosts: ['127.0.0.1']\n", encoding="utf-8")
    env = {"CRPV_WATCH_DATABASE_URL": database_url, "CRPV_WATCH_CRAWL_DELAY": "0",
           "CRPV_WATCH_RETRY_BASE_DELAY": "0", "CRPV_WATCH_SECRET_KEY": "x"}
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "--sources", str(sources), *args], env=env)

    return invoke


def test_a_crawl_stores_what_it_fetched(tmp_path, eight_document_site):
    settings = fast_settings(tmp_path)
    cli = crawl_cli(tmp_path, eight_document_site, settings.database_url)
    result = cli("crawl", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sources"][0]["new"] == 8 and report["documents_total"] == 8, report
    found = json.loads(cli("search", "", "--json", "--limit", "20").stdout)
    assert found["total"] == 8


def test_a_crawl_whose_store_stage_fails_says_so(tmp_path, eight_document_site):
    """The database refusing every document (here a trigger; on PostgreSQL before 0004, the simhash's « integer
    out of range ») is a failed crawl: non-zero exit, a French message, the run recorded as failed."""
    settings = fast_settings(tmp_path)
    db = Database(settings.database_url)
    db.upgrade()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"))
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION "
                              "refuse()"))
        else:
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON documents "
                              "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    cli = crawl_cli(tmp_path, eight_document_site, settings.database_url)
    result = cli("crawl")
    assert result.exit_code == 4, result.output  # a write failure (4), as for a full disk
    assert "collecte n° 1 en échec : 8 document(s) refusé(s) par la base de données" in result.stderr
    assert "refused by the test" in result.stderr and "Traceback" not in result.output
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM crawl_runs")).scalar() == "failed"
    db.dispose()


def earlier_revisions() -> list[str | None]:
    """Every revision but the newest, oldest first (None: an empty database)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = [r.revision for r in script.walk_revisions()][::-1]
    return [None, *revisions[:-1]]


@pytest.mark.parametrize("start", earlier_revisions())
def test_db_upgrade_on_postgresql_from_empty_and_each_revision(tmp_path, postgres, start):
    from alembic import command

    url = postgres.create_database(migrated=False)
    if start:
        db = Database(url)
        with db.engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, start)
            # A row written by the old schema: its naive UTC instant must survive the change of column type.
            conn.execute(text("INSERT INTO documents (id, canonical_url, source_id, title, summary, text, "
                              "content_type, author, ocr, content_hash, doctype, doctype_explanation, status, "
                              "featured, from_first_crawl, first_seen_at, updated_at, meta) VALUES ('old', "
                              "'https://a.example/old', 's', 't', '', '', 'text/html', '', false, 'h', 'actualite', "
                              "'[]', 'active', false, false, '2026-01-15 08:00:00', '2026-01-15 08:00:00', '{}')"))
        db.dispose()
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "db", "upgrade"],
                                env={"CRPV_WATCH_DATABASE_URL": url.replace("postgresql+psycopg", "postgresql")})
    assert result.exit_code == 0, result.output
    assert "Base de données à jour" in result.output
    db = Database(url)
    with db.session() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
        session.add(Document(id="new", canonical_url=LONG_URL, source_id="s", content_hash="h", simhash=BIG_SIMHASH))
    with db.session() as session:
        assert session.get(Document, "new").simhash == BIG_SIMHASH
        if start:
            assert session.get(Document, "old").first_seen_at == dt.datetime(2026, 1, 15, 8, 0)
    db.dispose()


# -- settings: never silence --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["CRPV_WATCH_DATABSE_URL", "CRPV_WATCH_SEARCH_BACKEND_TYPO"])
def test_an_unknown_environment_variable_is_named_in_a_warning(caplog, name):
    with caplog.at_level(logging.WARNING, logger="crpv_watch.settings"):
        Settings.load(env={name: "x", "CRPV_WATCH_CRAWL_DELAY": "2", "CRPV_WATCH_CONFIG": ""})
    (record,) = caplog.records
    assert name in record.getMessage() and "inconnue" in record.getMessage()
    assert "CRPV_WATCH_CRAWL_DELAY" not in record.getMessage()


def test_known_variables_raise_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="crpv_watch.settings"):
        settings = Settings.load(env={"CRPV_WATCH_CRAWL_DELAY": "2", "CRPV_WATCH_EDITOR": "a@b.fr"})
    assert settings.crawl_delay == 2.0 and caplog.records == []


@pytest.mark.parametrize("content,key", [("crawl_delay = 1\ncrawl_dealy = 2\n", "crawl_dealy"),
                                         ("[crpv_watch]\ncrawl_delay = 1\n[autre]\nx = 1\n", "autre"),
                                         ("[crpv_watch]\ndatabase = 'x'\n", "database")])
def test_an_unknown_key_of_the_settings_file_is_an_error(tmp_path, content, key):
    config = tmp_path / "crpv-watch.toml"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=f"{config} : clé\\(s\\) inconnue\\(s\\) « {key} »"):
        Settings.load(config, env={})
    result = CliRunner().invoke(main, ["--config", str(config), "sources", "list"], env={})
    assert result.exit_code == 2 and f"« {key} »" in result.stderr and "Traceback" not in result.output


def test_the_writer_lock_is_an_advisory_lock_on_postgresql(tmp_path, postgres):
    """Writers on other machines exclude each other through the database, not a file; the busy one is named."""
    from crpv_watch.indexing.writer import WriterBusy, writer_lock
    from crpv_watch.store import locks

    settings = fast_settings(tmp_path, database_url=postgres.create_database(), writer_lock_timeout=0.5)
    other_node = locks.try_advisory_lock(settings.database_url, "crawl (nœud élu)")
    try:
        assert locks.try_advisory_lock(settings.database_url, "second") is None
        with pytest.raises(WriterBusy, match=r"crawl \(nud elu\)"), writer_lock(settings, "purge"):
            pass
    finally:
        locks.release(other_node)
    with writer_lock(settings, "purge"), writer_lock(settings, "purge (same process)"):
        assert locks.try_advisory_lock(settings.database_url, "third") is None
    assert not (settings.data_dir / "writer.lock").exists()
    third = locks.try_advisory_lock(settings.database_url, "after release")
    assert third is not None
    locks.release(third)


def test_nodes_starting_together_migrate_a_new_postgresql_database_once(tmp_path, postgres):
    """Every process upgrades at start: three at once against an empty database must all succeed."""
    import os
    import subprocess
    import sys

    url = postgres.create_database(migrated=False)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRPV_WATCH_")},
           "CRPV_WATCH_DATABASE_URL": url}
    procs = [subprocess.Popen([sys.executable, "-m", "crpv_watch", "--data-dir", str(tmp_path / f"n{n}"), "db",
                               "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for n in range(3)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
