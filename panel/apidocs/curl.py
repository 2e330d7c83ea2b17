"""An example ``curl`` for one operation of the OpenAPI document: its required parameters (and those
with an ``example`` of their own), the API key as ``Authorization: Bearer``, the body's example as JSON.

>>> print(example("https://lantern.example", "get", "/api/v1/sites/{domain}",
...               [{"name": "domain", "in": "path", "schema": {"type": "string"}}], None, bearer=True))
curl "https://lantern.example/api/v1/sites/example.com" \\
  -H "Authorization: Bearer $LANTERN_API_KEY"
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

Schema = dict[str, Any]
KEY_VARIABLE = "LANTERN_API_KEY"
# What to fill in where a parameter has no example of its own.
BY_NAME = {
    "site_id": "example.com",
    "domain": "example.com",
    "property": "visit:source",
    "funnel": "1",
    "goal_id": "1",
    "link_id": "1",
}
_SAFE = ":,/|;=!~@"  # left as typed in a query value: readable, and curl sends them as they are


def _value(parameter: Schema) -> str:
    schema = parameter.get("schema", {})
    if schema.get("examples"):
        return str(schema["examples"][0])
    if parameter["name"] in BY_NAME:
        return BY_NAME[parameter["name"]]
    if schema.get("enum"):
        return str(schema["enum"][0])
    return "1" if schema.get("type") == "integer" else "value"


def _url(base_url: str, path: str, parameters: list[Schema]) -> str:
    query = []
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(_value(parameter), safe=""))
        elif parameter["in"] == "query" and (parameter.get("required") or "example" in parameter):
            value = str(parameter["example"]) if "example" in parameter else _value(parameter)
            query.append(f"{parameter['name']}={quote(value, safe=_SAFE)}")
    return base_url.rstrip("/") + path + ("?" + "&".join(query) if query else "")


def _single_quoted(text: str) -> str:
    """For a POSIX shell: ``'it'\\''s'``."""
    return "'" + text.replace("'", "'\\''") + "'"


def json_lines(body: Any) -> str:
    """An object with a line per key, each value on one line, indented under the ``-d`` of the command:
    short, and readable on a phone.

    >>> print(json_lines({"site_id": "example.com", "metrics": ["visitors"]}))
    {
        "site_id": "example.com",
        "metrics": ["visitors"]
      }
    """
    if not isinstance(body, dict) or not body:
        return json.dumps(body, ensure_ascii=False)
    items = (
        f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in body.items()
    )
    return "{\n    " + ",\n    ".join(items) + "\n  }"


def example(
    base_url: str,
    method: str,
    path: str,
    parameters: list[Schema],
    body: Any,
    *,
    bearer: bool,
) -> str:
    """The command, one option a line. ``body`` is the JSON example (None: no body)."""
    first = "curl" if method == "get" else f"curl -X {method.upper()}"
    lines = [f'{first} "{_url(base_url, path, parameters)}"']
    if bearer:
        lines.append(f'-H "Authorization: Bearer ${KEY_VARIABLE}"')
    if body is not None:
        lines.append('-H "Content-Type: application/json"')
        lines.append("-d " + _single_quoted(json_lines(body)))
    return " \\\n  ".join(lines)
