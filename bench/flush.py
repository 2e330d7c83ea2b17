"""Events per second the flusher moves from the Redis stream into the event store, against the engine's
own speed at inserting the very same lines (no Redis, no flusher) measured in the same run.

The stream is filled the way web processes fill it: 16 request threads each pushing one event at a
time through group commit, so stream entries hold the groups that concurrency forms. A throwaway
Redis server and a fresh chDB data directory are made for the run; every event is checked to have
arrived exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import BenchError, Figures, Settings, progress
from ingest.groupcommit import GroupCommit

LABELS = {
    "flush_eps": "events/s moved Redis stream -> event store by the flusher",
    "insert_eps": "events/s the engine inserts the same JSON lines directly",
    "flush_ratio": "flusher / direct insert",
    "flush_events": "events moved (each checked to arrive exactly once)",
    "flush_events_per_entry": "events per stream entry, as group commit formed them",
}
BATCH = 10_000  # stream entries a flusher batch takes


def visitors_for(events: int) -> int:
    """Each visitor makes three events, 0.1 s apart: one visit each."""
    return (events + 2) // 3


PUSH_THREADS = 16


def _lines(count: int) -> list[bytes]:
    from analytics.schema import Event
    from ingest.visits import assign

    rng = random.Random(7)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    paths = [f"/blog/post-{i}" for i in range(300)]
    sources = ["", "Google", "DuckDuckGo", "Hacker News", "Reddit", "Bing"]
    visitors = [rng.getrandbits(64) for _ in range(visitors_for(count))]  # 3 events a visit, as on real sites
    events = []
    for i in range(count):
        events.append(
            Event(
                site_id=1,
                timestamp=start + dt.timedelta(seconds=i * 0.05),  # a visitor's 3 events 0.1 s apart
                event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                name="pageview" if i % 12 else "Signup",
                visitor_id=visitors[i // 3],
                hostname="bench.example",
                pathname=rng.choice(paths),
                referrer_source=rng.choice(sources),
                channel="Organic Search",
                country_code=rng.choice(("DE", "US", "GB", "FR", "SE")),
                browser=rng.choice(("Chrome", "Firefox", "Safari")),
                browser_version="131.0",
                os="Linux",
                device="Desktop",
                screen_size="Laptop",
                prop_keys=("plan",) if i % 12 == 0 else (),
                prop_values=("pro",) if i % 12 == 0 else (),
            )
        )
    return assign(events)  # their visits decided, as ingest does before the buffer


def _count(table: str) -> tuple[int, int]:
    from analytics import client

    sql = f"SELECT count(), uniqExact(event_id) FROM {table}"
    row = client.execute(sql, tag="bench").rows[0]
    return int(row[0]), int(row[1])


def flusher_vs_insert(settings: Settings) -> Figures:
    from tests.services import Redis

    count = 200_000 if settings.quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="lantern-bench-flush-") as tmp:
        os.environ["CLICKHOUSE_URL"] = f"chdb://{Path(tmp) / 'clickhouse'}"
        from analytics import client
        from clickhouse.migrate import migrate
        from ingest.buffer import RedisStreamBuffer
        from ingest.flusher import Flusher

        client.close()
        migrate()
        client.command("CREATE TABLE direct AS events")
        lines = _lines(count)
        progress(f"inserting {count:,} events directly")
        started = time.perf_counter()
        for at in range(0, count, BATCH):
            client.insert_json_lines("direct", lines[at : at + BATCH], token=f"direct:{at}")
        insert_s = time.perf_counter() - started

        redis = Redis.start(Path(tmp) / "redis")
        try:
            buffer = RedisStreamBuffer(redis.url, stream="bench:events", consumer="bench")
            progress(f"filling the Redis stream with {count:,} events from {PUSH_THREADS} threads")
            _fill(GroupCommit(buffer), lines)
            entries = buffer.pending()
            flusher = Flusher(buffer, batch_size=BATCH)
            progress("flushing")
            started = time.perf_counter()
            moved = 0
            while moved < count:
                done = flusher.flush_once(wait_s=0.1)
                if not done:
                    break
                moved += done
            flush_s = time.perf_counter() - started
        finally:
            redis.stop()
        stored = _count("events")
        visits = _visits()
        client.close()
    if stored != (count, count):
        raise BenchError(f"{count} events were flushed but the store holds {stored} (count, unique)")
    if visits != visitors_for(count):
        raise BenchError(f"{visitors_for(count)} visits were made but the visits table holds {visits}")
    flush_eps, insert_eps = count / flush_s, count / insert_s
    return {
        "flush_eps": round(flush_eps),
        "insert_eps": round(insert_eps),
        "flush_ratio": round(flush_eps / insert_eps, 3),
        "flush_events": count,
        "flush_events_per_entry": round(count / entries, 1),
    }


def _visits() -> int:
    from analytics import client

    sql = "SELECT count() FROM (SELECT visit_id FROM visits GROUP BY visit_id HAVING sum(events) > 0)"
    return int(client.execute(sql, tag="bench").rows[0][0])


def _fill(buffer: GroupCommit, lines: list[bytes]) -> None:
    """Push every line once, one line a push, from PUSH_THREADS threads at once."""

    def pusher(part: list[bytes]) -> None:
        for line in part:
            buffer.push([line])

    threads = [threading.Thread(target=pusher, args=(lines[i::PUSH_THREADS],)) for i in range(PUSH_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
