"""Write failures (full disk, read-only database, busy index, killed rebuild) told in one French line, not a
traceback.

The CLI, the crawl report, the sign-in page and ``/healthz`` all meet the same few ways a write can fail; this
module recognises them from the exception (SQLAlchemy's wrapped sqlite3 / psycopg errors, ``OSError`` from the
index or the mail spool, the index and writer locks, raised as :class:`BusyError` subclasses by the layers above)
and says what happened and what to do. It lives in ``store/`` because most of what it reads are the database's
errors.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

# What a caller outside store/ catches for "the database failed" (it then asks describe() whether it was a write).
DatabaseError = SQLAlchemyError

# sqlite3's own words (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN) and PostgreSQL's.
_DB_MESSAGES = (
    ("database or disk is full", "disque plein : la base de données ne peut plus grandir"),
    ("readonly database", "la base de données est en lecture seule"),
    ("read-only", "la base de données est en lecture seule"),
    ("disk i/o error", "erreur d'entrée-sortie du disque sous la base de données"),
    ("unable to open database file", "le fichier de la base de données ne peut pas être ouvert en écriture"),
    ("no space left on device", "disque plein : la base de données ne peut plus grandir"),
    ("could not extend file", "disque plein : la base de données ne peut plus grandir"),
)
_OS_ERRORS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota de disque atteint",
    errno.EFBIG: "taille de fichier maximale atteinte (disque plein ou limite du système)",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EIO: "erreur d'entrée-sortie du disque",
}


class BusyError(RuntimeError):
    """Another process holds a writer lock (the index's, the store's) for longer than we wait. The layers above
    (``search``, ``indexing``) raise subclasses; :meth:`french` is the one line a user reads."""

    def french(self) -> str:
        return str(self)


class InterruptedWrite(RuntimeError):
    """A write stopped part way by something outside the program (a rebuild's worker process killed), with
    nothing of it put in service. The layers above raise subclasses; :meth:`french` is the one line a user reads."""

    def french(self) -> str:
        return str(self)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def describe(exc: BaseException) -> str | None:
    """A one-line French description of a write failure, or None when ``exc`` is not one."""
    for item in _chain(exc):
        if isinstance(item, BusyError | InterruptedWrite):
            return item.french()
        if isinstance(item, DBAPIError):
            text = str(item.orig).lower()
            for needle, french in _DB_MESSAGES:
                if needle in text:
                    return f"{french} ({item.orig})"
        if isinstance(item, OSError) and item.errno in _OS_ERRORS:
            where = f" : {item.filename}" if item.filename else ""
            return f"écriture impossible, {_OS_ERRORS[item.errno]}{where}"
    return None
