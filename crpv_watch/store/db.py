"""Database engine, sessions and migrations. Only ``store/`` talks SQL."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
MIGRATION_LOCK_KEY = 0x63727077  # PostgreSQL advisory lock held while migrating


class StoreError(RuntimeError):
    pass


def database_failure(exc: BaseException) -> str | None:
    """One line for a database error — the driver's own first line (e.g. « integer out of range »), without the
    statement and its parameters — or None when ``exc`` is something else."""
    if not isinstance(exc, SQLAlchemyError):
        return None
    cause = getattr(exc, "orig", None) or exc
    detail = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {detail[0] if detail else ''}"[:500]


def engine_url(url: str) -> str:
    """``postgresql://…`` (what ``pg_dump`` and every PostgreSQL tool accept) means the psycopg 3 driver, the one
    installed with crpv-watch; SQLAlchemy would otherwise look for psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    url = engine_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers never block the writer, and vice versa
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration's revision."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


class Database:
    """Owns the engine and the session factory for one database URL."""

    def __init__(self, url: str):
        self.url = engine_url(url)
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # Every process upgrades at start: nodes starting together against a new database must not
                # create the same tables at once. The lock ends with the migration's transaction.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def is_current(self) -> bool:
        return "alembic_version" in inspect(self.engine).get_table_names()

    def backup(self, target: Path) -> None:
        """A consistent copy of a SQLite database, even while it is being written."""
        if not self.url.startswith("sqlite:///"):
            raise StoreError("db backup handles SQLite only; use pg_dump for PostgreSQL")
        source_path = self.url.removeprefix("sqlite:///")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        src = sqlite3.connect(source_path)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        shutil.move(tmp, target)

    def dispose(self) -> None:
        self.engine.dispose()
