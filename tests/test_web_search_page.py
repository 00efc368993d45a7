"""The search page's catalogue features: grouped theme facet, hidden empty values, date range and chips, sort
oldest first, « Vouliez-vous dire », feed and OpenSearch links, and the document page's PDF and similar documents."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

from test_web_search import CORPUS, doc_id, facet_links, result_titles, total_of

from crpv_watch.store.models import Document, Place


def chips(html: str) -> dict[str, str]:
    """chip label → href."""
    return {unescape(re.sub(r"<[^>]+>", "", label)).replace(" ×", "").replace(" — retirer ce filtre", ""): unescape(h)
            for h, label in re.findall(r'<a class="chip" href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)}


def test_theme_facet_is_grouped_by_pillar(client):
    html = client.get("/").get_data(as_text=True)
    theme = html.split('id="facet-theme"', 1)[1].split("</fieldset>\n      <fieldset", 1)[0]
    groups = re.findall(r'<legend class="facet-group-title">([^<]+)</legend>', theme)
    # The three pillars in the thesaurus's order, then the transversal axes.
    assert groups == ["Cohésion sociale", "Cadre de vie et renouvellement urbain", "Développement économique et emploi",
                      "Axes transversaux"]
    cohesion = theme.split("Cohésion sociale", 1)[1].split("Cadre de vie", 1)[0]
    assert 'value="participation_habitants"' in cohesion and 'value="sante"' in cohesion
    assert 'value="jeunesse"' in theme.split("Axes transversaux", 1)[1]
    # Each group is a fieldset of its own: screen readers announce the pillar with each box.
    assert theme.count('<fieldset class="facet-group"') == len(groups)


def test_every_facet_value_leads_somewhere(client):
    """Values counted 0 are hidden unless selected, and each link gives as many results as its count says."""
    html = client.get("/?q=habitants&centre=irev").get_data(as_text=True)
    assert "(0)" not in html
    for facet in ("theme", "centre", "type", "year", "language"):
        for value, href in facet_links(html, facet).items():
            count = int(re.search(rf'data-facet="{facet}" data-value="{re.escape(value)}"[^>]*>[^<]*'
                                  r'<span class="facet-count">\((\d+)\)', html).group(1))
            target = client.get(href).get_data(as_text=True)
            assert total_of(target) > 0, (facet, value)
            if facet != "centre":  # ticking another centre adds (OR) rather than narrows
                assert total_of(target) == count, (facet, value)


def test_new_facets_and_labels(client):
    html = client.get("/").get_data(as_text=True)
    assert '<legend class="sr-only">Langue</legend>' in html and "Français" in html
    assert re.search(r'name="language" value="fr"', html)
    # Departments by name (93 is Seine-Saint-Denis here, not the region with the same code).
    departments = facet_links(html, "department")
    assert set(departments) == {"93", "94", "69"}
    assert "Seine-Saint-Denis (93) <span class=\"facet-count\">(2)</span>" in html
    assert total_of(client.get(departments["93"]).get_data(as_text=True)) == 2


def test_whole_pillar_checkbox(client):
    html = client.get("/").get_data(as_text=True)
    pillars = facet_links(html, "pillar")
    assert set(pillars) == {"pilier_cohesion_sociale", "pilier_cadre_de_vie_renouvellement_urbain",
                            "pilier_developpement_economique_emploi"}
    cohesion = html.split('<legend class="facet-group-title">Cohésion sociale</legend>', 1)[1].split("</fieldset>")[0]
    assert cohesion.index('value="pilier_cohesion_sociale"') < cohesion.index('value="participation_habitants"')
    filtered = client.get(pillars["pilier_cohesion_sociale"]).get_data(as_text=True)
    assert 0 < total_of(filtered) < len(CORPUS)
    assert "Tout le pilier Cohésion sociale" in chips(filtered)
    assert re.search(r'name="pillar" value="pilier_cohesion_sociale" checked', filtered)


def test_date_range_chips_and_removal(client):
    html = client.get("/?from=2022-01-01&to=2023-12-31&theme=participation_habitants").get_data(as_text=True)
    assert total_of(html) == 2  # 2022 rénovation, 2023 jardin
    assert 'value="2022-01-01"' in html and 'value="2023-12-31"' in html
    found = chips(html)
    assert set(found) == {"Participation des habitants", "depuis le 1er janvier 2022", "jusqu'au 31 décembre 2023"}
    # Removing one chip keeps the others.
    href = found["depuis le 1er janvier 2022"]
    assert dict(parse_qsl(urlsplit(href).query)) == {"theme": "participation_habitants", "to": "2023-12-31"}
    assert total_of(client.get(href).get_data(as_text=True)) == 3
    # Dates typed the wrong way round mean the period between them.
    swapped = client.get("/?from=2023-12-31&to=2022-01-01&theme=participation_habitants").get_data(as_text=True)
    assert total_of(swapped) == 2


def test_sort_oldest_first(client):
    html = client.get("/?sort=date_asc").get_data(as_text=True)
    assert result_titles(html)[0] == "Lutter contre les discriminations à l'embauche"
    assert '<option value="date_asc" selected>Plus anciens</option>' in html
    assert "<option value=\"relevance\">Pertinence</option>" in html
    # The sort survives a facet click and a page change: one stable URL per state.
    link = facet_links(html, "type")["fiche_experience"]
    assert ("sort", "date_asc") in parse_qsl(urlsplit(link).query)


def test_did_you_mean(client):
    html = client.get("/?q=jardni").get_data(as_text=True)
    match = re.search(r'Vouliez-vous dire <a href="([^"]+)" class="suggestion-link">« <strong>([^<]+)</strong> »</a>',
                      html)
    assert match, "no suggestion"
    assert match.group(2) == "jardin"
    assert total_of(client.get(unescape(match.group(1))).get_data(as_text=True)) >= 1


def test_feed_and_opensearch_links(client):
    html = client.get("/?q=jardin&theme=transition_ecologique&sort=date&page=1").get_data(as_text=True)
    feed = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', html)
    assert feed and unescape(feed.group(1)) == "/search.atom?q=jardin&theme=transition_ecologique"
    assert '<link rel="search" type="application/opensearchdescription+xml"' in html
    assert 'href="/opensearch.xml"' in html


def test_document_page_pdf_and_similar(client, services):
    pdf_url = "http://127.0.0.1:9/labo-cites/guide-participation.pdf"
    with services.db.session() as session:
        doc = session.get(Document, doc_id(2))
        doc.content_type, doc.pages = "application/pdf", 12
        doc.places = [Place(source_id="labo-cites", url=pdf_url)]
    html = client.get(f"/documents/{doc_id(2)}").get_data(as_text=True)
    assert f'<a class="button button-secondary" href="{pdf_url}" type="application/pdf"' in html
    assert "Télécharger le PDF (12 pages)" in html
    assert "Documents similaires" not in html or doc_id(2) not in html.split("Documents similaires", 1)[1]


def test_document_page_similar_documents(client):
    html = client.get(f"/documents/{doc_id(0)}").get_data(as_text=True)
    similar = html.split('<h2 id="similar-title">Documents similaires</h2>', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'href="/documents/([^"]+)"', similar)
    assert links and doc_id(0) not in links and len(links) <= 5
    # The other garden (its hostile title escaped) is the first neighbour of the jardin partagé.
    assert links[0] == doc_id(9)
    assert "&lt;script&gt;" in similar and "<script>" not in similar


def test_document_page_explains_themes_and_places(client):
    html = client.get(f"/documents/{doc_id(0)}").get_data(as_text=True)
    assert "Pourquoi ce thème ?" not in html  # explanations are for editors (test_tagger_web.py)
    assert '<h2 id="places-title">Aussi publié par</h2>' in html
    assert "Télécharger le PDF" not in html  # an HTML page has no PDF of its own here


def test_past_the_last_page_says_so_and_links_to_the_last(client):
    html = client.get("/?page=99").get_data(as_text=True)
    assert "La page 99 n'existe pas" in html and "Aller à la dernière page" in html
    assert "Aucun document ne correspond" not in html


def test_unknown_filter_is_noticed_with_suggestions(client):
    html = client.get("/?theme=participation").get_data(as_text=True)
    assert "« participation » n'est pas un thème connu" in html
    assert "theme=participation_habitants" in html  # the suggestion is a link


def test_filters_sit_behind_a_disclosure_with_the_active_count(client):
    html = client.get("/?theme=participation_habitants&centre=irev").get_data(as_text=True)
    assert '<details class="filters" id="filtres">' in html
    assert re.search(r'class="filters-toggle">.*Filtres</span> \(2', html)
    assert 'data-filterable="centre de ressources"' in html or "data-filterable" not in html


def test_results_show_the_format_and_lead_back_to_the_search(client, services):
    with services.db.session() as session:
        doc = session.get(Document, doc_id(0))
        doc.content_type, doc.pages = "application/pdf", 24
    html = client.get("/?q=jardin&theme=transition_ecologique").get_data(as_text=True)
    assert "PDF, 24 pages" in html and "Page web" in html
    link = re.search(rf'href="(/documents/{doc_id(0)}\?recherche=[^"]+)"', html).group(1)
    page = client.get(unescape(link)).get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)">Retour aux résultats</a>', page).group(1)
    assert dict(parse_qsl(urlsplit(unescape(back)).query)) == {"q": "jardin", "theme": "transition_ecologique"}
    # Only a local search can be the way back.
    page = client.get(f"/documents/{doc_id(0)}?recherche=//evil.example/").get_data(as_text=True)
    assert "evil.example" not in page and "Retour aux résultats" not in page


def test_the_texts_own_subheadings_become_headings():
    from crpv_watch.web.public.search import preview_blocks

    blocks, _cut = preview_blocks("Introduction du guide pour les équipes.\nLes objectifs\n" + "Le projet vise "
                                  "à associer les habitants du quartier à chaque étape du diagnostic partagé.")
    assert [kind for kind, _text in blocks] == ["paragraph", "heading", "paragraph"]
