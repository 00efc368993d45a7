"""The vocabulary files load into typed objects, and mistakes in them are reported with file:line and field."""

from __future__ import annotations

import shutil

import pytest

from crpv_watch.tagging.thesaurus import (
    DEFAULT_DOCTYPES,
    DEFAULT_REGIONS,
    DEFAULT_THEMES,
    FALLBACK_DOCTYPE,
    UNQUALIFIED_DOCTYPE,
    Vocabulary,
    VocabularyError,
)


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load(DEFAULT_THEMES, DEFAULT_DOCTYPES)


def test_shipped_files_are_valid():
    assert Vocabulary.validate(DEFAULT_THEMES, DEFAULT_DOCTYPES, DEFAULT_REGIONS) == []


def test_themes_and_pillars(vocab):
    assert len(vocab.pillars) == 3 and len(vocab.themes) == 26
    sante = vocab.themes["sante"]
    assert sante.pillar == "pilier_cohesion_sociale" == vocab.pillar_of("sante")
    assert sante.kind == "thematique" and "ASV" in sante.acronyms and "PASS" in sante.ambiguous
    assert vocab.themes["jeunesse"].pillar is None and vocab.themes["jeunesse"].kind == "transversal"
    assert vocab.pillar_of("gouvernance_contrat_de_ville") is None and vocab.pillar_of("nope") is None
    assert vocab.themes["transition_ecologique"].pillar == "pilier_cadre_de_vie_renouvellement_urbain"
    assert all(t.pillar in vocab.pillars for t in vocab.themes.values() if t.pillar)
    assert vocab.theme_label("sante") == "Santé"
    assert vocab.theme_label("pilier_cohesion_sociale") == "Cohésion sociale"
    assert vocab.theme_label("unknown") == "unknown"
    assert "DSU" in vocab.pillars["pilier_cohesion_sociale"].acronyms


def test_doctypes_and_precedence(vocab):
    assert len(vocab.doctypes) == 18 and vocab.precedence[0] == "offre_emploi"
    assert vocab.precedence[-2:] == [FALLBACK_DOCTYPE, UNQUALIFIED_DOCTYPE]
    assert [vocab.doctypes[d].rank for d in vocab.precedence] == list(range(len(vocab.precedence)))
    offre = vocab.doctypes["offre_emploi"]
    assert "chargé de mission" in offre.title_signals_weak and "recrute" in offre.title_signals
    assert "require a job noun" in offre.disambiguation
    assert vocab.doctype_label("guide_methodologique") == "Guide méthodologique / outil"


def test_regions_and_departments(vocab):
    assert len(vocab.regions) == 18
    assert vocab.region_label("84") == "Auvergne-Rhône-Alpes" and vocab.region_label("04") == "La Réunion"
    assert vocab.departments["93"] == "Seine-Saint-Denis"
    # These two were unquoted in the source file: YAML 1.2 reads 08 as the integer 8.
    assert vocab.departments["08"] == "Ardennes" and vocab.departments["09"] == "Ariège"
    assert vocab.departments["2A"] == "Corse-du-Sud" and len(vocab.departments) == 101
    assert vocab.region_label("978") == "Saint-Martin"  # a territory with QPV, not a region
    assert "978" not in vocab.regions
    assert vocab.region_info["11"].centres == ("profession-banlieue", "pole-ressources-95", "crpve-ressources-urbaines")


def broken_copy(tmp_path, name, old, new):
    src = {"themes": DEFAULT_THEMES, "doctypes": DEFAULT_DOCTYPES, "regions": DEFAULT_REGIONS}[name]
    path = tmp_path / f"{name}.yaml"
    text = src.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    return path, line


def test_theme_pointing_to_unknown_pillar(tmp_path):
    path, line = broken_copy(tmp_path, "themes", "parent: pilier_cohesion_sociale\n    keywords: [\"santé\"",
                             "parent: pilier_cohesion_social\n    keywords: [\"santé\"")
    with pytest.raises(VocabularyError) as err:
        Vocabulary.load(path, DEFAULT_DOCTYPES)
    [problem] = err.value.problems
    assert (problem.line, problem.field, problem.owner) == (line, "parent", "sante")
    assert str(problem).startswith(f"{path}, ligne {line} : champ « parent » du thème « sante » : pilier inconnu")
    assert "vouliez-vous dire « pilier_cohesion_sociale » ?" in str(problem)


def test_unknown_key_duplicate_id_and_ambiguous_outside_keywords(tmp_path):
    path, _ = broken_copy(tmp_path, "themes", "  - id: sport\n    label: \"Sport\"\n",
                          "  - id: sante\n    label: \"Sport\"\n    keyword: [\"x\"]\n")
    text = path.read_text(encoding="utf-8").replace('ambiguous: ["genre"]', 'ambiguous: ["gender"]')
    path.write_text(text, encoding="utf-8")
    problems = Vocabulary.validate(path, DEFAULT_DOCTYPES)
    messages = [str(p) for p in problems]
    assert any("champ « id » du thème « sante » : identifiant en double (déjà défini ligne" in m for m in messages)
    assert any("champ « ambiguous » du thème « egalite_femmes_hommes » : « gender » ne figure ni" in m
               for m in messages)
    assert all(m.startswith(f"{path}, ligne ") for m in messages)


def test_unknown_key_suggests(tmp_path):
    path, line = broken_copy(tmp_path, "themes", "  - id: sport\n    label: \"Sport\"\n",
                             "  - id: sport\n    label: \"Sport\"\n    acronym: [\"X\"]\n")
    [problem] = Vocabulary.validate(path, DEFAULT_DOCTYPES)
    assert problem.line == line + 2 and problem.field == "acronym"
    assert "vouliez-vous dire « acronyms » ?" in problem.message


def test_doctype_precedence_must_match_the_types(tmp_path):
    path, line = broken_copy(tmp_path, "doctypes", "precedence: [offre_emploi,", "precedence: [offre_emplois,")
    messages = [str(p) for p in Vocabulary.validate(DEFAULT_THEMES, path)]
    assert any(f"{path}, ligne {line} : champ « precedence » : type de document inconnu « offre_emplois »" in m
               for m in messages)
    assert any("champ « precedence » du type de document « offre_emploi » : type de document absent" in m
               for m in messages)


def test_bad_yaml_and_unquoted_codes(tmp_path):
    path, line = broken_copy(tmp_path, "doctypes", "  - id: guide_methodologique", "  - id: [guide_methodologique")
    [problem] = Vocabulary.validate(DEFAULT_THEMES, path)
    assert "YAML invalide" in problem.message and problem.line >= line
    regions, line = broken_copy(tmp_path, "regions", "- code: '08'", "- code: 08")
    [problem] = Vocabulary.validate(DEFAULT_THEMES, DEFAULT_DOCTYPES, regions)
    assert problem.line == line and problem.field == "departments" and problem.owner == "44"


def test_every_problem_of_every_file_is_reported(tmp_path):
    themes, _ = broken_copy(tmp_path, "themes", "kind: methode", "kind: method")
    doctypes = tmp_path / "d.yaml"
    shutil.copy(DEFAULT_DOCTYPES, doctypes)
    doctypes.write_text(doctypes.read_text(encoding="utf-8").replace("label: \"Guide", "lable: \"Guide"), "utf-8")
    problems = Vocabulary.validate(themes, doctypes)
    assert {p.field for p in problems} >= {"kind", "lable", "label"}
    assert "vouliez-vous dire « methode » ?" in " ".join(p.message for p in problems)


def test_a_word_both_keyword_and_acronym_is_refused(tmp_path):
    # It would count twice for one mention (HLM, CCAS were).
    path, line = broken_copy(tmp_path, "themes", '"bailleur social", "mixité sociale"',
                             '"bailleur social", "HLM", "mixité sociale"')
    problems = Vocabulary.validate(path, DEFAULT_DOCTYPES)
    assert any(p.owner == "habitat_logement" and p.field == "keywords" and "« HLM » est déjà un sigle" in str(p)
               for p in problems), [str(p) for p in problems]
