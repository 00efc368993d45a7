"""The genre cue table (``data/genre_cues.yaml``) read and checked with file:line messages.

The cues are data an editor of the vocabulary tunes, like the theme keywords and the type signals: they live in
YAML beside them, and a mistake in them (an unknown document type, a regular expression that does not compile, a
cue named twice) is reported as ``VocabularyError`` with the file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .thesaurus import DATA_DIR, DEFAULT_DOCTYPES, VocabularyError, load_doctypes
from .yamlcheck import Checker, key_line, load_roundtrip, node_line, suggest

DEFAULT_CUES = DATA_DIR / "genre_cues.yaml"
TOP_KEYS = ("version", "cue_cap", "cues", "title_cues", "time_cues")
CUE_KEYS = ("name", "words", "word_end", "pattern", "weights")
KEYED_CUE_KEYS = ("id", *CUE_KEYS)
# The code reads these by id: the title of a news item overrides its genre, and the time cues are the two sides
# of the publication date.
REQUIRED_TITLE_CUES = ("news",)
TIME_CUE_IDS = ("future", "past")


@dataclass(frozen=True)
class Cue:
    name: str  # shown in explanations (French, as editors read it) and the learned model's feature name
    pattern: re.Pattern
    weights: tuple[tuple[str, float], ...]  # (doctype, weight)
    # The pattern's leading \b, checked by ``count`` instead of the engine: a pattern that starts with a choice
    # of words lets the engine skip in C to the positions where one of their first letters stands, where the
    # \b would have it try every position (the cues were a fifth of the tagging time).
    word_start: bool = False

    def count(self, folded: str, cap: int) -> int:
        """Occurrences, up to ``cap``: what ``finditer`` of the written pattern finds."""
        if not self.word_start:
            return sum(1 for _ in zip(range(cap), self.pattern.finditer(folded), strict=False))
        n, pos, search = 0, 0, self.pattern.search
        while n < cap:
            m = search(folded, pos)
            if m is None:
                break
            start = m.start()
            if start and _is_word(folded[start - 1]) == _is_word(folded[start]):
                pos = start + 1  # no word boundary: the written pattern's \b refuses it, look further
                continue
            n, pos = n + 1, m.end()
        return n

    @property
    def written(self) -> str:
        """The regular expression as the file means it (with its leading \\b)."""
        return (r"\b" if self.word_start else "") + self.pattern.pattern


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # \w of a str pattern


def compile_cue(name: str, pattern: str, weights: tuple[tuple[str, float], ...]) -> Cue:
    if pattern.startswith(r"\b("):
        return Cue(name, re.compile(pattern[2:]), weights, word_start=True)
    return Cue(name, re.compile(pattern), weights)


@dataclass(frozen=True)
class CueTable:
    cues: tuple[Cue, ...]  # on the body's start
    title: dict[str, Cue]  # id -> cue on the title
    time: dict[str, Cue]  # "future" / "past" (their patterns are unused: the dates decide)
    cap: int


def _pattern(chk: Checker, entry: Any, name: str) -> str | None:
    words = chk.string_list(entry, "words", name, "cue")
    pattern = chk.string(entry, "pattern", name, owner_kind="cue")
    line = node_line(entry)
    if words and pattern:
        chk.add(key_line(entry, "pattern", line), "pattern", "« words » et « pattern » s'excluent : gardez-en un",
                name, "cue")
        return None
    word_end = entry.get("word_end", True)
    if not isinstance(word_end, bool):
        chk.add(key_line(entry, "word_end", line), "word_end", "attendu : true ou false", name, "cue")
        return None
    if words:
        for i, word in enumerate(words):  # the line of the faulty alternative, not of the list
            try:
                re.compile(word)
            except re.error as exc:
                chk.add(key_line(entry["words"], i, line), "words",
                        f"« {word} » : expression régulière invalide ({exc.msg}, position {exc.pos})", name, "cue")
                return None
        written = r"\b(" + "|".join(words) + ")" + (r"\b" if word_end else "")
        field = "words"
    elif pattern:
        written, field = pattern, "pattern"
    else:
        return ""
    try:
        re.compile(written)
    except re.error as exc:
        chk.add(key_line(entry, field, line), field, f"expression régulière invalide ({exc.msg}, position {exc.pos})",
                name, "cue")
        return None
    return written


def _weights(chk: Checker, entry: Any, name: str, doctypes: set[str]) -> tuple[tuple[str, float], ...]:
    value = entry.get("weights")
    line = key_line(entry, "weights", node_line(entry))
    if not isinstance(value, dict) or not value:
        chk.add(line, "weights", "attendu : des types de document et leur poids ({actualite: 0.6})", name, "cue")
        return ()
    out = []
    for doctype, weight in value.items():
        if doctype not in doctypes:
            chk.add(line, "weights", f"type de document inconnu « {doctype} »" + suggest(str(doctype), doctypes),
                    name, "cue")
        elif isinstance(weight, bool) or not isinstance(weight, int | float) or not weight:
            chk.add(line, "weights", f"le poids de « {doctype} » doit être un nombre non nul", name, "cue")
        else:
            out.append((str(doctype), float(weight)))
    return tuple(out)


def _section(chk: Checker, data: Any, key: str, keyed: bool, doctypes: set[str]) -> list[tuple[str, Cue]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        chk.add(key_line(data, key, 1), key, "attendu : une liste d'indices non vide")
        return []
    out, names = [], {}
    for entry in entries:
        if not isinstance(entry, dict):
            chk.add(node_line(entry, key_line(data, key, 1)), key, "attendu : un ensemble de clés et valeurs")
            continue
        name = chk.string(entry, "name", f"#{node_line(entry)}", required=True, owner_kind="cue")
        if name is None:
            continue
        chk.unknown_keys(entry, KEYED_CUE_KEYS if keyed else CUE_KEYS, name, "cue")
        ident = chk.string(entry, "id", name, required=True, owner_kind="cue") if keyed else name
        if name in names:
            chk.add(key_line(entry, "name", node_line(entry)), "name",
                    f"indice en double (déjà défini ligne {names[name]})", name, "cue")
            continue
        names[name] = node_line(entry)
        written = _pattern(chk, entry, name)
        weights = _weights(chk, entry, name, doctypes)
        if written == "" and key != "time_cues":
            chk.add(node_line(entry), "words", "« words » ou « pattern » obligatoire", name, "cue")
        elif written is not None and ident is not None and weights:
            out.append((ident, compile_cue(name, written, weights)))
    return out


def _parse(chk: Checker, data: Any, doctypes: set[str]) -> CueTable | None:
    if not isinstance(data, dict):
        chk.add(1, "", "attendu : des clés et valeurs au premier niveau du fichier")
        return None
    chk.unknown_keys(data, TOP_KEYS)
    cap = data.get("cue_cap")
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        chk.add(key_line(data, "cue_cap", 1), "cue_cap", "attendu : un nombre entier positif")
    cues = [cue for _, cue in _section(chk, data, "cues", False, doctypes)]
    title = dict(_section(chk, data, "title_cues", True, doctypes))
    time = dict(_section(chk, data, "time_cues", True, doctypes))
    for ident in REQUIRED_TITLE_CUES:
        if ident not in title:
            chk.add(key_line(data, "title_cues", 1), "title_cues", f"l'indice d'id « {ident} » est obligatoire")
    if set(time) != set(TIME_CUE_IDS):
        chk.add(key_line(data, "time_cues", 1), "time_cues", "attendu : exactement les indices « future » et « past »")
    return CueTable(tuple(cues), title, time, cap) if not chk.problems else None


def load_cues(path: str | Path = DEFAULT_CUES, doctypes_path: str | Path = DEFAULT_DOCTYPES) -> CueTable:
    data, problems = load_roundtrip(path)
    if problems:
        raise VocabularyError(problems)
    chk = Checker(path, "cue")
    table = _parse(chk, data, set(load_doctypes(doctypes_path)[0]))
    if chk.problems or table is None:
        raise VocabularyError(chk.problems)
    return table
