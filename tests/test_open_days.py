"""The open days of a page, read once (``analytics.open_days``): the cards of a page take their rows
from one scan of the events the sums do not hold, and answer exactly as reading every event does; a
new event, a filter or a write is a new read. And its closed days' sums, read once
(``analytics.page_sums``): another range or filter is another read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from analytics import client, open_days, page_sums, run_query, visit_days
from analytics.closed_days import build, read_sql
from analytics.filters import Filter
from analytics.page_sums import Sums
from analytics.periods import DateRange
from analytics.prop_keys import top_prop_keys
from analytics.query import Plan, Query, VisitDay
from analytics.schema import Event
from tests.conftest import make_event, seed
from tests.test_closed_days import GOALS, LAST, NOW, SITE, stored  # noqa: F401 - a fixture
from tests.test_query import VISIT_METRICS

MONTH = DateRange(LAST - dt.timedelta(days=9), LAST, "Europe/Berlin")


def page(date_range: DateRange = MONTH, filters: tuple[Filter, ...] = ()) -> list[Query]:
    """The first view of a dashboard: top stats, chart, the visit cards (one with shares), goals."""

    def query(metrics: tuple[str, ...], *dims: str) -> Query:
        return Query(SITE, date_range, metrics, dims, filters, goals=GOALS, limit=250)

    return [
        query((*VISIT_METRICS, "time_on_page")),
        query(("visitors", "pageviews"), "time:day"),
        query(("visitors",), "visit:channel"),
        query(("visitors", "percentage"), "visit:country"),
        query(("visitors", "bounce_rate"), "visit:browser"),
        query(("visitors", "events", "conversion_rate"), "event:goal"),
        query(("visitors", "time_on_page"), "event:page"),
    ]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many scans ``open_days`` made (each still runs, on the real engine)."""
    made: list[int] = []
    scan = open_days._read

    def counted(plan: Any) -> Any:
        made.append(1)
        return scan(plan)

    monkeypatch.setattr(open_days, "_read", counted)
    yield made


@pytest.fixture
def sums_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many reads of closed days' sums ``page_sums`` made (each still runs, on the real engine)."""
    made: list[int] = []
    read = page_sums._read

    def counted(*args: Any) -> Any:
        made.append(1)
        return read(*args)

    monkeypatch.setattr(page_sums, "_read", counted)
    yield made


@pytest.fixture
def built(stored: list[Event]) -> Iterator[list[list[dict[str, Any]]]]:  # noqa: F811 - the imported fixture
    client.command("TRUNCATE TABLE day_sums")
    raw = [run_query(q) for q in page()]  # nothing built yet: every event read
    build(SITE, "Europe/Berlin", GOALS, NOW)
    yield raw
    client.command("TRUNCATE TABLE day_sums")


def test_a_page_reads_its_open_days_once_and_answers_as_every_event_does(
    built: list[Any], reads: list[int]
) -> None:
    with ThreadPoolExecutor(4) as pool:  # as the page's requests arrive: together
        answers = list(pool.map(run_query, page()))
    assert answers == built
    assert len(reads) == 1
    assert open_days.served(Plan(page()[5]))  # the goals card's rows too
    assert all(read_sql(q) is not None for q in page())  # each took the closed days' sums


def test_a_page_reads_its_closed_days_sums_once_and_each_range_again_and_filtered_cards_their_own(
    built: list[Any], sums_reads: list[int]
) -> None:
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run_query, page())) == built
    keys = top_prop_keys(SITE, MONTH)  # the custom properties card's keys: from that read too
    assert len(sums_reads) == 1  # the pages card reads its own sums: too many rows to share
    earlier = DateRange(MONTH.first - dt.timedelta(days=1), MONTH.last - dt.timedelta(days=1), MONTH.tz)
    clicked = (Filter("is", "visit:source", ("Google",)),)
    shifted, filtered = [run_query(q) for q in page(earlier)], [run_query(q) for q in page(filters=clicked)]
    assert len(sums_reads) == 2  # under a filter, each card reads its own kind
    client.command("TRUNCATE TABLE day_sums")  # and so says reading every event
    assert shifted == [run_query(q) for q in page(earlier)]
    assert filtered == [run_query(q) for q in page(filters=clicked)]
    assert keys == top_prop_keys(SITE, MONTH) == ["plan"]


def test_only_the_kinds_of_the_page_cards_are_read_at_once() -> None:
    """Any other kind is read on its own (``rows`` answers None): the pages, any kind under a filter (a
    card's, a breakdown by the filtered dimension), a custom property key ending like a card's kind."""
    moment = dt.datetime.combine(LAST, dt.time(12))
    days = [VisitDay(LAST, 1, moment, moment)]
    clicked = ("filter_value", "Google")
    assert page_sums.rows(SITE, Sums(("time:day", "Europe/Berlin")), days) == []
    assert page_sums.rows(SITE, Sums(("visit:source|time:day", "Europe/Berlin"), *clicked), days) is None
    assert page_sums.rows(SITE, Sums(("event:props:x|time:day", "")), days) is None
    assert page_sums.rows(SITE, Sums(("visit:source", ""), "value", "Google"), days) is None
    assert page_sums.rows(SITE, Sums(("event:page", "")), days) is None


def test_a_new_event_on_the_open_day_is_in_the_next_answer(built: list[Any], reads: list[int]) -> None:
    channel = page()[2]
    run_query(channel)
    moment = dt.datetime.combine(LAST, dt.time(11), dt.UTC)
    seed([make_event(SITE, timestamp=moment, visitor_id=424_242, channel="Email")])
    after = run_query(channel)
    assert {"visit:channel": "Email", "visitors": 1} in after
    assert len(reads) == 2
    client.command("TRUNCATE TABLE day_sums")  # and so says reading every event
    assert run_query(channel) == after


def test_the_cards_of_one_page_load_scan_its_open_day_once_whatever_arrives_meanwhile(
    built: list[Any], reads: list[int]
) -> None:
    """The requests of one page load share the days' counts (``visit_days.one_page``): an event inserted
    between two of its cards is not a new scan. The next page load sees it, as does a read without a
    token (the API's)."""
    channel, country = page()[2], page()[3]
    moment = dt.datetime.combine(LAST, dt.time(11), dt.UTC)
    with visit_days.one_page("load1"):
        before = run_query(channel)
        seed([make_event(SITE, timestamp=moment, visitor_id=424_242, channel="Paid Video")])
        run_query(country)
        assert run_query(channel) == before
    assert len(reads) == 1
    with visit_days.one_page("load2"):
        after = run_query(channel)
    assert [row for row in after if row not in before] == [{"visit:channel": "Paid Video", "visitors": 1}]
    assert len(reads) == 2
    assert run_query(channel) == after
    client.command("TRUNCATE TABLE day_sums")  # and so says reading every event
    assert run_query(channel) == after


def test_a_page_token_is_letters_and_digits() -> None:
    for bad in ("a b", "x" * 41, "é", "a-b"):
        with pytest.raises(ValueError, match="page token"), visit_days.one_page(bad):
            pass
    with visit_days.one_page(""), visit_days.one_page("Ab09" * 10):
        pass


def test_each_filter_is_its_own_read(built: list[Any], reads: list[int]) -> None:
    clicked = (Filter("is", "visit:source", ("Google",)),)
    run_query(page()[2])
    filtered = [run_query(q) for q in page(filters=clicked)]
    assert len(reads) == 2
    client.command("TRUNCATE TABLE day_sums")
    assert filtered == [run_query(q) for q in page(filters=clicked)]


def test_an_entry_serves_only_for_a_while(
    built: list[Any], reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_query(page()[2])
    run_query(page()[3])
    assert len(reads) == 1
    monkeypatch.setattr(open_days, "TTL", -1.0)  # every entry now older than it serves
    run_query(page()[4])
    assert len(reads) == 2


@pytest.fixture
def counts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads of the days' counts (``day_events``) made meanwhile (each still runs on the engine)."""
    made: list[str] = []
    execute = client.execute

    def execute_counted(sql: str, *args: Any, **kwargs: Any) -> client.Result:
        made.extend([sql] if "FROM day_events" in sql else [])
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(client, "execute", execute_counted)
    return made


def test_a_page_reads_the_days_counts_once_and_again_when_they_are_older_than_they_serve(
    built: list[Any], counts_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [run_query(q) for q in page()]
    assert len(counts_read) == 1
    assert answers == built
    monkeypatch.setattr(visit_days, "COUNTS_TTL", -1.0)  # every entry now older than it serves
    run_query(page()[2])
    run_query(page()[3])
    assert len(counts_read) == 3


def test_with_a_server_every_query_reads_the_days_counts_afresh(
    built: list[Any], counts_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """There the flusher is another process, whose inserts this one's writes do not count: a count kept
    for a page could lag the visits read beside it."""
    monkeypatch.setattr(visit_days, "is_embedded_clickhouse", lambda: False)  # as with a server's URL
    assert [run_query(q) for q in page()] == built
    assert len(counts_read) == len(page())
