"""``crpv-watch db copy FROM TO``: every row of one database into another, e.g. a SQLite install moving to
PostgreSQL. The search index is not copied: it is rebuilt from the target (``crpv-watch index rebuild``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from .db import Database, StoreError, database_failure, head_revision
from .models import Base

BATCH = 1000  # rows read and written at once: bounded memory whatever the size of the documents table


@dataclass
class CopyReport:
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows copied

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _revision(db: Database) -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def copy_database(source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy every table of the schema from ``source_url`` to ``target_url`` (migrated first), in one transaction
    on the target. The source must be at the newest migration and the target must hold no data."""
    try:
        return _copy(source_url, target_url, progress)
    except SQLAlchemyError as exc:  # unreachable server, refused password, a row the target refuses…
        raise StoreError(f"copie impossible : {database_failure(exc)}") from exc


def _copy(source_url: str, target_url: str, progress: Callable[[str, int], None] | None) -> CopyReport:
    source, target = Database(source_url), Database(target_url)
    try:
        head = head_revision()
        if _revision(source) != head:
            raise StoreError("la base source n'est pas à jour : lancez d'abord `crpv-watch db upgrade` sur elle")
        target.upgrade()
        tables = Base.metadata.sorted_tables  # parents before children (foreign keys)
        with target.engine.connect() as conn:
            busy = [t.name for t in tables if conn.execute(select(func.count()).select_from(t)).scalar()]
        if busy:
            raise StoreError(f"la base cible contient déjà des données (tables : {', '.join(busy)}) : "
                             "copiez vers une base vide")
        report = CopyReport()
        with source.engine.connect() as src, target.engine.begin() as dst:
            for table in tables:
                copied = 0
                rows = src.execution_options(stream_results=True, yield_per=BATCH).execute(select(table).order_by(*table.primary_key.columns))
                for batch in rows.mappings().partitions(BATCH):
                    dst.execute(table.insert(), [dict(r) for r in batch])
                    copied += len(batch)
                    if progress:
                        progress(table.name, copied)
                report.tables[table.name] = copied
            if target.engine.dialect.name == "postgresql":
                _advance_sequences(dst, tables)
        return report
    finally:
        source.dispose()
        target.dispose()


def _advance_sequences(conn, tables) -> None:
    """Rows kept their ids: each serial sequence must start after them, or the next insert collides."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int
                                                and len(table.primary_key.columns) == 1):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                  f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))
