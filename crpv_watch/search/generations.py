"""Index generations on disk: versioned directories beside each other, and a pointer file naming the live one.

    index_dir/
      CURRENT                 the name of the live generation, replaced atomically (temp file + os.replace)
      v-20250101-120000-a1b2c3/   a Whoosh index + crpv-schema.json (the SCHEMA_VERSION it was built with)

A rebuild writes a new generation aside, then swaps the pointer, then deletes the old directory. Readers that
opened the old generation keep their open file handles (on POSIX a deleted file stays readable while open), and
every engine follows the pointer the next time it looks.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from ..items import IndexDocument
from .common_terms import EXTENSION as COMMON_TERMS
from .common_terms import CommonTermsWriter
from .posting_pool import MarshalPostingPool
from .posting_writer import write_postings
from .schema import SCHEMA_VERSION, build_schema, to_fields

POINTER = "CURRENT"
STAMP = "crpv-schema.json"
SWAP_LOCK = ".swap.lock"
GENERATION_NAME = re.compile(r"^v-[0-9A-Za-z_.-]+$")


def storage(path: Path) -> FileStorage:
    # Without mmap, opening copies nothing and the query process stays small (1.1 GB → 93 MB at 50k docs).
    return FileStorage(str(path), supports_mmap=False)


def read_pointer(index_dir: Path) -> str | None:
    try:
        name = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if GENERATION_NAME.match(name) else None


def write_pointer(index_dir: Path, name: str) -> None:
    tmp = index_dir / f".{POINTER}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / POINTER)
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def swap_lock(index_dir: Path) -> Iterator[None]:
    """Serializes creating and swapping generations across processes (the pointer has one writer at a time)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / SWAP_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def new_generation(index_dir: Path):
    """Creates an empty, stamped Whoosh index in a new directory; returns (name, index)."""
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    path = index_dir / name
    path.mkdir(parents=True)
    ix = storage(path).create_index(build_schema())
    (path / STAMP).write_text(json.dumps({"schema_version": SCHEMA_VERSION}), encoding="utf-8")
    return name, ix


def schema_version(path: Path) -> int | None:
    try:
        return int(json.loads((path / STAMP).read_text(encoding="utf-8"))["schema_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_current(index_dir: Path) -> str:
    """The live generation's name, creating an empty one on first use."""
    name = read_pointer(index_dir)
    if name and (index_dir / name).is_dir():
        return name
    with swap_lock(index_dir):
        name = read_pointer(index_dir)  # another process may have just created it
        if name and (index_dir / name).is_dir():
            return name
        name, ix = new_generation(index_dir)
        ix.close()
        write_pointer(index_dir, name)
        return name


def remove_generation(index_dir: Path, name: str | None) -> None:
    if name and GENERATION_NAME.match(name):
        shutil.rmtree(index_dir / name, ignore_errors=True)


def remove_leftovers(index_dir: Path, keep: str | None) -> list[str]:
    """What a killed rebuild left: generation directories other than ``keep`` (the live one) and temporary
    pointer files. Call with the live generation's write lock held (no rebuild can be under way then) and under
    :func:`swap_lock` (no pointer being written)."""
    removed = []
    try:
        entries = list(os.scandir(index_dir))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and GENERATION_NAME.match(entry.name) and entry.name != keep:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
        elif entry.is_file(follow_symlinks=False) and entry.name.startswith(f".{POINTER}.") \
                and entry.name.endswith(".tmp"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
            removed.append(entry.name)
    return removed


def acquire(lock, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if lock.acquire(blocking=False):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


class _Lengths:
    """The field lengths of the segment being written, read once per field and document: Whoosh's posting
    writer asks for a document's length at every posting (a file seek and read each, ~15 % of a rebuild)."""

    def __init__(self, reader):
        self._reader = reader
        self._fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str) -> int:  # what Whoosh's own add_postings asks
        return self.field(fieldname)[docnum]

    def field(self, fieldname: str) -> list[int]:
        """Every document's length in ``fieldname`` (0 when absent), by doc number."""
        lengths = self._fields.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = self._fields[fieldname] = [read(d, fieldname, 0) for d in range(self._reader.doc_count_all())]
        return lengths

    def close(self) -> None:
        self._reader.close()


class RebuildWriter(SegmentWriter):
    """Whoosh's segment writer, with the field lengths held in memory while the postings are written, the
    postings' runs sorted through marshal (posting_pool.py) and written a term at a time (posting_writer.py): the
    same segment, byte for byte, plus its common terms uncompressed (common_terms.py)."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = MarshalPostingPool(self.pool.tempstore, self.newsegment, limitmb=self.pool.limit // 2**20)
        self._gathered = _Gathered()

    def add_document(self, **fields):
        # Whoosh calls ``self.pool.add`` for every posting; a list's own append gathers a document's postings and
        # the pool takes them in one call (a tenth of a rebuild's CPU went to the per-posting method). A
        # document that fails part-way leaves none of its postings behind.
        pool, gathered = self.pool, self._gathered
        self.pool = gathered
        try:
            super().add_document(**fields)
        except BaseException:
            gathered.clear()
            raise
        finally:
            self.pool = pool
        pool.add_many(gathered)
        gathered.clear()

    def _flush_segment(self):  # SegmentWriter._flush_segment with the lengths reader wrapped
        self.perdocwriter.close()
        lengths = _Lengths(self.per_document_reader()) if self.codec.length_stats else None
        common = CommonTermsWriter(self.newsegment.create_file(self.storage, COMMON_TERMS))
        write_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_postings(), common)
        common.close()
        self.fieldwriter.close()
        if lengths:
            lengths.close()


class _Gathered(list):
    """Stands in for the posting pool while Whoosh adds one document (``RebuildWriter.add_document``)."""

    add = list.append


def add_documents(writer, docs: Iterable[IndexDocument]) -> int:
    """Adds ``docs`` to ``writer``; the first version of a repeated id is kept. Returns how many were added."""
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            continue
        seen.add(doc.id)
        writer.add_document(**to_fields(doc))
    return len(seen)


def fill(ix, docs: Iterable[IndexDocument]) -> int:
    """Adds ``docs`` to an empty index in one commit; the first version of a repeated id is kept."""
    writer = RebuildWriter(ix)
    try:
        count = add_documents(writer, docs)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return count
