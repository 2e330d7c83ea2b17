"""The OpenAPI document as plain data for the reference page: operations grouped by tag, each with its
parameters, request body, answers and an example ``curl``; then every named schema.

    page = build(document(), "https://lantern.example")
    page.groups[0].name, page.groups[0].operations[0].method  # ('Events API', 'POST')
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from panel.apidocs import curl
from panel.apidocs.schema_text import Field, TypeText, describe, fields, ref_name

Schema = dict[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclasses.dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # query, path, header
    type: TypeText
    required: bool
    description: str


@dataclasses.dataclass(frozen=True)
class Body:
    media_types: tuple[str, ...]
    type: TypeText
    fields: tuple[Field, ...]  # the object's properties (a named schema's too)


@dataclasses.dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_type: str
    type: TypeText | None
    headers: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Operation:
    anchor: str
    method: str  # upper case
    path: str
    path_parts: tuple[str, ...]  # "/api", "/v1", …: a long path wraps at a slash
    summary: str
    auth: str
    parameters: tuple[Parameter, ...]
    body: Body | None
    answers: tuple[Answer, ...]
    curl: str


@dataclasses.dataclass(frozen=True)
class Group:
    name: str
    anchor: str
    operations: tuple[Operation, ...]


@dataclasses.dataclass(frozen=True)
class Named:
    """A schema of ``components/schemas``."""

    name: str
    anchor: str
    description: str
    type: TypeText
    fields: tuple[Field, ...]
    alternatives: tuple[TypeText, ...]  # of a oneOf, each with its own values


@dataclasses.dataclass(frozen=True)
class Reference:
    title: str
    summary: str
    version: str
    auth: str  # how to authenticate, from the bearer scheme's description
    groups: tuple[Group, ...]
    schemas: tuple[Named, ...]


def slug(text: str) -> str:
    """``Stats API v1`` → ``stats-api-v1``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def schema_anchor(name: str) -> str:
    return f"schema-{name}"


def _auth(security: list[Schema]) -> str:
    schemes = [next(iter(option), "") for option in security]
    if "bearer" not in schemes:
        return "None: public."
    if "" in schemes:
        return "None, or an API key (Authorization: Bearer) to send more."
    return "An API key: Authorization: Bearer <key>."


def _parameters(shared: list[Schema], own: list[Schema]) -> list[Schema]:
    """The path item's parameters, with the operation's replacing any of the same name and place."""
    keys = {(p["name"], p["in"]) for p in own}
    return [p for p in shared if (p["name"], p["in"]) not in keys] + own


def _resolve(document: Schema, schema: Schema) -> Schema:
    if "$ref" in schema:
        resolved: Schema = document["components"]["schemas"][ref_name(schema["$ref"])]
        return resolved
    return schema


def _body(document: Schema, spec: Schema | None) -> tuple[Body | None, Any]:
    """The request body and its example (JSON preferred), or (None, None)."""
    if not spec:
        return None, None
    content: Schema = spec["content"]
    media = content.get("application/json") or next(iter(content.values()))
    example = next((m["example"] for m in content.values() if "example" in m), None)
    schema = media.get("schema", {})
    body = Body(tuple(content), describe(schema), tuple(fields(_resolve(document, schema))))
    return body, example


def _answers(responses: Schema) -> tuple[Answer, ...]:
    out = []
    for status, answer in responses.items():
        content = answer.get("content", {})
        media_type = next(iter(content), "")
        schema = content.get(media_type, {}).get("schema")
        out.append(
            Answer(
                status,
                str(answer.get("description", "")),
                media_type,
                describe(schema) if schema else None,
                tuple(answer.get("headers", {})),
            )
        )
    return tuple(out)


def _operation(document: Schema, path: str, method: str, item: Schema, base_url: str) -> Operation:
    spec: Schema = item[method]
    parameters = _parameters(item.get("parameters", []), spec.get("parameters", []))
    body, example = _body(document, spec.get("requestBody"))
    security = spec.get("security", [])
    bearer = any("bearer" in option for option in security)
    return Operation(
        anchor=f"op-{spec.get('operationId') or slug(method + path)}",
        method=method.upper(),
        path=path,
        path_parts=tuple(re.findall(r"/[^/]*", path)),
        summary=str(spec.get("summary", "")),
        auth=_auth(security),
        parameters=tuple(
            Parameter(
                p["name"],
                p["in"],
                describe(p.get("schema", {})),
                bool(p.get("required")),
                str(p.get("description", "")),
            )
            for p in parameters
        ),
        body=body,
        answers=_answers(spec.get("responses", {})),
        curl=curl.example(base_url, method, path, parameters, example, bearer=bearer),
    )


def _groups(document: Schema, base_url: str) -> tuple[Group, ...]:
    grouped: dict[str, list[Operation]] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["Other"])[0]
                grouped.setdefault(tag, []).append(_operation(document, path, method, item, base_url))
    return tuple(Group(tag, f"tag-{slug(tag)}", tuple(ops)) for tag, ops in grouped.items())


def _named(name: str, schema: Schema) -> Named:
    alternatives = schema.get("oneOf") or []
    return Named(
        name=name,
        anchor=schema_anchor(name),
        description=str(schema.get("description", "")),
        type=describe(schema),
        fields=tuple(fields(schema)),
        alternatives=tuple(describe(alternative) for alternative in alternatives),
    )


def build(document: Schema, base_url: str) -> Reference:
    info = document["info"]
    bearer = document["components"]["securitySchemes"]["bearer"]
    return Reference(
        title=str(info["title"]),
        summary=str(info.get("summary", "")),
        version=str(info.get("version", "")),
        auth=str(bearer.get("description", "")),
        groups=_groups(document, base_url),
        schemas=tuple(_named(name, schema) for name, schema in document["components"]["schemas"].items()),
    )
