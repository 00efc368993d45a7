"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json.

Parameters are generated from ``search.types`` (FACETS, SORTS), so a facet the engine gains is described the day
it lands. The response schemas are strict (``additionalProperties: false``): tests/test_openapi.py validates
every endpoint's real answers against them, so a field added to a response without being described here fails
the tests instead of surprising the API's users.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from ...search.types import FACETS, SORTS
from ..filters import FACET_NAMES, services

JSON = "application/json"
DATE_PARAMS = {"from": "Publiés à partir de ce jour (AAAA-MM-JJ).", "to": "Publiés jusqu'à ce jour inclus (AAAA-MM-JJ)."}
NULLABLE_STRING = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, "additionalProperties": False,
            **extra}


def _search_parameters() -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [{
        "name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 500},
        "description": "Mots-clés, en français. Vide : tous les documents.",
    }]
    for facet in FACETS:
        params.append({
            "name": facet, "in": "query", "required": False, "style": "form", "explode": True,
            "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
            "description": f"{FACET_NAMES.get(facet, facet)} : valeurs de la facette, répétables. Les valeurs "
                           "d'une même facette sont combinées par OU, les facettes entre elles par ET.",
        })
    for name, description in DATE_PARAMS.items():
        params.append({"name": name, "in": "query", "required": False,
                       "schema": {"type": "string", "format": "date"}, "description": description})
    params.append({"name": "sort", "in": "query", "required": False,
                   "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"},
                   "description": "relevance : pertinence ; date : plus récents d'abord ; date_asc : plus anciens."})
    params.append({"name": "page", "in": "query", "required": False,
                   "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}})
    return params


def _schemas() -> dict[str, Any]:
    facet_map = {"type": "object", "propertyNames": {"enum": list(FACETS)},
                 "additionalProperties": {"type": "array", "items": _ref("FacetValue")}}
    return {
        "FacetValue": _obj({
            "value": {"type": "string"},
            "label": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "group": {"type": "string", "description": "Thèmes : l'identifiant de leur pilier."},
        }, required=["value", "label", "count"]),
        "Facets": facet_map,
        "Place": _obj({"url": {"type": "string"}, "centre": {"type": "string"}}),
        "SearchHit": _obj({
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string", "description": "L'adresse du document original."},
            "centre": {"type": "string"},
            "region": {"type": "string"},
            "themes": {"type": "array", "items": {"type": "string"}},
            "type": {"type": "string"},
            "published": {"type": ["string", "null"], "format": "date"},
            "snippet": {"type": "string", "contentMediaType": "text/html",
                        "description": "Texte échappé, les mots trouvés entre <mark> et </mark>."},
            "found_at": {"type": "array", "items": _ref("Place")},
        }),
        "SearchResponse": _obj({
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "results": {"type": "array", "items": _ref("SearchHit")},
            "facets": _ref("Facets"),
            "notice": {**NULLABLE_STRING, "description": "Par exemple : recherche élargie à un des mots."},
            "suggestion": {**NULLABLE_STRING, "description": "« Vouliez-vous dire » : une requête corrigée."},
            "complete": {"type": ["integer", "null"], "minimum": 0,
                         "description": "Combien des premiers résultats contiennent tous les mots (les expressions "
                                        "exactes) ; les suivants n'en contiennent qu'une partie. Null sans mots."},
        }),
        "FacetsResponse": _obj({
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "facets": _ref("Facets"),
        }),
        "Document": _obj({
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
            "canonical_url": {"type": "string"},
            "centre": {"type": "string"},
            "region": {"type": "array", "items": {"type": "string"}},
            "themes": {"type": "array", "items": {"type": "string"}},
            "type": {"type": "string"},
            "published": {"type": ["string", "null"], "format": "date"},
            "first_seen": {"type": ["string", "null"], "format": "date-time"},
            "summary": {"type": ["string", "null"]},
            "language": NULLABLE_STRING,
            "content_type": {"type": "string"},
            "pages": {"type": ["integer", "null"]},
            "departments": {"type": "array", "items": {"type": "string"}},
            "qpvs": {"type": "array", "items": {"type": "string"}},
            "found_at": {"type": "array", "items": _ref("Place")},
        }),
        "Error": _obj({
            "error": {"type": "string"},
            "message": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            # 400 for unknown facet values: each with the closest valid values.
            "unknown": {"type": "array", "items": _obj({
                "facet": {"type": "string"}, "value": {"type": "string"},
                "suggestions": {"type": "array", "items": {"type": "string"}}})},
            "pages": {"type": "integer", "minimum": 1},  # 404 past the last page: how many there are
        }, required=["error", "message", "status"]),
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


ERRORS = {
    "400": _json("Error", "Valeur de filtre inconnue (avec les valeurs valides les plus proches)."),
    "404": _json("Error", "Inconnu, masqué ou retiré ; ou page au-delà de la dernière."),
    "405": _json("Error", "Méthode non autorisée."),
    "default": _json("Error", "Erreur (message en français)."),
}


def document() -> dict[str, Any]:
    settings = services().settings
    search_params = _search_parameters()
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": f"{settings.site_name} — API de recherche",
            "version": "1",
            "description": "Recherche à facettes dans les ressources des centres de ressources politique de la "
                           "ville. Mêmes paramètres que la page de recherche ; réponses en JSON (UTF-8).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": settings.base_url.rstrip("/")}],
        "paths": {
            url_for("api.search"): {"get": {
                "operationId": "search", "summary": "Rechercher", "parameters": search_params,
                "responses": {"200": _json("SearchResponse", "Une page de résultats et les facettes."), **ERRORS},
            }},
            url_for("api.facets"): {"get": {
                "operationId": "facets", "summary": "Les facettes seules (mêmes paramètres)",
                "parameters": search_params,
                "responses": {"200": _json("FacetsResponse", "Le total et les facettes."), **ERRORS},
            }},
            url_for("api.export"): {"get": {
                "operationId": "export", "summary": "Exporter tous les résultats (CSV, RIS ou CSL-JSON)",
                "parameters": [*[p for p in search_params if p["name"] != "page"],
                               {"name": "format", "in": "query", "required": True,
                                "schema": {"type": "string", "enum": ["csv", "ris", "json"]},
                                "description": "csv (tableur), ris (Zotero, EndNote), json (CSL-JSON)."}],
                "responses": {"200": {"description": "Les références, jusqu'à 1 000 résultats.", "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-research-info-systems": {"schema": {"type": "string"}},
                    "application/vnd.citationstyles.csl+json": {"schema": {"type": "array"}}}}, **ERRORS},
            }},
            url_for("api.document", doc_id="{id}").replace("%7B", "{").replace("%7D", "}"): {"get": {
                "operationId": "document", "summary": "Un document",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"}}],
                "responses": {"200": _json("Document", "Le document et tous les lieux où il a été trouvé."),
                              **ERRORS},
            }},
            url_for("api.openapi_document"): {"get": {
                "operationId": "openapi", "summary": "Ce document",
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {JSON: {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": _schemas()},
    }
