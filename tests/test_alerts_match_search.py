"""An alert is a search: the weekly selection of each alert equals what /api/search returns for the same query,
restricted to the period's new documents (every operator, every facet, dates). And /abonnement takes every
facet the search page takes, refusing unknown values in French."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from digest_helpers import make_services

from crpv_watch.digest import subscriptions as subs
from crpv_watch.digest.sender import DigestSender
from crpv_watch.indexing.writer import Indexer
from crpv_watch.search.types import FACETS
from crpv_watch.store import repo
from crpv_watch.store.models import Document, DocumentTheme, Place, utcnow
from crpv_watch.web.app import create_app

NOW = utcnow()
NEW, OLD = NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=30)
D = dt.date

# (seen, centre, title, text, themes, type, published, language, departments, qpvs)
CORPUS = [
    (NEW, "profession-banlieue", "Un jardin partagé au cœur du quartier",
     "Les habitants ont créé un jardin partagé avec le centre social.",
     ["participation_habitants", "transition_ecologique"], "fiche_experience", D(2024, 3, 1), "fr", ["93"],
     ["QN09301I"]),
    (NEW, "profession-banlieue", "Médiation sociale de nuit",
     "Des médiateurs sociaux interviennent la nuit dans les quartiers prioritaires.",
     ["mediation_sociale"], "fiche_experience", D(2023, 6, 15), "fr", ["93", "94"], []),
    (NEW, "labo-cites", "Guide de la participation des habitants",
     "Ce guide présente les conseils citoyens et la participation des habitants.",
     ["participation_habitants"], "guide_methodologique", D(2021, 1, 20), "fr", [], []),
    (NEW, "labo-cites", "Emploi des jeunes : le repérage des invisibles",
     "Repérer les jeunes invisibles, ni en emploi ni en formation, avec la mission locale.",
     ["jeunesse", "emploi_insertion"], "fiche_experience", D(2023, 9, 5), "fr", ["69"], ["QN06901M"]),
    (NEW, "irev", "Étude sur la santé dans les quartiers prioritaires",
     "Cette étude analyse l'accès aux soins et la santé des habitants.",
     ["sante"], "etude_rapport", D(2020, 11, 2), "fr", [], []),
    (NEW, "irev", "Rénovation urbaine : retour d'expérience",
     "Le projet de renouvellement urbain a transformé le quartier ; les habitants ont été associés.",
     ["renouvellement_urbain_npnru", "participation_habitants"], "fiche_experience", D(2022, 2, 10), "fr", ["69"],
     ["QN06902M"]),
    (NEW, "oriv", "Urban gardens in deprived neighbourhoods",
     "Community gardens bring residents together in the neighbourhood.",
     ["transition_ecologique"], "etude_rapport", D(2024, 5, 1), "en", [], []),
    (NEW, "oriv", "Gemeinschaftsgärten im Quartier", "Die Bewohner pflegen einen Garten im Quartier.",
     ["transition_ecologique"], "actualite", D(2024, 2, 1), "de", [], []),
    (NEW, "labo-cites", "Réussite éducative : les cités éducatives",
     "Les cités éducatives coordonnent les acteurs de l'éducation autour des enfants.",
     ["education_reussite_educative", "jeunesse"], "etude_rapport", D(2024, 4, 18), "fr", ["93"], []),
    (NEW, "profession-banlieue", "Jardins et compost", "Un atelier compost accompagne le jardin partagé du quartier.",
     ["transition_ecologique"], "actualite", D(2024, 1, 8), "fr", ["94"], ["QN09302M"]),
    (NEW, "oriv", "Lutter contre les discriminations à l'embauche",
     "Un recueil d'outils pour prévenir les discriminations à l'embauche des habitants.",
     ["lutte_contre_discriminations", "emploi_insertion"], "guide_methodologique", D(2019, 5, 12), "fr", [], []),
    (NEW, "irev", "Conseil citoyen et jardin solidaire",
     "Le conseil citoyen a ouvert un jardin solidaire ; la santé des habitants s'améliore.",
     ["participation_habitants", "sante"], "fiche_experience", None, "fr", ["93"], []),
    # Already known before the period: found by the search, never by this week's alerts.
    (OLD, "profession-banlieue", "Un ancien jardin partagé", "Le jardin partagé historique du quartier.",
     ["participation_habitants", "transition_ecologique"], "fiche_experience", D(2022, 5, 5), "fr", ["93"], []),
    (OLD, "oriv", "Emploi et insertion des jeunes, bilan", "Bilan de l'emploi et de l'insertion des jeunes.",
     ["emploi_insertion", "jeunesse"], "etude_rapport", D(2021, 3, 3), "fr", [], []),
    (OLD, "labo-cites", "Old urban gardens report", "Community gardens report.",
     ["transition_ecologique"], "etude_rapport", D(2023, 1, 1), "en", [], []),
]

ALERTS = [
    {"q": "jardin"},
    {"q": '"jardin partagé"'},
    {"q": "« conseil citoyen »"},
    {"q": "jardin OU santé"},
    {"q": "jardin OR santé"},
    {"q": "jardin ET habitants"},
    {"q": "jardin AND quartier"},
    {"q": "jardin SAUF compost"},
    {"q": "jardin NOT compost"},
    {"q": "jardin -compost"},
    {"q": "(jardin OU compost) ET quartier"},
    {"q": '"jardin partagé" SAUF "centre social"'},
    {"q": "titre:jardin"},
    {"q": "jard*"},
    {"q": "theme:sante"},
    {"q": "emploi OU insertion", "centre": ["labo-cites", "oriv"]},
    {"theme": ["participation_habitants"]},
    {"theme": ["sante", "mediation_sociale"]},
    {"pillar": ["pilier_cohesion_sociale"]},
    {"pillar": ["pilier_developpement_economique_emploi"]},
    {"centre": ["oriv"]},
    {"centre": ["irev", "labo-cites"]},
    {"region": ["11"]},
    {"region": ["84"], "q": "habitants"},
    {"department": ["93"]},
    {"department": ["69"]},
    {"qpv": ["QN09301I"]},
    {"qpv": ["QN06901M", "QN06902M"]},
    {"type": ["etude_rapport"]},
    {"type": ["actualite"], "q": "jardin"},
    {"year": ["2024"]},
    {"year": ["2022", "2023"]},
    {"language": ["en"]},
    {"language": ["de"]},
    {"from": "2024-01-01"},
    {"to": "2021-12-31"},
    {"from": "2022-01-01", "to": "2023-12-31", "q": "habitants"},
    {"q": "habitants SAUF santé", "theme": ["participation_habitants"], "department": ["93"]},
    {"q": "gardens", "language": ["en"]},
    {"q": "habitants quartier", "pillar": ["pilier_cadre_de_vie_renouvellement_urbain"], "centre": ["irev"]},
    {},
]


def pairs(params: dict) -> list[tuple[str, str]]:
    out = []
    for key, value in params.items():
        out += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    svc = make_services(tmp_path_factory.mktemp("alerts"), digest_max_age_days=20_000, digest_max_per_alert=100)
    new_ids = set()
    with svc.db.session() as db:
        for n, (seen, centre, title, text, themes, doctype, published, language, depts, qpvs) in enumerate(CORPUS):
            url = f"http://127.0.0.1:9/{centre}/alert-{n}"
            doc = Document(id=repo.document_id_for(url), canonical_url=url, source_id=centre, title=title, text=text,
                           summary=text[:120], content_hash=f"alert{n}", doctype=doctype, language=language,
                           published=published, first_seen_at=seen, departments=depts, qpvs=qpvs)
            doc.places = [Place(source_id=centre, url=url)]
            doc.themes = [DocumentTheme(theme_id=t, score=1.0) for t in themes]
            db.add(doc)
            repo.enqueue_index(db, [doc.id])
            if seen is NEW:
                new_ids.add(doc.id)
    Indexer(svc).drain()
    with svc.db.session() as db:
        for n, params in enumerate(ALERTS):
            subs.subscribe(db, f"alerte{n}@example.org", params, confirmed=True, now=NOW - dt.timedelta(days=10),
                           source="test")
    yield svc, new_ids, create_app(services=svc).test_client()
    svc.close()


def api_ids(client, params: dict) -> set[str]:
    """The documents the search ranks first: those with every word (``complete``; partial matches follow them)."""
    ranked, page = [], 1
    while True:
        data = client.get("/api/search?" + urlencode(pairs(params) + [("page", str(page))])).get_json()
        ranked += [r["id"] for r in data["results"]]
        if page >= data["pages"]:
            complete = data["total"] if data["complete"] is None else data["complete"]
            return set(ranked[:complete])
        page += 1


def test_the_alerts_cover_every_operator_and_facet():
    assert len(ALERTS) >= 30
    used = {key for alert in ALERTS for key in alert}
    assert set(FACETS) | {"q", "from", "to"} <= used
    queries = " ".join(a.get("q", "") for a in ALERTS)
    for operator in ("OU", "OR", "ET", "AND", "SAUF", "NOT", " -", '"', "«", "(", "titre:", "*", "theme:"):
        assert operator in queries, operator


@pytest.mark.parametrize("n", range(len(ALERTS)), ids=[urlencode(pairs(a)) or "tout" for a in ALERTS])
def test_weekly_selection_equals_the_search_on_new_documents(world, n):
    svc, new_ids, client = world
    content = DigestSender(svc).preview(f"alerte{n}@example.org", NOW)[0]
    selected = set(content.document_ids)
    expected = api_ids(client, ALERTS[n]) & new_ids
    assert selected == expected, ALERTS[n]


def test_the_selections_are_not_trivial(world):
    svc, new_ids, client = world
    sizes = [len(DigestSender(svc).preview(f"alerte{n}@example.org", NOW)[0].document_ids) for n in range(len(ALERTS))]
    assert sum(1 for s in sizes if 0 < s < len(new_ids)) >= 25  # most alerts select some documents, not all
    # Old documents match the search but stay out of the digest.
    assert api_ids(client, {"q": "jardin"}) - new_ids


@pytest.mark.parametrize("facet,value", [("theme", "sante"), ("pillar", "pilier_cohesion_sociale"),
                                         ("centre", "oriv"), ("region", "11"), ("department", "93"),
                                         ("qpv", "QN09301I"), ("type", "etude_rapport"), ("year", "2024"),
                                         ("language", "en")])
def test_subscribe_page_takes_every_facet_of_the_search(world, facet, value):
    _svc, _new, client = world
    resp = client.get(f"/abonnement?origine=recherche&q=jardin&{facet}={value}")
    assert resp.status_code == 200, resp.status_code
    assert "valeur inconnue" not in resp.get_data(as_text=True)


def test_subscribe_page_takes_all_facets_at_once(world):
    _svc, _new, client = world
    query = urlencode([("theme", "sante"), ("pillar", "pilier_cohesion_sociale"), ("centre", "oriv"),
                       ("region", "11"), ("department", "93"), ("qpv", "QN09301I"), ("type", "etude_rapport"),
                       ("year", "2024"), ("language", "fr"), ("from", "2020-01-01"), ("to", "2024-12-31")])
    assert client.get(f"/abonnement?{query}").status_code == 200


@pytest.mark.parametrize("facet,value", [("pillar", "pilier_imaginaire"), ("theme", "inconnu"), ("qpv", "QN99999Z"),
                                         ("department", "999"), ("centre", "nulle-part"), ("type", "roman"),
                                         ("year", "deux-mille"), ("language", "Klingon"), ("region", "00")])
def test_unknown_values_are_refused_in_french(world, facet, value):
    svc, _new, client = world
    resp = client.get(f"/abonnement?{facet}={value}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Cette recherche ne peut pas devenir une alerte : valeur inconnue" in html
    assert value in html
    with svc.db.session() as db:
        before = len(subs.list_all(db))
    token = _csrf(client)
    posted = client.post("/abonnement", data={"email": "refus@example.org", facet: value, "csrf_token": token})
    assert posted.status_code == 400
    with svc.db.session() as db:
        assert len(subs.list_all(db)) == before  # nothing recorded


def _csrf(client) -> str:
    import re

    html = client.get("/abonnement").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
