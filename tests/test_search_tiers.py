"""Relevance features of the search, each through SearchEngine on hand-made documents: partial matches after
the complete ones, close forms of rare or unknown words, « été » as a noun, phrases before their words, credit
lines weighing less than the text, one probabilistic idf per word."""

from __future__ import annotations

import pytest

from crpv_watch.items import IndexDocument
from crpv_watch.search.engine import SearchEngine
from crpv_watch.search.schema import split_credits
from crpv_watch.search.tiers import PHRASE_NOTICE
from crpv_watch.search.types import SearchRequest
from crpv_watch.search.weighting import probabilistic_idf
from crpv_watch.text.analysis import french_analyzer

FILLER = [f"Compte rendu numéro {i} de la réunion du comité de pilotage sur la voirie et la propreté." for i in range(20)]

TEXTS = {
    # close forms: the usual spelling in five documents, the variant in one
    **{f"entrepreneuriat{i}": f"L'entrepreneuriat dans les quartiers prioritaires, étape {i}." for i in range(5)},
    "entreprenariat": "Soutenir l'entreprenariat des habitants des quartiers.",
    "discriminations": "Lutter contre les discriminations à l'embauche.",
    # été
    "programme": "Quartiers d'été : appel à projets pour les vacances.",
    "participe": "Le quartier a été rénové et la place a été refaite.",
    "bien-etre": "Le bien-être des habitants passe par l'aménagement.",
    "bien": "Un bien commun pour les habitants.",
    # phrases
    "phrase": "Un rapport sur la situation des femmes et des hommes dans les quartiers.",
    "mots": "Les femmes et les hommes du quartier décrivent leur situation.",
    # credits
    "credit": "Note brève sur les trottoirs.\nAuteur : Paul Martin",
    "texte": ("La place Martin accueille le marché du samedi, et les commerçants du quartier y reviennent chaque "
              "semaine depuis que la rénovation des trottoirs et de l'éclairage est terminée."),
}
TITLES = {"discriminations": "Discriminations à l'embauche"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    docs = [IndexDocument(id=key, url=f"https://example.org/{key}", title=TITLES.get(key, f"Document {key}"),
                          text=text) for key, text in TEXTS.items()]
    docs += [IndexDocument(id=f"filler{i}", url=f"https://example.org/f{i}", title=f"Réunion {i}", text=t)
             for i, t in enumerate(FILLER)]
    engine = SearchEngine(tmp_path_factory.mktemp("tiers"))
    engine.index(docs)
    yield engine
    engine.close()


def search(engine, q: str, **kw):
    response = engine.search(SearchRequest(q=q, per_page=50, **kw))
    return response, [h.id for h in response.results]


def test_rare_spelling_also_finds_its_usual_form_typed_word_first(engine):
    response, ids = search(engine, "entreprenariat quartiers")
    assert ids[0] == "entreprenariat"  # the very word typed weighs more than its close form
    assert set(ids[:6]) == {"entreprenariat", *(f"entrepreneuriat{i}" for i in range(5))}
    assert response.complete == 6
    assert "« entreprenariat »" in response.notice


def test_exact_word_gets_no_close_form(engine):
    response, ids = search(engine, "exact:entreprenariat")
    assert ids == ["entreprenariat"] and response.notice is None


def test_unknown_word_is_matched_by_its_close_form_and_suggested(engine):
    response, ids = search(engine, "discrimminations")
    assert ids == ["discriminations"]
    assert response.suggestion == "discriminations"


def test_summer_is_a_word_but_not_the_participle():
    terms = [t.text for t in french_analyzer(stem=True, field_nouns=True)("Quartiers d'été. Il a été rénové, "
                                                                                "n'a pas été fini ; cet été")]
    assert terms.count("ete") == 2
    tagger_terms = [t.text for t in french_analyzer(stem=True)("Quartiers d'été")]
    assert "ete" not in tagger_terms  # the tagger's chain is unchanged


def test_quartiers_d_ete_is_the_programme(engine):
    response, ids = search(engine, "quartiers d'été")
    assert ids[0] == "programme" and response.complete == 1


def test_bien_etre_needs_both_parts(engine):
    response, ids = search(engine, "bien-être")
    assert response.complete == 1 and ids[0] == "bien-etre"


def test_phrase_first_then_its_words(engine):
    response, ids = search(engine, '"situation des femmes et des hommes"')
    assert ids[:2] == ["phrase", "mots"] and response.complete == 1
    assert PHRASE_NOTICE in response.notice


def test_exact_phrase_only(engine):
    response, ids = search(engine, 'exact:"situation des femmes et des hommes"')
    assert ids == ["phrase"] and response.notice is None


def test_facet_filter_stays_required_for_partial_matches(engine):
    response, _ = search(engine, "entreprenariat zeppelin", type=["guide"])
    assert response.total == 0


def test_credit_line_weighs_less_than_the_text(engine):
    response, ids = search(engine, "Martin")
    assert ids == ["texte", "credit"]  # the author is still found, after the text that is about the place


def test_split_credits():
    body, credits = split_credits("Le guide.\nAuteur : P. Gout\nRédaction\nL. Brun, C. Tanné\n"
                                  "Mis à disposition selon la licence Creative Commons\nPhoto du quartier")
    assert body == "Le guide.\nPhoto du quartier"
    assert credits.splitlines() == ["Auteur : P. Gout", "Rédaction", "L. Brun, C. Tanné",
                                    "Mis à disposition selon la licence Creative Commons"]


def test_probabilistic_idf_gives_common_words_almost_nothing():
    assert probabilistic_idf(1000, 950) < 0.06 < 1.0 < probabilistic_idf(1000, 50)
