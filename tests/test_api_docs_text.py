"""The API reference's words for schemas and its example calls, table-driven; the modules' docstring
examples are run too, so they stay true."""

from __future__ import annotations

import doctest
import shlex
from types import ModuleType
from typing import Any

import pytest

from panel.apidocs import curl, schema_text
from panel.apidocs.schema_text import TypeText, describe, fields


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, TypeText("string")),
        ({"type": "string", "format": "date"}, TypeText("string (date)")),
        ({"type": "string", "maxLength": 120}, TypeText("string, at most 120 characters")),
        ({"type": "integer", "minimum": 1}, TypeText("integer, at least 1")),
        (
            {"type": "integer", "minimum": 1, "maximum": 9, "default": 5},
            TypeText("integer, 1 to 9", default="5"),
        ),
        ({"type": ["string", "null"]}, TypeText("string or null")),
        (
            {"enum": ["asc", "desc"], "default": "desc"},
            TypeText("one of", values=("asc", "desc"), default="desc"),
        ),
        ({"const": "not"}, TypeText("exactly", values=("not",))),
        ({"$ref": "#/components/schemas/Metric"}, TypeText("Metric", ref="Metric")),
        (
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Metric"},
                "minItems": 1,
                "uniqueItems": True,
            },
            TypeText("array of Metric, not empty, no repeats", ref="Metric"),
        ),
        (
            {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
            TypeText("array of string, 2 items"),
        ),
        (
            {
                "type": "array",
                "prefixItems": [{"title": "op", "enum": ["is"]}, {"type": "string"}],
                "minItems": 2,
            },
            TypeText("[op, string], at least 2 items", values=("is",)),
        ),
        (
            {"oneOf": [{"enum": ["7d", "30d"]}, {"type": "array", "items": {"type": "string"}}]},
            TypeText("a listed value or array of string", values=("7d", "30d")),
        ),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}, "maxProperties": 30},
            TypeText("object of integer, at most 30 keys"),
        ),
        ({"type": "object", "maxProperties": 0}, TypeText("empty object")),
        ({"type": "boolean", "default": False}, TypeText("boolean", default="false")),
        ({}, TypeText("any")),
    ],
)
def test_describe(schema: dict[str, Any], expected: TypeText) -> None:
    assert describe(schema) == expected


def test_fields_go_into_inline_objects_but_not_forever() -> None:
    deep: dict[str, Any] = {"type": "object", "properties": {"d": {"type": "string"}}}
    for name in ("c", "b", "a"):
        deep = {"type": "object", "required": [name], "properties": {name: deep}}
    listed = [(f.name, f.required) for f in fields(deep)]
    assert listed == [("a", True), ("a.b", True), ("a.b.c", True)]  # a.b.c.d is past MAX_DEPTH


PARAMETERS = [
    {"name": "site_id", "in": "query", "required": True, "schema": {"type": "string"}},
    {"name": "period", "in": "query", "schema": {"enum": ["day", "7d"]}, "example": "7d"},
    {"name": "filters", "in": "query", "schema": {"type": "string", "examples": ["event:page==/a|/b"]}},
    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
]


@pytest.mark.parametrize(
    ("method", "path", "parameters", "body", "bearer", "words"),
    [
        (
            "get",
            "/api/v1/stats/aggregate",
            PARAMETERS,
            None,
            True,
            [
                "curl",
                "https://l.example/api/v1/stats/aggregate?site_id=example.com&period=7d",
                "-H",
                "Authorization: Bearer $LANTERN_API_KEY",
            ],
        ),
        (
            "delete",
            "/api/v1/sites/{domain}",
            [{"name": "domain", "in": "path", "required": True, "schema": {"type": "string"}}],
            None,
            True,
            [
                "curl",
                "-X",
                "DELETE",
                "https://l.example/api/v1/sites/example.com",
                "-H",
                "Authorization: Bearer $LANTERN_API_KEY",
            ],
        ),
        (
            "post",
            "/api/v2/query",
            [],
            {"site_id": "it's.example", "metrics": ["visitors"]},
            True,
            [
                "curl",
                "-X",
                "POST",
                "https://l.example/api/v2/query",
                "-H",
                "Authorization: Bearer $LANTERN_API_KEY",
                "-H",
                "Content-Type: application/json",
                "-d",
                '{\n    "site_id": "it\'s.example",\n    "metrics": ["visitors"]\n  }',
            ],
        ),
        (
            "get",
            "/api/docs/openapi.json",
            [],
            None,
            False,
            ["curl", "https://l.example/api/docs/openapi.json"],
        ),
    ],
)
def test_example_calls_read_as_a_shell_reads_them(
    method: str, path: str, parameters: list[dict[str, Any]], body: Any, bearer: bool, words: list[str]
) -> None:
    command = curl.example("https://l.example/", method, path, parameters, body, bearer=bearer)
    assert shlex.split(command.replace("\\\n", " ")) == words


@pytest.mark.parametrize("module", [schema_text, curl])
def test_the_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
