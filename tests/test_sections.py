"""A source's own sections (``sections:``): validation, the breadcrumb and feed categories the crawler reads, the
tagger taking a section as evidence (not as a verdict), and a crawl of a loopback site that files its documents
under a section mapped to a type."""

from __future__ import annotations

from editors_support import CentreSite, make_services

from crpv_watch.crawl.parse_feed import parse_feed
from crpv_watch.crawl.parse_html import parse_html
from crpv_watch.crawl.run import CrawlRunner
from crpv_watch.items import ExtractedDocument
from crpv_watch.sources.load import load_sources, validate_sources
from crpv_watch.store.models import Document
from crpv_watch.tagging.sections import format_form_lines, parse_form_lines, section_hints
from crpv_watch.tagging.tagger import Tagger
from crpv_watch.tagging.thesaurus import Vocabulary

SECTIONS = [{"url_prefix": "/ressources/fiches/", "type": "fiche_experience"},
            {"breadcrumb": "Agenda", "type": "agenda_evenement"},
            {"category": "Offres d'emploi", "type": "offre_emploi", "themes": ["emploi_insertion"]}]


def test_validation_names_file_line_and_field(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("""sources:
  - id: centre
    name: Centre
    homepage: https://centre.example.org/
    feeds: [https://centre.example.org/feed]
    sections:
      - url_prefix: /agenda/
        type: agenda
      - breadcrumb: Fiches
        themes: [santé]
      - categorie: Emploi
        type: offre_emploi
      - url_prefix: ressources
        type: a_qualifier
""", encoding="utf-8")
    problems = [str(p) for p in validate_sources(path)]
    assert any(", ligne 8 : champ « sections[1].type » de la source « centre » : type de document inconnu « agenda »"
               in p for p in problems), problems
    assert any(", ligne 10 : champ « sections[2].themes »" in p and "vouliez-vous dire « sante »" in p for p in problems)
    assert any(", ligne 11 : champ « sections[3].categorie »" in p and "vouliez-vous dire « category »" in p
               for p in problems)
    assert any(", ligne 13 : champ « sections[4].url_prefix »" in p for p in problems)
    assert any("sections[4].type" in p and "« a_qualifier »" in p for p in problems)  # not a genre to give


def test_hints_from_url_breadcrumb_and_category():
    url = "https://centre.example.org/ressources/fiches/jardin"
    assert [h.doctype for h in section_hints(SECTIONS, url)] == ["fiche_experience"]
    assert [h.doctype for h in section_hints(SECTIONS, "https://x.org/a", ["Accueil", "agenda"])] == \
        ["agenda_evenement"]
    [hint] = section_hints(SECTIONS, "https://x.org/a", [], ["Offres d’emploi"])
    assert hint.themes == ("emploi_insertion",) and "catégorie du flux" in hint.label
    assert section_hints(SECTIONS, "https://x.org/ressources/fiches-bis/a") == ()


def test_form_lines_round_trip():
    vocabulary = Vocabulary.load()
    text = format_form_lines(SECTIONS)
    assert "url /ressources/fiches/ = fiche_experience" in text
    parsed, errors = parse_form_lines(text, set(vocabulary.doctypes), set(vocabulary.themes))
    assert errors == [] and parsed == SECTIONS
    _, errors = parse_form_lines("rubrique /x/ = guide\nurl /y/ = guide_methodologique, agenda_evenement",
                                 set(vocabulary.doctypes), set(vocabulary.themes))
    assert errors == ["ligne 1 : écrivez « url /rubrique/ = type », « fil Libellé = type » ou « catégorie Libellé "
                      "= type, thème »", "ligne 2 : un seul type par rubrique"]


def test_breadcrumb_and_feed_categories_are_read():
    page = parse_html("https://x.org/a", b"""<html><body><nav aria-label="Fil d'Ariane"><ol>
        <li><a href="/">Accueil</a></li><li><a href="/agenda/">Agenda</a></li><li>Forum</li></ol></nav>
        <main><p>Texte.</p></main></body></html>""", "utf-8")
    assert page.breadcrumb == ["Accueil", "Agenda", "Forum"]
    feed = parse_feed("https://x.org/feed", b"""<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>
        <item><title>Poste</title><link>https://x.org/p</link><category>Offres d'emploi</category></item>
        </channel></rss>""")
    assert feed.entries[0].categories == ["Offres d'emploi"]


def test_a_section_is_evidence_not_a_verdict():
    tagger = Tagger(Vocabulary.load())
    url = "https://centre.example.org/ressources/fiches/x"
    bare = ExtractedDocument(url=url, canonical_url=url, title="Des habitants jardiniers", text="Un jardin.")
    assert tagger.tag(bare).doctype == "a_qualifier"
    tags = tagger.tag(bare, sections=section_hints(SECTIONS, url))
    assert tags.doctype == "fiche_experience"
    assert {"signal": "rubrique (adresse) « /ressources/fiches/ »", "field": "section", "count": 1} \
        in tags.doctype_explanation
    # Strong evidence of another genre in the text still wins over the section.
    call = ExtractedDocument(url=url, canonical_url=url, title="Appel à projets 2025 : quartiers solidaires",
                             text="Date limite de dépôt des dossiers : 3 mai. Les porteurs de projets déposent leur "
                                  "dossier de candidature.")
    assert tagger.tag(call, sections=section_hints(SECTIONS, url)).doctype == "appel_a_projets"


def test_a_crawl_uses_the_sources_sections(tmp_path):
    site = CentreSite().start()
    try:
        site.add("jardin", "Des habitants jardiniers")
        yaml = site.sources_yaml("centre-demo") + "    sections:\n      - url_prefix: /doc/\n" \
                                                  "        type: fiche_experience\n"
        svc = make_services(tmp_path, sources=yaml)
        assert load_sources(svc.settings.sources_path)[0].sections == [{"url_prefix": "/doc/",
                                                                         "type": "fiche_experience"}]
        report = CrawlRunner(svc).run(["centre-demo"])
        assert sum(s.new for s in report.sources) == 1, report
        with svc.db.session() as db:
            [doc] = db.query(Document).all()
            assert doc.doctype == "fiche_experience"
            assert any(e.get("field") == "section" for e in doc.doctype_explanation)
        svc.close()
    finally:
        site.stop()
