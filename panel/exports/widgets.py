"""What each CSV of a dashboard export holds: the dashboard's widgets, by file name.

A widget is a breakdown by one or more dimensions, or (no dimensions) the visitors-over-time series,
with the metrics its file reports; ``props`` (custom properties) is one file for several keys. Names
are the only way to ask for a widget, so nothing from the URL reaches a query unchecked.
"""

from __future__ import annotations

import dataclasses

BREAKDOWN_METRICS = ("visitors", "visits", "bounce_rate", "visit_duration")
SHARE_METRICS = ("visitors", "percentage")


@dataclasses.dataclass(frozen=True)
class Widget:
    name: str  # the file is ``<name>.csv``
    dimensions: tuple[str, ...]  # () is the time series
    metrics: tuple[str, ...]


def _widgets(*widgets: Widget) -> dict[str, Widget]:
    return {widget.name: widget for widget in widgets}


WIDGETS: dict[str, Widget] = _widgets(
    Widget(
        "visitors",
        (),
        ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"),
    ),
    Widget("channels", ("visit:channel",), BREAKDOWN_METRICS),
    Widget("sources", ("visit:source",), BREAKDOWN_METRICS),
    Widget("referrers", ("visit:referrer",), BREAKDOWN_METRICS),
    Widget("utm_mediums", ("visit:utm_medium",), BREAKDOWN_METRICS),
    Widget("utm_sources", ("visit:utm_source",), BREAKDOWN_METRICS),
    Widget("utm_campaigns", ("visit:utm_campaign",), BREAKDOWN_METRICS),
    Widget("utm_contents", ("visit:utm_content",), BREAKDOWN_METRICS),
    Widget("utm_terms", ("visit:utm_term",), BREAKDOWN_METRICS),
    Widget(
        "pages", ("event:page",), ("visitors", "pageviews", "bounce_rate", "time_on_page", "scroll_depth")
    ),
    Widget("entry_pages", ("visit:entry_page",), ("visitors", "visits", "bounce_rate", "visit_duration")),
    Widget("exit_pages", ("visit:exit_page",), ("visitors", "visits")),
    Widget("hostnames", ("event:hostname",), ("visitors", "pageviews")),
    Widget("countries", ("visit:country",), SHARE_METRICS),
    Widget("regions", ("visit:country", "visit:region"), SHARE_METRICS),
    Widget("cities", ("visit:country", "visit:region", "visit:city"), SHARE_METRICS),
    Widget("browsers", ("visit:browser",), SHARE_METRICS),
    Widget("browser_versions", ("visit:browser", "visit:browser_version"), SHARE_METRICS),
    Widget("operating_systems", ("visit:os",), SHARE_METRICS),
    Widget("operating_system_versions", ("visit:os", "visit:os_version"), SHARE_METRICS),
    Widget("devices", ("visit:device",), SHARE_METRICS),
    Widget("screen_sizes", ("visit:screen",), SHARE_METRICS),
    Widget("events", ("event:name",), ("visitors", "events")),
    Widget("goals", ("event:goal",), ("visitors", "events", "conversion_rate")),
)

# ``props.csv``: custom properties, a row per key and value (the keys are the view's, see exports.views).
PROPS = "props"
PROPS_METRICS = ("visitors", "events")
