"""The genre cue table is data (crpv_watch/data/genre_cues.yaml): the shipped file loads, and a mistake in an
edited copy is reported with its file, line and field, in French."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crpv_watch.tagging import genre
from crpv_watch.tagging.genre_cues import DEFAULT_CUES, load_cues
from crpv_watch.tagging.thesaurus import VocabularyError, load_doctypes


def test_shipped_table_loads_and_names_known_types():
    table = load_cues()
    doctypes = set(load_doctypes()[0])
    assert len(table.cues) >= 15 and table.cap == genre.CUE_CAP
    assert {"news", "howto", "event"} <= set(table.title) and set(table.time) == {"future", "past"}
    names = [c.name for c in table.cues] + [c.name for c in table.title.values()]
    assert len(names) == len(set(names))  # names are the model's features: one name, one cue
    for cue in (*table.cues, *table.title.values(), *table.time.values()):
        assert cue.weights and {d for d, _ in cue.weights} <= doctypes


def test_words_are_whole_words_unless_told_otherwise():
    table = load_cues()
    by_name = {c.name: c for c in table.cues}
    past = by_name["rencontre passée (s'est tenue, a réuni…)"]
    assert past.written.startswith(r"\b(s'est") and past.written.endswith(r")\b")
    assert past.count("la rencontre s'est tenue a paris", 3) == 1
    assert past.count("ressest tenue", 3) == 0  # the leading \b
    official = by_name["texte officiel (NOR, Mesdames et Messieurs les préfets…)"]
    assert not official.written.endswith(r")\b")  # word_end: false — "nor :" ends on punctuation
    assert official.count("nor : terl1234567c", 3) == 1


def test_cues_weigh_the_evidence_of_a_text():
    scores, reasons, counts = genre.genre_evidence(
        "La journée s'est tenue le 3 mars et a réuni 80 participants. Retour sur les échanges.",
        title="Retour sur la rencontre régionale")
    assert scores["actes_compte_rendu"] > 2 and scores.get("agenda_evenement", 0) < 0
    assert "rencontre passée (s'est tenue, a réuni…)" in reasons["actes_compte_rendu"]
    news, _, _ = genre.genre_evidence("Le guide est en ligne.", title="L'ANCT publie un guide")
    assert news["actualite"] == pytest.approx(2.2)


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CUES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "genre_cues.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, fragment: str) -> int:
    # The last line holding it: a cue named twice is reported where it is named the second time.
    return max(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(("old", "new", "fragment", "field", "message"), [
    ("{media_audiovisuel: 1.5,", "{media_audivisuel: 1.5,", "media_audivisuel", "weights",
     "type de document inconnu « media_audivisuel » (vouliez-vous dire « media_audiovisuel » ?)"),
    ('      - "a eu lieu"', '      - "a eu (lieu"', "a eu (lieu", "words", "expression régulière invalide"),
    ('  - name: "lettre d\'information"', '  - name: "inscription"', 'name: "inscription"', "name",
     "indice en double"),
    ("    weights: {newsletter: 1.2}", "    weights: {newsletter: beaucoup}", "beaucoup", "weights",
     "le poids de « newsletter » doit être un nombre non nul"),
    ("    weights: {newsletter: 1.2}", "    poids: {newsletter: 1.2}", "poids:", "poids", "clé inconnue"),
])
def test_a_mistake_names_file_line_and_field(tmp_path, old, new, fragment, field, message):
    path = _edited(tmp_path, old, new)
    with pytest.raises(VocabularyError) as caught:
        load_cues(path)
    problem = caught.value.problems[0]
    assert problem.file == str(path) and problem.field == field and message in problem.message
    assert problem.line == _line_of(path, fragment)
    assert re.search(rf"genre_cues\.yaml, ligne {problem.line} : champ « {field} » de l'indice de genre",
                     str(problem))


def test_the_news_title_cue_is_required(tmp_path):
    path = _edited(tmp_path, '  - id: "news"', '  - id: "nouvelle"')
    with pytest.raises(VocabularyError, match="l'indice d'id « news » est obligatoire"):
        load_cues(path)
