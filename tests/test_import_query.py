"""Imported days in queries (analytics level): loaded from a Plausible export, added by Plausible's
rules, left out with the documented reason when a query cannot take them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import (
    ActiveImport,
    Filter,
    Goal,
    Query,
    client,
    decide_imports,
    import_kept_days,
    load_plausible,
    run_query,
)
from analytics.imported.tables import TABLES
from analytics.periods import DateRange
from tests.conftest import make_event, seed
from tests.plausible_export import sample, write_export

SITE = 901
TODAY = dt.datetime.now(dt.UTC).date()
FIRST = TODAY - dt.timedelta(days=400)  # two imported days, long before the native ones
RANGE = DateRange(FIRST - dt.timedelta(days=3), TODAY, "UTC")


def clear_imports() -> None:
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")


@pytest.fixture
def imported(events_table: None, tmp_path: Path) -> Iterator[ActiveImport]:
    clear_imports()
    path = write_export(tmp_path / "export.zip", sample(FIRST), FIRST, FIRST + dt.timedelta(days=1))
    loaded = load_plausible(path, SITE, 7, import_kept_days(None, None))
    assert loaded.first == FIRST and loaded.last == FIRST + dt.timedelta(days=1)
    yield ActiveImport(7, FIRST, FIRST + dt.timedelta(days=1))
    clear_imports()


def ask(active: ActiveImport | None, **fields: object) -> tuple[list[dict[str, object]], str | None]:
    query = Query(site_id=SITE, date_range=RANGE, **fields)  # type: ignore[arg-type]
    decision = decide_imports(query, active)
    return run_query(decision.query), decision.reason


def test_top_stats_are_the_files_sums(imported: ActiveImport) -> None:
    metrics = ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration")
    rows, reason = ask(imported, metrics=metrics)
    assert reason is None
    # imported_visitors: visitors 10+5, pageviews 30+10, bounces 4+1, visits 12+5, duration 600+250
    assert rows == [
        {
            "visitors": 15,
            "visits": 17,
            "pageviews": 40,
            "views_per_visit": 2.35,
            "bounce_rate": 29,
            "visit_duration": 50,
        }
    ]


def test_native_and_imported_add_up(imported: ActiveImport) -> None:
    now = dt.datetime.now(dt.UTC)
    seed([make_event(SITE, timestamp=now, visitor_id=1), make_event(SITE, timestamp=now, visitor_id=2)])
    rows, _ = ask(imported, metrics=("visitors", "pageviews"))
    assert rows == [{"visitors": 17, "pageviews": 42}]
    without, reason = ask(None, metrics=("visitors", "pageviews"))
    assert without == [{"visitors": 2, "pageviews": 2}] and reason == "no_imported_data"


def test_the_chart_has_the_imported_days(imported: ActiveImport) -> None:
    rows, _ = ask(imported, metrics=("visitors",), dimensions=("time:day",))
    by_day = {str(row["time:day"]): int(str(row["visitors"])) for row in rows}
    assert by_day[FIRST.isoformat()] == 10
    assert by_day[(FIRST + dt.timedelta(days=1)).isoformat()] == 5
    assert sum(by_day.values()) == 15
    _hours, reason = ask(imported, metrics=("visitors",), dimensions=("time:hour",))
    assert reason == "unsupported_interval"


def test_cards_break_down_by_their_family(imported: ActiveImport) -> None:
    sources, _ = ask(imported, metrics=("visitors", "bounce_rate"), dimensions=("visit:source",))
    assert sources == [
        {"visit:source": "Google", "visitors": 7, "bounce_rate": 25},
        {"visit:source": "Newsletter", "visitors": 5, "bounce_rate": 20},
        {"visit:source": "Direct / None", "visitors": 3, "bounce_rate": 50},
    ]
    channels, _ = ask(imported, metrics=("visitors",), dimensions=("visit:channel",))
    assert {r["visit:channel"]: r["visitors"] for r in channels} == {
        "Organic Search": 7,
        "Email": 5,
        "Direct": 3,
    }
    pages, _ = ask(imported, metrics=("visitors", "pageviews"), dimensions=("event:page",))
    assert pages == [
        {"event:page": "/", "visitors": 13, "pageviews": 30},
        {"event:page": "/blog", "visitors": 3, "pageviews": 10},
    ]
    entry, _ = ask(imported, metrics=("visits", "bounce_rate"), dimensions=("visit:entry_page",))
    assert entry[0] == {"visit:entry_page": "/", "visits": 14, "bounce_rate": 29}
    countries, _ = ask(imported, metrics=("visitors", "percentage"), dimensions=("visit:country",))
    assert countries == [
        {"visit:country": "DE", "visitors": 11, "percentage": 73.3},
        {"visit:country": "US", "visitors": 4, "percentage": 26.7},
    ]
    cities, _ = ask(imported, metrics=("visitors",), dimensions=("visit:region", "visit:city"))
    assert cities == [  # DE-BE and US-CA, GeoNames 2950159 and 5391959: by name, as native rows
        {"visit:region": "Berlin", "visit:city": "Berlin", "visitors": 11},
        {"visit:region": "California", "visit:city": "San Francisco", "visitors": 4},
    ]
    browsers, _ = ask(imported, metrics=("visitors",), dimensions=("visit:browser",))
    assert browsers == [
        {"visit:browser": "Firefox", "visitors": 11},
        {"visit:browser": "Chrome", "visitors": 4},
    ]
    screens, _ = ask(imported, metrics=("visitors",), dimensions=("visit:screen",))
    assert screens[0] == {"visit:screen": "Desktop", "visitors": 12}


def test_a_filter_keeps_imported_rows_only_within_its_family(imported: ActiveImport) -> None:
    google = (Filter("is", "visit:source", ("Google",)),)
    rows, reason = ask(imported, metrics=("visitors",), filters=google)
    assert (rows, reason) == ([{"visitors": 7}], None)
    utm, _ = ask(imported, metrics=("visitors",), dimensions=("visit:utm_campaign",), filters=google)
    assert utm == []  # Google's rows have no campaign
    across, reason = ask(imported, metrics=("visitors",), dimensions=("visit:country",), filters=google)
    assert (across, reason) == ([], "unsupported_query")
    unanswerable, reason = ask(imported, metrics=("visitors", "time_on_page"))
    assert reason == "unsupported_query" and unanswerable == [{"visitors": 0, "time_on_page": 0}]


def test_goals_come_from_custom_events_and_pages(imported: ActiveImport) -> None:
    goals = (Goal(event_name="Signup"), Goal(page_path="/blog"))
    rows, reason = ask(
        imported, metrics=("visitors", "events", "conversion_rate"), dimensions=("event:goal",), goals=goals
    )
    assert reason is None
    assert rows == [  # a tie in visitors: by name
        {"event:goal": "Signup", "visitors": 3, "events": 4, "conversion_rate": 20.0},
        {"event:goal": "Visit /blog", "visitors": 3, "events": 10, "conversion_rate": 20.0},
    ]
    signups, _ = ask(
        imported,
        metrics=("visitors", "conversion_rate"),
        filters=(Filter("is", "event:goal", ("Signup",)),),
        goals=goals,
    )
    assert signups == [{"visitors": 3, "conversion_rate": 20.0}]


def test_days_outside_the_import_say_so(imported: ActiveImport) -> None:
    query = Query(
        site_id=SITE, date_range=DateRange(TODAY - dt.timedelta(days=7), TODAY, "UTC"), metrics=("visitors",)
    )
    assert decide_imports(query, imported).reason == "out_of_range"


def test_only_days_before_the_first_native_event_are_taken(events_table: None, tmp_path: Path) -> None:
    clear_imports()
    path = write_export(tmp_path / "export.zip", sample(FIRST), FIRST, FIRST + dt.timedelta(days=1))
    loaded = load_plausible(path, SITE, 8, import_kept_days(FIRST + dt.timedelta(days=1), None))
    assert (loaded.first, loaded.last, loaded.rows["imported_visitors"]) == (FIRST, FIRST, 1)
    chosen = load_plausible(path, SITE, 9, import_kept_days(None, (FIRST + dt.timedelta(days=1),) * 2))
    assert (chosen.first, chosen.rows["imported_sources"]) == (FIRST + dt.timedelta(days=1), 1)
    clear_imports()


def test_closed_days_sums_and_imported_rows_add_up(imported: ActiveImport) -> None:
    from analytics import build_closed_days

    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    seed([make_event(SITE, timestamp=old, visitor_id=v, referrer_source="Google") for v in (1, 2, 3)])
    assert build_closed_days(SITE, "UTC", (), dt.datetime.now(dt.UTC)) > 0
    rows, reason = ask(imported, metrics=("visitors",), dimensions=("visit:source",))
    assert reason is None
    assert rows[0] == {"visit:source": "Google", "visitors": 7 + 3}
    top, _ = ask(imported, metrics=("visitors", "percentage"), dimensions=("visit:source",))
    assert top[0] == {"visit:source": "Google", "visitors": 10, "percentage": 55.6}  # of 15 + 3
