"""`crpv-watch db copy FROM TO`: a SQLite install moves to PostgreSQL, and after `index rebuild` on a new data
directory its search answers exactly as before."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import fast_settings
from sqlalchemy import func, select
from test_web_search import CORPUS, build_services

from crpv_watch.cli import main
from crpv_watch.digest.subscriptions import subscribe
from crpv_watch.search.types import SearchRequest
from crpv_watch.services import Services
from crpv_watch.store.db import Database
from crpv_watch.store.models import AuditLog, Document, Subscriber

REQUESTS = [SearchRequest(q="jardin"), SearchRequest(q="", per_page=50), SearchRequest(q="habitants", sort="date_desc"),
            SearchRequest(q="", theme=["participation_habitants"], per_page=50)]


def answers(services: Services) -> list[dict]:
    return [services.engine.search(req).to_json() for req in REQUESTS]


@pytest.fixture
def sqlite_install(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    services = build_services(old, database_url=f"sqlite:///{old / 'data' / 'crpv-watch.db'}")
    with services.db.session() as session:
        subscribe(session, "lecteur@example.org", {"q": "jardin"}, name="Jardins", source="test")
        session.add(AuditLog(user_email="editrice@example.org", action="document.hide", target="x"))
    yield services
    services.close()


def test_a_sqlite_install_moves_to_postgresql_and_answers_the_same(tmp_path, sqlite_install, postgres):
    before = answers(sqlite_install)
    assert before[0]["total"] > 0 and before[1]["total"] > 5
    target = postgres.create_database(migrated=False).replace("postgresql+psycopg", "postgresql")
    runner = CliRunner()
    result = runner.invoke(main, ["db", "copy", sqlite_install.settings.database_url, target], env={})
    assert result.exit_code == 0, result.output
    assert "Copie terminée" in result.output and "documents" in result.output

    new_settings = fast_settings(tmp_path / "new", database_url=target,
                                 sources_path=sqlite_install.settings.sources_path,
                                 results_per_page=sqlite_install.settings.results_per_page)
    env = {"CRPV_WATCH_DATABASE_URL": target}
    result = runner.invoke(main, ["--data-dir", str(new_settings.data_dir), "--sources",
                                  str(new_settings.sources_path), "index", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    moved = Services(new_settings)
    try:
        assert answers(moved) == before
        with moved.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Document)) == len(CORPUS) + 1  # the hidden one too
            # The serial ids went on after the copied rows: a new subscriber does not collide.
            subscribe(session, "autre@example.org", {"q": "sport"}, name="Sport", source="test")
            assert session.scalar(select(func.count()).select_from(Subscriber)) == 2
    finally:
        moved.close()


def test_db_copy_refuses_a_target_that_holds_data(tmp_path, sqlite_install, postgres):
    target = postgres.create_database()
    db = Database(target)
    with db.session() as session:
        session.add(AuditLog(action="x", target="déjà là"))
    db.dispose()
    result = CliRunner().invoke(main, ["db", "copy", sqlite_install.settings.database_url, target], env={})
    assert result.exit_code == 2
    assert "la base cible contient déjà des données (tables : audit_log)" in result.stderr


def test_db_copy_refuses_a_source_not_migrated(tmp_path, postgres):
    result = CliRunner().invoke(main, ["db", "copy", f"sqlite:///{tmp_path / 'vide.db'}",
                                       postgres.create_database(migrated=False)], env={})
    assert result.exit_code == 2 and "la base source n'est pas à jour" in result.stderr


def test_db_copy_to_an_unreachable_server_is_a_french_error(tmp_path, sqlite_install):
    from pg_cluster import free_port

    result = CliRunner().invoke(main, ["db", "copy", sqlite_install.settings.database_url,
                                       f"postgresql://nobody@127.0.0.1:{free_port()}/crpv"], env={})
    assert result.exit_code == 2 and "Erreur : copie impossible : " in result.stderr
    assert "Traceback" not in result.output
