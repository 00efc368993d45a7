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

# "de la source « x »": the owner of a field, in French, by the kind of entry it belongs to.
OWNER_KINDS = {"source": "de la source", "theme": "du thème", "pillar": "du pilier",
               "doctype": "du type de document", "region": "de la région",
               "cue": "de l'indice de genre"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1-based; 0 when unknown
    field: str  # "" for file-level problems (syntax, top level)
    message: str  # in French: editors read it on the sources page, in the form and in the CLI
    owner: str = ""  # id of the entry the field belongs to ("" at top level; "#3" for an entry without id)
    owner_kind: str = "source"  # "source", "theme", "pillar", "doctype", "region"

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        if self.field and self.owner:
            kind = OWNER_KINDS.get(self.owner_kind, f"de l'entrée {self.owner_kind}")
            owner = f"n° {self.owner[1:]}" if self.owner.startswith("#") else f"« {self.owner} »"
            return f"{where} : champ « {self.field} » {kind} {owner} : {self.message}"
        if self.field:
            return f"{where} : champ « {self.field} » : {self.message}"
        return f"{where} : {self.message}"


def load_roundtrip(path: str | Path) -> tuple[Any, list[Problem]]:
    """Parse ``path``; a syntax error becomes one Problem (the rest of the file cannot be trusted)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 0, "", f"fichier illisible : il n'est pas encodé en UTF-8 (octet invalide "
                                                f"à la position {exc.start})")]
    except OSError as exc:
        return None, [Problem(str(path), 0, "", f"fichier illisible : {os_reason(exc)}")]
    try:
        return YAML(typ="rt").load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, [Problem(str(path), line, "", f"YAML invalide : {yaml_cause(detail)}" + technical(detail))]


def technical(detail: str) -> str:
    """The library's own (English) words after a French message, marked so that pages can set them apart in a
    smaller line (``detail`` filter) and the wording test can tell them from the French text."""
    return f" (détail technique : {detail})" if detail else ""


def split_technical(message: str) -> tuple[str, str]:
    """``(French message, technical detail)`` of a message built with :func:`technical` (detail "" if none)."""
    head, marker, tail = str(message).rpartition(" (détail technique : ")
    if not marker or not tail.endswith(")"):
        return str(message), ""
    return head, tail[:-1]


_OS_REASONS = ((PermissionError, "accès refusé (droits du fichier)"), (FileNotFoundError, "fichier introuvable"),
               (IsADirectoryError, "c'est un dossier, pas un fichier"))


def os_reason(exc: OSError) -> str:
    """Why a file could not be read, in French (the system's own words are English)."""
    known = next((reason for kind, reason in _OS_REASONS if isinstance(exc, kind)), None)
    return known or "erreur du système" + technical(exc.strerror or str(exc))


# ruamel.yaml's messages, by kind of mistake: what an editor should change, in French; the parser's own words
# follow as the technical detail.
_YAML_CAUSES = (
    ("duplicate key", "clé en double dans une même entrée"),
    ("mapping values are not allowed", "« : » inattendu (une valeur qui contient « : » doit être entre guillemets)"),
    ("cannot start any token", "caractère interdit en début de valeur (une tabulation ? indentez avec des espaces)"),
    ("could not find expected ':'", "« : » manquant après une clé"),
    ("quoted scalar", "guillemets non fermés"),
    ("expected ',' or ']'", "crochet « ] » non fermé ou virgule manquante dans une liste"),
    ("expected ',' or '}'", "accolade « } » non fermée ou virgule manquante"),
    ("undefined alias", "alias « * » inconnu (mettez la valeur entre guillemets)"),
    ("expected <block end>", "indentation incohérente"),
    ("expected <document start>", "indentation incohérente ou contenu inattendu"),
)


def yaml_cause(detail: str) -> str:
    low = detail.lower()
    return next((cause for key, cause in _YAML_CAUSES if key.lower() in low), "syntaxe incorrecte")


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
    """' (vouliez-vous dire « x » ?)' when a close choice exists, else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


def type_name(value: Any) -> str:
    """What a YAML value is, in French, for « attendu : …, trouvé : … »."""
    if value is None:
        return "une valeur vide"
    if isinstance(value, bool):
        return "un booléen (true/false)"
    if isinstance(value, int):
        return "un nombre entier"
    if isinstance(value, float):
        return "un nombre"
    if isinstance(value, str):
        return "du texte"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "un ensemble de clés et valeurs"
    return f"une valeur de type {type(value).__name__}"


def mistyped(expected: str, value: Any) -> str:
    return f"attendu : {expected} ; trouvé : {type_name(value)}"


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
                self.add(key_line(entry, key), str(key), "clé inconnue" + suggest(str(key), known), owner, owner_kind)

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
            expected = "un texte ou une liste de textes" if allow_scalar else "une liste de textes"
            hint = (f" (mettez-le entre guillemets : \"{value}\")" if isinstance(value, int | float)
                    and not isinstance(value, bool) else "")
            self.add(line, key, mistyped(expected, value) + hint, owner, owner_kind)
            return None
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(key_line(value, i, line), key, f"élément {i + 1} : " + mistyped("du texte", item)
                         + (" (mettez-le entre guillemets)" if isinstance(item, int | float)
                            and not isinstance(item, bool) else ""), owner, owner_kind)
                continue
            out.append(str(item))
        return out

    def string(self, entry: CommentedMap, key: str, owner: str = "", required: bool = False,
               owner_kind: str | None = None) -> str | None:
        value = entry.get(key)
        line = key_line(entry, key, node_line(entry))
        if value is None:
            if required:
                self.add(line, key, "clé obligatoire absente" if key not in entry else "ne doit pas être vide",
                         owner, owner_kind)
            return None
        if not isinstance(value, str):
            self.add(line, key, mistyped("du texte", value), owner, owner_kind)
            return None
        if required and not value.strip():
            self.add(line, key, "ne doit pas être vide", owner, owner_kind)
            return None
        return str(value)
