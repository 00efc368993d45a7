"""Writing ``sources.yaml`` back from the editors' forms, without losing what people wrote by hand.

The file is the one the process was started with (``--sources``). It is edited round-trip (ruamel.yaml): keys
that did not change keep their quoting, comments (the confidence notes on URLs) and place; the indentation of the
file is kept. A candidate is written to a temporary file beside the original, validated exactly as
``crpv-watch sources validate`` would, then the previous version is kept as ``<file>.bak`` and the candidate
renamed over the original (atomic on POSIX: a reader sees the old file or the new one, never half of one).

Other processes (the worker's scheduler, other gunicorn workers) notice the change by the file's stamp
(:func:`refresh_if_changed`), so nobody needs a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import os
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from .load import KNOWN_KEYS, REQUIRED_KEYS, Source, SourceProblem, SourcesError, load_sources, validate_sources

log = logging.getLogger(__name__)


class ConflictError(RuntimeError):
    """The file changed on disk since the form was shown: saving would overwrite someone else's edit."""


class UnknownSourceError(KeyError):
    pass


def file_stamp(path: Path) -> str:
    """A fingerprint of the file's content, carried by forms to detect concurrent edits."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return ""


def source_values(source: Source) -> dict[str, Any]:
    return {k: getattr(source, k) for k in KNOWN_KEYS}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Serialises writers across processes (several gunicorn workers may save at once).
    lock_path = path.with_name(f".{path.name}.lock")
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _yaml_for(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long URLs or notes
    try:
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
    except Exception:  # an unparsable file is reported by the load below
        indent, block_seq_indent = 2, 0
    indent = indent or 2
    yaml.indent(mapping=indent, sequence=indent, offset=block_seq_indent or 0)
    return yaml


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


DEFAULTS = {"enabled": True, "schedule": "daily"}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return [str(v) for v in old] == [str(v) for v in new]
    if isinstance(old, str) and isinstance(new, list):  # region: "11" written as a scalar
        return new == [old]
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return old == new


def _new_seq(old: Any, values: list) -> CommentedSeq:
    seq = CommentedSeq(values)
    if isinstance(old, CommentedSeq):
        if old.fa.flow_style():
            seq.fa.set_flow_style()
        # The comment of an item that survives the edit (its confidence note) follows it.
        for new_index, value in enumerate(values):
            for old_index, old_value in enumerate(old):
                if str(old_value) == str(value):
                    seq[new_index] = old_value  # keeps its quoting style
                    if old_index in old.ca.items:
                        seq.ca.items[new_index] = old.ca.items[old_index]
                    break
    return seq


def apply_values(entry: CommentedMap, values: dict[str, Any]) -> None:
    """Sets ``values`` on one source entry in place, touching only the keys whose value changed."""
    for key in KNOWN_KEYS:
        if key not in values:
            continue
        new = values[key]
        present = key in entry
        if present and _same(entry[key], new):
            continue
        if key not in REQUIRED_KEYS and (_empty(new) or DEFAULTS.get(key, object()) == new and not present):
            if present and key not in ("feeds", "start_urls"):
                del entry[key]
            elif present:
                entry[key] = _new_seq(entry[key], [])
            continue
        value = _new_seq(entry.get(key), list(new)) if isinstance(new, list | tuple) else new
        if present:
            entry[key] = value
        else:
            # Keep the schema's key order: after the last present key that comes before this one.
            order = KNOWN_KEYS.index(key)
            position = sum(1 for k in entry if k in KNOWN_KEYS and KNOWN_KEYS.index(k) < order)
            entry.insert(position, key, value)


def _entries(data: Any, path: Path) -> CommentedSeq:
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourcesError(path, [SourceProblem(str(path), 1, "sources", "liste « sources » absente")])
    return data["sources"]


def _find(entries: CommentedSeq, source_id: str) -> CommentedMap | None:
    return next((e for e in entries if isinstance(e, dict) and e.get("id") == source_id), None)


def save_source(path: str | os.PathLike, values: dict[str, Any], *, original_id: str | None = None,
                expected_stamp: str | None = None, themes_path: str | os.PathLike | None = None,
                regions_path: str | os.PathLike | None = None) -> Source:
    """Adds a source (``original_id`` None) or updates one; returns it as loaded back from the new file.

    Raises ``SourcesError`` (nothing written) when the result would not validate, ``ConflictError`` when the
    file changed since ``expected_stamp`` was taken, ``UnknownSourceError`` for an unknown ``original_id``.
    """
    path = Path(path)

    def change(entries: CommentedSeq) -> None:
        if original_id is None:
            entry = CommentedMap()
            apply_values(entry, {k: v for k, v in values.items() if k in REQUIRED_KEYS})
            apply_values(entry, values)
            entries.append(entry)
        else:
            entry = _find(entries, original_id)
            if entry is None:
                raise UnknownSourceError(original_id)
            apply_values(entry, values)

    _rewrite(path, change, expected_stamp, themes_path, regions_path)
    sid = values.get("id") or original_id
    return next(s for s in load_sources(path, themes_path, regions_path) if s.id == sid)


def set_enabled(path: str | os.PathLike, source_id: str, enabled: bool, *, expected_stamp: str | None = None,
                themes_path: str | os.PathLike | None = None, regions_path: str | os.PathLike | None = None) -> None:
    path = Path(path)

    def change(entries: CommentedSeq) -> None:
        entry = _find(entries, source_id)
        if entry is None:
            raise UnknownSourceError(source_id)
        entry["enabled"] = bool(enabled)

    _rewrite(path, change, expected_stamp, themes_path, regions_path)


def _rewrite(path: Path, change, expected_stamp, themes_path, regions_path) -> None:
    with _locked(path):
        text = path.read_text(encoding="utf-8")
        if expected_stamp and hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] != expected_stamp:
            raise ConflictError(str(path))
        yaml = _yaml_for(text)
        data = yaml.load(text)
        change(_entries(data, path))
        out = io.StringIO()
        yaml.dump(data, out)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(out.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            shutil.copymode(path, tmp)
            problems = validate_sources(tmp, themes_path, regions_path)
            if problems:
                raise SourcesError(path, [SourceProblem(str(path) if p.file == str(tmp) else p.file, p.line,
                                                        p.field, p.message, p.owner, p.owner_kind)
                                          for p in problems])
            shutil.copy2(path, path.with_name(path.name + ".bak"))
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    log.info("sources file %s rewritten", path)


# -- noticing changes made by another process -----------------------------------------------------------------
_stamps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _disk_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def refresh_if_changed(services) -> bool:
    """Reloads ``services.sources`` when the sources file changed on disk since last looked; True if it did.

    A file that no longer validates (a bad hand edit) is logged and the sources in memory are kept: a typo must
    not stop the crawls that were working.
    """
    path = Path(services.settings.sources_path)
    stamp = _disk_stamp(path)
    known = _stamps.get(services)
    _stamps[services] = stamp
    if known is None or stamp == known or stamp is None:
        return False
    try:
        loaded = load_sources(path, services.settings.themes_path)
    except (SourcesError, OSError) as exc:
        log.error("sources file changed but is not valid, keeping the previous sources: %s", exc)
        return False
    services.reload_sources()
    services.__dict__["sources"] = loaded  # the cached_property's slot: no second parse
    log.info("sources reloaded from %s (%d sources)", path, len(loaded))
    return True


def remember_stamp(services) -> None:
    """Records the current stamp (after this process wrote the file itself, or at start-up)."""
    _stamps[services] = _disk_stamp(Path(services.settings.sources_path))
