"""Filters as data: ``Filter(operator, dimension, values)`` leaves, combined by ``Logic(op, children)``.

``Query.filters`` is an AND of its nodes. Operators come from the registry below; a value never enters
the SQL text, only a bound parameter made by a ``Binder``:

    >>> binder = Binder()
    >>> leaf_sql(Filter("is", "event:page", ("/blog/**", "/")), "e.pathname", binder)
    '(e.pathname IN {p0:Array(String)} OR match(e.pathname, {p1:String}))'
    >>> binder.params["p1"]
    '(?s)^(?:\\\\x{2f}blog\\\\x{2f}.*)$'

- ``is``/``is_not``: equal to one of the values (or to none); ignoring case on a dimension that folds
  it (``visit:source``). A value holding ``*`` (any run of characters except ``/``) or ``**``
  (anything) is a wildcard, as in Plausible's page filters; it is compiled here to an anchored RE2
  pattern, every other character escaped.
- ``contains``/``contains_not``: holds one of the values, ignoring case.
- ``matches``/``matches_not``: an RE2 pattern (ClickHouse ``match``) finds a match in the value. An
  invalid pattern is refused by the engine; the runner turns that into a ``QueryError`` naming filters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, TypeAlias

from analytics.dimensions import find
from analytics.errors import QueryError

__all__ = [
    "LOGIC_OPS",
    "OPERATORS",
    "Binder",
    "Filter",
    "FilterNode",
    "Logic",
    "leaf_sql",
    "leaves",
    "wildcard_regex",
]

OPERATORS = ("is", "is_not", "contains", "contains_not", "matches", "matches_not")
LOGIC_OPS = ("and", "or", "not")
NEGATED = {"is_not": "is", "contains_not": "contains", "matches_not": "matches"}
MAX_VALUES = 100  # per filter: multiSearchAny takes at most 255 needles
MAX_VALUE_CHARS = 2_000
MAX_DEPTH = 8


@dataclasses.dataclass(frozen=True)
class Filter:
    """``Filter("is", "event:page", ("/blog",))``: the dimension's value is one of the values."""

    operator: str
    dimension: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.values, list):  # a list from JSON is welcome; the filter keeps a tuple
            object.__setattr__(self, "values", tuple(self.values))
        if self.operator not in OPERATORS:
            raise QueryError("filters", f"unknown operator {self.operator!r}; known: {', '.join(OPERATORS)}")
        if not isinstance(self.values, tuple) or not all(isinstance(v, str) for v in self.values):
            raise QueryError("filters", f"{self.dimension}: values must be a list of strings")
        if not self.values:
            raise QueryError("filters", f"{self.dimension} needs at least one value")
        if len(self.values) > MAX_VALUES:
            raise QueryError("filters", f"{self.dimension}: at most {MAX_VALUES} values in one filter")
        if any(len(v) > MAX_VALUE_CHARS for v in self.values):
            raise QueryError(
                "filters", f"{self.dimension}: a value is longer than {MAX_VALUE_CHARS} characters"
            )


@dataclasses.dataclass(frozen=True)
class Logic:
    """``Logic("or", (a, b))``, ``Logic("and", (a, b))`` or ``Logic("not", (a,))``."""

    op: str
    children: tuple[FilterNode, ...]

    def __post_init__(self) -> None:
        if isinstance(self.children, list):
            object.__setattr__(self, "children", tuple(self.children))
        if self.op not in LOGIC_OPS:
            raise QueryError("filters", f"unknown logical operator {self.op!r}; known: and, or, not")
        if not isinstance(self.children, tuple) or not all(
            isinstance(c, Filter | Logic) for c in self.children
        ):
            raise QueryError("filters", f"{self.op} takes a list of filters")
        if self.op == "not" and len(self.children) != 1:
            raise QueryError("filters", "not takes exactly one filter")
        if not self.children:
            raise QueryError("filters", f"{self.op} needs at least one filter")
        if _depth(self) > MAX_DEPTH:
            raise QueryError("filters", f"filters nest deeper than {MAX_DEPTH} levels")


FilterNode: TypeAlias = Filter | Logic


def _depth(node: FilterNode) -> int:
    return 1 if isinstance(node, Filter) else 1 + max(_depth(c) for c in node.children)


def leaves(node: FilterNode) -> Iterator[Filter]:
    if isinstance(node, Filter):
        yield node
        return
    for child in node.children:
        yield from leaves(child)


class Binder:
    """Hands out ``{pN:Type}`` placeholders and keeps their values (the same value binds once)."""

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.params: dict[str, Any] = params if params is not None else {}
        self._seen: dict[tuple[str, str], str] = {}

    def __call__(self, value: Any, type_: str) -> str:
        key = (repr(value), type_)
        if key not in self._seen:
            name = f"p{len(self._seen)}"
            self.params[name] = value
            self._seen[key] = f"{{{name}:{type_}}}"
        return self._seen[key]


def _literal(char: str) -> str:
    return char if char.isascii() and char.isalnum() else f"\\x{{{ord(char):x}}}"


def wildcard_regex(values: tuple[str, ...] | list[str]) -> str:
    """One anchored RE2 pattern matching any of the wildcard ``values`` (``*`` within a path segment,
    ``**`` across them); every other character is matched literally."""
    alternatives = []
    for value in values:
        out, at = [], 0
        while at < len(value):
            if value.startswith("**", at):
                out.append(".*")
                at += 2
            elif value[at] == "*":
                out.append("[^/]*")
                at += 1
            else:
                out.append(_literal(value[at]))
                at += 1
        alternatives.append("".join(out))
    return "(?s)^(?:" + "|".join(alternatives) + ")$"


def leaf_sql(flt: Filter, col: str, bind: Binder) -> str:
    """The condition a leaf puts on the SQL expression ``col`` (a column or a computed value)."""
    operator = NEGATED.get(flt.operator, flt.operator)
    if operator == "is":
        dimension = find(flt.dimension)
        fold = dimension is not None and dimension.fold_case
        plain = [v for v in flt.values if "*" not in v]
        wild = [v for v in flt.values if "*" in v]
        parts = []
        if plain and fold:  # both sides folded by the engine, so they fold alike
            folded = f"arrayMap(v -> lowerUTF8(v), {bind(plain, 'Array(String)')})"
            parts.append(f"has({folded}, lowerUTF8({col}))")
        elif plain:
            parts.append(f"{col} IN {bind(plain, 'Array(String)')}")
        if wild:
            pattern = ("(?i)" if fold else "") + wildcard_regex(wild)
            parts.append(f"match({col}, {bind(pattern, 'String')})")
        sql = " OR ".join(parts)
    elif operator == "contains":
        sql = f"multiSearchAnyCaseInsensitiveUTF8({col}, {bind(list(flt.values), 'Array(String)')})"
    else:
        sql = " OR ".join(f"match({col}, {bind(v, 'String')})" for v in flt.values)
    return f"(NOT ({sql}))" if flt.operator in NEGATED else f"({sql})"
