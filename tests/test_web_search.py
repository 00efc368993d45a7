"""The public search page, the document page, the JSON API and the legal pages, over a real index."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import fast_settings
from werkzeug.datastructures import MultiDict

from crpv_watch.search.types import FACETS, SearchRequest
from crpv_watch.services import Services
from crpv_watch.store import repo
from crpv_watch.store.models import Document, DocumentTheme, Place, QueryLog
from crpv_watch.web.app import create_app
from crpv_watch.web.public.search import preview_paragraphs

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)

SOURCES_YAML = """\
sources:
  - id: profession-banlieue
    name: Profession Banlieue
    homepage: http://127.0.0.1:9/pb/
    start_urls: ["http://127.0.0.1:9/pb/ressources"]
    region: "11"
  - id: labo-cites
    name: Labo Cités
    homepage: http://127.0.0.1:9/lc/
    start_urls: ["http://127.0.0.1:9/lc/ressources"]
    region: "84"
  - id: irev
    name: IREV
    homepage: http://127.0.0.1:9/irev/
    start_urls: ["http://127.0.0.1:9/irev/ressources"]
    region: "32"
  - id: oriv
    name: ORIV
    homepage: http://127.0.0.1:9/oriv/
    start_urls: ["http://127.0.0.1:9/oriv/ressources"]
    region: "44"
"""

HOSTILE = "<script>alert(1)</script>"

# (centre, title, text, themes, doctype, published)
CORPUS = [
    ("profession-banlieue", "Un jardin partagé au cœur du quartier",
     "Les habitants ont créé un jardin partagé avec le centre social. Le jardin partagé favorise le lien social.",
     ["participation_habitants", "transition_ecologique"], "fiche_experience", dt.date(2023, 3, 1)),
    ("profession-banlieue", "Médiation sociale de nuit",
     "Des médiateurs sociaux interviennent la nuit dans les quartiers prioritaires pour apaiser les conflits.",
     ["mediation_sociale", "securite_prevention_delinquance"], "fiche_experience", dt.date(2022, 6, 15)),
    ("labo-cites", "Guide de la participation des habitants",
     "Ce guide méthodologique présente les conseils citoyens et la participation des habitants.",
     ["participation_habitants"], "guide_methodologique", dt.date(2021, 1, 20)),
    ("labo-cites", "Emploi des jeunes : le repérage des invisibles",
     "Repérer les jeunes invisibles, ni en emploi ni en formation, avec la mission locale.",
     ["jeunesse", "emploi_insertion"], "fiche_experience", dt.date(2023, 9, 5)),
    ("irev", "Étude sur la santé dans les quartiers prioritaires",
     "Cette étude analyse l'accès aux soins et la santé des habitants des quartiers prioritaires.",
     ["sante"], "etude_rapport", dt.date(2020, 11, 2)),
    ("irev", "Rénovation urbaine : retour d'expérience",
     "Le projet de renouvellement urbain a transformé le quartier ; les habitants ont été associés.",
     ["renouvellement_urbain_npnru", "participation_habitants"], "fiche_experience", dt.date(2022, 2, 10)),
    ("oriv", "Lutter contre les discriminations à l'embauche",
     "Un recueil d'outils pour prévenir les discriminations à l'embauche des habitants des quartiers.",
     ["lutte_contre_discriminations", "emploi_insertion"], "guide_methodologique", dt.date(2019, 5, 12)),
    ("oriv", "Apprentissage du français et intégration",
     "Des ateliers sociolinguistiques pour l'apprentissage du français par les adultes.",
     ["integration_langue"], "fiche_experience", dt.date(2021, 10, 1)),
    ("labo-cites", "Réussite éducative : les cités éducatives",
     "Les cités éducatives coordonnent les acteurs de l'éducation autour des enfants des quartiers.",
     ["education_reussite_educative", "jeunesse"], "etude_rapport", dt.date(2024, 4, 18)),
    ("profession-banlieue", f"{HOSTILE} Jardins et compost",
     f"{HOSTILE} Un atelier compost accompagne le jardin partagé du quartier.",
     ["transition_ecologique"], "actualite", dt.date(2024, 1, 8)),
]
HIDDEN_TITLE = "Document masqué par un éditeur"
DEPARTMENTS = {0: ["93"], 1: ["93", "94"], 5: ["69"]}  # corpus index → departments named in the text
PER_PAGE = 4


def url_of(centre: str, n: int) -> str:
    return f"http://127.0.0.1:9/{centre}/doc-{n}"


def build_services(tmp_path, **overrides) -> Services:
    """Real services in a temporary data dir: Document rows with their places, indexed through the engine."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES_YAML, encoding="utf-8")
    settings = fast_settings(tmp_path, sources_path=sources, results_per_page=PER_PAGE, **overrides)
    services = Services(settings)
    with services.db.session() as session:
        for n, (centre, title, text, themes, doctype, published) in enumerate(CORPUS):
            url = url_of(centre, n)
            doc = Document(id=repo.document_id_for(url), canonical_url=url, source_id=centre, title=title,
                           text=text, summary=text[:80], content_hash=f"h{n}", doctype=doctype, published=published,
                           language="fr")
            doc.places = [Place(source_id=centre, url=url)]
            if n == 0:  # the jardin partagé was republished by Labo Cités
                doc.places.append(Place(source_id="labo-cites", url=url_of("labo-cites", 100)))
            doc.themes = [DocumentTheme(theme_id=t, score=1.0) for t in themes]
            doc.departments = DEPARTMENTS.get(n, [])
            session.add(doc)
        hidden_url = url_of("oriv", 99)
        session.add(Document(id=repo.document_id_for(hidden_url), canonical_url=hidden_url, source_id="oriv",
                             title=HIDDEN_TITLE, text="Un jardin partagé masqué.", content_hash="hidden",
                             status="hidden", places=[Place(source_id="oriv", url=hidden_url)]))
    regions_of = {s.id: s.region for s in services.sources}
    with services.db.session() as session:
        docs = [repo.to_index_document(d, regions_of, services.vocabulary.pillar_of)
                for d in repo.searchable_documents(session)]
    assert services.engine.index(docs) == len(CORPUS)
    return services


def doc_id(n: int) -> str:
    centre = CORPUS[n][0]
    return repo.document_id_for(url_of(centre, n))


def result_titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h3 class="result-title"><a [^>]*>(.*?)</a>', html, re.S)]


def total_of(html: str) -> int:
    match = re.search(r'id="results-count"[^>]*>\s*<strong>([^<]+)</strong>', html)
    assert match, "no result count on the page"
    text = match.group(1).replace("\u202f", "")
    return 0 if text.startswith("Aucun") else int(text.split()[0])


def facet_links(html: str, facet: str) -> dict[str, str]:
    """value → href of each facet link of ``facet``."""
    return {unescape(v): unescape(h) for h, v in
            re.findall(rf'<a class="facet-link" href="([^"]+)" data-facet="{facet}" data-value="([^"]+)"', html)}


# --- search page -----------------------------------------------------------------------------------------------

def test_search_page_renders_results_and_facets(client):
    resp = client.get("/?q=jardin+partagé")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<html lang="fr">' in html
    assert '<label for="q"' in html and 'role="search"' in html
    titles = result_titles(html)
    assert "Un jardin partagé au cœur du quartier" in titles
    assert total_of(html) == len(titles) <= PER_PAGE
    assert "<mark>" in html
    # Facets: fieldsets with legends, checkboxes labelled « Label (count) ».
    for legend in ("Thème", "Centre de ressources", "Type de document", "Année"):
        assert f"<legend>{legend}</legend>" in html
    assert re.search(r'<input type="checkbox" id="f-theme-transition_ecologique" name="theme" value="transition_ecologique"', html)
    assert re.search(r"Transition écologique <span class=\"facet-count\">\(\d+\)</span>", html)
    assert "Profession Banlieue" in html  # centre label, not its id
    assert "Appliquer les filtres" in html
    assert html.count("<h1") == 1


def test_result_metadata_in_french(client):
    html = client.get("/?q=médiation").get_data(as_text=True)
    assert "Médiation sociale de nuit" in result_titles(html)
    assert '<time datetime="2022-06-15">15 juin 2022</time>' in html
    assert "Fiche expérience" in html  # type label
    assert "Médiation sociale" in html  # theme label


def test_facet_link_filters(client):
    html = client.get("/").get_data(as_text=True)
    before = total_of(html)
    links = facet_links(html, "theme")
    assert "participation_habitants" in links
    href = links["participation_habitants"]
    assert parse_qs(urlsplit(href).query)["theme"] == ["participation_habitants"]
    filtered = client.get(href).get_data(as_text=True)
    assert total_of(filtered) == 3 < before
    # the chip that removes it
    assert ('<a class="chip" href="/" data-facet="theme" data-value="participation_habitants">'
            'Participation des habitants') in filtered
    # the checkbox is ticked and its link now removes the filter
    assert re.search(r'name="theme" value="participation_habitants" checked', filtered)
    assert facet_links(filtered, "theme")["participation_habitants"] == "/"


def test_facet_form_combines_filters(client):
    html = client.get("/?theme=participation_habitants&centre=labo-cites").get_data(as_text=True)
    assert result_titles(html) == ["Guide de la participation des habitants"]
    # Two values of one facet are OR-ed.
    html = client.get("/?centre=oriv&centre=irev").get_data(as_text=True)
    assert total_of(html) == 4


def test_empty_query_browses_everything_and_paginates(client):
    html = client.get("/").get_data(as_text=True)
    assert total_of(html) == len(CORPUS)
    assert HIDDEN_TITLE not in html
    assert len(result_titles(html)) == PER_PAGE
    assert 'rel="next"' in html and 'rel="prev"' not in html
    assert re.search(r'aria-current="page" aria-label="Page 1">1</a>', html)
    seen = set(result_titles(html))
    for page in (2, 3):
        html = client.get(f"/?page={page}").get_data(as_text=True)
        assert 'rel="prev"' in html
        assert f'aria-current="page" aria-label="Page {page}">{page}</a>' in html
        seen |= set(result_titles(html))
    assert 'rel="next"' not in html
    assert len(seen) == len(CORPUS)


def test_sort_by_date(client):
    html = client.get("/?sort=date").get_data(as_text=True)
    assert result_titles(html)[0] == "Réussite éducative : les cités éducatives"
    assert '<option value="date" selected>Plus récents</option>' in html


def test_hostile_title_is_escaped(client):
    resp = client.get("/?q=compost")
    html = resp.get_data(as_text=True)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = client.get("/api/search?q=compost").get_json()
    hit = data["results"][0]
    assert hit["title"].startswith(HOSTILE)  # JSON carries the raw title: it is data, not markup
    assert "<script>" not in hit["snippet"]
    doc_html = client.get(f"/documents/{doc_id(9)}").get_data(as_text=True)
    assert HOSTILE not in doc_html


def test_notice_and_no_result(client):
    html = client.get("/?q=zzzzqqqq").get_data(as_text=True)
    assert total_of(html) == 0
    assert "Aucun document ne correspond" in html


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]
    html = resp.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html  # no inline script or style: the CSP would block them
    assert re.search(r'<script src="/static/search.js\?v=\d+" defer></script>', html)
    assert client.get("/static/search.js").status_code == 200
    assert "Set-Cookie" not in resp.headers  # anonymous readers get no cookie at all


def test_queries_are_logged(client, services):
    client.get("/?q=jardin&theme=transition_ecologique")
    client.get("/?q=jardin&page=2")  # paging is not a new question
    client.get("/")  # nor is the bare home page
    with services.db.session() as session:
        logs = session.query(QueryLog).all()
    assert [(q.query, q.filters) for q in logs] == [("jardin", {"theme": ["transition_ecologique"]})]
    assert logs[0].total >= 1


# --- JSON API -------------------------------------------------------------------------------------------------

def test_api_search_shape(client, services):
    data = client.get("/api/search?q=habitants&theme=participation_habitants").get_json()
    assert list(data) == ["query", "total", "page", "pages", "results", "facets", "notice", "suggestion"]
    assert data["query"] == "habitants"
    assert data["total"] == 3
    assert set(data["facets"]) == set(FACETS)
    for values in data["facets"].values():
        for fv in values:
            assert {"value", "label", "count"} <= set(fv) <= {"value", "label", "count", "group"}
            assert isinstance(fv["value"], str) and isinstance(fv["count"], int)
    themes = {fv["value"]: fv for fv in data["facets"]["theme"]}
    assert themes["participation_habitants"]["label"] == "Participation des habitants"
    years = {fv["value"] for fv in data["facets"]["year"]}
    assert "2021" in years
    hit = data["results"][0]
    assert set(hit) == {"id", "title", "url", "centre", "region", "themes", "type", "published", "snippet",
                        "found_at"}
    # Exactly the engine's own JSON for the same request.
    req = SearchRequest.from_args(MultiDict([("q", "habitants"), ("theme", "participation_habitants")]),
                                  per_page=PER_PAGE)
    assert data == services.engine.search(req).to_json()


def test_api_same_parameters_as_page(client):
    params = "q=&centre=labo-cites&type=fiche_experience&year=2023&sort=date"
    data = client.get(f"/api/search?{params}").get_json()
    html = client.get(f"/?{params}").get_data(as_text=True)
    assert data["total"] == total_of(html) == 1
    assert [r["title"] for r in data["results"]] == result_titles(html)
    data = client.get("/api/search?from=2023-01-01&to=2023-12-31").get_json()
    assert {r["published"][:4] for r in data["results"]} == {"2023"} and data["total"] == 2
    assert client.get("/api/search?page=3").get_json()["page"] == 3


def test_api_document(client):
    data = client.get(f"/api/documents/{doc_id(0)}").get_json()
    assert data["title"] == "Un jardin partagé au cœur du quartier"
    assert [p["centre"] for p in data["found_at"]] == ["profession-banlieue", "labo-cites"]
    assert set(data["themes"]) == {"participation_habitants", "transition_ecologique"}
    resp = client.get("/api/documents/inconnu")
    assert resp.status_code == 404 and resp.is_json and resp.get_json()["status"] == 404


# --- document page --------------------------------------------------------------------------------------------

def test_document_page(client):
    html = client.get(f"/documents/{doc_id(0)}").get_data(as_text=True)
    assert "<h1 id=\"doc-title\">Un jardin partagé au cœur du quartier</h1>" in html
    assert "Profession Banlieue" in html and "Île-de-France" in html
    assert "1er mars 2023" in html
    assert "Fiche expérience" in html and "Participation des habitants" in html
    assert "Aussi publié par" in html and url_of("labo-cites", 100) in html
    assert f'href="{url_of("profession-banlieue", 0)}"' in html  # the original
    assert "<p>Les habitants ont créé un jardin partagé" in html


def test_document_preview_is_cut():
    paragraphs, cut = preview_paragraphs("mot " * 1000)
    assert cut and len(" ".join(paragraphs)) <= 2005 and paragraphs[-1].endswith("…")
    assert preview_paragraphs("un\n\ndeux\ntrois") == (["un", "deux", "trois"], False)


@pytest.mark.parametrize("path", ["/documents/inconnu", "/documents/" + "x" * 200, "/page-inexistante"])
def test_404_in_french(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Page introuvable" in html and '<html lang="fr">' in html


def test_other_errors_in_french(services):
    app = create_app(services=services)

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    resp = client.get("/boom")
    assert resp.status_code == 500 and "Erreur du serveur" in resp.get_data(as_text=True)
    resp = client.get("/deconnexion")
    assert resp.status_code == 405 and "Méthode non autorisée" in resp.get_data(as_text=True)


def test_hidden_document_is_404(client, services):
    hidden = repo.document_id_for(url_of("oriv", 99))
    assert client.get(f"/documents/{hidden}").status_code == 404
    assert client.get(f"/api/documents/{hidden}").status_code == 404
    with services.db.session() as session:
        session.get(Document, doc_id(1)).status = "removed"
    assert client.get(f"/documents/{doc_id(1)}").status_code == 404


# --- legal pages ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, heading", [
    ("/mentions-legales", "Mentions légales"),
    ("/donnees-personnelles", "Données personnelles"),
    ("/accessibilite", "Déclaration d'accessibilité"),
])
def test_legal_pages(client, services, path, heading):
    resp = client.get(path)
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200
    assert f"<h1>{heading}</h1>" in html
    assert services.settings.publisher_name in html
    if path == "/mentions-legales":
        assert services.settings.host_name in html
    if path == "/accessibilite":
        assert services.settings.accessibility_status in html
    # every page links to the three of them
    for link in ("/mentions-legales", "/donnees-personnelles", "/accessibilite"):
        assert f'href="{link}"' in html


def test_landmarks_and_skip_link(client):
    html = client.get("/").get_data(as_text=True)
    body = html.split("<body>", 1)[1]
    assert body.lstrip().startswith('<a class="skip-link" href="#contenu">Aller au contenu</a>')
    for landmark in ('role="banner"', "<nav", '<main id="contenu"', 'role="contentinfo"', 'role="search"'):
        assert landmark in html
