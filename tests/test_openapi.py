"""/api/openapi.json describes the API: every endpoint's real answers, errors included, validate against it."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from test_web_search import doc_id

from crpv_watch.search.types import FACETS, SORTS

SPEC_URI = "urn:crpv-watch:openapi"


@pytest.fixture
def spec(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200 and resp.is_json
    return resp.get_json()


def pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def validate(spec: dict, path: str, method: str, resp) -> None:
    """Validates ``resp`` against the schema the document gives for this path, method and status."""
    responses = spec["paths"][path][method]["responses"]
    status = str(resp.status_code) if str(resp.status_code) in responses else "default"
    assert status in responses, f"{method.upper()} {path} → {resp.status_code} is not described"
    assert resp.mimetype in responses[status]["content"], resp.mimetype
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
    where = pointer("paths", path, method, "responses", status, "content", resp.mimetype, "schema")
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{where}"}, registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(resp.get_json())]
    assert not errors, errors


def test_document_is_openapi_31(spec, client):
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] and spec["info"]["version"]
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises, naming the broken keyword
    # Every /api/ route of the app is described, and nothing else.
    rules = {str(r.rule).replace("<doc_id>", "{id}") for r in client.application.url_map.iter_rules()
             if str(r.rule).startswith("/api/")}
    assert rules == set(spec["paths"])


def test_parameters_follow_the_engine(spec):
    for path in ("/api/search", "/api/facets"):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert set(FACETS) | {"q", "from", "to", "sort", "page"} == set(params)
        assert params["sort"]["schema"]["enum"] == list(SORTS)
        assert all(params[f]["schema"]["type"] == "array" and params[f]["explode"] for f in FACETS)


@pytest.mark.parametrize("query", [
    "",
    "q=jardin+partagé",
    "q=habitants&theme=participation_habitants&centre=labo-cites&centre=irev&sort=date_asc",
    "q=jardni",  # a suggestion
    "q=jardin+zzzz",  # the any-word notice
    "q=zzzzqqqq",
    "from=2021-01-01&to=2022-12-31&page=2&sort=date",
    "page=abc&sort=nimporte&from=pas-une-date",  # bad values are dropped, not errors
    "theme=santé&centre=irve",  # unknown facet values: 400 with suggestions
    "page=99",  # past the last page: 404 (for /api/search)
])
def test_search_and_facets_responses_validate(spec, client, query):
    validate(spec, "/api/search", "get", client.get(f"/api/search?{query}"))
    validate(spec, "/api/facets", "get", client.get(f"/api/facets?{query}"))


def test_document_and_error_responses_validate(spec, client):
    validate(spec, "/api/documents/{id}", "get", client.get(f"/api/documents/{doc_id(0)}"))
    validate(spec, "/api/documents/{id}", "get", client.get("/api/documents/inconnu"))
    validate(spec, "/api/documents/{id}", "get", client.get("/api/documents/" + "x" * 100))
    resp = client.put("/api/search")
    assert resp.status_code in (400, 405)
    validate(spec, "/api/search", "get", resp)
    validate(spec, "/api/openapi.json", "get", client.get("/api/openapi.json"))


def test_validation_catches_a_wrong_answer(spec, client):
    """The check is not vacuous: an answer missing a field, or with an undescribed one, fails."""
    resp = client.get("/api/search?q=jardin")
    data = resp.get_json()
    data.pop("total")
    data["extra"] = 1
    resp.set_data(__import__("json").dumps(data))
    with pytest.raises(AssertionError):
        validate(spec, "/api/search", "get", resp)
