"""Visits, decided when their events are ingested: which visit an event belongs to, and its first touch.

Ingest keeps, per (site, visitor id), the visitor's current visit: when it began, when its last event
was, and its *visit columns* (``analytics.schema.VISIT_COLUMNS``: the visitor and visit ids, the
visit's start, and the first event's source, referrer, UTM, location, device and screen). An event
continues that visit (and is stored with its columns) when ``continues`` says so, else it begins a visit
of its own, with its own values. So every stored event carries its visit's id and first-touch
attributes, and a visit filter on events is a column condition.

The rule (``continues``), in milliseconds of event time:

- an event at most 30 minutes after the visit's last event continues it (Plausible's rule), as does a
  late event that falls inside the visit or up to 30 minutes before its start;
- a visit ends before 03:00 UTC of the day after it began (``ends_by``): visitor ids change with the
  daily salt at 00:00 UTC, so a visit crossing midnight goes on under the previous day's id (ingest
  looks up that id's visit too, in the same step), but not for ever; an event from then on begins a
  visit under the new day's id;
- an event that fits no visit and is older than the current one (a backfill out of order) is a visit of
  its own and leaves the current visit as it is; any other event that fits none replaces it.

In-order streams therefore give exactly the visits of ``tests/reference.py``'s definition. Where the
state lives: in this process (``MemoryVisits``, embedded mode, and server mode's web process while Redis
is out) or in Redis, in the same script that pushes the event (``ingest/buffer.py``); both apply
``choose`` to the same ``Pending`` records. State is only ids and times, never an address, and it
expires an hour after a visit's last event.

    >>> fresh = Pending(b'{"name":"pageview"', b'"visit_id":7', 1_000, "1:5", None)
    >>> visits = MemoryVisits()
    >>> visits.decide(fresh)
    b'{"name":"pageview","visit_id":7}'
    >>> visits.decide(Pending(b'{"name":"pageview"', b'"visit_id":8', 60_000, "1:5", None))
    b'{"name":"pageview","visit_id":7}'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from collections.abc import Iterable, Sequence

import orjson

from analytics.schema import CARRY_MS, DAY_MS, GAP_MS, VISIT_COLUMNS, Event

KEEP_S = 3600  # how long a visit's state is kept after its last event (late events may still join it)


def ends_by(start_ms: int) -> int:
    """When a visit begun at ``start_ms`` ends at the latest: 03:00 UTC of the next day."""
    return (start_ms // DAY_MS + 1) * DAY_MS + CARRY_MS


def carries(at_ms: int) -> bool:
    """Whether an event at ``at_ms`` may still continue a visit begun the day before (before 03:00 UTC)."""
    return at_ms % DAY_MS < CARRY_MS


@dataclasses.dataclass(frozen=True, slots=True)
class State:
    """A visitor's current visit: when it began and last saw an event, and its visit columns."""

    start_ms: int
    last_ms: int
    columns: bytes  # the visit columns as JSON members, without braces: b'"visitor_id":1,"visit_id":2,...'


def continues(state: State, at_ms: int) -> bool:
    """Whether an event at ``at_ms`` belongs to the visit ``state``."""
    return state.start_ms - GAP_MS <= at_ms <= state.last_ms + GAP_MS and at_ms < ends_by(state.start_ms)


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """An accepted event before its visit is known.

    ``base`` is its JSON object without the visit columns and without the closing brace; ``fresh`` the
    visit columns it has if it begins a visit; ``key`` names its visitor (``site:visitor id``) and
    ``carried`` the same visitor under the previous day's id, looked up only before 03:00 UTC.
    """

    base: bytes
    fresh: bytes
    at_ms: int
    key: str
    carried: str | None

    def record(self, columns: bytes) -> bytes:
        """The event's JSON line, with its visit's columns."""
        return self.base + b"," + columns + b"}"


def choose(today: State | None, yesterday: State | None, pending: Pending) -> tuple[State, str | None]:
    """The visit of ``pending``: the state it is stored with, and the key to keep the updated state
    under (None: leave the stored states as they are)."""
    at = pending.at_ms
    if yesterday is not None and pending.carried is not None and continues(yesterday, at):
        return dataclasses.replace(yesterday, last_ms=max(yesterday.last_ms, at)), pending.carried
    if today is not None and continues(today, at):
        return dataclasses.replace(today, last_ms=max(today.last_ms, at)), pending.key
    fresh = State(at, at, pending.fresh)
    if today is not None and at < today.start_ms:
        return fresh, None  # an event older than the current visit: a visit of its own
    return fresh, pending.key


class MemoryVisits:
    """The visit states in this process (embedded mode; server mode's web process while Redis is out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, State] = {}
        self._newest = 0  # the latest event time seen, to expire states by

    def decide(self, pending: Pending) -> bytes:
        """The event's JSON line, continuing its visitor's visit or beginning one."""
        with self._lock:
            carried = self._states.get(pending.carried) if pending.carried else None
            state, key = choose(self._states.get(pending.key), carried, pending)
            if key is not None:
                self._states[key] = state
                self._newest = max(self._newest, pending.at_ms)
                if len(self._states) > 200_000:
                    self._expire()
        return pending.record(state.columns)

    def decide_all(self, pendings: Iterable[Pending]) -> list[bytes]:
        return [self.decide(pending) for pending in pendings]

    def _expire(self) -> None:
        oldest = self._newest - KEEP_S * 1000
        self._states = {key: state for key, state in self._states.items() if state.last_ms >= oldest}


_ids = random.Random()  # visit ids: random, not secret (as event ids)


def new_visit_id() -> int:
    return _ids.getrandbits(63) or 1


def pending(event: Event, carried_id: int | None = None) -> Pending:
    """``event`` (with today's visitor id) waiting for its visit; ``carried_id``: the same visitor under
    the previous day's salt, when the event may continue a visit begun then (``carries``)."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    at_ms = _ms(event.timestamp)
    fields["visit_id"] = new_visit_id()
    fields["visit_start"] = event.timestamp
    own = {name: fields.pop(name) for name in VISIT_COLUMNS}
    return Pending(
        base=orjson.dumps(fields)[:-1],
        fresh=orjson.dumps(own)[1:-1],
        at_ms=at_ms,
        key=f"{event.site_id}:{event.visitor_id}",
        carried=f"{event.site_id}:{carried_id}" if carried_id is not None and carries(at_ms) else None,
    )


def _ms(moment: dt.datetime) -> int:
    """Milliseconds since the epoch, truncated as a DateTime64(3) column keeps them."""
    delta = moment.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def assign(events: Sequence[Event]) -> list[bytes]:
    """The JSON lines of ``events`` with their visits, as ingest would have decided them had the events
    arrived in time order (tests and imports; visitor ids as given)."""
    ordered = sorted(events, key=lambda e: (_ms(e.timestamp), str(e.event_id)))
    return MemoryVisits().decide_all(pending(event) for event in ordered)
