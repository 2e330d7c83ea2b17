"""Building exports: one widget's rows for the dashboard's view as CSV, or the whole view as a zip.

The view comes from the same query string the Stats API takes (``period``, ``date``, ``filters``,
``interval``), parsed by the Stats API's own parser; every widget is one ``analytics.run_query``.

    >>> query = view_query(site, {"period": "7d", "filters": "visit:country==DE"})  # doctest: +SKIP
    >>> view_zip(query, {})  # doctest: +SKIP
    b'PK...'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping

from analytics import run_query
from analytics.periods import today_in
from analytics.query import MAX_LIMIT, Query
from panel.exports.csv import write_csv
from panel.exports.widgets import WIDGETS, Widget
from panel.sites.models import Site
from panel.stats_api import params as stats_params

# Each widget chooses its own metrics and dimensions; these parameters of the view do not apply.
NOT_THE_VIEWS = frozenset({"metrics", "property", "limit", "page", "compare", "auth", "embed", "site_id"})


def view_query(site: Site, params: Mapping[str, str]) -> Query:
    """The dashboard's period and filters for ``site``; a bad parameter raises QueryError naming it."""
    return stats_params.parse_common(
        {name: value for name, value in params.items() if name not in NOT_THE_VIEWS},
        site_id=site.id,
        tz=site.timezone,
        today=today_in(site.timezone),
        earliest=site.created_at.date(),
    )


def widget_rows(
    query: Query, params: Mapping[str, str], widget: Widget
) -> tuple[list[str], list[dict[str, object]]]:
    """The widget's columns and rows for the view ``query`` (time series at ``params``' interval)."""
    if widget.dimensions:
        widget_query = dataclasses.replace(
            query, dimensions=widget.dimensions, metrics=widget.metrics, limit=MAX_LIMIT, offset=0
        )
        names = {dimension: stats_params.result_key(dimension) for dimension in widget.dimensions}
    else:
        widget_query = dataclasses.replace(stats_params.for_timeseries(query, params), metrics=widget.metrics)
        names = {widget_query.dimensions[0]: "date"}
    rows = run_query(widget_query, tag=f"export:{widget.name}")
    renamed = [{**{names[d]: row[d] for d in names}, **{m: row[m] for m in widget.metrics}} for row in rows]
    return [*names.values(), *widget.metrics], renamed


def widget_csv(query: Query, params: Mapping[str, str], widget: Widget) -> bytes:
    columns, rows = widget_rows(query, params, widget)
    return write_csv(rows, columns)


def view_zip(query: Query, params: Mapping[str, str], widgets: Iterable[Widget] = WIDGETS.values()) -> bytes:
    """Every widget's CSV, as ``<widget>.csv`` files in one zip."""
    out = io.BytesIO()
    stamp = dt.datetime.now(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for widget in widgets:
            info = zipfile.ZipInfo(f"{widget.name}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, widget_csv(query, params, widget))
    return out.getvalue()


def file_name(site: Site, query: Query, extension: str, widget: str = "") -> str:
    """``example.com-pages-2026-11-01-2026-11-30.csv``: the site, the widget and the view's dates."""
    parts = [site.domain, widget, query.date_range.first.isoformat(), query.date_range.last.isoformat()]
    return "-".join(part for part in parts if part) + extension
