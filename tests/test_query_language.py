"""The query language, synonyms, new facets, sorts, suggestions and more-like-this, over a handful of documents
whose expected answers are plain to read."""

from __future__ import annotations

import datetime as dt

import pytest

from crpv_watch.items import IndexDocument
from crpv_watch.search.engine import OR_NOTICE, SearchEngine
from crpv_watch.search.synonyms import Synonyms
from crpv_watch.search.types import SearchRequest, SearchResponse

LABELS = {"habitat_logement": "Habitat et logement", "sante": "Santé", "c1": "Centre Ressources Occitanie"}

DOCS = [
    IndexDocument(id="a", url="https://e.org/a", title="L'atelier santé ville de Lunel",
                  text="Un atelier santé ville réunit les acteurs du soin.", themes=["sante"], centre="c1",
                  doctype="guide", published=dt.date(2024, 1, 1), departments=["34"], qpvs=["QN03401M"],
                  language="fr", pillars=["pilier_cohesion_sociale"]),
    IndexDocument(id="b", url="https://e.org/b", title="Bilan de l'ASV", text="L'ASV de Sète en 2023.",
                  themes=["sante"], centre="c2", doctype="etude", published=dt.date(2023, 1, 1), language="fr",
                  departments=["34", "30"], pillars=["pilier_cohesion_sociale"]),
    IndexDocument(id="c", url="https://e.org/c", title="Le NPNRU à Nîmes",
                  text="Le nouveau programme national de renouvellement urbain avance. Copropriété dégradée.",
                  themes=["renouvellement_urbain_npnru"], pillars=["pilier_cadre_de_vie_renouvellement_urbain"],
                  centre="c1", doctype="guide", published=dt.date(2022, 1, 1), departments=["30"]),
    IndexDocument(id="d", url="https://e.org/d", title="Rénovation",
                  text="Le nouveau programme national de renouvellement urbain dans les quartiers prioritaires.",
                  themes=["habitat_logement"], centre="c2", doctype="actualite", published=dt.date(2021, 5, 1),
                  language="en"),
    IndexDocument(id="e", url="https://e.org/e", title="Emploi des jeunes",
                  text="L'insertion professionnelle des jeunes dans les QPV.", themes=["emploi_insertion", "jeunesse"],
                  centre="c3", doctype="guide", published=None),
]
TEXTS = {d.id: d.text for d in DOCS}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = SearchEngine(tmp_path_factory.mktemp("ql") / "index", labels=lambda f, v: LABELS.get(v, v),
                          text_for=lambda ids: {i: TEXTS[i] for i in ids if i in TEXTS})
    engine.index(DOCS)
    yield engine
    engine.close()


def found(engine, q: str, **kw) -> list[str]:
    return sorted(hit.id for hit in engine.search(SearchRequest(q=q, per_page=50, **kw)).results)


@pytest.mark.parametrize(("q", "expected"), [
    ("ASV", ["a", "b"]),  # acronym → its expansion
    ("asv", ["a", "b"]),
    ("atelier santé ville", ["a", "b"]),  # expansion → its acronym
    ("NPNRU", ["c", "d"]),
    ("nouveau programme national de renouvellement urbain", ["c", "d"]),
    ("qpv", ["d", "e"]),  # QPV ↔ quartiers prioritaires
    ('"renouvellement urbain"', ["c", "d"]),
    ("« renouvellement urbain »", ["c", "d"]),
    ("renouvellement -copropriété", ["d"]),
    ("renouvellement SAUF copropriété", ["d"]),
    ("renouvellement NOT copropriété", ["d"]),
    ("NOT copropriété", ["a", "b", "d", "e"]),
    ("emploi OR lunel", ["a", "e"]),
    ("emploi OU lunel", ["a", "e"]),
    ("santé ET atelier", ["a"]),
    ("santé AND atelier", ["a"]),
    ("(emploi OR santé) -Lunel", ["e"]),
    ("titre:atelier", ["a"]),
    ("titre:\"atelier santé\"", ["a"]),
    ("theme:sante", ["a", "b"]),
    ("thème:logement", ["d"]),  # a label's word
    ('theme:"Habitat et logement"', ["d"]),
    ("type:guide santé", ["a"]),
    ("centre:c1", ["a", "c"]),
    ("centre:occitanie", ["a", "c"]),
    ("departement:34", ["a", "b"]),
    ("qpv:QN03401M", ["a"]),
    ("langue:en", ["d"]),
    ("annee:2024", ["a"]),
    ("pilier:cadre", ["c"]),
    ("renouv*", ["c", "d"]),
    ("insertin~", ["e"]),
    ("jusqu'à Nîmes", ["c"]),
])
def test_query_language(engine, q, expected):
    assert found(engine, q) == expected


@pytest.mark.parametrize("q", ["((( emploi", "emploi)", '"emploi', "emploi AND", "OR", "-", "NOT", "titre:",
                               "ville:emploi", "emploi~~", "**", "theme:", ")(", "emploi :", "SAUF SAUF emploi"])
def test_invalid_syntax_never_errors(engine, q):
    response = engine.search(SearchRequest(q=q))
    assert isinstance(response, SearchResponse)


def test_broken_syntax_searches_plain_words(engine):
    assert found(engine, "((( emploi") == ["e"]
    assert found(engine, '"emploi jeunes') == ["e"]


def test_unknown_prefix_is_text(engine):
    response = engine.search(SearchRequest(q="Bilan : ASV"))
    assert response.complete == 1 and response.results[0].id == "b"


def test_any_word_fallback_keeps_notice(engine):
    response = engine.search(SearchRequest(q="lunel zeppelinade"))
    assert response.notice == OR_NOTICE and [h.id for h in response.results] == ["a"]


def test_sorts(engine):
    newest = [h.id for h in engine.search(SearchRequest(sort="date")).results]
    oldest = [h.id for h in engine.search(SearchRequest(sort="date_asc")).results]
    assert newest == ["a", "b", "c", "d", "e"]
    assert oldest == ["d", "c", "b", "a", "e"]  # undated last either way


def test_new_facets_and_theme_groups(engine):
    response = engine.search(SearchRequest(department=["34"]))
    assert sorted(h.id for h in response.results) == ["a", "b"]
    facets = {name: {f.value: f.count for f in values} for name, values in response.facets.items()}
    assert facets["department"] == {"34": 2, "30": 2}  # disjunctive: its own selection left out
    assert facets["qpv"] == {"QN03401M": 1}
    assert facets["language"] == {"fr": 2}
    assert facets["pillar"] == {"pilier_cohesion_sociale": 2}
    groups = {f.value: f.group for f in response.facets["theme"]}
    assert groups == {"sante": "pilier_cohesion_sociale"}
    both = engine.search(SearchRequest(department=["34", "30"], language=["fr"]))
    assert sorted(h.id for h in both.results) == ["a", "b"]  # OR within, AND across
    assert both.to_json()["facets"]["theme"][0]["group"] == "pilier_cohesion_sociale"


def test_request_round_trip():
    from werkzeug.datastructures import MultiDict

    args = MultiDict([("q", "x"), ("department", "93"), ("qpv", "QN09307M"), ("language", "fr"),
                      ("pillar", "pilier_cohesion_sociale"), ("sort", "date_asc")])
    req = SearchRequest.from_args(args)
    assert req.department == ["93"] and req.qpv == ["QN09307M"] and req.language == ["fr"]
    assert req.sort == "date_asc"
    assert SearchRequest.from_args(MultiDict(req.to_params())) == req


def test_suggestion(engine):
    response = engine.search(SearchRequest(q="renovaton"))
    assert response.total == 0 and response.suggestion == "renovation"
    assert response.to_json()["suggestion"] == "renovation"
    assert engine.search(SearchRequest(q="renovation")).suggestion is None


def test_more_like_this(engine):
    similar = [h.id for h in engine.more_like_this("c", limit=5)]
    assert similar and similar[0] == "d" and "c" not in similar
    assert engine.more_like_this("nope") == []


def test_synonyms_from_vocabulary():
    syn = Synonyms.from_themes_file()
    assert "atelier santé ville" in syn.expansions["ASV"]
    assert "nouveau programme national de renouvellement urbain" in syn.expansions["NPNRU"]
    assert syn.acronym("npnru") == "NPNRU" and syn.acronym("pass") is None and syn.acronym("PASS") is None


def test_engine_without_synonyms(tmp_path):
    engine = SearchEngine(tmp_path / "ix", synonyms=Synonyms())
    engine.index(DOCS)
    assert sorted(h.id for h in engine.search(SearchRequest(q="ASV")).results) == ["b"]
    engine.set_synonyms(Synonyms.from_themes_file())
    assert sorted(h.id for h in engine.search(SearchRequest(q="ASV")).results) == ["a", "b"]
    engine.close()


def test_two_engines_one_directory_see_each_others_writes(tmp_path):
    """A web worker (reader) and the crawler (writer) in different engines on one index directory."""
    writer = SearchEngine(tmp_path / "ix")
    reader = SearchEngine(tmp_path / "ix")
    reader.check_interval = 0  # look for the other's commits on every search
    try:
        writer.index(DOCS[:3])
        assert reader.search(SearchRequest(q="ASV")).total == 2
        writer.index(DOCS[3:])
        response = reader.search(SearchRequest(department=["30"]))
        assert response.total == 2
        writer.delete(["c"])
        assert reader.search(SearchRequest(department=["30"])).total == 1  # merged-away segments stay gone
        writer.rebuild(DOCS[:1])
        assert reader.count() == 1 and reader.search(SearchRequest(q="NPNRU")).total == 0
        reader.index(DOCS[1:2])  # the reader may write too: it follows the rebuilt generation
        writer.refresh()
        assert writer.count() == 2 and writer.search(SearchRequest(q="sète")).total == 1
    finally:
        reader.close()
        writer.close()


def test_another_process_reads_while_this_one_writes(tmp_path):
    import json
    import subprocess
    import sys

    engine = SearchEngine(tmp_path / "ix")
    engine.index(DOCS)
    code = (
        "import json, sys; from crpv_watch.search.engine import SearchEngine;"
        "from crpv_watch.search.types import SearchRequest;"
        f"e = SearchEngine({str(tmp_path / 'ix')!r}); r = e.search(SearchRequest(q='renouvellement'));"
        "print(json.dumps([e.count(), r.total, sorted(h.id for h in r.results)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout) == [5, 2, ["c", "d"]]
    engine.delete(["d"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout) == [4, 1, ["c"]]
    engine.close()
