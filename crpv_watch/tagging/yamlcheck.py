"""Small helpers to validate hand-edited YAML files with file:line messages.

Round-trip loading (ruamel.yaml) keeps the line of every key and item, so a problem can point editors at the
exact line to fix. Validation collects every problem instead of stopping at the first: an editor fixing a file
should see the whole list at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1-based; 0 when unknown
    field: str  # "" for file-level problems (syntax, top level)
    message: str
    owner: str = ""  # id of the entry the field belongs to ("" at top level)
    owner_kind: str = "source"  # "source", "theme", "pillar", "doctype", "region"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.field and self.owner:
            return f"{where}: field '{self.field}' of {self.owner_kind} '{self.owner}': {self.message}"
        if self.field:
            return f"{where}: field '{self.field}': {self.message}"
        return f"{where}: {self.message}"


def load_roundtrip(path: str | Path) -> tuple[Any, list[Problem]]:
    """Parse ``path``; a syntax error becomes one Problem (the rest of the file cannot be trusted)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 0, "", f"cannot read file: {exc}")]
    try:
        return YAML(typ="rt").load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, [Problem(str(path), line, "", f"invalid YAML: {detail}")]


def key_line(node: Any, key: Any, default: int = 0) -> int:
    """1-based line of ``key`` in a mapping (or of item ``key`` in a sequence)."""
    try:
        if isinstance(node, CommentedMap) and key in node:
            return node.lc.key(key)[0] + 1
        if isinstance(node, CommentedSeq):
            return node.lc.item(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return default


def node_line(node: Any, default: int = 0) -> int:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close choice exists, else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Checker:
    """Collects problems for one file; the ``owner`` of later problems is set by the caller while walking."""

    def __init__(self, path: str | Path, owner_kind: str = "source", problem_class: type[Problem] = Problem):
        self.file = str(path)
        self.owner_kind = owner_kind
        self.problem_class = problem_class
        self.problems: list[Problem] = []

    def add(self, line: int, field: str, message: str, owner: str = "", owner_kind: str | None = None) -> None:
        self.problems.append(self.problem_class(self.file, line, field, message, owner,
                                                owner_kind or self.owner_kind))

    def unknown_keys(self, entry: CommentedMap, known: Iterable[str], owner: str = "",
                     owner_kind: str | None = None) -> None:
        # A typo must never silently drop a setting: every unexpected key is an error.
        known = list(known)
        for key in entry:
            if key not in known:
                self.add(key_line(entry, key), str(key), "unknown key" + suggest(str(key), known), owner, owner_kind)

    def string_list(self, entry: CommentedMap, key: str, owner: str = "", owner_kind: str | None = None,
                    allow_scalar: bool = False) -> list[str] | None:
        """The list of strings at ``key`` ([] when absent); None (and a problem) when mistyped."""
        value = entry.get(key)
        line = key_line(entry, key, node_line(entry))
        if value is None:
            return []
        if allow_scalar and isinstance(value, str):
            return [str(value)]
        if not isinstance(value, list):
            expected = "a string or a list of strings" if allow_scalar else "a list of strings"
            hint = f" (quote it: \"{value}\")" if isinstance(value, int | float) and not isinstance(value, bool) else ""
            self.add(line, key, f"expected {expected}, got {type_name(value)}{hint}", owner, owner_kind)
            return None
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(key_line(value, i, line), key, f"item {i + 1}: expected a string, got {type_name(item)}"
                         + (" (quote it)" if isinstance(item, int | float) and not isinstance(item, bool) else ""),
                         owner, owner_kind)
                continue
            out.append(str(item))
        return out

    def string(self, entry: CommentedMap, key: str, owner: str = "", required: bool = False,
               owner_kind: str | None = None) -> str | None:
        value = entry.get(key)
        line = key_line(entry, key, node_line(entry))
        if value is None:
            if required:
                self.add(line, key, "required key is missing" if key not in entry else "must not be empty",
                         owner, owner_kind)
            return None
        if not isinstance(value, str):
            self.add(line, key, f"expected a string, got {type_name(value)}", owner, owner_kind)
            return None
        if required and not value.strip():
            self.add(line, key, "must not be empty", owner, owner_kind)
            return None
        return str(value)
