"""A source's spellings are one row (issue 19, defect 7): a campaign naming no known source keeps its
own spelling when stored ("Newsletter", "newsletter"), and every query groups and filters sources
ignoring case, showing each group in its first spelling in sort order; read raw, from closed days'
sums or with imported days added, the answer is the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from analytics import ActiveImport, Filter, Query, decide_imports, run_query
from analytics.closed_days import FOLDED, build, read_sql, variant
from analytics.periods import DateRange
from analytics.schema import Event
from ingest.referrer import attribute
from tests.conftest import make_event, seed
from tests.test_import_query import SITE as IMPORT_SITE
from tests.test_import_query import imported  # noqa: F401  # a fixture used by name

SITE = 31
DAY = dt.date(2026, 11, 20)
RANGE = DateRange(DAY, DAY, "UTC")
WEEK = DateRange(DAY - dt.timedelta(days=6), DAY, "UTC")
NOW = dt.datetime.combine(DAY + dt.timedelta(days=3), dt.time(12), dt.UTC)  # every day of WEEK closed
METRICS = ("visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "time_on_page")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def visit(visitor: int, start: dt.datetime, source: str, pages: int = 1) -> list[Event]:
    """A visit from ``source`` of ``pages`` pageviews a minute apart, with an engagement event."""
    events = [
        make_event(
            SITE, timestamp=start + dt.timedelta(minutes=i), visitor_id=visitor, referrer_source=source
        )
        for i in range(pages)
    ]
    events.append(
        make_event(
            SITE,
            timestamp=start + dt.timedelta(seconds=30),
            visitor_id=visitor,
            name="engagement",
            engagement_time=10_000,
            referrer_source=source,
        )
    )
    return events


@pytest.fixture
def spelled(events_table: None) -> None:
    """On DAY: visitor 1 twice (as "Newsletter", then as "newsletter"), visitor 2 as "newsletter",
    visitors 3 and 4 as "Ölnews" and "ölnews", visitor 5 from Google, visitor 6 direct; the day before,
    visitor 7 as "NEWSLETTER"."""
    seed(
        [
            *visit(1, at(9), "Newsletter", pages=2),
            *visit(1, at(11), "newsletter"),
            *visit(2, at(10), "newsletter", pages=3),
            *visit(3, at(10), "Ölnews"),
            *visit(4, at(12), "ölnews"),
            *visit(5, at(13), "Google"),
            *visit(6, at(14), ""),
            *visit(7, at(9, day=DAY - dt.timedelta(days=1)), "NEWSLETTER"),
        ]
    )


def breakdown(date_range: DateRange = RANGE, **fields: Any) -> list[dict[str, Any]]:
    fields.setdefault("metrics", METRICS)
    return run_query(Query(SITE, date_range, dimensions=("visit:source",), **fields))


def test_ingest_keeps_an_unknown_campaign_sources_spelling() -> None:
    assert (
        attribute(referrer="", query="utm_source=Newsletter", own_host="example.com").source == "Newsletter"
    )
    assert (
        attribute(referrer="", query="utm_source=newsletter", own_host="example.com").source == "newsletter"
    )
    assert attribute(referrer="", query="utm_source=GOOGLE", own_host="example.com").source == "Google"


def test_spellings_are_one_row_shown_in_their_first_spelling(spelled: None) -> None:
    rows = breakdown()
    assert [(r["visit:source"], r["visitors"], r["visits"], r["pageviews"]) for r in rows] == [
        ("Newsletter", 2, 3, 6),  # visitor 1 counted once for both spellings
        ("Ölnews", 2, 2, 2),
        ("Direct / None", 1, 1, 1),
        ("Google", 1, 1, 1),
    ]
    newsletter = rows[0]
    assert newsletter["bounce_rate"] == 33  # one bounce of three visits
    assert newsletter["time_on_page"] == 15  # (visitor 1's 20 s on / + visitor 2's 10 s) / 2: its own branch
    # the day before, "NEWSLETTER" is first in sort order: the same row over the two days
    week = breakdown(WEEK, metrics=("visitors",))
    assert week[0] == {"visit:source": "NEWSLETTER", "visitors": 3}


def test_a_filter_on_a_source_takes_every_spelling(spelled: None) -> None:
    def visitors(*filters: Filter) -> int:
        rows = run_query(Query(SITE, RANGE, ("visitors",), filters=filters))
        return int(rows[0]["visitors"])

    assert visitors(Filter("is", "visit:source", ("newsletter",))) == 2
    assert visitors(Filter("is", "visit:source", ("NEWSLETTER", "ÖLNEWS"))) == 4
    assert visitors(Filter("is_not", "visit:source", ("Newsletter",))) == 4
    assert visitors(Filter("is", "visit:source", ("NEWS*",))) == 2  # a wildcard ignores case too
    assert visitors(Filter("is", "visit:source", ("direct / none",))) == 1
    assert visitors(Filter("contains", "visit:source", ("NEWS",))) == 4
    # other dimensions keep their case
    assert run_query(Query(SITE, RANGE, ("visitors",), filters=(Filter("is", "event:page", ("/X",)),))) == [
        {"visitors": 0}
    ]


def test_under_an_event_dimension_and_a_filter_the_rows_still_fold(spelled: None) -> None:
    rows = run_query(
        Query(
            SITE,
            RANGE,
            ("visitors", "visits", "bounce_rate"),
            dimensions=("event:page", "visit:source"),
            filters=(Filter("is", "visit:source", ("newsletter", "google")),),
        )
    )
    assert rows == [
        {"event:page": "/", "visit:source": "Newsletter", "visitors": 2, "visits": 3, "bounce_rate": 33},
        {"event:page": "/", "visit:source": "Google", "visitors": 1, "visits": 1, "bounce_rate": 100},
    ]


@pytest.fixture
def week(events_table: None) -> None:
    """A week of visits, each day's sources in several spellings (no sums written yet)."""
    events: list[Event] = []
    spellings = ["Newsletter", "newsletter", "NEWSLETTER", "Google", "", "Ölnews", "ölnews"]
    visitor = 100
    for offset in range(7):
        day = DAY - dt.timedelta(days=offset)
        for index, source in enumerate(spellings[offset % 3 :]):
            visitor += 1
            events += visit(visitor, at(8 + index, day=day), source, pages=1 + index % 3)
            if index % 2:  # the same visitor again, in another spelling
                events += visit(visitor, at(20, day=day), source.swapcase())
    seed(events)


@pytest.mark.parametrize(
    "filters",
    [(), (Filter("is", "visit:source", ("NEWSLETTER",)),), (Filter("is", "visit:source", ("ölNEWS",)),)],
)
def test_closed_days_sums_fold_as_every_event_does(week: None, filters: tuple[Filter, ...]) -> None:
    metrics = ("visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "percentage")
    asked = [Query(SITE, WEEK, metrics, dims, filters) for dims in (("visit:source",), ("event:page",), ())]
    assert all(read_sql(query) is None for query in asked)  # nothing built: read raw
    raw = [run_query(query) for query in asked]
    assert build(SITE, "UTC", (), NOW) > 0
    assert all(read_sql(query) is not None for query in asked)  # every one from the sums now
    assert [run_query(query) for query in asked] == raw
    shown = [str(row["visit:source"]) for row in raw[0]]
    assert len(shown) == len({name.lower() for name in shown}) == (1 if filters else 4)


def test_sums_of_a_folded_dimension_are_a_kind_of_their_own() -> None:
    """Sums written before sources folded case are not read as these (their variant differs)."""
    assert variant("visit:source", "UTC", ()) == FOLDED
    assert variant("event:page", "UTC", (), "visit:source") == FOLDED
    assert variant("time:day", "Europe/Berlin", (), "visit:source") == f"Europe/Berlin|{FOLDED}"
    assert variant("event:page", "UTC", (), "event:page") == ""


def test_imported_and_native_spellings_are_one_row(imported: ActiveImport) -> None:  # noqa: F811
    now = dt.datetime.now(dt.UTC)
    seed([make_event(IMPORT_SITE, timestamp=now, visitor_id=v, referrer_source="newsletter") for v in (1, 2)])
    first = imported.first - dt.timedelta(days=3)
    query = Query(IMPORT_SITE, DateRange(first, now.date(), "UTC"), ("visitors",), ("visit:source",))
    decision = decide_imports(query, imported)
    assert decision.included
    rows = run_query(decision.query)
    assert {"visit:source": "Newsletter", "visitors": 7} in rows  # 5 imported, 2 native
    assert [r["visit:source"] for r in rows].count("Newsletter") == 1
