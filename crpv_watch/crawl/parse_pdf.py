"""PDF → ExtractedDocument, with pypdf running in a small pool of worker processes.

Why processes: pypdf is pure Python and real-world PDFs include decompression bombs, reference loops and
content streams that take minutes. Each task gets a wall-clock timeout (the worker is killed and replaced,
never waited for), each worker an address-space cap (``RLIMIT_AS``) so a bomb ends in MemoryError instead of
the OOM killer, and workers are recycled every ``RECYCLE_AFTER`` files to bound leaks. A process per file
would cost ~0.3 s of interpreter start and pypdf import per PDF; the pool pays that once per worker.

Workers are ``python -m crpv_watch.crawl.document_worker`` subprocesses talking over a socketpair, not
multiprocessing children: ``fork`` is unsafe in the threaded crawler and web app, and ``spawn``/``forkserver``
re-run the caller's ``__main__`` (a script without a main guard would start crawling again in every worker).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import queue
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from crpv_watch.crawl import pdf_text
from crpv_watch.items import ExtractedDocument
from crpv_watch.text.dedup import canonicalize

RECYCLE_AFTER = 50  # files per worker before it is replaced
OCR_MAX_PAGES = pdf_text.OCR_MAX_PAGES
REASONS = ("encrypted", "no text layer", "timeout", "memory", "broken")
# Language detection (py3langid) costs ~0.3 ms per 1,000 characters in the crawl process: a report's first
# 2,000 characters name its language as surely as 5,000.
LANGUAGE_SAMPLE = 2000
STARTUP_TIMEOUT = 60.0  # interpreter start + pypdf import; not counted in a task's pdf_timeout
_TEST_SLEEP = 0.0  # tests set this to make a worker hang before answering
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class PdfError(Exception):
    """A PDF whose text cannot be had; ``reason`` starts with one of ``REASONS``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Worker:
    process: Any
    conn: Any
    done: int = 0


class _Pool:
    def __init__(self, size: int):
        self.size = max(1, size)
        self.idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.size):
            self.idle.put(None)  # a slot; the worker process starts on first use
        self.closed = False
        self.lock = threading.Lock()
        self.workers: dict[int, _Worker] = {}

    def _start(self) -> _Worker:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p)
        proc = subprocess.Popen([sys.executable, "-m", "crpv_watch.crawl.document_worker", str(child.fileno())],
                                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, env=env, close_fds=True)
        child.close()
        worker = _Worker(proc, Connection(parent.detach()))
        # Wait for the worker's "ready" so start-up time (slow on a loaded machine) does not eat the first
        # task's timeout.
        try:
            ready = worker.conn.poll(STARTUP_TIMEOUT) and worker.conn.recv()
        except (EOFError, OSError):
            ready = None
        if not ready:
            proc.kill()
            proc.wait()
            worker.conn.close()
            raise PdfError("broken: PDF worker failed to start")
        with self.lock:
            self.workers[proc.pid] = worker
        return worker

    def _stop(self, worker: _Worker | None, kill: bool = False) -> None:
        if worker is None:
            return
        with self.lock:
            self.workers.pop(worker.process.pid, None)
        proc = worker.process
        if not kill and proc.poll() is None:
            try:
                worker.conn.send(None)  # polite exit
                proc.wait(2)
            except (OSError, EOFError, subprocess.TimeoutExpired):
                pass
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait for anything
            pass
        worker.conn.close()

    def run(self, task: dict, timeout: float) -> dict:
        if self.closed:
            raise RuntimeError("PDF pool is shut down")
        worker = self.idle.get()  # blocks while all workers are busy: the pool bounds PDF concurrency
        try:
            if worker is None or worker.process.poll() is not None:
                self._stop(worker, kill=True)
                worker = None
                worker = self._start()
            try:
                worker.conn.send(task)
            except (OSError, BrokenPipeError) as exc:
                self._stop(worker, kill=True)
                worker = None
                return {"error": f"broken: worker unavailable ({exc})"}
            if not worker.conn.poll(timeout):
                self._stop(worker, kill=True)  # hung or too slow: kill, never wait
                worker = None
                return {"error": f"timeout: no result after {timeout:g} s"}
            try:
                result = worker.conn.recv()
            except (EOFError, OSError):
                try:
                    code = worker.process.wait(2)
                except subprocess.TimeoutExpired:
                    code = None
                self._stop(worker, kill=True)
                worker = None
                # -9 without our kill is the kernel's OOM killer; others are real crashes (segfault in zlib…).
                if code == -9:
                    return {"error": "memory: worker killed (out of memory)"}
                return {"error": f"broken: worker died (exit code {code})"}
            worker.done += 1
            if result.get("recycle") or worker.done >= RECYCLE_AFTER:
                self._stop(worker)
                worker = None
            return result
        finally:
            self.idle.put(worker)

    def close(self) -> None:
        self.closed = True
        with self.lock:
            workers = list(self.workers.values())
        for w in workers:
            self._stop(w)


_pool: _Pool | None = None
_pool_lock = threading.Lock()


def _get_pool(size: int) -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.closed:
            _pool = _Pool(size)
        return _pool


def shutdown() -> None:
    """Stop the worker processes (called at exit; tests call it to check a clean restart)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()


atexit.register(shutdown)


def run_in_worker(task: dict, settings) -> dict:
    """One task in the pool under the documents' limits (PDFs, and DOCX/ODT through parse_office)."""
    if _TEST_SLEEP:
        task["sleep"] = _TEST_SLEEP
    pool = _get_pool(int(getattr(settings, "pdf_workers", 2)))
    return pool.run(task, float(getattr(settings, "pdf_timeout", 60.0)))


def extract_pdf(url: str, body: bytes, settings) -> ExtractedDocument:
    """Text and metadata of a PDF; raises PdfError (encrypted, no text layer, timeout, memory, broken)."""
    timeout = float(getattr(settings, "pdf_timeout", 60.0))
    task = {
        "body": bytes(body),
        "memory_mb": int(getattr(settings, "pdf_memory_mb", 1024)),
        # The worker stops extracting pages before the hard deadline and returns what it has: a long
        # report truncated is worth more than a timeout.
        "soft_deadline": timeout * 0.6,
        "ocr_pages": OCR_MAX_PAGES,
    }
    result = run_in_worker(task, settings)
    if "error" in result:
        raise PdfError(result["error"])
    text = result["text"]
    published = None
    if result.get("created"):
        published = dt.date.fromisoformat(result["created"])
    return ExtractedDocument(
        url=url,
        canonical_url=canonicalize(url),
        title=result.get("title") or "",
        text=text,
        content_type="application/pdf",
        summary=pdf_text.summary(text),
        published=published,
        author=result.get("author") or "",
        language=language(text[:LANGUAGE_SAMPLE]),
        pages=result.get("pages"),
        ocr=bool(result.get("ocr")),
        meta={k: result[k] for k in ("producer", "truncated", "encrypted") if result.get(k)},
    )


def language(text: str) -> str | None:
    try:
        from crpv_watch.crawl.extract import detect_language
    except ImportError:  # pragma: no cover - extract is part of the same package
        return None
    return detect_language(text)
