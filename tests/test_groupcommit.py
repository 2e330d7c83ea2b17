"""Group commit: concurrent pushes share writes, each push returns only once its records were taken,
and a failed write fails every push it carried (their requests answer 503, nothing is lost silently);
an event push carries its events' pendings and its rate-limit check to the buffer that decides them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import orjson
import pytest

from ingest.buffer import Batch, Push
from ingest.groupcommit import GroupCommit
from ingest.visits import pending
from tests.conftest import make_event


class SlowBuffer:
    """Records each write; the first write waits until the test lets it go, so others pile up."""

    def __init__(self, fail: bool = False) -> None:
        self.writes: list[list[bytes]] = []
        self.release = threading.Event()
        self.fail = fail

    def push(self, records: Sequence[bytes]) -> None:
        if not self.writes:
            self.release.wait(5)
        self.writes.append(list(records))
        if self.fail:
            raise ConnectionError("the buffer is down")

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        return None

    def ack(self, batch: Batch) -> None:
        pass


def push_all(buffer: GroupCommit, count: int) -> tuple[list[threading.Thread], list[BaseException]]:
    errors: list[BaseException] = []

    def push(i: int) -> None:
        try:
            buffer.push([f"r{i}".encode()])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, errors


def test_pushes_that_queue_behind_a_write_share_the_next_one() -> None:
    inner = SlowBuffer()
    buffer = GroupCommit(inner)
    threads, errors = push_all(buffer, 20)
    while len(buffer._queue) < 19:  # the first push is writing; the others wait behind it
        threading.Event().wait(0.01)
    inner.release.set()
    for thread in threads:
        thread.join(5)
    assert errors == []
    assert sorted(r for write in inner.writes for r in write) == sorted(f"r{i}".encode() for i in range(20))
    assert len(inner.writes) == 2  # the first alone, then the 19 that queued, in one write


def test_a_failed_write_fails_every_push_it_carried() -> None:
    inner = SlowBuffer(fail=True)
    buffer = GroupCommit(inner)
    threads, errors = push_all(buffer, 8)
    while len(buffer._queue) < 7:
        threading.Event().wait(0.01)
    inner.release.set()
    for thread in threads:
        thread.join(5)
    assert len(errors) == 8 and all(isinstance(e, ConnectionError) for e in errors)


def test_a_quiet_push_is_written_at_once_and_alone() -> None:
    inner = SlowBuffer()
    inner.release.set()
    buffer = GroupCommit(inner)
    buffer.push([b"a", b"b"])
    buffer.push([b"c"])
    assert inner.writes == [[b"a", b"b"], [b"c"]]


def test_a_lone_failed_push_raises() -> None:
    inner = SlowBuffer(fail=True)
    inner.release.set()
    with pytest.raises(ConnectionError):
        GroupCommit(inner).push([b"x"])


class CheckingBuffer(SlowBuffer):
    """A buffer that takes whole groups of pushes (as ``FallbackBuffer.push_checked``)."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[list[Push]] = []

    def push_checked(self, pushes: Sequence[Push]) -> list[str | None]:
        self.groups.append(list(pushes))
        return [None if push.check is None else push.check[1][0] for push in pushes]


def test_an_event_push_carries_its_pendings_and_check_to_the_inner_buffer() -> None:
    inner = CheckingBuffer()
    waiting = pending(make_event(1))
    assert GroupCommit(inner).push_pending([waiting], "198.51.100.1", ["7"]) == "7"
    assert inner.groups == [[Push(pendings=[waiting], check=("198.51.100.1", ("7",)))]]


def test_over_a_buffer_that_decides_no_visits_this_process_decides_them() -> None:
    inner = SlowBuffer()
    inner.release.set()
    buffer = GroupCommit(inner)
    moment = dt.datetime(2026, 3, 14, 10, tzinfo=dt.UTC)
    events = [make_event(1, timestamp=moment + dt.timedelta(minutes=m)) for m in (0, 10, 45)]
    for event in events:
        assert buffer.push_pending([pending(event)], "198.51.100.1", ["1"]) is None
    ids = [orjson.loads(line)["visit_id"] for write in inner.writes for line in write]
    assert ids[0] == ids[1] != ids[2]
