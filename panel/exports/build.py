"""Building exports: one widget's rows for the dashboard's view as CSV, or the whole view as a zip.

The view comes from the query string the Stats API takes (``period``, ``date``, ``filters``,
``interval``), parsed by the Stats API's own ``query_for`` (so the site's goals come along); every
widget is one ``analytics.run_query``, custom properties one per key.

    >>> view = parse_view(site, {"period": "7d", "filters": "visit:country==DE"})  # doctest: +SKIP
    >>> view_zip(view, prop_keys=["plan"])  # doctest: +SKIP
    b'PK...'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence

from analytics import MAX_LIMIT, PROPS_PREFIX, Query, run_query
from panel.exports.csv import write_csv
from panel.exports.widgets import PROPS, PROPS_METRICS, WIDGETS, Widget
from panel.sites.models import Site
from panel.stats_api.params import result_key
from panel.stats_api.views import query_for

# Each widget chooses its own metrics and dimensions; these parameters of the view do not apply.
NOT_THE_VIEWS = frozenset({"metrics", "property", "limit", "page", "compare", "auth", "embed", "site_id"})

Rows = tuple[list[str], list[dict[str, object]]]


@dataclasses.dataclass(frozen=True)
class View:
    site: Site
    totals: Query  # the view's period, filters and the site's goals
    over_time: Query  # the same, bucketed by the view's interval


def parse_view(site: Site, params: Mapping[str, str]) -> View:
    """The dashboard's view of ``site``; a bad parameter raises QueryError naming it."""
    values = {name: value for name, value in params.items() if name not in NOT_THE_VIEWS}
    return View(site, query_for(site, values), query_for(site, values, kind="timeseries"))


def widget_rows(view: View, widget: Widget) -> Rows:
    """The widget's columns and rows (the time series when it has no dimensions)."""
    if widget.dimensions:
        query = dataclasses.replace(
            view.totals, dimensions=widget.dimensions, metrics=widget.metrics, limit=MAX_LIMIT, offset=0
        )
        names = {dimension: result_key(dimension) for dimension in widget.dimensions}
    else:
        query = dataclasses.replace(view.over_time, metrics=widget.metrics)
        names = {query.dimensions[0]: "date"}
    rows = run_query(query, tag=f"export:{widget.name}")
    renamed = [{**{names[d]: row[d] for d in names}, **{m: row[m] for m in widget.metrics}} for row in rows]
    return [*names.values(), *widget.metrics], renamed


def props_rows(view: View, keys: Sequence[str]) -> Rows:
    """Custom properties: a row per (key, value) for each of ``keys``."""
    rows: list[dict[str, object]] = []
    for key in keys:
        dimension = PROPS_PREFIX + key
        query = dataclasses.replace(
            view.totals, dimensions=(dimension,), metrics=PROPS_METRICS, limit=MAX_LIMIT, offset=0
        )
        for row in run_query(query, tag="export:props"):
            rows.append({"property": key, "value": row[dimension], **{m: row[m] for m in PROPS_METRICS}})
    return ["property", "value", *PROPS_METRICS], rows


def view_zip(view: View, prop_keys: Sequence[str], widgets: Iterable[Widget] = WIDGETS.values()) -> bytes:
    """Every widget's CSV as ``<widget>.csv`` in one zip, and ``props.csv`` for ``prop_keys`` (if any)."""
    out = io.BytesIO()
    stamp = dt.datetime.now(dt.UTC).timetuple()[:6]
    files = [(widget.name, widget_rows(view, widget)) for widget in widgets]
    if prop_keys:
        files.append((PROPS, props_rows(view, prop_keys)))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (columns, rows) in files:
            info = zipfile.ZipInfo(f"{name}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, write_csv(rows, columns))
    return out.getvalue()


def file_name(view: View, extension: str, widget: str = "") -> str:
    """``example.com-pages-2026-11-01-2026-11-30.csv``: the site, the widget and the view's dates."""
    dates = view.totals.date_range
    parts = [view.site.domain, widget, dates.first.isoformat(), dates.last.isoformat()]
    return "-".join(part for part in parts if part) + extension
