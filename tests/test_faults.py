"""Nothing lost, nothing doubled: each accepted event is stored exactly once across the faults Lantern
must survive — a flusher killed mid-batch, Redis restarted, Redis unreachable, ClickHouse away for a
while, the web process killed.

Real Redis servers (each test that stops one starts its own), real PostgreSQL, the real engine. Every
event carries a pathname of its own; each test checks that ``count()``, ``uniqExact(event_id)`` and
``uniqExact(pathname)`` all equal the number of accepted events. Waits are for a state, with a deadline
that only turns a hang into a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from analytics import client
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import (
    Batch,
    Buffer,
    FallbackBuffer,
    Push,
    RedisStreamBuffer,
    SpoolBuffer,
    spool_is_empty,
    start_replayer,
)
from ingest.flusher import Flusher, clickhouse_sink, start_thread
from tests.conftest import Persona, make_event, pipeline_for, wait_until
from tests.services import Redis, free_port
from tests.wsgi import call

ROOT = Path(__file__).resolve().parent.parent
SITE = 5151  # events pushed straight into a buffer (no HTTP) use this site id
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def totals(site_id: int = SITE) -> tuple[int, int, int]:
    """count(), uniqExact(event_id), uniqExact(pathname) of one site's stored events."""
    row = client.execute(
        "SELECT count(), uniqExact(event_id), uniqExact(pathname) FROM events WHERE site_id = {s:UInt64}",
        {"s": site_id},
    ).rows[0]
    return int(row[0]), int(row[1]), int(row[2])


def records(start: int, stop: int) -> list[bytes]:
    return [make_event(SITE, pathname=f"/e/{i}").to_json() for i in range(start, stop)]


def pathnames(lines: Sequence[bytes]) -> list[str]:
    return [json.loads(line)["pathname"] for line in lines]


def push_in_fives(buffer: Buffer, start: int, stop: int) -> None:
    """Pushes of five records; each push that reaches Redis is one stream entry."""
    for first in range(start, stop, 5):
        buffer.push(records(first, min(first + 5, stop)))


def buffered(stream: RedisStreamBuffer) -> int:
    """Records in the stream, delivered or not: an entry holds one push's records, one a line.

    ``stream.pending()`` (XLEN) counts entries: pushes, and replayed records.
    """
    entries: Any = stream.redis.xrange(stream.stream)
    return sum(len(fields[b"e"].split(b"\n")) for _, fields in entries)


def drain(buffer: Buffer, batch_size: int = 7) -> None:
    flusher = Flusher(buffer, batch_size=batch_size)
    while flusher.flush_once(wait_s=0):
        pass


def post(app: IngestApp, path: str, n: int) -> int:
    body = json.dumps({"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}).encode()
    response = call(
        app, "POST", "/api/event", body, headers={"User-Agent": UA}, remote_addr=f"198.51.100.{n % 250}"
    )
    assert "X-Lantern-Dropped" not in response.headers
    return response.status


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Redis]]:
    """Redis servers of this test's own (append-only, fsync always); the last one is the live one."""
    started = [Redis.start(tmp_path / "redis")]
    yield started
    for server in started:
        server.stop()


def web_app(accounts: AccountsDB, buffer: Buffer, tmp_path: Path) -> IngestApp:
    return IngestApp(pipeline_for(accounts), buffer, (), TrackerFiles(tmp_path))


# -- a. the flusher killed mid-batch ------------------------------------------------------------------


@pytest.mark.parametrize("successor", ["the same consumer", "another consumer"])
def test_a_flusher_killed_with_sigkill_mid_batch_loses_and_doubles_nothing(
    successor: str, servers: list[Redis], tmp_path: Path, events_table: None
) -> None:
    url = servers[-1].url
    push_in_fives(RedisStreamBuffer(url), 0, 40)  # 8 entries of 5 records
    # A real flusher process: it takes a batch, then cannot insert (nothing listens where its
    # ClickHouse should be), so it holds the batch unacknowledged and retries — until SIGKILL.
    log = tmp_path / "flusher.log"
    env = {
        **os.environ,
        "REDIS_URL": url,
        "CLICKHOUSE_URL": f"http://127.0.0.1:{free_port()}/",
        "FLUSHER_NAME": "doomed",
        "LANTERN_DATA_DIR": str(tmp_path / "var"),
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest.flusher"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: b"flush failed" in log.read_bytes(), "the flusher to take a batch and fail")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    stream = RedisStreamBuffer(url)
    # every entry read (the 40 records in one batch), none acknowledged
    assert stream.redis.xpending(stream.stream, stream.group)["pending"] == stream.pending() == 8
    assert buffered(stream) == 40
    assert totals() == (0, 0, 0)

    consumer, claim_idle_ms = ("doomed", 60_000) if successor == "the same consumer" else ("heir", 0)
    drain(RedisStreamBuffer(url, consumer=consumer, claim_idle_ms=claim_idle_ms))

    assert totals() == (40, 40, 40)
    assert stream.pending() == 0 and stream.redis.hlen(stream.batches_key) == 0


@pytest.mark.parametrize("successor", ["the same consumer", "another consumer"])
def test_a_flusher_killed_after_its_insert_but_before_its_ack_is_not_counted_twice(
    successor: str, redis_url: str, events_table: None
) -> None:
    stream = f"test:{uuid.uuid4().hex}"
    push_in_fives(RedisStreamBuffer(redis_url, stream=stream), 0, 25)  # 5 entries of 5 records
    first = RedisStreamBuffer(redis_url, stream=stream, consumer="dying").read(2, 0)  # 2 entries
    assert first is not None and pathnames(first.records) == [f"/e/{i}" for i in range(10)]
    clickhouse_sink("events", first.records, first.token)  # the insert lands; SIGKILL before the ack
    in_flight = [(first.token, first.records)]
    if successor == "another consumer":  # a second dead flusher: their pending entries interleave
        second = RedisStreamBuffer(redis_url, stream=stream, consumer="dying-too").read(2, 0)
        assert second is not None and pathnames(second.records) == [f"/e/{i}" for i in range(10, 20)]
        in_flight.append((second.token, second.records))

    consumer, claim_idle_ms = ("dying", 60_000) if successor == "the same consumer" else ("heir", 0)
    heir = RedisStreamBuffer(redis_url, stream=stream, consumer=consumer, claim_idle_ms=claim_idle_ms)
    inserts: list[tuple[str, tuple[bytes, ...]]] = []

    def recording_sink(table: str, lines: Sequence[bytes], token: str) -> None:
        inserts.append((token, tuple(lines)))
        clickhouse_sink(table, lines, token)

    flusher = Flusher(heir, recording_sink, batch_size=1)  # another batch size than the dead ones'
    while flusher.flush_once(wait_s=0):
        pass

    # the batches in flight came back whole (2 entries each, though the heir takes 1), each under its
    # first token; then new batches of one entry, 5 records
    resumed, new = inserts[: len(in_flight)], inserts[len(in_flight) :]
    assert sorted(resumed) == sorted(in_flight)
    assert [len(lines) for _, lines in new] == ([5, 5, 5] if len(in_flight) == 1 else [5])
    assert totals() == (25, 25, 25)
    redis.Redis.from_url(redis_url).delete(stream, heir.batches_key)


# -- b. Redis restarted -------------------------------------------------------------------------------


class HeldSink:
    """The real insert; once ``hold`` is set, the next insert returns only when ``release`` is set.

    That stops the flusher between a successful insert and its ack while the test stops Redis.
    """

    def __init__(self) -> None:
        self.hold, self.holding, self.release = threading.Event(), threading.Event(), threading.Event()
        self.tokens: list[str] = []
        self.held_token = ""

    def __call__(self, table: str, lines: Sequence[bytes], token: str) -> None:
        clickhouse_sink(table, lines, token)
        self.tokens.append(token)
        if self.hold.is_set() and not self.release.is_set():
            self.held_token = token
            self.holding.set()
            self.release.wait(20)


class AckWatch(RedisStreamBuffer):
    """The flusher's stream, telling the test when an acknowledgement failed."""

    ack_failed = threading.Event()

    def ack(self, batch: Batch) -> None:
        try:
            super().ack(batch)
        except Exception:
            self.ack_failed.set()
            raise


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_redis_restarted_during_ingest_and_flush_loses_and_doubles_nothing(
    how: str,
    servers: list[Redis],
    accounts: AccountsDB,
    site: Persona,
    tmp_path: Path,
    events_table: None,
) -> None:
    url = servers[-1].url
    web = FallbackBuffer(RedisStreamBuffer(url), tmp_path / "fallback", retry_after_s=0)
    app = web_app(accounts, web, tmp_path)
    sink = HeldSink()
    stream = AckWatch(url, consumer="flusher-1")
    stream.ack_failed = threading.Event()
    flusher = Flusher(stream, sink, batch_size=25)
    flushing, stop_flushing = start_thread(flusher, interval_s=0.02, max_backoff_s=0.2)
    replaying, stop_replaying = start_replayer(web, interval_s=0.02, max_backoff_s=0.2)
    try:
        for i in range(60):
            assert post(app, f"/b/{i}", i) == 202
        sink.hold.set()
        for i in range(60, 90):
            assert post(app, f"/b/{i}", i) == 202
        assert sink.holding.wait(20), "the flusher never inserted a batch"
        # the flusher has inserted a batch and not yet acknowledged it: now Redis goes away
        if how == "SIGTERM":
            servers[-1].stop()
        else:
            servers[-1].kill()
        sink.release.set()  # its ack meets a dead Redis; it keeps the batch and retries
        for i in range(90, 150):
            assert post(app, f"/b/{i}", i) == 202  # spooled
        assert web.spooled()
        wait_until(stream.ack_failed.is_set, "the held batch's acknowledgement to fail")
        servers.append(servers[-1].start_again())
        for i in range(150, 200):
            assert post(app, f"/b/{i}", i) == 202
        wait_until(
            lambda: not web.spooled() and web.pending() == 0 and totals(site.site.id)[0] >= 200,
            "every event to arrive",
        )
    finally:
        stop_flushing.set()
        stop_replaying.set()
        flushing.join(20)
        replaying.join(20)
    assert totals(site.site.id) == (200, 200, 200)
    # the batch whose ack failed was inserted again after the restart, under its token: kept once
    assert sink.tokens.count(sink.held_token) == 2
    assert web.primary.redis.hlen(web.primary.batches_key) == 0


# -- c. ClickHouse unavailable ------------------------------------------------------------------------


class CountingSink:
    def __init__(self) -> None:
        self.failures = 0

    def __call__(self, table: str, lines: Sequence[bytes], token: str) -> None:
        try:
            clickhouse_sink(table, lines, token)
        except Exception:
            self.failures += 1
            raise


@pytest.mark.parametrize("kind", ["redis", "spool"])
def test_clickhouse_unavailable_for_a_while_then_every_event_arrives_once(
    kind: str, redis_url: str, tmp_path: Path, events_table: None
) -> None:
    stream = f"test:{uuid.uuid4().hex}"
    buffer: RedisStreamBuffer | SpoolBuffer = (
        RedisStreamBuffer(redis_url, stream=stream) if kind == "redis" else SpoolBuffer(tmp_path / "spool")
    )
    sink = CountingSink()
    thread, stop = start_thread(Flusher(buffer, sink, batch_size=20), interval_s=0.02, max_backoff_s=0.2)
    try:
        push_in_fives(buffer, 0, 30)
        wait_until(lambda: totals()[0] == 30, "the first events")
        if isinstance(buffer, RedisStreamBuffer):  # and acknowledged: the flusher has finished with them
            wait_until(lambda: buffer.pending() == 0, "the first batches to be acknowledged")
        else:
            wait_until(lambda: spool_is_empty(buffer.directory), "the first segments to be acknowledged")
        client.command("DETACH TABLE events")
        try:
            push_in_fives(buffer, 30, 90)  # ingest goes on: 12 pushes of 5
            wait_until(lambda: sink.failures >= 3, "the flusher to fail and retry")
            # everything waits in the buffer (Redis or disk), nothing only in memory
            if isinstance(buffer, RedisStreamBuffer):
                assert buffer.pending() == 12 and buffered(buffer) == 60
            else:
                assert not spool_is_empty(buffer.directory)
        finally:
            client.command("ATTACH TABLE events")
        push_in_fives(buffer, 90, 120)
        wait_until(lambda: totals()[0] >= 120, "the events held back")
    finally:
        stop.set()
        thread.join(20)
    assert totals() == (120, 120, 120)
    if isinstance(buffer, RedisStreamBuffer):
        assert buffer.pending() == 0
        buffer.redis.delete(stream, buffer.batches_key)
    else:
        assert spool_is_empty(buffer.directory)


# -- d. the web process killed ------------------------------------------------------------------------


class Lantern:
    """Lantern as ``./dev serve`` runs it (gunicorn, spool, flusher thread, chDB in ``data_dir``), with
    accounts in the test run's PostgreSQL, so the test's site and API key work against it."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / "lantern.log"
        self.env = {k: v for k, v in os.environ.items() if k not in {"CLICKHOUSE_URL", "REDIS_URL"}}
        self.env.update(
            {
                "DATABASE_URL": database_url,
                "LANTERN_DATA_DIR": str(data_dir),
                "LANTERN_HTTPS": "0",
                "INGEST_RATE_PER_CLIENT": "0",  # one test client posts as fast as it can
                "INGEST_RATE_PER_SITE": "0",
            }
        )
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "clickhouse.migrate"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**self.env, "PORT": str(port), "BASE_URL": self.url}
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "panel.wsgi:application",
        ]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._serving, "Lantern to serve", timeout_s=60)

    def _serving(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"Lantern exited:\n{self.log.read_text()[-3000:]}")
        try:
            request = urllib.request.Request(self.url + "/api/event", method="OPTIONS")
            with urllib.request.urlopen(request, timeout=2) as response:
                return bool(response.status == 204)
        except OSError:
            return False

    def signal(self, signum: int) -> None:
        """Signal gunicorn's master and its worker at once (SIGKILL: no shutdown code runs at all)."""
        assert self.process is not None
        os.killpg(self.process.pid, signum)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def post(self, path: str) -> bool:
        """Whether the event was accepted (202 and not dropped); False for any failure."""
        body = json.dumps({"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"})
        request = urllib.request.Request(
            self.url + "/api/event",
            data=body.encode(),
            headers={"Content-Type": "text/plain", "User-Agent": UA},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status == 202 and response.headers.get("X-Lantern-Dropped") is None
        except (OSError, ValueError):  # refused, reset, or a status line cut off by the kill
            return False

    def pageviews_by_page(self, key: str) -> dict[str, int]:
        query = "site_id=example.com&period=day&property=event:page&metrics=pageviews&limit=1000"
        request = urllib.request.Request(
            f"{self.url}/api/v1/stats/breakdown?{query}", headers={"Authorization": f"Bearer {key}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return {row["page"]: row["pageviews"] for row in json.load(response)["results"]}


def test_the_web_process_killed_while_events_arrive_keeps_every_accepted_one_once(
    site: Persona, accounts: AccountsDB, tmp_path: Path
) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    lantern = Lantern(tmp_path / "var", f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    lantern.migrate()
    lantern.start()
    accepted: list[str] = []
    posted: list[str] = []
    lock = threading.Lock()

    def client_loop(name: str) -> None:
        for n in range(200):
            path = f"/d/{name}-{n}"
            with lock:
                posted.append(path)
            if not lantern.post(path):
                return  # the server is gone
            with lock:
                accepted.append(path)

    try:
        clients = [threading.Thread(target=client_loop, args=(str(i),)) for i in range(4)]
        for thread in clients:
            thread.start()
        wait_until(lambda: len(accepted) >= 150, "events to be accepted")
        lantern.signal(signal.SIGKILL)  # mid-stream: requests in flight, events in the open segment
        for thread in clients:
            thread.join(30)
        assert len(accepted) < len(posted) <= 800
        assert not spool_is_empty(tmp_path / "var" / "spool"), "the kill should leave events spooled"

        lantern.start()  # the same data directory: the dead process's spool is picked up
        pages: dict[str, int] = {}

        def all_accepted_arrived() -> bool:
            pages.update(lantern.pageviews_by_page(site.key))
            return set(accepted) <= set(pages)

        wait_until(all_accepted_arrived, "every accepted event after the restart")
    finally:
        if lantern.process is not None and lantern.process.poll() is None:
            lantern.signal(signal.SIGTERM)
    # every 202 is stored exactly once; nothing is doubled, not even an event whose answer was lost
    assert {page: pages[page] for page in accepted} == dict.fromkeys(accepted, 1)
    assert set(pages) <= set(posted) and set(pages.values()) == {1}


# -- e. Redis unreachable -----------------------------------------------------------------------------


def test_ingest_spools_while_redis_is_unreachable_and_replays_once_when_it_returns(
    accounts: AccountsDB, site: Persona, tmp_path: Path, events_table: None
) -> None:
    port = free_port()  # nothing listens here yet
    url = f"redis://127.0.0.1:{port}/0"
    root = tmp_path / "fallback"
    web = FallbackBuffer(RedisStreamBuffer(url), root)
    app = web_app(accounts, web, tmp_path)
    for i in range(30):
        assert post(app, f"/e/{i}", i) == 202
    assert web.spooled()
    with pytest.raises(redis.ConnectionError):
        web.replay_once()  # Redis is still out: everything stays spooled
    assert web.spooled()

    server = Redis.start(tmp_path / "redis", port=port)
    try:
        # The replayer moves the segment into the stream, and its process dies before unlinking it.
        segment = web.own_spool().read(0, 0)
        assert segment is not None
        assert web.move(segment) == 30
        web.close()  # what the kernel does for a killed process: its spool's lock is let go

        # A new web process starts; its replayer adopts the dead one's spool, sees the segment was
        # replayed, and only removes it.
        successor = FallbackBuffer(RedisStreamBuffer(url), root)
        successor_app = web_app(accounts, successor, tmp_path)
        for i in range(30, 40):
            assert post(successor_app, f"/e/{i}", i) == 202  # straight to Redis now
        assert successor.replay_once() == 0
        assert not successor.spooled() and list(root.iterdir()) == []
        assert buffered(successor.primary) == 40

        drain(RedisStreamBuffer(url))
        assert totals(site.site.id) == (40, 40, 40)
    finally:
        server.stop()


SPOOLING_WEB_PROCESS = """
import sys, time
from pathlib import Path
from ingest.buffer import FallbackBuffer, RedisStreamBuffer
web = FallbackBuffer(RedisStreamBuffer(sys.argv[1]), Path(sys.argv[2]))
for line in sys.stdin.buffer:
    web.push([line.rstrip(b"\\n")])
print("spooled", flush=True)
time.sleep(120)
"""


def test_the_spool_of_a_web_process_killed_while_redis_was_out_is_adopted_and_replayed_once(
    tmp_path: Path, events_table: None
) -> None:
    port = free_port()
    url, root = f"redis://127.0.0.1:{port}/0", tmp_path / "fallback"
    process = subprocess.Popen(
        [sys.executable, "-c", SPOOLING_WEB_PROCESS, url, str(root)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"".join(line + b"\n" for line in records(0, 25)))
        process.stdin.close()
        assert process.stdout.readline() == b"spooled\n"  # every push returned: 202 for each
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    server = Redis.start(tmp_path / "redis", port=port)
    try:
        successor = FallbackBuffer(RedisStreamBuffer(url), root)
        assert successor.replay_once() == 25  # the dead process's lock is gone: its spool is adopted
        assert successor.replay_once() == 0 and list(root.iterdir()) == []
        drain(successor.primary)
        assert totals() == (25, 25, 25)
    finally:
        server.stop()


def test_a_segment_replayed_but_not_yet_removed_is_not_replayed_again(
    servers: list[Redis], tmp_path: Path, events_table: None
) -> None:
    servers[-1].stop()
    web = FallbackBuffer(RedisStreamBuffer(servers[-1].url), tmp_path / "fallback")
    push_in_fives(web, 0, 20)
    servers.append(servers[-1].start_again())
    segment = web.own_spool().read(0, 0)
    assert segment is not None and web.move(segment) == 20  # then a crash before the unlink
    assert web.replay_once() == 0  # the same process, after the crash: found the marker, removed it
    assert not web.spooled()
    drain(web.primary)
    assert totals() == (20, 20, 20)


class ReplyLost(RedisStreamBuffer):
    """Redis runs the next push but its answer never arrives (Redis stopped right after running it)."""

    lose_next = True

    def _run_push(self, lane: str, seq: int, pushes: Sequence[Push]) -> list[int] | None:
        added = super()._run_push(lane, seq, pushes)
        if self.lose_next:
            self.lose_next = False
            raise redis.ConnectionError("Connection closed by server.")
        return added


class NeverRan(RedisStreamBuffer):
    """The next push times out before Redis runs it; it may still run later (a stalled connection)."""

    stalled: tuple[str, int, Sequence[Push]] | None = None

    def _run_push(self, lane: str, seq: int, pushes: Sequence[Push]) -> list[int] | None:
        if self.stalled is None:
            self.stalled = (lane, seq, pushes)
            raise redis.TimeoutError("Timeout reading from socket")
        return super()._run_push(lane, seq, pushes)


def test_a_push_that_landed_though_its_answer_was_lost_is_not_replayed(
    servers: list[Redis], tmp_path: Path, events_table: None
) -> None:
    web = FallbackBuffer(ReplyLost(servers[-1].url), tmp_path / "fallback", retry_after_s=0)
    push_in_fives(web, 0, 15)  # the first five landed in Redis and were spooled as well
    assert web.pending() == 3 and buffered(web.primary) == 15 and web.spooled()  # 3 pushes, 3 entries
    assert web.replay_once() == 0  # the spooled copy's lane shows it landed
    assert web.pending() == 3 and buffered(web.primary) == 15 and not web.spooled()
    drain(web.primary)
    assert totals() == (15, 15, 15)


def test_a_push_that_runs_after_its_spooled_copy_was_replayed_adds_nothing(
    servers: list[Redis], tmp_path: Path, events_table: None
) -> None:
    primary = NeverRan(servers[-1].url)
    web = FallbackBuffer(primary, tmp_path / "fallback", retry_after_s=0)
    push_in_fives(web, 0, 15)
    assert web.pending() == 2 and buffered(primary) == 10  # the second and third pushes
    assert web.replay_once() == 5  # it never ran, so its spooled copy goes in, and its lane is fenced
    assert buffered(primary) == 15
    entries = web.pending()
    assert primary.stalled is not None
    lane, seq, stalled_records = primary.stalled
    assert RedisStreamBuffer._run_push(primary, lane, seq, stalled_records) is None  # the stalled push, late
    assert web.pending() == entries and buffered(primary) == 15
    drain(web.primary)
    assert totals() == (15, 15, 15)


def test_a_retried_push_whose_first_try_landed_adds_nothing(servers: list[Redis]) -> None:
    stream = RedisStreamBuffer(servers[-1].url)
    lane = f"{stream.stream}:lane:test"
    assert stream._run_push(lane, 1, [Push(records(0, 3))]) == [0]
    assert stream._run_push(lane, 1, [Push(records(0, 3))]) == [0]  # redis-py's retry after a lost answer
    assert stream._run_push(lane, 2, [Push(records(3, 5))]) == [0]
    assert stream.pending() == 2 and buffered(stream) == 5  # one entry per push that landed


def test_with_redis_out_and_the_spool_unwritable_ingest_answers_503(
    accounts: AccountsDB, site: Persona, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    web = FallbackBuffer(RedisStreamBuffer(f"redis://127.0.0.1:{free_port()}/0"), not_a_directory / "spool")
    assert post(web_app(accounts, web, tmp_path), "/nowhere", 1) == 503
