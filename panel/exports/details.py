"""``details.csv``: the dashboard's Details view of one card as CSV, row for row what it lists.

The view's own Stats API breakdown parameters (``property``, ``metrics``, ``order_by``, and
``period``, ``date``, ``filters`` with the search in them, ``with_imported``) are parsed by the Stats
API's ``query_for``, so the file has the same rows in the same order as the page asks for, only all
of them (up to ``MAX_LIMIT``) instead of a page at a time. Columns: the property's value (and a
country's name), then each metric under its v1 name; revenue is written as its amount, with a
``currency`` column.

    >>> details_rows(site, {"property": "visit:source", "metrics": "visitors,bounce_rate"})  # doctest: +SKIP
    (['source', 'visitors', 'bounce_rate'], [{'source': 'Google', 'visitors': 3, 'bounce_rate': 50}])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from analytics import MAX_LIMIT, REVENUE_METRICS, country_name, run_query
from panel.sites.models import Site
from panel.stats_api.params import result_key
from panel.stats_api.views import query_for

DETAILS = "details"
# The query's own parameters; the rest of the page's (its shared link, the chart's interval) are not.
TAKEN = frozenset({"period", "date", "filters", "with_imported", "property", "metrics", "order_by"})
V1_NAMES = {"group_conversion_rate": "conversion_rate"}

Rows = tuple[list[str], list[dict[str, object]]]


def details_rows(site: Site, params: Mapping[str, str]) -> Rows:
    """The columns and rows of the Details view that ``params`` describe (QueryError on a bad one)."""
    values = {name: value for name, value in params.items() if name in TAKEN}
    query = query_for(site, values, kind="breakdown")
    query = dataclasses.replace(query, limit=MAX_LIMIT, offset=0)
    dimension = query.dimensions[0]
    key = result_key(dimension)
    country = dimension == "visit:country"
    revenue = any(metric in REVENUE_METRICS for metric in query.metrics)
    names = [V1_NAMES.get(metric, metric) for metric in query.metrics]
    columns = [key, *(["name"] if country else []), *names, *(["currency"] if revenue else [])]
    rows: list[dict[str, object]] = []
    for found in run_query(query, tag="export:details"):
        row: dict[str, object] = {key: found[dimension]}
        if country:
            row["name"] = country_name(str(found[dimension]))
        for metric, name in zip(query.metrics, names, strict=True):
            row[name] = _amount(found[metric], row) if metric in REVENUE_METRICS else found[metric]
        rows.append(row)
    return columns, rows


def _amount(money: Any, row: dict[str, object]) -> object:
    """A revenue cell: the amount (its currency into the row's ``currency``), empty without one."""
    if not isinstance(money, dict):
        return None
    row["currency"] = money.get("currency")
    return money.get("value")
