"""Territories named in a text: departments (names, bracketed codes), communes, QPV names and codes."""

from __future__ import annotations

import pytest

from crpv_watch.items import ExtractedDocument
from crpv_watch.tagging.tagger import Tagger
from crpv_watch.tagging.territory import TerritoryFinder, qpv_names
from crpv_watch.tagging.thesaurus import Vocabulary


@pytest.fixture(scope="module")
def finder() -> TerritoryFinder:
    return TerritoryFinder(Vocabulary.load())


def find(finder, text, title="", language=None):
    return finder.find([("title", title), ("body", text)], language)


def test_departments_by_name_and_bracketed_code(finder):
    t = find(finder, "Une action menée en Seine-Saint-Denis (93) et dans le Val-de-Marne.")
    assert t.departments[:2] == ["93", "94"] or set(t.departments) == {"93", "94"}
    explained = {e["value"]: e for e in t.explanation if e["kind"] == "department"}
    assert {s["signal"] for s in explained["93"]["signals"]} == {"Seine-Saint-Denis", "(93)"}
    assert find(finder, "Rencontre à Bobigny (93).").departments == ["93"]
    assert find(finder, "Un atelier en Guadeloupe.").departments == ["971"]


def test_hyphenated_compounds_and_ambiguous_department_names(finder):
    # Region names contain department names; rivers and directions are not departments.
    t = find(finder, "La région Auvergne-Rhône-Alpes et les Pays de la Loire ; les quartiers Nord ; le Lot 2.")
    assert t.departments == []
    assert find(finder, "Le département du Nord finance l'action.").departments == ["59"]
    assert find(finder, "Une action dans le Nord (59).").departments == ["59"]
    assert "63" in find(finder, "Une rencontre à Clermont-Ferrand.").departments
    assert "60" not in find(finder, "Une rencontre à Clermont-Ferrand.").departments


def test_communes_give_their_department_unless_ambiguous(finder):
    t = find(finder, "Les habitants de Clichy-sous-Bois et de Roubaix.")
    assert set(t.departments) == {"93", "59"}
    assert {e["label"] for e in t.explanation if e["kind"] == "commune"} == {"Clichy-sous-Bois", "Roubaix"}
    # Saint-Denis is in Seine-Saint-Denis and in La Réunion: alone it gives no department.
    assert find(finder, "Un atelier à Saint-Denis.").departments == []
    # Common words and sentence starts are not communes.
    assert find(finder, "Sens et enjeux de la participation. Une orange, un avion.").departments == []
    assert find(finder, "Urban policy, a Nice result.", language="en").departments == []


def test_qpv_by_code_and_unambiguous_name(finder):
    assert find(finder, "Le QPV QN09307M a été retenu.").qpvs == ["QN09307M"]
    t = find(finder, "Au Val Fourré, à Mantes-la-Jolie, les habitants ont jardiné.")
    assert t.qpvs == ["QN07801M"] and "78" in t.departments
    assert qpv_names()["QN07801M"] == "Val Fourré"
    assert find(finder, "La Grande Borne à Grigny (91).").qpvs == ["QN09125M"]


def test_ambiguous_qpv_names_need_their_commune(finder):
    # 33 QPV are called "Centre Ville": never assigned by name, whatever the commune.
    assert find(finder, "Le Centre-ville de Saint-Quentin et le centre-ville de Roubaix.").qpvs == []
    # Four QPV are called "Bellevue": the commune named decides.
    assert find(finder, "La cité Bellevue.").qpvs == []
    assert find(finder, "Le quartier Bellevue de Nantes.").qpvs == ["QN04405M"]
    # A single common word needs a quartier cue or its commune.
    assert find(finder, "L'Europe finance des actions.").qpvs == []


def test_tagger_stores_territories_with_explanations():
    tagger = Tagger(Vocabulary.load())
    doc = ExtractedDocument(url="https://x.org/a", canonical_url="https://x.org/a",
                            title="Un jardin au Val Fourré", text="À Mantes-la-Jolie, dans les Yvelines.")
    tags = tagger.tag(doc)
    assert tags.departments == ["78"] and tags.qpvs == ["QN07801M"]
    qpv = next(e for e in tags.territory_explanation if e["kind"] == "qpv")
    assert qpv["signals"] == [{"signal": "Val Fourré", "field": "title", "count": 1}]
    empty = tagger.tag(ExtractedDocument(url="", canonical_url="", title="", text=""))
    assert empty.departments == [] and empty.qpvs == [] and empty.territory_explanation == []
