"""Index rebuilds with a progress record every process can read (the CLI, the upkeep job, the web page).

A rebuild runs in the one writing process: ``crpv-watch index rebuild`` on the command line, or the crawling
process (``run`` or ``worker``) when an admin asks for it in the web (a request, see ``crawl_requests``).
Either way it records as it goes — status, done / total, start and end, error — in the database's
``runtime_state`` (key ``index-rebuild``), so the web nodes read it wherever they run.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from ..processes import pid_alive
from ..store import coordination, repo
from ..store.failures import describe
from ..store.models import utcnow
from ..tagging.yamlcheck import technical
from . import requests as crawl_requests

log = logging.getLogger(__name__)

PROGRESS_KEY = "index-rebuild"
STATUSES = ("running", "completed", "failed", "interrupted")


def write_progress(services, record: dict[str, Any]) -> None:
    with services.db.session() as session:
        coordination.put_state(session, PROGRESS_KEY, record)


def read_progress(services) -> dict[str, Any] | None:
    """The current or last rebuild's record, or None. A "running" record whose process died on this host (a
    crash, ``kill -9``) reads as "interrupted", so the page stops waiting for it."""
    with services.db.session() as session:
        record = coordination.get_state(session, PROGRESS_KEY)
    if not isinstance(record, dict):
        return None
    if record.get("status") == "running" and record.get("host") == socket.gethostname() \
            and not pid_alive(record.get("pid")):
        record["status"] = "interrupted"
    return record


def is_running(services) -> bool:
    record = read_progress(services)
    return bool(record) and record.get("status") == "running"


def rebuild_with_progress(services, indexer=None, user: str = "", origin: str = "cli",
                          on_progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuilds the index (the caller holds the writer lock), writing the progress record from start to end.

    ``on_progress(done, total)`` is called besides (the CLI's bar). Total is the number of searchable documents
    counted before the rebuild; a rebuild that fails writes "failed" with the error, then re-raises.
    """
    from .writer import Indexer

    indexer = indexer or Indexer(services)
    with services.db.session() as session:
        total = repo.count_searchable(session)
    record: dict[str, Any] = {"status": "running", "done": 0, "total": total, "started": utcnow().isoformat(),
                              "finished": None, "error": None, "user": user, "origin": origin,
                              "pid": os.getpid(), "host": socket.gethostname()}
    write_progress(services, record)
    if on_progress:
        on_progress(0, total)

    def progress(done: int) -> None:
        record["done"] = done
        record["total"] = max(total, done)  # documents added meanwhile
        try:
            write_progress(services, record)
        except OSError:
            log.warning("could not write the rebuild progress", exc_info=True)
        if on_progress:
            on_progress(done, record["total"])

    try:
        count = indexer.rebuild(progress=progress)
    except BaseException as exc:
        record.update(status="failed", finished=utcnow().isoformat(), error=failure_in_french(exc))
        write_progress(services, record)
        raise
    record.update(status="completed", done=count, total=max(total, count), finished=utcnow().isoformat())
    write_progress(services, record)
    if not services.settings.node_name:  # the main index: the web nodes' own indexes follow (indexing/node.py)
        with services.db.session() as session:
            coordination.next_rebuild_generation(session)
    if on_progress:
        on_progress(count, record["total"])
    return count


def failure_in_french(exc: BaseException) -> str:
    """What the editors' index page shows for a failed rebuild: the French cause, the exception as detail."""
    raw = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "reconstruction arrêtée (le processus a été interrompu)" + technical(raw)
    return (describe(exc) or "la reconstruction s'est arrêtée sur une erreur inattendue") + technical(raw)


def handle_requests(services, indexer=None) -> int | None:
    """The upkeep job's work: claims every pending rebuild request and runs one rebuild for them all (under the
    writer lock). Returns the number of documents indexed, or None when nothing was asked or it failed."""
    from .writer import WriterBusy, writer_lock

    settings = services.settings
    if not crawl_requests.pending(services, crawl_requests.REBUILD):
        return None
    if is_running(services):
        return None  # another process (a CLI rebuild) is at it: the request waits for it to finish
    requests = crawl_requests.take(services, crawl_requests.REBUILD)
    if not requests:
        return None
    users = crawl_requests.requesters(requests)
    log.info("index rebuild requested by %s", users)
    try:
        with writer_lock(settings, "index rebuild (web)"):
            count = rebuild_with_progress(services, indexer, user=users, origin="web")
    except WriterBusy as exc:
        write_progress(services, {"status": "failed", "done": 0, "total": 0, "started": utcnow().isoformat(),
                                  "finished": utcnow().isoformat(), "error": str(exc), "user": users,
                                  "origin": "web", "pid": os.getpid(), "host": socket.gethostname()})
        log.warning("index rebuild not started: %s", exc)
        return None
    except Exception:
        log.exception("index rebuild failed")
        return None
    log.info("index rebuilt: %d documents", count)
    return count


def index_state(services) -> dict[str, Any]:
    """What the index page shows: documents in the index and searchable in the store, schema versions, the live
    generation's directory, the queue's length. Read-only: safe in any web worker."""

    from ..search import generations
    from ..search.schema import SCHEMA_VERSION

    engine = services.engine
    state: dict[str, Any] = {"schema_expected": SCHEMA_VERSION, "in_index": None, "generation_dir": None,
                             "schema_version": None, "needs_rebuild": False}
    try:
        state["in_index"] = engine.count()
        state["needs_rebuild"] = bool(engine.needs_rebuild)
        gen = engine.generation_dir
        if gen is not None:
            state["generation_dir"] = str(gen)
            state["schema_version"] = generations.schema_version(gen)
    except Exception:
        log.warning("index state: could not read the index", exc_info=True)
    with services.db.session() as session:
        state["searchable"] = repo.count_searchable(session)
        state["queue"] = repo.index_queue_size(session, services.settings.node_name)
    return state
