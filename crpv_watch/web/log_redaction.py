"""Subscriber tokens never reach an access log.

The links of the mails carry signed tokens in their path (``/abonnement/gerer/<token>``): whoever reads the
access log could manage (or export) that subscriber. Mail links must be plain GETs, so the path cannot change;
instead every access log line is redacted: :class:`RedactTokens` is a ``logging.Filter`` put on the loggers
of the servers we ship or document (gunicorn's ``gunicorn.access``, Werkzeug's development server), and the
pages reached by a token send no ``Referer`` onwards (``Referrer-Policy: no-referrer``), so the token does not
come back in the next request's Referer field either.
"""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"(/abonnement/(?:gerer|desinscription|confirmer)/)[^/?#\s\"']+")
MASK = r"\1[jeton-masque]"
ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")


def redact(text: str) -> str:
    return TOKEN_PATH.sub(MASK, text)


def _clean(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        # In place: gunicorn's atoms are a dict subclass that answers "-" for absent keys; keep it that type.
        for key, item in list(value.items()):
            value[key] = _clean(item)
        return value
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    return value


class RedactTokens(logging.Filter):
    """Rewrites the message and its arguments (gunicorn passes a dict of atoms, Werkzeug a tuple)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = _clean(record.args)
        return True


def install() -> None:
    """Idempotent: called by every application factory run (one per gunicorn worker)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
