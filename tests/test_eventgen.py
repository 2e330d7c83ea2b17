"""The benchmark's event generator makes what its docstring claims, on a small run.

Tolerances are wide enough for 30,000 events and narrow enough that a wrong distribution fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from analytics import client, run_query
from analytics.periods import DateRange
from analytics.query import Query
from bench import eventgen
from tests.conftest import EVENT_TABLES as TABLES

SITE = 41
LAST_DAY = dt.date(2026, 11, 20)
EVENTS = 30_000


@pytest.fixture(scope="module")
def generated(clickhouse: None) -> Iterator[None]:
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")
    eventgen.generate(events=EVENTS, site_id=SITE, last_day=LAST_DAY, seed=3)
    yield
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")


def rows(sql: str) -> list[tuple[Any, ...]]:
    return client.execute(sql, {"site": SITE, "last": LAST_DAY}, max_rows=0).rows


def counts(sql: str) -> dict[object, int]:
    return {key: int(n) for key, n in rows(sql)}


def month(*metrics: str, dimension: str | None = None) -> list[dict[str, Any]]:
    first = LAST_DAY - dt.timedelta(days=eventgen.DAYS - 1)
    dims = (dimension,) if dimension else ()
    return run_query(Query(SITE, DateRange(first, LAST_DAY, "UTC"), metrics, dims, limit=1000))


def test_exactly_the_events_asked_for_over_thirty_days(generated: None) -> None:
    """Visits start in the 30 days; the few still going at midnight after the last one end the next day."""
    count, ids, first, late = rows(
        "SELECT count(), uniqExact(event_id), min(toDate(timestamp)),"
        " countIf(toDate(timestamp) > {last:Date}) FROM events WHERE site_id = {site:UInt64}"
    )[0]
    assert (count, ids) == (EVENTS, EVENTS)
    assert first == LAST_DAY - dt.timedelta(days=eventgen.DAYS - 1)
    assert late < EVENTS * 0.002
    per_day = counts(
        "SELECT toDate(timestamp) AS day, count() FROM events WHERE site_id = {site:UInt64}"
        " AND day <= {last:Date} GROUP BY day"
    )
    assert len(per_day) == eventgen.DAYS
    assert max(per_day.values()) < 2 * min(per_day.values())  # weekends quieter, no empty days


def test_about_three_pageviews_a_visit_and_a_third_of_visits_bounce(generated: None) -> None:
    [totals] = month("visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration")
    assert 2.6 <= float(totals["views_per_visit"]) <= 3.4
    assert 25 <= int(totals["bounce_rate"]) <= 45
    assert int(totals["visit_duration"]) > 60


def test_some_visitors_come_back_the_same_day(generated: None) -> None:
    [totals] = month("visitors", "visits")
    share = 1 - int(totals["visitors"]) / int(totals["visits"])
    assert 0.04 <= share <= 0.15


def test_pages_follow_a_zipf_law(generated: None) -> None:
    by_page = counts(
        "SELECT pathname, count() FROM events WHERE site_id = {site:UInt64} AND name = 'pageview'"
        " GROUP BY pathname"
    )
    ranked = sorted(by_page.values(), reverse=True)
    total = sum(ranked)
    assert 0.08 <= ranked[0] / total <= 0.2  # ln 2 / ln 2,009 of the views is ~9%
    assert ranked[0] > 1.5 * ranked[1] > ranked[9] * 2 > 0  # weight ~ 1/rank
    assert len(ranked) > 500  # a long tail


def test_sources_channels_and_places_are_mixed(generated: None) -> None:
    sources = month("visits", dimension="visit:source")
    assert sources[0]["visit:source"] == "Google"
    assert "Direct / None" in [row["visit:source"] for row in sources[:3]]
    channels = {row["visit:channel"] for row in month("visits", dimension="visit:channel")}
    assert {"Direct", "Organic Search", "Organic Social", "Referral", "Email", "Paid Search"} <= channels
    assert len(month("visits", dimension="visit:country")) >= 15
    assert len(month("visits", dimension="visit:city")) >= 20
    devices = {row["visit:device"] for row in month("visits", dimension="visit:device")}
    assert devices == {"Desktop", "Mobile", "Tablet"}
    utm = month("visits", dimension="visit:utm_medium")
    assert {row["visit:utm_medium"] for row in utm} >= {"email", "cpc"}


def test_engagement_and_custom_events_with_props_and_revenue(generated: None) -> None:
    names = counts("SELECT name, count() FROM events WHERE site_id = {site:UInt64} GROUP BY name")
    assert 0.6 <= names["engagement"] / names["pageview"] <= 0.8
    assert names["Signup"] > 0 and names["Outbound Link: Click"] > 0 and names["File Download"] > 0
    signups = rows(
        "SELECT countIf(prop_keys = ['plan']), countIf(revenue_amount IS NOT NULL),"
        " countIf(revenue_currency IN ('EUR', 'USD')) FROM events"
        " WHERE site_id = {site:UInt64} AND name = 'Signup'"
    )[0]
    assert signups[0] == names["Signup"]
    assert 0 < signups[1] == signups[2] < names["Signup"]
    [engaged] = month("time_on_page", "scroll_depth")
    assert int(engaged["time_on_page"]) > 0 and 10 <= int(engaged["scroll_depth"]) <= 100


def test_the_same_seed_makes_the_same_events(generated: None) -> None:
    digest = (
        "SELECT sum(cityHash64(event_id, timestamp, visitor_id, pathname)) FROM events"
        " WHERE site_id = {site:UInt64}"
    )
    before = rows(digest)
    eventgen.generate(events=EVENTS, site_id=SITE + 1, last_day=LAST_DAY, seed=3)
    again = client.execute(digest, {"site": SITE + 1}).rows
    client.command("DELETE FROM events WHERE site_id = {site:UInt64}", {"site": SITE + 1})
    assert again == before
