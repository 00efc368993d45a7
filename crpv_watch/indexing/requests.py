"""Crawls asked for from the web ("Lancer maintenant"), carried to the process that crawls.

The web never crawls itself: in production it runs in gunicorn workers, possibly on other machines than the
``worker`` process, the one that crawls. A request is a row of the database's ``work_requests`` table; the
crawling process (``worker`` or ``run``) claims each row by deleting it, so two pollers can never run the same
request twice, and a web node needs no access to the worker's data directory.

The same mechanism carries the other long jobs the web may ask for, each of its own ``kind``: index rebuilds
(« Reconstruire l'index », see ``index_rebuild.py``).
"""

from __future__ import annotations

from typing import Any

from ..store import coordination

CRAWL = "crawl"
REBUILD = "rebuild"
TRAIN = "train"  # « Réentraîner le modèle »: the tagger's learned part (worker/training.py)


def request_crawl(services, source_ids: list[str] | None, user_email: str = "") -> int:
    """Queues a crawl of ``source_ids`` (None: every enabled source); returns the request id."""
    return request(services, CRAWL, user_email, source_ids=source_ids)


def request_rebuild(services, user_email: str = "") -> int:
    """Queues a rebuild of the search index from the store; returns the request id."""
    return request(services, REBUILD, user_email)


def request_training(services, user_email: str = "") -> int:
    """Queues a training of the tagger's learned part; returns the request id."""
    return request(services, TRAIN, user_email)


def request(services, kind: str, user_email: str = "", **fields: Any) -> int:
    """Queues a request of ``kind`` carrying ``fields``; returns its id."""
    with services.db.session() as session:
        return coordination.add_request(session, kind, fields, user_email)


def pending(services, kind: str = CRAWL) -> list[dict[str, Any]]:
    with services.db.session() as session:
        return coordination.pending_requests(session, kind)


def requesters(claimed: list[dict[str, Any]]) -> str:
    """Who asked for the claimed requests, each named once, for the log and the progress record."""
    return ", ".join(dict.fromkeys(r.get("user") or "?" for r in claimed))


def take(services, kind: str = CRAWL) -> list[dict[str, Any]]:
    """Claims every pending request, oldest first."""
    with services.db.session() as session:
        return coordination.take_requests(session, kind)
