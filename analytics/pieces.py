"""How a range of local days splits into rollup pieces of UTC days: pure arithmetic, no I/O.

Visitor ids live within a UTC day (a daily salt), except the visits that continue across 00:00 UTC,
whose ids go on into the next morning. So a UTC day's numbers add up across days, once the visitors
seen on two neighbouring days are taken off once (the ``x`` pieces), and a visit is counted once, in
the piece it ended in. A site's local midnight falls
inside the UTC day (the *cut*), splitting it into a *head* (before the cut) and a *tail* (from it).
A range of whole local days starts and ends at cuts or at 00:00 UTC, so it is made of whole UTC days
and, at its edges, a tail and a head:

    >>> import datetime as dt
    >>> cut(dt.date(2026, 1, 10), "Europe/Berlin")
    datetime.datetime(2026, 1, 10, 23, 0, tzinfo=datetime.timezone.utc)
    >>> at = lambda d, h: dt.datetime(2026, 1, d, h, tzinfo=dt.UTC)
    >>> cuts = {dt.date(2026, 1, d): cut(dt.date(2026, 1, d), "Europe/Berlin") for d in (9, 10, 11)}
    >>> [u.kind for u in decompose([Bucket("", at(9, 23), at(11, 23))], cuts)]
    ['tail', 'whole', 'xTW', 'head', 'cross', 'xWH']

Events go to the piece they happened in, visits to the piece they ended in (as the query layer charts
them); a visit that goes on past where a range ends counts in that range (it overlaps it): the
``cross`` piece adds those of a range ending at a cut, the ``overnight`` piece those of a range ending
at 00:00 UTC (a visit may cross it: ``analytics.sessions``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence

__all__ = ["SEVERAL", "Bucket", "Use", "cut", "cut_ms", "day_bounds", "decompose"]

DAY = dt.timedelta(days=1)


class _Several:
    """More than one local midnight inside a UTC day (a zone whose clocks jump at midnight)."""

    def __repr__(self) -> str:
        return "SEVERAL"


SEVERAL = _Several()
Cut = dt.datetime | None | _Several


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    return start, start + DAY


def cut(day: dt.date, tz: str) -> Cut:
    """The local midnight strictly inside UTC ``day`` (aware, UTC), None if there is none."""
    zone = zoneinfo.ZoneInfo(tz)
    start, end = day_bounds(day)
    local, last = start.astimezone(zone).date(), (end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    found = []
    while local <= last:
        midnight = dt.datetime.combine(local, dt.time(), zone).astimezone(dt.UTC)
        if start < midnight < end:
            found.append(midnight)
        local += DAY
    if len(found) > 1:
        return SEVERAL
    return found[0] if found else None


def cut_ms(value: Cut, day: dt.date) -> int:
    """As stored: milliseconds after 00:00 UTC, 0 for none, -1 for several."""
    if value is None:
        return 0
    if isinstance(value, _Several):
        return -1
    return int((value - day_bounds(day)[0]) / dt.timedelta(milliseconds=1))


@dataclasses.dataclass(frozen=True)
class Bucket:
    """A span of whole local days [start, end) (aware, UTC), labelled as its time bucket ("" for none)."""

    label: str
    start: dt.datetime
    end: dt.datetime


@dataclasses.dataclass(frozen=True)
class Use:
    """Add the rows of (day, kind) to bucket ``label``: event sums times ``ev``, visit sums times ``vi``."""

    day: dt.date
    kind: str
    label: str
    ev: int
    vi: int


def decompose(
    buckets: Sequence[Bucket], cuts: Mapping[dt.date, Cut], *, last: bool = True
) -> list[Use] | None:
    """The rollup rows that make up each bucket, or None when an edge falls where no piece ends.

    ``cuts`` holds every UTC day the buckets touch. The final bucket's end is the range's end, where a
    visit crossing it is counted (clamped into the range) rather than left to the next bucket.
    """
    uses: list[Use] = []
    for index, bucket in enumerate(buckets):
        final = last and index == len(buckets) - 1
        parts = _parts(bucket, cuts, final)
        if parts is None:
            return None
        uses += parts
    return uses


def _parts(bucket: Bucket, cuts: Mapping[dt.date, Cut], final: bool) -> list[Use] | None:
    uses: list[Use] = []
    shapes: dict[dt.date, str] = {}  # W whole, T tail, H head
    day = bucket.start.date()
    while day_bounds(day)[0] < bucket.end:
        start, end = day_bounds(day)
        at = cuts.get(day)
        label = bucket.label
        if bucket.start <= start and end <= bucket.end:
            shapes[day] = "W"
            uses.append(Use(day, "whole", label, 1, 1))
        elif start < bucket.start and end <= bucket.end and bucket.start == at:
            shapes[day] = "T"
            uses.append(Use(day, "tail", label, 1, 1))
        elif bucket.start <= start and bucket.end < end and bucket.end == at:
            shapes[day] = "H"
            uses.append(Use(day, "head", label, 1, 1))
            if final:  # the visits crossing the range's end count in it (clamped), as they overlap it
                uses.append(Use(day, "cross", label, 0, 1))
        else:
            return None
        if final and end == bucket.end:  # so do those going on past 00:00 UTC where it ends
            uses.append(Use(day, "overnight", label, 0, 1))
        previous = shapes.get(day - DAY)
        if previous is not None:
            uses.append(Use(day, f"x{previous}{shapes[day]}", label, -1, 0))
        day += DAY
    return uses
