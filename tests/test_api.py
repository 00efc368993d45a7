"""The JSON API beyond /api/search's shape: facets alone, new parameters, documents, JSON errors."""

from __future__ import annotations

import pytest
from test_web_search import CORPUS, doc_id

from crpv_watch.search.types import FACETS
from crpv_watch.store.models import QueryLog

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


def test_facets_endpoint_matches_search(client, services):
    params = "q=habitants&theme=participation_habitants&centre=irev&sort=date_asc"
    facets = client.get(f"/api/facets?{params}").get_json()
    search = client.get(f"/api/search?{params}").get_json()
    assert list(facets) == ["query", "total", "facets"]
    assert facets["total"] == search["total"] and facets["facets"] == search["facets"]
    assert set(facets["facets"]) == set(FACETS)
    with services.db.session() as session:  # only the /api/search call is a reader's question
        assert session.query(QueryLog).count() == 1


def test_theme_values_carry_their_pillar(client):
    themes = {fv["value"]: fv for fv in client.get("/api/facets").get_json()["facets"]["theme"]}
    assert themes["participation_habitants"]["group"] == "pilier_cohesion_sociale"
    assert "group" not in themes["jeunesse"]  # transversal axes belong to no pillar


def test_sorts_and_dates(client):
    oldest = client.get("/api/search?sort=date_asc").get_json()["results"]
    newest = client.get("/api/search?sort=date").get_json()["results"]
    assert oldest[0]["published"] == min(str(c[5]) for c in CORPUS)
    assert newest[0]["published"] == max(str(c[5]) for c in CORPUS)
    dated = client.get("/api/search?from=2021-01-01&to=2021-12-31").get_json()
    assert {r["published"][:4] for r in dated["results"]} == {"2021"}


def test_document_has_territories(client):
    data = client.get(f"/api/documents/{doc_id(3)}").get_json()
    assert data["departments"] == [] and data["qpvs"] == []
    assert data["found_at"] == [{"url": data["url"], "centre": "labo-cites"}]


def test_errors_are_json(client):
    for path in ("/api/documents/inconnu", "/api/nulle-part"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.is_json
        assert resp.get_json()["status"] == 404 and resp.get_json()["message"]
    resp = client.post("/api/search")
    assert resp.status_code in (400, 405) and resp.is_json  # 400: CSRF rejects the POST first
