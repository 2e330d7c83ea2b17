"""A JSON Schema in words, for the API reference: a short type, the named schema it refers to, the
values it allows and its default; ``fields`` lists an object's properties, nested ones by dotted name.

>>> describe({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})
TypeText(text='integer, 1 to 1000', ref='', values=(), default='100')
>>> describe({"type": "array", "items": {"$ref": "#/components/schemas/Metric"}}).text
'array of Metric'
>>> [f.name for f in fields({"properties": {"a": {"type": "object", "properties": {"b": {}}}}})]
['a', 'a.b']
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

Schema = dict[str, Any]
MAX_DEPTH = 3  # nested objects shown as a.b.c; deeper ones only by their type


@dataclasses.dataclass(frozen=True)
class TypeText:
    text: str
    ref: str = ""  # the named schema (components/schemas) this is, or is made of: linked on the page
    values: tuple[str, ...] = ()  # the values allowed (enum, const), each shown as code
    default: str = ""  # the default as written in a request, "" when there is none


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    type: TypeText
    required: bool
    description: str


def literal(value: Any) -> str:
    """A value as one writes it in a query string or as JSON: strings bare, the rest as JSON.

    >>> literal("30d"), literal(100), literal(True), literal(None)
    ('30d', '100', 'true', 'null')
    """
    return value if isinstance(value, str) else json.dumps(value)


def ref_name(ref: str) -> str:
    """``#/components/schemas/Metric`` → ``Metric``."""
    return ref.rsplit("/", 1)[-1]


def _range(schema: Schema, unit: str = "") -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{low} to {high}{unit}"
    if low is not None:
        return f"at least {low}{unit}"
    if high is not None:
        return f"at most {high}{unit}"
    return ""


def _count(schema: Schema, low_key: str, high_key: str, noun: str) -> str:
    """``2 items``, ``at most 30 keys``, ``not empty``, ``at least 3 and at most 4 items``."""
    low, high = schema.get(low_key), schema.get(high_key)
    if low is not None and low == high:
        return f"{low} {noun}"
    if low == 1 and high is None:
        return "not empty"
    parts = [f"at least {low}" if low else "", f"at most {high}" if high is not None else ""]
    said = " and ".join(part for part in parts if part)
    return f"{said} {noun}" if said else ""


def _joined(text: str, *details: str) -> str:
    return ", ".join([text, *(detail for detail in details if detail)])


def _scalar(kind: str, schema: Schema) -> str:
    if kind in ("integer", "number"):
        return _joined(kind, _range(schema))
    if kind == "string":
        shown = f"string ({schema['format']})" if "format" in schema else "string"
        length = f"at most {schema['maxLength']} characters" if "maxLength" in schema else ""
        pattern = f"matching {schema['pattern']}" if "pattern" in schema else ""
        return _joined(shown, length, pattern)
    if kind == "array":
        return _array(schema).text
    if kind == "object":
        return _object(schema).text
    return kind


def _array(schema: Schema) -> TypeText:
    size = _count(schema, "minItems", "maxItems", "items")
    if "prefixItems" in schema:
        parts = [describe(item) for item in schema["prefixItems"]]
        words = (
            item.get("title") or ("a listed value" if part.text == "one of" else part.text)
            for item, part in zip(schema["prefixItems"], parts, strict=True)
        )
        text = "[" + ", ".join(words) + "]"
        values = tuple(value for part in parts for value in part.values)
        refs = [part.ref for part in parts if part.ref]
        return TypeText(_joined(text, size), refs[0] if refs else "", values)
    items = describe(schema.get("items", {}))
    unique = "no repeats" if schema.get("uniqueItems") else ""
    return TypeText(_joined(f"array of {items.text}", size, unique), items.ref, items.values)


def _object(schema: Schema) -> TypeText:
    extra = schema.get("additionalProperties")
    keys = _count(schema, "minProperties", "maxProperties", "keys")
    if schema.get("maxProperties") == 0:
        return TypeText("empty object")
    if isinstance(extra, dict) and not schema.get("properties"):
        inner = describe(extra)
        return TypeText(_joined(f"object of {inner.text}", keys), inner.ref, inner.values)
    return TypeText(_joined("object", keys))


def describe(schema: Schema) -> TypeText:
    """The schema's type in a few words (see the module's examples)."""
    default = literal(schema["default"]) if "default" in schema else ""
    if "$ref" in schema:
        name = ref_name(str(schema["$ref"]))
        return TypeText(name, name, (), default)
    if "const" in schema:
        return TypeText("exactly", "", (literal(schema["const"]),), default)
    if "enum" in schema:
        return TypeText("one of", "", tuple(literal(v) for v in schema["enum"]), default)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        parts = [describe(part) for part in alternatives]
        text = " or ".join("a listed value" if part.text == "one of" else part.text for part in parts)
        values = tuple(value for part in parts for value in part.values)
        refs = [part.ref for part in parts if part.ref]
        return TypeText(text, refs[0] if refs else "", values, default)
    kind = schema.get("type")
    if isinstance(kind, list):
        return TypeText(" or ".join(_scalar(k, schema) for k in kind), "", (), default)
    if kind == "array":
        return dataclasses.replace(_array(schema), default=default)
    if kind == "object" or "properties" in schema:
        return dataclasses.replace(_object(schema), default=default)
    return TypeText(_scalar(str(kind), schema) if kind else "any", "", (), default)


def fields(schema: Schema, prefix: str = "", depth: int = 1) -> list[Field]:
    """An object's properties in their order; an inline object's own properties follow it as
    ``name.property`` (to ``MAX_DEPTH`` levels)."""
    required = set(schema.get("required", []))
    out: list[Field] = []
    for name, prop in schema.get("properties", {}).items():
        full = f"{prefix}{name}"
        out.append(Field(full, describe(prop), name in required, str(prop.get("description", ""))))
        if prop.get("properties") and depth < MAX_DEPTH:
            out += fields(prop, f"{full}.", depth + 1)
    return out
