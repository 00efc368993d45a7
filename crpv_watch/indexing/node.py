"""A web node's own search index, for installs with several web nodes on a PostgreSQL database.

A node (``node_name`` set) shares nothing with the worker but the database. It keeps a Whoosh index in its own
data directory and feeds it the way the worker feeds the main one: every change to a document is queued, in the
same transaction as the change, once per registered node (``store.repo.enqueue_index``), and each node drains
only its own entries. A node registers before it builds its index from the store, so nothing changed meanwhile
is lost (what the build already saw is simply indexed twice). Of the web workers of one node (gunicorn), the one
holding the node's lock file drains; the others read the index it writes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from ..store import coordination
from .writer import Indexer

log = logging.getLogger(__name__)

DRAIN_EVERY = 3.0  # seconds: how soon an editor's hide on one node leaves search on the others
LOCK_FILE = "node-index.lock"
# "<node name>:<rebuild generation>", written once the node's index was built from the store: a rebuild of the
# main index (« Reconstruire l'index », `crpv-watch index rebuild`) moves the generation on, and every node
# rebuilds its own index in turn.
BUILT_FILE = "node-index.built"


class NodeIndexer:
    def __init__(self, services, every: float = DRAIN_EVERY):
        self.services = services
        self.name = services.settings.node_name
        self.every = every
        self.indexer = Indexer(services)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> NodeIndexer:
        self._thread = threading.Thread(target=self._loop, name=f"node-index-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the database away for a moment: the next step tries again
                log.exception("node %s: index update failed", self.name)
            self._stop.wait(self.every)

    def step(self) -> int | None:
        """One update of the node's index; None when another worker of this node holds the lock."""
        data_dir = Path(self.services.settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            with self.services.db.session() as session:
                new = coordination.register_node(session, self.name)
                wanted = f"{self.name}:{coordination.rebuild_generation(session)}"
            built = data_dir / BUILT_FILE
            if new or not built.exists() or built.read_text(encoding="utf-8").strip() != wanted:
                count = self.indexer.rebuild()
                built.write_text(wanted, encoding="utf-8")
                log.info("node %s: index built from the store, %d documents", self.name, count)
                return count
            return self.indexer.drain()
        finally:
            os.close(fd)


_started: dict[str, NodeIndexer] = {}
_started_lock = threading.Lock()


def start_for(services) -> NodeIndexer | None:
    """Starts the node's index updates once per process (the web app calls it when ``node_name`` is set)."""
    name = services.settings.node_name
    if not name:
        return None
    key = f"{name}:{services.settings.data_dir}"
    with _started_lock:
        if key not in _started:
            _started[key] = NodeIndexer(services).start()
        return _started[key]
