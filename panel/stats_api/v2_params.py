"""The JSON body of ``POST /api/v2/query`` parsed into an ``analytics.Query`` (pure functions).

The body is Plausible's Stats API v2 query. Every problem raises ``QueryError`` whose field is the JSON
path at fault, as Plausible names it (``#/metrics/0``), so the view answers 400 with it; names are
checked against the query layer's registries, so what it learns is accepted here without a change.

>>> import datetime as dt
>>> body = {"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d",
...         "filters": [["not", ["is", "event:page", ["/blog"]]]]}
>>> parsed = parse(body, site_id=1, tz="UTC", today=dt.date(2026, 11, 21))
>>> parsed.query.date_range.first, parsed.query.filters
(datetime.date(2026, 11, 15), (Filter(operator='is_not', dimension='event:page', values=('/blog',)),))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zoneinfo
from collections.abc import Callable
from typing import Any

import orjson

from analytics import (
    COMPARISON_MODES,
    MAX_DAYS,
    MAX_DEPTH,
    MAX_LIMIT,
    MAX_VALUE_CHARS,
    MAX_VALUES,
    METRICS,
    OPERATORS,
    PERIODS,
    PROPS_PREFIX,
    TIME_DIMENSIONS,
    DateRange,
    Filter,
    FilterNode,
    Goal,
    Logic,
    Query,
    QueryError,
    comparison_range,
    find_dimension,
    resolve_period,
)

MAX_BODY_BYTES = 64 * 1024
MAX_FILTER_DEPTH = MAX_DEPTH
MAX_FILTER_NODES = 100
MAX_CLAUSES = MAX_VALUES
MAX_DIMENSIONS = 8
MAX_OFFSET = 1_000_000
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2199, 12, 31)

SHORTCUTS = tuple(period for period in PERIODS if period != "custom")
TIME = "time"  # Plausible's "pick the time bucket for me" dimension
PROPS = PROPS_PREFIX  # custom properties: event:props:<key>
KEYS = (
    "site_id",
    "metrics",
    "date_range",
    "date",
    "dimensions",
    "filters",
    "order_by",
    "include",
    "pagination",
)
INCLUDE_KEYS = ("time_labels", "total_rows", "imports", "comparisons")
GROUPS = ("and", "or", "not")
NEGATION = {"is": "is_not", "is_not": "is", "contains": "contains_not", "contains_not": "contains"} | {
    "matches": "matches_not",
    "matches_not": "matches",
}
POSITIVE = ("is", "contains", "matches")  # an "or" of these on one dimension is one filter, values joined


class BodyError(Exception):
    """The request body cannot be read as a JSON object: ``status`` is 400, 413 or 415."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclasses.dataclass(frozen=True)
class Include:
    time_labels: bool = False
    total_rows: bool = False
    imports: bool = False
    comparison: DateRange | None = None  # the range compared with, when ``comparisons`` was asked


@dataclasses.dataclass(frozen=True)
class V2Query:
    """A parsed body: the Query to run, what else to include, and the filters as sent (echoed back)."""

    query: Query
    include: Include
    echo_filters: list[Any]
    echo_include: dict[str, Any]


def load_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The body as a JSON object, or ``BodyError``: wrong type 415, too large 413, not an object 400."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise BodyError(415, "Content-Type must be application/json")
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(413, f"the query is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, f"#: the body is not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BodyError(400, "#: the query must be a JSON object")
    return body


def parse(
    body: dict[str, Any],
    *,
    site_id: int,
    tz: str,
    today: dt.date,
    earliest: Callable[[], dt.date] | None = None,
    goals: tuple[Goal, ...] = (),
) -> V2Query:
    for key in body:
        if key not in KEYS:
            raise QueryError(_at("#", key), f"is not a query key; known: {', '.join(KEYS)}")
    metrics = _metrics(body.get("metrics"))
    date_range = _date_range(body.get("date_range"), body.get("date"), tz, today, earliest)
    dimensions = _dimensions(body.get("dimensions", []), date_range)
    filters = _filters(body.get("filters", []))
    order_by = _order_by(body.get("order_by", []), metrics, dimensions)
    include = _include(body.get("include", {}), date_range, dimensions, today)
    limit, offset = _pagination(body.get("pagination", {}))
    try:
        query = Query(
            site_id=site_id,
            date_range=date_range,
            metrics=metrics,
            dimensions=dimensions,
            filters=filters,
            order_by=order_by,
            limit=limit,
            offset=offset,
            goals=goals,
        )
    except QueryError as exc:  # a rule of the query layer's own (e.g. a metric it cannot break down)
        raise QueryError(_QUERY_FIELDS.get(exc.field, f"#/{exc.field}"), exc.message) from None
    return V2Query(query, include, body.get("filters", []), _echo_include(body.get("include", {})))


_QUERY_FIELDS = {"limit": "#/pagination/limit", "page": "#/pagination/offset"}


# -- metrics, dates, dimensions -------------------------------------------------------------------


def _metrics(value: Any) -> tuple[str, ...]:
    if value is None:
        raise QueryError("#/metrics", 'is required, e.g. ["visitors"]')
    items = _list(value, "#/metrics", most=len(METRICS))
    if not items:
        raise QueryError("#/metrics", "needs at least one metric")
    names: list[str] = []
    for index, item in enumerate(items):
        path = _at("#/metrics", index)
        name = _string(item, path)
        if name not in METRICS:
            raise QueryError(path, f"unknown metric {_show(name)}; known: {', '.join(METRICS)}")
        if name in names:
            raise QueryError(path, f"{_show(name)} is listed twice")
        names.append(name)
    return tuple(names)


def _date_range(
    value: Any, date: Any, tz: str, today: dt.date, earliest: Callable[[], dt.date] | None
) -> DateRange:
    anchor = None if date is None else _day(date, "#/date")
    if value is None:
        raise QueryError("#/date_range", f"is required: one of {', '.join(SHORTCUTS)} or [start, end]")
    if isinstance(value, str):
        if value not in SHORTCUTS:
            raise QueryError(
                "#/date_range", f"{_show(value)} is not one of {', '.join(SHORTCUTS)} or [start, end]"
            )
        return resolve_period(value, tz, today=today, date=anchor, earliest=earliest)
    items = _list(value, "#/date_range", most=2)
    if len(items) != 2:
        raise QueryError("#/date_range", 'must be a shortcut such as "7d" or a list of two dates')
    texts = [_string(item, _at("#/date_range", index)) for index, item in enumerate(items)]
    if not any("T" in text.upper() for text in texts):
        days = [_day(text, _at("#/date_range", index)) for index, text in enumerate(texts)]
        return _checked_range(days[0], days[1], tz, "#/date_range")
    start = _moment(texts[0], "#/date_range/0", tz, end=False)
    end = _moment(texts[1], "#/date_range/1", tz, end=True)
    if end <= start:
        raise QueryError("#/date_range", "ends before it starts")
    whole_days = _checked_range(start.date(), (end - dt.timedelta(seconds=1)).date(), tz, "#/date_range")
    if start.time() == dt.time(0) and end.time() == dt.time(0):  # whole local days: a plain date range
        return whole_days
    return DateRange.between(start, end, tz)


def _moment(text: str, path: str, tz: str, *, end: bool) -> dt.datetime:
    """A bound in the site's zone: an ISO 8601 date-time with its offset (an end takes in its whole
    second), or a date (its whole day)."""
    try:
        moment = dt.datetime.fromisoformat(text) if "T" in text.upper() else None
    except ValueError:
        raise QueryError(path, f"{_show(text)} is not an ISO 8601 date or date-time") from None
    zone = zoneinfo.ZoneInfo(tz)
    if moment is None:
        day = _day(text, path)
        return dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time(), zone)
    if moment.tzinfo is None:
        raise QueryError(path, "a date-time needs its UTC offset, e.g. 2026-01-01T00:00:00+01:00")
    if not FIRST_DAY <= moment.date() <= LAST_DAY:  # far-off times cannot even change zone
        raise QueryError(path, f"must be between {FIRST_DAY} and {LAST_DAY}")
    local = moment.astimezone(zone)
    _in_bounds(local.date(), path)
    return local.replace(microsecond=0) + dt.timedelta(seconds=1) if end else local


def _day(value: Any, path: str) -> dt.date:
    text = _string(value, path)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(path, f"{_show(text)} is not a date (YYYY-MM-DD)") from None
    return _in_bounds(day, path)


def _in_bounds(day: dt.date, path: str) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise QueryError(path, f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def _checked_range(first: dt.date, last: dt.date, tz: str, path: str) -> DateRange:
    if last < first:
        raise QueryError(path, "ends before it starts")
    if (last - first).days > MAX_DAYS:
        raise QueryError(path, "is longer than ten years")
    return DateRange(first, last, tz)


def time_bucket_for(date_range: DateRange) -> str:
    """What Plausible's ``time`` dimension means for a range: minutes up to an hour (exact ranges
    such as realtime), hours up to two days, days up to 41, else months."""
    if date_range.moments and date_range.moments[1] - date_range.moments[0] <= dt.timedelta(hours=1):
        return "time:minute"
    if date_range.days <= 2:
        return "time:hour"
    return "time:day" if date_range.days <= 41 else "time:month"


def _dimensions(value: Any, date_range: DateRange) -> tuple[str, ...]:
    names: list[str] = []
    for index, item in enumerate(_list(value, "#/dimensions", most=MAX_DIMENSIONS)):
        path = _at("#/dimensions", index)
        name = _string(item, path)
        name = time_bucket_for(date_range) if name == TIME else name
        if not (name in TIME_DIMENSIONS or _filterable(name)):
            raise QueryError(path, f"unknown dimension {_show(name)}")
        if name in names:
            raise QueryError(path, f"{_show(name)} is listed twice")
        if name in TIME_DIMENSIONS and any(n in TIME_DIMENSIONS for n in names):
            raise QueryError(path, "only one time dimension per query")
        names.append(name)
    return tuple(names)


def _filterable(name: str) -> bool:
    """An event or visit dimension, a goal or a custom property: the query layer's ``find_dimension``."""
    return find_dimension(name) is not None


# -- filters --------------------------------------------------------------------------------------


def _filters(value: Any) -> tuple[FilterNode, ...]:
    items = _list(value, "#/filters", most=MAX_FILTER_NODES)
    budget = _Budget()
    nodes = [_node(item, _at("#/filters", index), 1, budget) for index, item in enumerate(items)]
    return tuple(flt for node in nodes for flt in _conjuncts(node))


@dataclasses.dataclass
class _Budget:
    """How many filter nodes one body may hold in all (nesting included)."""

    left: int = MAX_FILTER_NODES

    def spend(self, path: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise QueryError(path, f"a query may hold at most {MAX_FILTER_NODES} filters in all")


# A filter tree as sent, validated: a Filter, or (op, children, path) for "and", "or" and "not".
_Tree = Filter | tuple[str, tuple["_Tree", ...], str]


def _node(value: Any, path: str, depth: int, budget: _Budget) -> _Tree:
    budget.spend(path)
    if depth > MAX_FILTER_DEPTH:
        raise QueryError(path, f"filters nest at most {MAX_FILTER_DEPTH} deep")
    items = _list(value, path, most=4)
    if not items:
        raise QueryError(path, 'a filter is [operator, dimension, clauses] or ["and"|"or"|"not", ...]')
    operator = _string(items[0], _at(path, 0))
    if operator in GROUPS:
        if len(items) != 2:
            raise QueryError(path, f"{_show(operator)} takes one argument")
        if operator == "not":
            return ("not", (_node(items[1], _at(path, 1), depth + 1, budget),), path)
        children = _list(items[1], _at(path, 1), most=MAX_FILTER_NODES)
        if not children:
            raise QueryError(_at(path, 1), f"{operator} needs at least one filter")
        kids = tuple(_node(c, _at(_at(path, 1), i), depth + 1, budget) for i, c in enumerate(children))
        return (operator, kids, path)
    return _simple(operator, items, path)


def _simple(operator: str, items: list[Any], path: str) -> Filter:
    if operator not in OPERATORS:
        known = ", ".join([*OPERATORS, *GROUPS])
        raise QueryError(_at(path, 0), f"unknown filter operator {_show(operator)}; known: {known}")
    if len(items) not in (3, 4):
        raise QueryError(path, "a filter is [operator, dimension, clauses] with optional modifiers")
    dimension = _string(items[1], _at(path, 1))
    if dimension == TIME or dimension in TIME_DIMENSIONS:
        raise QueryError(_at(path, 1), "time cannot be filtered by; set date_range instead")
    if not _filterable(dimension):
        raise QueryError(_at(path, 1), f"cannot filter by {_show(dimension)}")
    clauses = _list(items[2], _at(path, 2), most=MAX_CLAUSES)
    if not clauses:
        raise QueryError(_at(path, 2), "needs at least one value")
    values = tuple(_clause(c, _at(_at(path, 2), i)) for i, c in enumerate(clauses))
    if len(items) == 4:
        _modifiers(items[3], _at(path, 3))
    try:
        return Filter(operator, dimension, values)
    except QueryError as exc:  # a rule of the query layer's own about values
        raise QueryError(path, exc.message) from None


def _clause(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise QueryError(path, "must be a string (or a whole number)")
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise QueryError(path, f"is longer than {MAX_VALUE_CHARS} characters")
    return text


def _modifiers(value: Any, path: str) -> None:
    """Plausible's ``case_sensitive`` is not offered: each operator has one fixed way with case."""
    for key in _object(value, path, tuple(value) if isinstance(value, dict) else ()):
        raise QueryError(
            _at(path, key),
            "filter modifiers are not supported: is, is_not and matches compare exactly, "
            "contains and contains_not ignore case",
        )


def _conjuncts(tree: _Tree) -> list[FilterNode]:
    """The tree as nodes that must all hold: and-groups flattened, "not" pushed into operators
    (``not is`` is ``is_not``), an "or" of one positive operator on one dimension joined into one."""
    if isinstance(tree, Filter):
        return [tree]
    operator, children, _path = tree
    if operator == "and":
        return [node for child in children for node in _conjuncts(child)]
    if operator == "not":
        return _negated(children[0])
    return [_either([_conjuncts(child) for child in children])]


def _negated(tree: _Tree) -> list[FilterNode]:
    """Nodes that must all hold for the tree not to: De Morgan down to negated operators."""
    if isinstance(tree, Filter):
        return [dataclasses.replace(tree, operator=NEGATION[tree.operator])]
    operator, children, _path = tree
    if operator == "not":
        return _conjuncts(children[0])
    if operator == "or":  # not (a or b) = not a and not b
        return [node for child in children for node in _negated(child)]
    return [_either([_negated(child) for child in children])]  # not (a and b) = not a or not b


def _either(alternatives: list[list[FilterNode]]) -> FilterNode:
    """Any of the alternatives (each a conjunction): one filter when they are values of one positive
    operator on one dimension, else an "or" group."""
    nodes = [alt[0] if len(alt) == 1 else Logic("and", tuple(alt)) for alt in alternatives]
    flat = [
        kid
        for node in nodes
        for kid in (node.children if isinstance(node, Logic) and node.op == "or" else (node,))
    ]
    leaves = [node for node in flat if isinstance(node, Filter)]
    first = leaves[0] if leaves else None
    if (
        first is not None
        and len(leaves) == len(flat)
        and all((leaf.operator, leaf.dimension) == (first.operator, first.dimension) for leaf in leaves)
        and (len(leaves) == 1 or first.operator in POSITIVE)
    ):
        values = tuple(dict.fromkeys(value for leaf in leaves for value in leaf.values))
        if len(values) <= MAX_CLAUSES:
            return Filter(first.operator, first.dimension, values)
    return Logic("or", tuple(flat))


# -- ordering, include, pagination ----------------------------------------------------------------


def _order_by(
    value: Any, metrics: tuple[str, ...], dimensions: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    time_dimension = next((d for d in dimensions if d in TIME_DIMENSIONS), None)
    order: list[tuple[str, str]] = []
    for index, item in enumerate(_list(value, "#/order_by", most=len(metrics) + len(dimensions))):
        path = _at("#/order_by", index)
        pair = _list(item, path, most=2)
        if len(pair) != 2:
            raise QueryError(path, 'each entry is [metric or dimension, "asc" or "desc"]')
        name = _string(pair[0], _at(path, 0))
        name = time_dimension if name == TIME and time_dimension else name
        if name not in metrics and name not in dimensions:
            raise QueryError(_at(path, 0), f"{_show(name)} is neither a requested metric nor dimension")
        direction = _string(pair[1], _at(path, 1))
        if direction not in ("asc", "desc"):
            raise QueryError(_at(path, 1), 'must be "asc" or "desc"')
        order.append((name, direction))
    return tuple(order)


def _include(value: Any, date_range: DateRange, dimensions: tuple[str, ...], today: dt.date) -> Include:
    include = _object(value, "#/include", INCLUDE_KEYS)
    flags = {key: _bool(include.get(key, False), _at("#/include", key)) for key in INCLUDE_KEYS[:3]}
    if flags["time_labels"] and not any(d in TIME_DIMENSIONS for d in dimensions):
        raise QueryError("#/include/time_labels", "needs a time dimension")
    comparison = None
    if "comparisons" in include:
        comparison = _comparison(include["comparisons"], date_range, today)
    return Include(comparison=comparison, **flags)


def _comparison(value: Any, date_range: DateRange, today: dt.date) -> DateRange:
    """``analytics.comparison_range`` of ``include.comparisons`` (Plausible's shape)."""
    path = "#/include/comparisons"
    options = _object(value, path, ("mode", "date_range", "match_day_of_week"))
    if "mode" not in options:
        raise QueryError(path, f"needs a mode: {', '.join(COMPARISON_MODES)}")
    mode = _string(options["mode"], _at(path, "mode"))
    if mode not in COMPARISON_MODES:
        raise QueryError(_at(path, "mode"), f"{_show(mode)} is not one of {', '.join(COMPARISON_MODES)}")
    if (mode == "custom") != ("date_range" in options):
        raise QueryError(_at(path, "date_range"), "is required with mode custom, and only with it")
    custom = None
    if mode == "custom":
        bounds = _list(options["date_range"], _at(path, "date_range"), most=2)
        if len(bounds) != 2:
            raise QueryError(_at(path, "date_range"), "must be a list of two dates")
        days = [_day(b, _at(_at(path, "date_range"), i)) for i, b in enumerate(bounds)]
        custom = _checked_range(days[0], days[1], date_range.tz, _at(path, "date_range"))
    match_day = _bool(options.get("match_day_of_week", False), _at(path, "match_day_of_week"))
    return comparison_range(date_range, mode, today=today, custom=custom, match_day_of_week=match_day)


def _echo_include(value: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if item}


def _pagination(value: Any) -> tuple[int, int]:
    options = _object(value, "#/pagination", ("limit", "offset"))
    limit = _int(options.get("limit", MAX_LIMIT), "#/pagination/limit", 1, MAX_LIMIT)
    offset = _int(options.get("offset", 0), "#/pagination/offset", 0, MAX_OFFSET)
    return limit, offset


# -- JSON shapes ----------------------------------------------------------------------------------


def _at(path: str, key: str | int) -> str:
    """A JSON pointer one step down; keys from outside are shortened and escaped."""
    if isinstance(key, int):
        return f"{path}/{key}"
    return f"{path}/{key[:60].replace('~', '~0').replace('/', '~1')}"


def _show(value: str) -> str:
    return json.dumps(value[:60] + ("…" if len(value) > 60 else ""))


def _list(value: Any, path: str, *, most: int) -> list[Any]:
    if not isinstance(value, list):
        raise QueryError(path, f"must be a list, not {_kind(value)}")
    if len(value) > most:
        raise QueryError(path, f"may hold at most {most} items")
    return value


def _object(value: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise QueryError(path, f"must be an object, not {_kind(value)}")
    for key in value:
        if key not in keys:
            known = f"; known: {', '.join(keys)}" if keys else ""
            raise QueryError(_at(path, key), f"is not a known key{known}")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise QueryError(path, f"must be a string, not {_kind(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise QueryError(path, f"must be true or false, not {_kind(value)}")
    return value


def _int(value: Any, path: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(path, f"must be a whole number, not {_kind(value)}")
    if not lowest <= value <= highest:
        raise QueryError(path, f"must be between {lowest} and {highest}")
    return int(value)


def _kind(value: Any) -> str:
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}
    return "null" if value is None else kinds.get(type(value), "an object")
