"""The audit log: every editor and admin action, with who, when, what, and the values before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditLog

# Never stored, whatever a caller passes: the log is read by every admin and kept for long.
SECRET_KEYS = {"password", "password_hash", "new_password", "secret_key", "mail_url", "csrf_token"}


def _plain(value: Any) -> Any:
    """A JSON-safe copy (dates as ISO strings, sets as sorted lists), secrets masked."""
    if isinstance(value, dict):
        return {str(k): ("***" if str(k) in SECRET_KEYS else _plain(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record(session: Session, user_email: str, action: str, target: str = "",
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditLog:
    """Adds one entry to the log, in the caller's transaction: the action and its trace commit together."""
    entry = AuditLog(user_email=user_email or "", action=action[:60], target=str(target or "")[:2000],
                     before=_plain(before) if before is not None else None,
                     after=_plain(after) if after is not None else None)
    session.add(entry)
    return entry


def entries(session: Session, *, action: str | None = None, target: str | None = None,
            user_email: str | None = None, limit: int = 50, offset: int = 0) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    if target:
        stmt = stmt.where(AuditLog.target == target)
    if user_email:
        stmt = stmt.where(AuditLog.user_email == user_email)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(key, before, after) for every key whose value differs, for display."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def cli_user() -> str:
    """Who acts from the command line, for the log: ``cli:<login name>`` (``cli`` when the system has none)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"
