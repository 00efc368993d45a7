"""The writers' exclusion on PostgreSQL: a session-level advisory lock, held by a connection of its own.

PostgreSQL releases it when the holder's connection ends, however the process died, so a crash never leaves a
stale lock; and every node of the install sees the same lock without sharing a file. The holder describes itself
in its connection's ``application_name``, which the others read from ``pg_stat_activity`` to say who is busy.
"""

from __future__ import annotations

import os
import socket
import unicodedata

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from .db import engine_url

WRITER_KEY = 0x63727076  # "crpv": one lock for the store-and-index writers of the whole install


def is_postgresql(url: str) -> bool:
    return engine_url(url).startswith("postgresql")


def try_advisory_lock(url: str, what: str, key: int = WRITER_KEY) -> Connection | None:
    """The connection holding the lock (close it to release), or None when another session holds it."""
    engine = create_engine(engine_url(url), poolclass=NullPool)
    conn = engine.connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        if not got:
            conn.close()
            return None
        label = f"crpv-watch pid {os.getpid()}@{socket.gethostname()} : {what}"
        # application_name keeps ASCII only (63 bytes): accents are folded rather than turned into "?".
        label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()[:63]
        conn.execute(text("SELECT set_config('application_name', :label, false)"), {"label": label})
        conn.commit()
        return conn
    except BaseException:
        conn.close()
        raise


def release(conn: Connection, key: int = WRITER_KEY) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        conn.commit()
    finally:
        conn.close()
        conn.engine.dispose()


def holder(url: str, key: int = WRITER_KEY) -> str:
    """Who holds the lock, as the holder described itself."""
    engine = create_engine(engine_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :key LIMIT 1"), {"key": key}).scalar() or ""
    finally:
        engine.dispose()
