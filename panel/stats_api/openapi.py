"""``GET /api/docs/openapi.json``: an OpenAPI 3.1 document of Lantern's HTTP APIs.

Built from the query layer's registries (metrics, dimensions, filter operators, periods) and the
parsers' limits, so it cannot drift from what the endpoints accept.

>>> document()["paths"]["/api/v2/query"]["post"]["operationId"]
'query'
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from analytics import DIMENSIONS, GOAL, MAX_LIMIT, METRICS, OPERATORS, PERIODS, TIME_DIMENSIONS
from ingest import request as events
from panel.sites_api import openapi as sites_api
from panel.stats_api import params, v2_params

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


STATS_ERRORS = {
    "400": _error("A parameter is invalid; the message names it."),
    "401": _error("No API key (or session), or a wrong one."),
    "403": _error("The API key lacks the stats:read scope, or a session request failed the CSRF check."),
    "404": _error("No such site that this account can read."),
    "429": _error(
        "More requests than the caller's allowance: STATS_API_RATE for an API key, SESSION_STATS_RATE "
        "for a session, SHARED_LINK_RATE for a shared link's viewer."
    ),
}


EVENT_EXAMPLE = {
    "name": "Signup",
    "url": "https://example.com/join",
    "domain": "example.com",
    "props": {"plan": "pro"},
    "revenue": {"amount": "15.99", "currency": "EUR"},
}
QUERY_EXAMPLE = {
    "site_id": "example.com",
    "metrics": ["visitors", "bounce_rate"],
    "date_range": "7d",
    "dimensions": ["visit:source"],
    "filters": [["is", "event:page", ["/blog", "/docs"]]],
    "order_by": [["visitors", "desc"]],
    "pagination": {"limit": 10},
}


def _query_parameter(name: str, description: str, schema: Schema, *, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _v1_parameters(*extra: Schema, examples: bool = True) -> list[Schema]:
    """The parameters every v1 call takes; ``examples`` adds a period and metrics to the example call."""
    shown = {"period": {"example": "7d"}, "metrics": {"example": "visitors,pageviews"}} if examples else {}
    return [
        _query_parameter("site_id", "The site's domain.", {"type": "string"}, required=True),
        {
            **_query_parameter("period", "The time period.", {"enum": list(PERIODS), "default": "30d"}),
            **shown.get("period", {}),
        },
        _query_parameter(
            "date", "YYYY-MM-DD to move today; with period=custom, YYYY-MM-DD,YYYY-MM-DD.", {"type": "string"}
        ),
        {
            **_query_parameter(
                "metrics",
                "Comma-separated metrics (see Metric).",
                {"type": "string", "default": "visitors", "examples": ["visitors,pageviews"]},
            ),
            **shown.get("metrics", {}),
        },
        _query_parameter(
            "filters",
            "dimension==value|value or dimension!=value, joined by ;",
            {"type": "string", "examples": ["event:page==/blog|/docs;visit:country!=US"]},
        ),
        _query_parameter(
            "snapshot",
            "Calls carrying the same token within a few seconds read the days' event counts once, so events"
            " arriving meanwhile do not make each call read the open day again (the dashboard sends one per"
            " page load); without it each call reads them afresh.",
            {"type": "string", "pattern": "^[A-Za-z0-9]{1,40}$"},
        ),
        *extra,
    ]


def _v1_rows(key_description: str) -> Schema:
    row = {
        "type": "object",
        "additionalProperties": {"type": ["string", "number"]},
        "description": key_description,
    }
    return {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": row}},
    }


COMPARISON_RULES = (
    "A period running past today is compared as far as today. previous_period: as many days just before;"
    " year_over_year: the same dates a year before (29 February: the 28th; whole months: the same whole"
    " months); custom: the range given, as it is. match_day_of_week moves a previous_period or"
    " year_over_year comparison forward to the period's first weekday (back when forward would overlap"
    " the period)."
)


def _compare_parameters(what: str) -> list[Schema]:
    """``compare``, ``compare_date`` and ``match_day_of_week`` of the v1 aggregate and timeseries."""
    return [
        _query_parameter("compare", f"{what} {COMPARISON_RULES}", {"enum": list(params.COMPARISONS)}),
        _query_parameter(
            "compare_date",
            "With compare=custom only (and required by it): YYYY-MM-DD,YYYY-MM-DD.",
            {"type": "string", "examples": ["2025-11-01,2025-11-30"]},
        ),
        _query_parameter(
            "match_day_of_week",
            "Start the comparison on the weekday the period starts on.",
            {"enum": list(params.FLAGS), "default": "false"},
        ),
    ]


def _comparison_answer(*, rows: bool) -> Schema:
    """The ``comparison`` of a v1 answer that compared: the range, and for a timeseries its buckets."""
    day = {"type": "string", "format": "date"}
    properties: dict[str, Schema] = {
        "date_range": {"type": "array", "items": day, "minItems": 2, "maxItems": 2}
    }
    if rows:
        properties["results"] = _v1_rows("date and the metrics")["properties"]["results"]
    return {
        "type": "object",
        "description": "With compare only: the range compared with.",
        "required": list(properties),
        "properties": properties,
    }


def _json_answer(schema: Schema, description: str = "The numbers.") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _v1(operation: str, summary: str, answer: Schema, *extra: Schema, examples: bool = True) -> Schema:
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "tags": ["Stats API v1"],
            "security": [{"bearer": []}],
            "parameters": _v1_parameters(*extra, examples=examples),
            "responses": {"200": _json_answer(answer), **STATS_ERRORS},
        }
    }


def _schemas() -> dict[str, Schema]:
    dimension_names = [*DIMENSIONS, GOAL, *TIME_DIMENSIONS, v2_params.TIME]
    props = {"type": "string", "pattern": f"^{v2_params.PROPS}.+$", "description": "A custom property."}
    clause = {"type": ["string", "integer"], "maxLength": events.MAX_PROP_VALUE}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "Metric": {"enum": list(METRICS)},
        "Dimension": {"oneOf": [{"enum": dimension_names}, props]},
        "FilterDimension": {"oneOf": [{"enum": [*DIMENSIONS, GOAL]}, props]},
        "Filter": {
            "description": "[operator, dimension, clauses], or and/or/not over filters.",
            "oneOf": [
                {
                    "type": "array",
                    "prefixItems": [
                        {"title": "operator", "enum": list(OPERATORS)},
                        _ref("FilterDimension"),
                        {
                            "title": "clauses",
                            "type": "array",
                            "items": clause,
                            "minItems": 1,
                            "maxItems": v2_params.MAX_CLAUSES,
                        },
                        {"title": "modifiers (none yet)", "type": "object", "maxProperties": 0},
                    ],
                    "minItems": 3,
                    "maxItems": 4,
                },
                {
                    "type": "array",
                    "prefixItems": [
                        {"title": "and/or", "enum": ["and", "or"]},
                        {"title": "filters", "type": "array", "items": _ref("Filter"), "minItems": 1},
                    ],
                    "minItems": 2,
                    "maxItems": 2,
                },
                {
                    "type": "array",
                    "prefixItems": [{"title": "not", "const": "not"}, _ref("Filter")],
                    "minItems": 2,
                    "maxItems": 2,
                },
            ],
        },
        "DateRange": {
            "oneOf": [
                {"enum": list(v2_params.SHORTCUTS)},
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "description": "YYYY-MM-DD, or a date-time on a local day's edge",
                    },
                    "minItems": 2,
                    "maxItems": 2,
                },
            ]
        },
        "Query": {
            "type": "object",
            "required": ["site_id", "metrics", "date_range"],
            "additionalProperties": False,
            "properties": {
                "site_id": {"type": "string", "description": "The site's domain."},
                "metrics": {"type": "array", "items": _ref("Metric"), "minItems": 1, "uniqueItems": True},
                "date_range": _ref("DateRange"),
                "date": {"type": "string", "format": "date", "description": "Moves today for shortcuts."},
                "dimensions": {
                    "type": "array",
                    "items": _ref("Dimension"),
                    "maxItems": v2_params.MAX_DIMENSIONS,
                    "uniqueItems": True,
                },
                "filters": {"type": "array", "items": _ref("Filter")},
                "order_by": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "prefixItems": [
                            {"title": "metric or dimension", "type": "string"},
                            {"title": "direction", "enum": ["asc", "desc"]},
                        ],
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
                "include": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "time_labels": {"type": "boolean"},
                        "total_rows": {"type": "boolean"},
                        "imports": {"type": "boolean"},
                        "comparisons": {
                            "type": "object",
                            "required": ["mode"],
                            "additionalProperties": False,
                            "properties": {
                                "mode": {"enum": list(params.COMPARISONS)},
                                "date_range": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "date"},
                                    "minItems": 2,
                                    "maxItems": 2,
                                },
                                "match_day_of_week": {
                                    "type": "boolean",
                                    "default": False,
                                    "description": COMPARISON_RULES,
                                },
                            },
                        },
                    },
                },
                "pagination": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                        "offset": {"type": "integer", "minimum": 0, "maximum": v2_params.MAX_OFFSET},
                    },
                },
            },
        },
        "QueryResult": {
            "type": "object",
            "required": ["results", "meta", "query"],
            "properties": {
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["metrics", "dimensions"],
                        "properties": {
                            "metrics": {"type": "array", "items": {"type": ["number", "object", "null"]}},
                            "dimensions": {"type": "array", "items": {"type": "string"}},
                            "comparison": {
                                "type": "object",
                                "required": ["metrics", "dimensions", "change"],
                                "properties": {
                                    "metrics": {
                                        "type": "array",
                                        "items": {"type": ["number", "object", "null"]},
                                    },
                                    "dimensions": {"type": "array", "items": {"type": ["string", "null"]}},
                                    "change": {"type": "array", "items": {"type": ["number", "null"]}},
                                },
                            },
                        },
                    },
                },
                "meta": {
                    "type": "object",
                    "properties": {
                        "time_labels": {"type": "array", "items": {"type": "string"}},
                        "total_rows": {"type": "integer"},
                        "imports_included": {"type": "boolean"},
                        "imports_skip_reason": {"type": "string"},
                    },
                },
                "query": {"type": "object", "description": "The query as run."},
            },
        },
        "Funnel": {
            "type": "object",
            "required": ["name", "all_visitors", "entering_visitors", "never_entering_visitors", "steps"],
            "properties": {
                "name": {"type": "string"},
                "all_visitors": {"type": "integer"},
                "entering_visitors": {"type": "integer"},
                "never_entering_visitors": {"type": "integer"},
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "label": {"type": "string"},
                            "visitors": {"type": "integer"},
                            "conversion_rate": {"type": "number"},
                            "dropoff": {"type": "integer"},
                            "dropoff_percentage": {"type": "number"},
                        },
                    },
                },
            },
        },
        "Event": {
            "type": "object",
            "required": ["name", "url", "domain"],
            "description": "Plausible's Events API body; short keys (n, u, d, r, p, $, i, h) work too.",
            "properties": {
                "name": {"type": "string", "maxLength": events.MAX_NAME},
                "url": {"type": "string", "maxLength": events.MAX_URL},
                "domain": {
                    "type": "string",
                    "description": "The site's domain, or several joined by commas.",
                },
                "referrer": {"type": ["string", "null"], "maxLength": events.MAX_URL},
                "props": {
                    "type": "object",
                    "maxProperties": events.MAX_PROPS,
                    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                },
                "revenue": {
                    "type": "object",
                    "required": ["amount", "currency"],
                    "properties": {
                        "amount": {"type": ["number", "string"]},
                        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    },
                },
                "interactive": {"type": "boolean"},
                "hashMode": {"type": ["integer", "boolean"]},
                "screen_width": {"type": "integer"},
                "sd": {"type": "integer", "description": "Scroll depth (engagement events)."},
                "e": {"type": "integer", "description": "Engaged milliseconds (engagement events)."},
                "ip": {"type": "string", "description": "With an events:write key only."},
                "user_agent": {"type": "string", "maxLength": events.MAX_USER_AGENT},
                "timestamp": {
                    "type": "string",
                    "format": "date-time",
                    "description": "With an events:write key.",
                },
            },
        },
    }


@functools.cache
def document() -> dict[str, Any]:
    events_errors = {
        "400": {"description": 'A field is invalid: {"errors": {field: [message]}}.'},
        "401": {"description": "An Authorization header with a wrong or revoked key."},
        "413": {"description": f"The body is larger than {events.MAX_BODY_BYTES} bytes."},
        "429": {"description": "Over a rate limit; see Retry-After."},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lantern",
            "version": "1",
            "summary": "Privacy-first web analytics: the Events API and the Plausible-compatible Stats API.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: stats:read (Stats API), events:write (naming the visitor),"
                    " sites:write (Sites API).",
                }
            },
            "schemas": {**_schemas(), **sites_api.schemas()},
        },
        "paths": {
            "/api/event": {
                "post": {
                    "operationId": "event",
                    "summary": "Record a pageview or custom event.",
                    "tags": ["Events API"],
                    "security": [{}, {"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": _ref("Event"), "example": EVENT_EXAMPLE},
                            "text/plain": {"schema": _ref("Event"), "example": EVENT_EXAMPLE},
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Accepted (X-Lantern-Dropped names why an event was not counted).",
                            "headers": {"X-Lantern-Dropped": {"schema": {"type": "string"}}},
                        },
                        **events_errors,
                    },
                }
            },
            "/api/v1/stats/realtime/visitors": _v1(
                "realtimeVisitors",
                "Visitors in the last five minutes (a bare number).",
                {"type": "integer"},
                examples=False,
            ),
            "/api/v1/stats/aggregate": _v1(
                "aggregate",
                "Metrics over the period.",
                {
                    "type": "object",
                    "required": ["results"],
                    "properties": {
                        "results": {"type": "object", "additionalProperties": {"type": "object"}},
                        "comparison": _comparison_answer(rows=False),
                    },
                },
                *_compare_parameters("Adds each metric's comparison_value and change."),
            ),
            "/api/v1/stats/timeseries": _v1(
                "timeseries",
                "Metrics per time bucket, empty buckets as zeros.",
                {
                    **_v1_rows("date and the metrics"),
                    "properties": {
                        **_v1_rows("date and the metrics")["properties"],
                        "comparison": _comparison_answer(rows=True),
                    },
                },
                _query_parameter(
                    "interval",
                    "The bucket; by default hour for one day, minute for realtime, else date.",
                    {"enum": list(params.INTERVALS)},
                ),
                *_compare_parameters("Adds the compared range's buckets under comparison."),
            ),
            "/api/v1/stats/breakdown": _v1(
                "breakdown",
                "Metrics per value of a property.",
                _v1_rows("the property's last part (page, source, ...) and the metrics"),
                _query_parameter(
                    "property", "What to break down by.", _ref("FilterDimension"), required=True
                ),
                _query_parameter(
                    "limit",
                    "Rows per page.",
                    {"type": "integer", "minimum": 1, "maximum": params.MAX_BREAKDOWN_LIMIT, "default": 100},
                ),
                _query_parameter("page", "From 1.", {"type": "integer", "minimum": 1, "default": 1}),
                _query_parameter(
                    "order_by",
                    "A Lantern extension: the rows' order, name:asc or name:desc, comma-separated; each name"
                    " a requested metric or the property itself. By default the first metric, descending.",
                    {"type": "string", "pattern": "^[^,]+:(asc|desc)(,[^,]+:(asc|desc))*$"},
                ),
            ),
            "/api/v1/stats/funnel": _v1(
                "funnel",
                "A Lantern extension: one of the site's funnels, step by step.",
                {"type": "object", "required": ["results"], "properties": {"results": _ref("Funnel")}},
                _query_parameter(
                    "funnel", "The funnel's id.", {"type": "integer", "minimum": 1}, required=True
                ),
            ),
            "/api/v2/query": {
                "post": {
                    "operationId": "query",
                    "summary": "Plausible's Stats API v2: metrics by dimensions, filtered and ordered.",
                    "tags": ["Stats API v2"],
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Query"), "example": QUERY_EXAMPLE}},
                    },
                    "responses": {
                        "200": _json_answer(_ref("QueryResult")),
                        **STATS_ERRORS,
                        "413": _error(f"The body is larger than {v2_params.MAX_BODY_BYTES} bytes."),
                        "415": _error("The body is not sent as application/json."),
                    },
                }
            },
            **sites_api.paths(),
            "/api/docs/": {
                "get": {
                    "operationId": "reference",
                    "summary": "This reference for people, rendered from the document below.",
                    "tags": ["Documentation"],
                    "security": [],
                    "responses": {"200": {"description": "An HTML page.", "content": {"text/html": {}}}},
                }
            },
            "/api/docs/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "tags": ["Documentation"],
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
        },
    }


@require_GET
def openapi_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(document())
