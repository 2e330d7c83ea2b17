"""``GET /api/docs/openapi.json``: a valid OpenAPI 3.1 document, built from the query layer's
registries, documenting every ``/api/`` route, and describing what the v2 endpoint really answers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jsonschema
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from analytics.dimensions import GOAL
from analytics.query import DIMENSIONS, METRICS, OPERATORS, TIME_DIMENSIONS
from tests.conftest import Persona, make_event, seed


def fetch() -> dict[str, Any]:
    response = Client().get("/api/docs/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    out = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            out += routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            # Django's <converter:name> is OpenAPI's {name}
            out.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + str(pattern.pattern)))
    return out


def schema(document: dict[str, Any], name: str) -> jsonschema.protocols.Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(root)


def test_it_is_a_valid_openapi_31_document(db: None) -> None:
    document = fetch()
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }


def test_every_api_route_is_documented(db: None) -> None:
    api_routes = [route for route in routes(get_resolver().url_patterns) if route.startswith("/api/")]
    assert "/api/v2/query" in api_routes and "/api/v1/stats/aggregate" in api_routes
    paths = fetch()["paths"]
    assert [route for route in api_routes if route not in paths] == []
    assert "/api/event" in paths  # served by ingest in front of Django


def test_names_come_from_the_query_registries(db: None) -> None:
    schemas = fetch()["components"]["schemas"]
    assert schemas["Metric"]["enum"] == list(METRICS)
    assert schemas["Dimension"]["oneOf"][0]["enum"] == [*DIMENSIONS, GOAL, *TIME_DIMENSIONS, "time"]
    assert schemas["Filter"]["oneOf"][0]["prefixItems"][0]["enum"] == list(OPERATORS)
    breakdown = fetch()["paths"]["/api/v1/stats/breakdown"]["get"]["parameters"]
    prop = next(p for p in breakdown if p["name"] == "property")["schema"]
    assert prop == {"$ref": "#/components/schemas/FilterDimension"}
    assert schemas["FilterDimension"]["oneOf"][0]["enum"] == [*DIMENSIONS, GOAL]


def test_the_query_schema_accepts_good_bodies_and_refuses_bad_ones(db: None) -> None:
    query = schema(fetch(), "Query")
    good: dict[str, Any] = {
        "site_id": "example.com",
        "metrics": ["visitors", "bounce_rate"],
        "date_range": ["2026-01-01", "2026-01-31"],
        "dimensions": ["visit:source", "time"],
        "filters": [["or", [["is", "event:page", ["/a"]], ["not", ["contains", "event:page", ["b"]]]]]],
        "order_by": [["visitors", "desc"]],
        "include": {"total_rows": True, "comparisons": {"mode": "previous_period"}},
        "pagination": {"limit": 10, "offset": 20},
    }
    assert list(query.iter_errors(good)) == []
    bad: list[dict[str, Any]] = [
        {**good, "metrics": ["nope"]},
        {**good, "filters": [["like", "event:page", ["/"]]]},
        {"site_id": "x"},
    ]
    for body in bad:
        assert list(query.iter_errors(body)) != []


def test_a_real_answer_matches_the_documented_result(owner: Persona, events_table: None) -> None:
    site = owner.site.id
    seed([make_event(site, visitor_id=1, pathname="/"), make_event(site, visitor_id=2, pathname="/a")])
    body = {
        "site_id": "example.com",
        "metrics": ["visitors", "percentage"],
        "date_range": "7d",
        "dimensions": ["event:page"],
        "include": {"total_rows": True, "comparisons": {"mode": "previous_period"}},
    }
    response = Client().post(
        "/api/v2/query",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {owner.key}"},
    )
    answer = response.json()
    assert response.status_code == 200 and len(answer["results"]) == 2
    assert list(schema(fetch(), "QueryResult").iter_errors(answer)) == []
    assert dt.date.fromisoformat(answer["query"]["date_range"][0][:10]) <= dt.date.today()
