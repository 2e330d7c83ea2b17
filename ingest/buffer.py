"""Where accepted events wait between ingest and ClickHouse: at-least-once, re-readable until acked.

Every batch carries a ``token``; the flusher inserts a batch with it as ``insert_deduplication_token``,
so an insert repeated after a crash is a no-op. That is exact only if a token always names the same
records: every re-read of a batch must return exactly the records of its first read, under its token.

    buffer.push(lines)                       # ingest (events with their visits); returning: stored
    batch = buffer.read(50_000, wait_s=0.5)  # the flusher: insert batch.records with batch.token ...
    after = buffer.read(50_000, 0, held=[batch])  # (the next batch, while still working on the first)
    buffer.ack(batch)                         # ... then forget them

``SpoolBuffer`` (embedded mode): append-only segment files on local disk, one writing process.
    Pushes go to ``open-<name>.jsonl``; the flusher renames it ``seg-<name>.jsonl`` (sealed: never
    written again) and reads it whole with the token ``spool:seg-<name>.jsonl``; the ack unlinks it. A
    killed process's ``open-*`` segment is sealed under the same name by the next one, so it too keeps
    one token however often it is re-read. Another process may add a whole sealed segment
    (``deposit_segment``: how refused records are replayed, ``ingest/deadletter.py``).

``RedisStreamBuffer`` (server mode): the stream ``lantern:events`` with the consumer group ``flushers``.
    A batch is what one ``XREADGROUP … >`` delivers (a plain command: its reply is the batch), and its
    composition is then fixed by a record, ``HSET lantern:events:batches <first id> "<last id> <count>
    <token>"``, before anything is inserted. One ``XREADGROUP`` delivers the next entries after the
    group's cursor, and every ``XADD`` takes an automatic, increasing id, so the batch is exactly the
    stream's entries from its first to its last id, and ``XRANGE first last`` rebuilds it. The token is
    made once (stream, first id, count and a random nonce, so no two batches anywhere share one) and is
    read back from the record, never derived from what a later read happens to return. A consumer may
    hold several recorded batches at once (the flusher reads the next while it inserts one). Each
    ``read`` first resumes, in a script, a batch the caller does not hold, before taking new entries:

    - a recorded one of this consumer's own (it was killed, or its insert failed) — whole, even if
      larger than ``max_records``; or
    - another consumer's whose first entry has been idle for ``claim_idle_ms``: all of its entries are
      ``XCLAIM``-ed in that one script, so a claim hands over a whole batch, never a fragment; or
    - delivered entries that no record covers (a reader died between its ``XREADGROUP`` and its record,
      so they were never inserted): an unbroken run of them, this consumer's or idle that long, claimed
      and recorded as a new batch. The record step checks that its entries are still the reader's and
      not covered by a record, so a reader that was only slow finds them adopted and leaves them.

    The ack (``XACK`` + ``XDEL`` + ``HDEL`` of the record) is one ``MULTI``/``EXEC``, so a batch is
    either wholly pending and recorded or gone. Two flushers working on one batch at once (one was only
    slow) insert it under the same token, and the engine keeps one copy.

    ``push`` is one Lua script per call (its ``XADD``s run as one atomic step) and safe to retry: each
    thread pushes in a *lane* (a random key) with a sequence number the script stores beside its
    ``XADD``s and checks first, so a retry of a push whose reply was lost adds nothing. When a push
    fails, the caller cannot know whether it landed: it raises ``PushUncertain`` naming its lane and
    number, and the thread takes a fresh lane.

    The same script decides visits (``push_pending``; ``ingest/visits.py``): each event arrives as a
    ``Pending``, and for a push within the rate limits the script reads its visitor's state (and the
    carried one's before 03:00 UTC) under ``lantern:visit:<site>:<visitor>``, applies
    ``ingest.visits.choose`` to it, writes the state back (``<start ms> <last ms> <visit columns>``,
    expiring ``KEEP_S`` later) and adds the event's line with its visit's columns. So every web
    process shares one state per visitor, and the decision and the event land together or not at all;
    a retry of a push that landed returns at the lane check, before it decides anything.

``FallbackBuffer`` (server mode, the web process): the Redis stream, or a local spool while Redis is
    unreachable. A push that fails is appended to this process's own ``SpoolBuffer`` in
    ``<spool root>/<host>-<pid>-<random>/`` (the event is still answered 202) behind a marker line
    ``#push <lane> <seq>``; if the spool cannot be written either, the push raises (503, never a silent
    loss). Those pushes' visits are decided by the process itself (its own ``MemoryVisits``) and spooled
    as finished lines, which the replay moves as they are; Redis's states know nothing of them, so a
    visit that goes on across Redis's return (or across web processes while it was out) is split into
    two. The process holds an ``flock`` on the directory's ``.lock`` for its life, so a replayer can
    tell a dead process's directory and adopt it. ``replay_once`` (run by ``start_replayer`` in each web
    process) moves sealed segments into the stream with one Lua script per segment that does
    ``SET lantern:events:replayed:<dir>/<segment> 1 NX EX 604800`` and every ``XADD`` atomically, and
    only then unlinks the segment: a crash between the two finds the marker on the next try and only
    unlinks. For a push marked with a lane, the script adds its records only if the lane's number shows
    it did not land, and fences the lane (a late execution of that push then adds nothing).

Limits: Redis must write every change to disk before it answers (``appendonly yes``, ``appendfsync
always``, as ``tests/services.py`` runs it); with ``everysec`` a crash of the Redis host can forget the
last second of pushes and takes. A replay marker and a lane live 7 days, so a segment replayed, or a
push in doubt, after more than a week of a stopped replayer may be added twice; the engine deduplicates
the last ``non_replicated_deduplication_window`` inserts only. A Redis that loses its data loses the
visit states too: the visits going on then are split in two. Pending entries without a batch record
are taken as never inserted: stop flushers older than the batch records (they drain on SIGTERM) before
starting new ones.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import mmap
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from analytics.datadir import DIR_MODE, make_private_dir
from analytics.schema import CARRY_MS, DAY_MS, GAP_MS
from ingest.ratelimit import TAKE_LUA, SharedLimits
from ingest.visits import KEEP_S, MemoryVisits, Pending

log = logging.getLogger(__name__)

MARKER_TTL_S = 7 * 24 * 3600  # how long a replay marker and a push lane are remembered


@dataclasses.dataclass(frozen=True)
class Batch:
    token: str
    records: tuple[bytes, ...]
    handle: Any = None


Check = tuple[str, tuple[str, ...]]  # a push's rate-limit check: (client, sites)


@dataclasses.dataclass(frozen=True, slots=True)
class Push:
    """One caller's push in a group: finished ``records`` (drop counts, ...) and ``pendings``, events
    whose visits the push decides (``ingest/visits.py``), subject to ``check`` (None: no limit)."""

    records: Sequence[bytes] = ()
    pendings: Sequence[Pending] = ()
    check: Check | None = None

    def size(self) -> int:
        return len(self.records) + len(self.pendings)


class Buffer(Protocol):
    def push(self, records: Sequence[bytes]) -> None: ...

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None: ...

    def ack(self, batch: Batch) -> None: ...


SEGMENT_BYTES = 8 << 20  # an open segment's size on disk, reserved when it opens


class SpoolBuffer:
    """Embedded mode's buffer: one process appends lines to ``open-*.jsonl``; the flusher seals it.

    The open segment is a file of ``SEGMENT_BYTES`` reserved on disk (a full disk fails the push that
    opens one, never a write into it) and mapped into memory: a push is a copy into the page cache under
    a lock, with no system call, so request threads never wait on one another's writes. What a push
    copied survives the process being killed, as a ``write`` would. Sealing cuts the file to what was
    pushed; a killed process's segment is cut by the next one at its first zero byte and its last line
    end (a copy cut short by the kill is the last thing in it, and was never answered).
    """

    def __init__(self, directory: Path, *, seal_after_records: int = 50_000) -> None:
        self.directory = make_private_dir(directory)
        self._seal_after = seal_after_records
        self._lock = threading.Condition()
        self._map: mmap.mmap | None = None
        self._path: Path | None = None
        self._used = 0
        self._count = 0
        self._lines: dict[Path, int] = {}  # sealed segments' record counts (``depth``)
        for leftover in self.directory.glob("open-*.jsonl"):  # a previous process's unsealed segment
            _cut_to_records(leftover)
            leftover.rename(leftover.with_name("seg-" + leftover.name.removeprefix("open-")))

    def push(self, records: Sequence[bytes]) -> None:
        data = b"".join(record.rstrip(b"\n") + b"\n" for record in records)
        with self._lock:
            if self._map is not None and self._used + len(data) > len(self._map):
                self._seal()
            if self._map is None:
                self._open(max(SEGMENT_BYTES, len(data)))
            assert self._map is not None
            self._map[self._used : self._used + len(data)] = data
            self._used += len(data)
            self._count += len(records)
            if self._count >= self._seal_after:
                self._seal()
            self._lock.notify_all()

    def _open(self, size: int) -> None:
        path = self.directory / f"open-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
            self._map = mmap.mmap(fd, size)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)  # the map holds the file open
        self._path = path

    def _seal(self) -> None:
        if self._map is None or self._path is None:
            return
        self._map.close()
        os.truncate(self._path, self._used)
        self._path.rename(self._path.with_name("seg-" + self._path.name.removeprefix("open-")))
        self._map, self._path, self._used, self._count = None, None, 0, 0

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        """The oldest sealed segment that is not one of ``held`` (sealing the open one if need be)."""
        holding = {batch.handle for batch in held}
        with self._lock:
            if not self._sealed(holding) and self._count == 0:
                self._lock.wait(timeout=wait_s)
            if not self._sealed(holding):
                self._seal()
            sealed = self._sealed(holding)
        if not sealed:
            return None
        path = sealed[0]
        lines = path.read_bytes().split(b"\n")
        records = tuple(line for line in lines if line.strip())
        return Batch(token=f"spool:{path.name}", records=records, handle=path)

    def _sealed(self, holding: Collection[Path] = ()) -> list[Path]:
        return sorted(path for path in self.directory.glob("seg-*.jsonl") if path not in holding)

    def ack(self, batch: Batch) -> None:
        Path(batch.handle).unlink(missing_ok=True)

    def close(self) -> None:
        """Seal what is open, so the next process (or a flush) picks it up."""
        with self._lock:
            self._seal()

    def depth(self) -> int:
        """Records pushed and not yet acknowledged: the open segment's and every sealed one's lines."""
        with self._lock:
            count = self._count
        sealed = self._sealed()
        self._lines = {path: n for path, n in self._lines.items() if path in sealed}
        for path in sealed:
            if path not in self._lines:
                try:  # a sealed segment never changes: its lines are counted once
                    self._lines[path] = path.read_bytes().count(b"\n")
                except FileNotFoundError:  # acknowledged meanwhile
                    continue
            count += self._lines[path]
        return count

    def disk_bytes(self) -> int:
        """Bytes of records on disk: the open segment's written part, and every other segment."""
        with self._lock:
            total, own = self._used, self._path
        return total + _sizes(path for path in self.directory.glob("*.jsonl") if path != own)

    def oldest_age_s(self, now: float) -> float:
        """Seconds since the oldest segment on disk was opened (0 when there is none): how long its
        first record has waited, at the most."""
        opened = [_opened_at(path) for path in self.directory.glob("*.jsonl")]
        known = [at for at in opened if at is not None]
        return max(0.0, now - min(known)) if known else 0.0


_SEGMENT_TIME = re.compile(r"^(?:open|seg)-(\d{20})-")


def _opened_at(path: Path) -> float | None:
    """When a segment was opened: the time in its name, else its file's modification time."""
    found = _SEGMENT_TIME.match(path.name)
    if found:
        return int(found.group(1)) / 1e9
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def _sizes(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size
    return total


def spool_is_empty(directory: Path) -> bool:
    """Whether a spool directory holds no buffered record; reads only, so any process may ask."""
    try:
        return not any(_first_byte(path) not in (b"", b"\0") for path in directory.glob("*.jsonl"))
    except FileNotFoundError:  # a segment acknowledged while we looked
        return False


def deposit_segment(directory: Path, name: str, records: Sequence[bytes]) -> bool:
    """Add ``records`` to a spool as the sealed segment ``seg-<name>.jsonl``, from any process.

    The segment appears whole (written aside, then renamed), so the owning process's flusher reads it
    like its own, under the token ``spool:seg-<name>.jsonl``: depositing one name again rewrites the
    same segment, or, once flushed, inserts under a token the engine has seen. Returns True.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"seg-{name}.jsonl"
    partial = directory / f"deposit-{name}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(b"".join(record.rstrip(b"\n") + b"\n" for record in records))
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    return True


def _first_byte(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(1)


def _cut_to_records(path: Path) -> None:
    """Cut a killed process's open segment to its whole records (see ``SpoolBuffer``)."""
    data = path.read_bytes()
    zero = data.find(b"\0")
    end = data.rfind(b"\n", 0, len(data) if zero < 0 else zero) + 1
    if end < len(data):
        os.truncate(path, end)


class PushUncertain(Exception):
    """A push to Redis failed and may or may not have landed; ``lane`` and ``seq`` let a replay tell."""

    def __init__(self, lane: str, seq: int) -> None:
        super().__init__(f"push {seq} of lane {lane} is in doubt")
        self.lane = lane
        self.seq = seq


@dataclasses.dataclass
class _Lane:
    key: str
    seq: int = 0


@dataclasses.dataclass(frozen=True)
class SpooledPush:
    """One push as the fallback spool kept it: its records, and its lane and number if Redis saw it."""

    lane: str | None
    seq: int
    records: tuple[bytes, ...]


# The visit rule of ``ingest.visits.choose``, as the push script runs it on the states kept in Redis
# (``<start ms> <last ms> <visit columns>`` under ``<prefix><site>:<visitor>``, expiring ``KEEP_S``
# after they were last written). Times stay the strings the caller sent wherever they are stored, and
# go through ``tonumber`` only to be compared (ms since 1970 are exact in a double); the columns, which
# hold the 64-bit visit id, are bytes that are never parsed.
VISITS_LUA = (
    f"local GAP, DAY, CARRY = {GAP_MS}, {DAY_MS}, {CARRY_MS}\n"
    + """
local function state_at(key)
  local held = redis.call('GET', key)
  if not held then return nil end
  local start, last, columns = string.match(held, '^(%-?%d+) (%-?%d+) (.*)$')
  return {start = tonumber(start), last = tonumber(last), start_s = start, last_s = last, columns = columns}
end
local function continues(state, at)
  return state.start - GAP <= at and at <= state.last + GAP
    and at < (math.floor(state.start / DAY) + 1) * DAY + CARRY
end
-- The visit columns of an event at at_s of the visitor under key (and under carried, false if none),
-- or fresh when it begins a visit; keeps the visit's updated state, as choose says.
local function decide(key, carried, at_s, fresh, keep_s)
  local at = tonumber(at_s)
  local yesterday = carried and state_at(carried)
  local today = state_at(key)
  local under, state = nil, nil
  if yesterday and continues(yesterday, at) then
    under, state = carried, yesterday
  elseif today and continues(today, at) then
    under, state = key, today
  end
  if under then
    local last = state.last_s
    if at > state.last then last = at_s end
    redis.call('SET', under, state.start_s .. ' ' .. last .. ' ' .. state.columns, 'EX', keep_s)
    return state.columns
  end
  if not (today and at < today.start) then  -- an event older than the current visit: a visit of its own
    redis.call('SET', key, at_s .. ' ' .. at_s .. ' ' .. fresh, 'EX', keep_s)
  end
  return fresh
end
"""
)

# KEYS: stream, lane, bucket keys..., visit state keys...  ARGV: seq, ttl, client rate/s, client burst,
# site rate/s, site burst, visit state ttl, the number of keys before the visit state keys, then per
# push of the group: 1 if its client's bucket is among the keys (else 0), the number of its sites'
# buckets, its finished records as lines ('' if none), its number of pending events, and per pending
# event: the index of its visitor's state key among the visit state keys, that of its carried key (0:
# none), its time in ms, its fresh visit columns, its base (``ingest.visits.Pending``).
# Each push takes its tokens in turn (its client's, then its sites' until one is empty; a client over
# its limit takes nothing from the sites); for a push within the limits the script decides its events'
# visits in order and its records and events become lines of the group's one stream entry. The lane
# keeps the seq and the verdicts, so a retry of a push that landed adds nothing, decides nothing and
# answers the same. Returns {status, verdicts}: status -1 if a replay fenced the lane (this push was
# spooled and replayed instead), else 1; verdicts "v,v,...", one per push: 0 (added), -1 (the client's
# bucket was empty) or i (its i-th site's was).
_PUSH = (
    TAKE_LUA
    + VISITS_LUA
    + """
local seq = tonumber(ARGV[1])
local done = redis.call('GET', KEYS[2])
if done == 'fenced' then return {-1, ''} end
if done then
  local at, said = string.match(done, '^(%d+) ?(.*)$')
  if tonumber(at) >= seq then return {1, said} end
end
local client_rate, client_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local site_rate, site_burst = tonumber(ARGV[5]), tonumber(ARGV[6])
local keep_s, visits_at = ARGV[7], tonumber(ARGV[8])
local k, i, entries, verdicts = 3, 9, {}, {}
while i <= #ARGV do
  local verdict = 0
  if ARGV[i] == '1' then
    if not take(KEYS[k], client_rate, client_burst) then verdict = -1 end
    k = k + 1
  end
  for s = 1, tonumber(ARGV[i + 1]) do
    if verdict == 0 and not take(KEYS[k], site_rate, site_burst) then verdict = s end
    k = k + 1
  end
  local records, count = ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  if verdict == 0 then
    if records ~= '' then entries[#entries + 1] = records end
    for p = i, i + 5 * (count - 1), 5 do
      local carried = tonumber(ARGV[p + 1])
      local columns = decide(
        KEYS[visits_at + tonumber(ARGV[p])], carried > 0 and KEYS[visits_at + carried], ARGV[p + 2],
        ARGV[p + 3], keep_s
      )
      entries[#entries + 1] = ARGV[p + 4] .. ',' .. columns .. '}'
    end
  end
  verdicts[#verdicts + 1] = verdict
  i = i + 5 * count
end
if #entries > 0 then redis.call('XADD', KEYS[1], '*', 'e', table.concat(entries, '\\n')) end
local said = table.concat(verdicts, ',')
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. said, 'EX', ARGV[2])
return {1, said}
"""
)

# Stream ids compared as numbers, and the recorded batches as ranges of them.
_IDS = """
local function id_of(s)
  local ms, seq = string.match(s, '^(%d+)-(%d+)$')
  return {tonumber(ms), tonumber(seq)}
end
local function not_after(a, b)
  return a[1] < b[1] or (a[1] == b[1] and a[2] <= b[2])
end
local function covered(ranges, id)
  for _, range in ipairs(ranges) do
    if not_after(range[1], id) and not_after(id, range[2]) then return true end
  end
  return false
end
"""

# KEYS: stream, batches.  ARGV: group, consumer, first, last, count, nonce.
# Records the entries from first to last that this consumer's XREADGROUP was just delivered, and returns
# the batch's token; or false when they were adopted meanwhile (see _RESUME): they are not ours to insert.
_RECORD = (
    _IDS
    + """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #pending == 0 or pending[1][2] ~= ARGV[2] then return false end
local first = id_of(ARGV[3])
local records = redis.call('HGETALL', KEYS[2])
for i = 1, #records, 2 do
  local last = string.match(records[i + 1], '^(%S+)')
  if covered({{id_of(records[i]), id_of(last)}}, first) then return false end
end
local token = 'redis:' .. KEYS[1] .. ':' .. ARGV[3] .. ':' .. ARGV[5] .. ':' .. ARGV[6]
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. token)
return token
"""
)

# KEYS: stream, batches.  ARGV: group, consumer, claim idle ms, nonce, first ids of batches the caller
# holds (it is working on them: not to be handed out again).
# A recorded batch to go on with: this consumer's own, else one idle long enough, claimed whole. Else,
# if entries are pending that no record covers (a reader died between its XREADGROUP and its record:
# they were never inserted), the first unbroken run of them that is this consumer's or idle long enough,
# claimed and recorded as a new batch. Forgets records whose entries are no longer pending.
# Returns {first, token, entries} or nil.
_RESUME = (
    _IDS
    + """
local held = {}
for i = 5, #ARGV do held[ARGV[i]] = true end
local idle = tonumber(ARGV[3])
local records = redis.call('HGETALL', KEYS[2])
local chosen, ranges, recorded = nil, {}, 0
for i = 1, #records, 2 do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], records[i], records[i], 1)
  if #pending == 0 then
    redis.call('HDEL', KEYS[2], records[i])
  else
    local last, count = string.match(records[i + 1], '^(%S+) (%S+) ')
    ranges[#ranges + 1] = {id_of(records[i]), id_of(last)}
    recorded = recorded + tonumber(count)
    if held[records[i]] then
      -- the caller's own, in hand
    elseif pending[1][2] == ARGV[2] then
      chosen = i
      break
    elseif not chosen and pending[1][3] >= idle then
      chosen = i
    end
  end
end
local first, last, token, claim
if chosen then
  first = records[chosen]
  last, token = string.match(records[chosen + 1], '^(%S+) %S+ (%S+)$')
else
  if redis.call('XPENDING', KEYS[1], ARGV[1])[1] <= recorded then return nil end
  local run, start, found = nil, '-', false
  repeat
    local page = redis.call('XPENDING', KEYS[1], ARGV[1], start, '+', 1000)
    for _, entry in ipairs(page) do
      if covered(ranges, id_of(entry[1])) then
        if run and run.ok then found = true break end
        run = nil
      else
        run = run or {ok = true, ids = {}}
        run.ids[#run.ids + 1] = entry[1]
        if entry[2] ~= ARGV[2] and entry[3] < idle then run.ok = false end
      end
    end
    if #page > 0 then start = '(' .. page[#page][1] end
  until found or #page < 1000
  if not (run and run.ok) then return nil end
  claim = run.ids  -- every pending id: XCLAIM drops those whose entry was deleted
  first, last = claim[1], claim[#claim]
end
local entries = redis.call('XRANGE', KEYS[1], first, last)
if not claim then
  claim = {}
  for j = 1, #entries do claim[j] = entries[j][1] end
end
for j = 1, #claim, 1000 do
  local args = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0'}
  for k = j, math.min(j + 999, #claim) do args[#args + 1] = claim[k] end
  args[#args + 1] = 'JUSTID'
  redis.call(unpack(args))
end
if not token then
  if #entries == 0 then return nil end
  first = entries[1][1]
  token = 'redis:' .. KEYS[1] .. ':' .. first .. ':' .. #entries .. ':' .. ARGV[4]
  redis.call('HSET', KEYS[2], first, entries[#entries][1] .. ' ' .. #entries .. ' ' .. token)
end
return {first, token, entries}
"""
)

# KEYS: stream, replay marker, lane keys...  ARGV: ttl, number of pushes, then per push: index of its
# lane in KEYS (0: none), seq, number of records, records...
# Returns how many records it added, or -1 if this segment was replayed before.
_REPLAY = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return -1 end
local i, added = 3, 0
for _ = 1, tonumber(ARGV[2]) do
  local lane, seq, count = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  i = i + 3
  local landed = false
  if lane > 0 then
    local done = redis.call('GET', KEYS[lane])
    landed = done ~= false and done ~= 'fenced' and tonumber(string.match(done, '^%d+')) >= seq
    if not landed then redis.call('SET', KEYS[lane], 'fenced', 'EX', ARGV[1]) end
  end
  if not landed then
    for j = i, i + count - 1 do redis.call('XADD', KEYS[1], '*', 'e', ARGV[j]) end
    added = added + count
  end
  i = i + count
end
return added
"""


class RedisStreamBuffer:
    """Server mode's buffer: lane-numbered XADDs on ingest; recorded batches for the flusher."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "lantern:events",
        group: str = "flushers",
        consumer: str | None = None,
        claim_idle_ms: int = 60_000,
        limits: SharedLimits | None = None,
        visits: str = "lantern:visit:",
    ) -> None:
        # One quick retry (a pooled connection may predate a Redis restart); every command here is
        # safe to repeat, and a push must fail fast so the web process can spool it.
        self.redis = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1)
        )
        self.stream = stream
        self.group = group
        self.consumer = consumer or os.environ.get("FLUSHER_NAME") or socket.gethostname()
        self.batches_key = f"{stream}:batches"
        self._claim_idle_ms = claim_idle_ms
        self.limits = limits
        self.visits = visits  # the prefix of the visit state keys
        self._group_ready = False
        self._local = threading.local()
        self._push_script = self.redis.register_script(_PUSH)
        self._record_script = self.redis.register_script(_RECORD)
        self._resume_script = self.redis.register_script(_RESUME)
        self._replay_script = self.redis.register_script(_REPLAY)

    def push(self, records: Sequence[bytes]) -> None:
        """Add records atomically; on failure raise ``PushUncertain`` (they may have been added)."""
        if records:
            self.push_checked([Push(records)])

    def push_pending(self, pendings: Sequence[Pending], client: str, sites: Sequence[str]) -> str | None:
        """Decide the visits of ``pendings`` and add them, if within the rate limits: ``push_checked``."""
        return self.push_checked([Push(pendings=pendings, check=(client, tuple(sites)))])[0]

    def push_checked(self, pushes: Sequence[Push]) -> list[str | None]:
        """Add a group of pushes in one script, those within the rate limits only, deciding the visits
        of their pending events there (in order) against the states every web process shares.

        A push's check ``(client, sites)`` takes a token from each bucket (with ``limits``; else, or for
        a check of None, it is just added). Returns each push's verdict: None (added), ``CLIENT`` or the
        site over its limit. On failure raises ``PushUncertain`` (they may have been added).
        """
        lane: _Lane | None = getattr(self._local, "lane", None)
        if lane is None:
            lane = self._local.lane = _Lane(f"{self.stream}:lane:{uuid.uuid4().hex}")
        lane.seq += 1
        try:
            codes = self._run_push(lane.key, lane.seq, pushes)
        except redis.RedisError as exc:
            self._local.lane = None  # this lane's last push stays in doubt: never push in it again
            raise PushUncertain(lane.key, lane.seq) from exc
        if codes is None or len(codes) != len(pushes):
            self._local.lane = None
            raise PushUncertain(lane.key, lane.seq)
        return [
            None if push.check is None else SharedLimits.verdict(code, push.check[1])
            for push, code in zip(pushes, codes, strict=True)
        ]

    def _run_push(self, lane: str, seq: int, pushes: Sequence[Push]) -> list[int] | None:
        """The push script, once: each push's code (0: added), or None if a replay fenced the lane."""
        buckets: list[str] = []
        states: dict[str, int] = {}  # the visit state keys, numbered from 1 as first named
        pushed: list[Any] = []
        for push in pushes:
            has_client, keys = 0, list[str]()
            if push.check is not None and self.limits is not None:
                has_client, keys = self.limits.keys(*push.check)
            buckets += keys
            # One stream entry per group: its records as lines, so a busy flusher reads few, fat entries.
            records = b"\n".join(record.rstrip(b"\n") for record in push.records)
            pushed += [has_client, len(keys) - has_client, records, len(push.pendings)]
            for pending in push.pendings:
                key = states.setdefault(self.visits + pending.key, len(states) + 1)
                carried = 0
                if pending.carried is not None:
                    carried = states.setdefault(self.visits + pending.carried, len(states) + 1)
                pushed += [key, carried, pending.at_ms, pending.fresh, pending.base]
        rates = self.limits.rates() if self.limits else [0, 0, 0, 0]
        status, said = self._push_script(
            keys=[self.stream, lane, *buckets, *states],
            args=[seq, MARKER_TTL_S, *rates, KEEP_S, 2 + len(buckets), *pushed],
        )
        if status < 0:
            return None
        return [int(code) for code in said.split(b",")] if said else []

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        """A recorded batch to resume (whole, whatever its size), else up to ``max_records`` new ones.

        Never one of ``held``: batches the caller read from this buffer and is still working on.
        """
        self._ensure_group()
        keys, who = [self.stream, self.batches_key], [self.group, self.consumer]
        try:
            holding = [batch.handle[0] for batch in held]
            resumed: Any = self._resume_script(
                keys=keys, args=[*who, self._claim_idle_ms, uuid.uuid4().hex, *holding]
            )
            if resumed:
                return self._batch(resumed)
            return self._take(max_records, wait_s)
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream was deleted, or Redis came back empty
                self._group_ready = False
            raise

    def _take(self, max_records: int, wait_s: float) -> Batch | None:
        """New entries, then their record; None if there are none (after ``wait_s``) or if they were
        adopted before the record (this reader was too slow: ``_RESUME`` gave them to another)."""
        block_ms = max(1, int(min(wait_s, 4.0) * 1000)) if wait_s > 0 else None  # below the socket timeout
        reply: Any = self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=max(1, max_records), block=block_ms
        )
        if not reply or not reply[0][1]:
            return None
        entries = reply[0][1]
        first = entries[0][0]
        token = self._record_script(
            keys=[self.stream, self.batches_key],
            args=[self.group, self.consumer, first, entries[-1][0], len(entries), uuid.uuid4().hex],
        )
        return None if token is None else self._batch([first, token, entries])

    @staticmethod
    def _batch(reply: Any) -> Batch:
        first, token, entries = reply
        ids = [entry[0] for entry in entries]
        records = []
        for _, flat in entries:  # fields come flat from a script, as a dict from redis-py's XREADGROUP
            fields = flat if isinstance(flat, dict) else dict(zip(flat[::2], flat[1::2], strict=True))
            if b"e" in fields:
                records.extend(fields[b"e"].split(b"\n"))
        return Batch(token=token.decode(), records=tuple(records), handle=(first, ids))

    def ack(self, batch: Batch) -> None:
        first, ids = batch.handle
        pipe = self.redis.pipeline(transaction=True)
        if ids:
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
        pipe.hdel(self.batches_key, first)
        pipe.execute()

    def replay(self, name: str, pushes: Sequence[SpooledPush]) -> int:
        """Add spooled pushes to the stream, once per ``name``: returns how many, or -1 if done before.

        A push with a lane is added only if its number shows it did not land, and the lane is fenced.
        """
        keys = [self.stream, f"{self.stream}:replayed:{name}"]
        args: list[Any] = [MARKER_TTL_S, len(pushes)]
        for push in pushes:
            index = 0
            if push.lane is not None:
                keys.append(push.lane)
                index = len(keys)
            args += [index, push.seq, len(push.records), *push.records]
        return int(self._replay_script(keys=keys, args=args))

    def pending(self) -> int:
        return int(self.redis.xlen(self.stream))

    def oldest_age_s(self) -> float:
        """Seconds the stream's oldest entry (none is older than the oldest not yet inserted: an ack
        deletes) has waited, by Redis's clock, which made its id; 0 when the stream is empty."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrange(self.stream, count=1)
        pipe.time()
        first, (seconds, micros) = pipe.execute()
        if not first:
            return 0.0
        added_ms = int(first[0][0].split(b"-")[0])
        return max(0.0, float(seconds) + float(micros) / 1e6 - added_ms / 1000)


_MARKER = b"#push "


def parse_spooled(records: Sequence[bytes]) -> list[SpooledPush]:
    """Split a fallback spool segment at its ``#push <lane|-> <seq>`` marker lines."""
    pushes: list[SpooledPush] = []
    lane: str | None = None
    seq = 0
    lines: list[bytes] = []
    for record in [*records, _MARKER + b"- 0"]:
        if not record.startswith(_MARKER):
            lines.append(record)
            continue
        if lines:
            pushes.append(SpooledPush(lane, seq, tuple(lines)))
        lines = []
        parts = record[len(_MARKER) :].split()
        try:
            lane, seq = (None if parts[0] == b"-" else parts[0].decode()), int(parts[1])
        except (IndexError, ValueError, UnicodeDecodeError):  # a marker torn by a crash mid-write
            lane, seq = None, 0
    return pushes


class FallbackBuffer:
    """The web process's buffer in server mode: the Redis stream, or a local spool while Redis is out.

    >>> buffer = FallbackBuffer(RedisStreamBuffer(url), Path("var/fallback-spool"))  # doctest: +SKIP
    >>> buffer.push(records)      # to Redis; if Redis fails, to this process's spool directory
    >>> buffer.push_pending(pendings, client_ip, sites)  # visits decided in Redis (or here), then the same
    >>> buffer.replay_once()      # later, by the replayer thread: spooled records into the stream
    """

    def __init__(
        self,
        primary: RedisStreamBuffer,
        spool_root: Path,
        *,
        retry_after_s: float = 1.0,
        seal_after_records: int = 5_000,
    ) -> None:
        self.primary = primary
        self.spool_root = spool_root
        self._retry_after_s = retry_after_s
        self._seal_after = seal_after_records
        self._redis_retry_at = 0.0
        self._lock = threading.Lock()
        self._spool: SpoolBuffer | None = None
        self._lock_fd: int | None = None
        self.visits = MemoryVisits()  # the visits this process decides while Redis is out

    def push(self, records: Sequence[bytes]) -> None:
        if records:
            self.push_checked([Push(records)])

    def push_pending(self, pendings: Sequence[Pending], client: str, sites: Sequence[str]) -> str | None:
        return self.push_checked([Push(pendings=pendings, check=(client, tuple(sites)))])[0]

    def push_checked(self, pushes: Sequence[Push]) -> list[str | None]:
        """``RedisStreamBuffer.push_checked``, or, while Redis is out, the pushes within this process's
        own buckets (the limits' ``local``) to the spool, their visits decided by this process."""
        marker = _MARKER + b"- 0"
        if time.monotonic() >= self._redis_retry_at:
            try:
                return self.primary.push_checked(pushes)
            except PushUncertain as exc:
                log.warning("Redis did not take a push (%s): spooling it locally", exc.__cause__ or exc)
                marker = _MARKER + f"{exc.lane} {exc.seq}".encode()
                self._redis_retry_at = time.monotonic() + self._retry_after_s
        local = self.primary.limits.local if self.primary.limits is not None else None
        verdicts = [
            local.check(*push.check) if local is not None and push.check is not None else None
            for push in pushes
        ]
        kept: list[bytes] = []
        for push, verdict in zip(pushes, verdicts, strict=True):
            if verdict is None:
                kept += [*push.records, *self.visits.decide_all(push.pendings)]
        if kept:
            self.own_spool().push([marker, *kept])  # an OSError here answers 503: nothing is lost silently
        return verdicts

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        return self.primary.read(max_records, wait_s, held)

    def ack(self, batch: Batch) -> None:
        self.primary.ack(batch)

    def pending(self) -> int:
        return self.primary.pending()

    def disk_bytes(self) -> int:
        """Bytes of records in the spool root on disk: this process's spool and any other's left there."""
        own = self._spool
        total = own.disk_bytes() if own is not None else 0
        if not self.spool_root.is_dir():
            return total
        for directory in self.spool_root.iterdir():
            if directory.is_dir() and (own is None or directory != own.directory):
                total += _sizes(directory.glob("*.jsonl"))
        return total

    def own_spool(self) -> SpoolBuffer:
        """This process's spool directory, made on first use and locked for the life of the process."""
        with self._lock:
            if self._spool is None:
                make_private_dir(self.spool_root)
                name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                staging = self.spool_root / f"{name}.tmp"  # replayers skip it until it holds its lock
                staging.mkdir(mode=DIR_MODE)
                fd = os.open(staging / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel when this process dies
                staging.rename(self.spool_root / name)
                self._lock_fd = fd
                self._spool = SpoolBuffer(self.spool_root / name, seal_after_records=self._seal_after)
            return self._spool

    def spooled(self) -> bool:
        """Whether any spool directory under the root holds a record (reads only)."""
        if not self.spool_root.is_dir():
            return False
        return any(
            directory.is_dir() and not spool_is_empty(directory) for directory in self.spool_root.iterdir()
        )

    def replay_once(self) -> int:
        """Move every spooled record, this process's and dead processes', into the stream.

        Raises if Redis is still out (the records stay spooled). Returns how many records it added.
        """
        if not self.spooled():
            return 0
        self.primary.redis.ping()
        moved = 0
        own = self._spool
        if own is not None:
            moved += self._replay_spool(own)
        for directory in sorted(self.spool_root.iterdir()):
            staging = directory.name.endswith(".tmp")
            if directory.is_dir() and not staging and (own is None or directory != own.directory):
                moved += self._adopt(directory)
        return moved

    def move(self, batch: Batch) -> int:
        """Add one sealed segment's records to the stream (once, however often it is called)."""
        path = Path(batch.handle)
        added = self.primary.replay(f"{path.parent.name}/{path.name}", parse_spooled(batch.records))
        if added < 0:
            log.info("spool segment %s was replayed before; removing it", path.name)
        return max(added, 0)

    def _replay_spool(self, spool: SpoolBuffer) -> int:
        moved = 0
        while (batch := spool.read(0, 0)) is not None:  # seals the open segment first
            moved += self.move(batch)
            spool.ack(batch)
        return moved

    def _adopt(self, directory: Path) -> int:
        """Replay a dead process's spool directory and remove it; skip one whose process is alive."""
        lock_path = directory / ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            return 0
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # its process is alive and replays its own spool
            try:
                if os.stat(lock_path).st_ino != os.fstat(fd).st_ino:
                    return 0  # adopted and removed by another replayer meanwhile
            except FileNotFoundError:
                return 0
            log.info("replaying the spool of a process that is gone: %s", directory.name)
            moved = self._replay_spool(SpoolBuffer(directory))  # seals its open segment
            lock_path.unlink()
            try:
                directory.rmdir()
            except OSError:
                log.warning("left %s in place: it holds files that are not spool segments", directory)
            return moved
        finally:
            os.close(fd)

    def close(self) -> None:
        """Seal this process's spool and let go of its lock, so a replayer (or the next start) takes it."""
        with self._lock:
            if self._spool is not None:
                self._spool.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
            self._spool, self._lock_fd = None, None


def run_replayer(
    buffer: FallbackBuffer, stop: threading.Event, *, interval_s: float = 1.0, max_backoff_s: float = 30.0
) -> None:
    """Replay the fallback spool until ``stop`` is set; while Redis is out, retry with a growing pause.

    A last attempt runs on stop; what it cannot move stays spooled for the next process to adopt.
    """
    pause = interval_s
    while True:
        stopping = stop.is_set()
        try:
            moved = buffer.replay_once()
            if moved:
                log.info("replayed %d spooled record(s) into Redis", moved)
            pause = interval_s
        except Exception as exc:
            log.warning("could not replay the fallback spool yet, retrying in %.1fs: %s", pause, exc)
            pause = min(pause * 2, max_backoff_s)
        if stopping:
            return
        stop.wait(pause)


def start_replayer(
    buffer: FallbackBuffer, *, interval_s: float = 1.0, max_backoff_s: float = 30.0
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_replayer,
        args=(buffer, stop),
        kwargs={"interval_s": interval_s, "max_backoff_s": max_backoff_s},
        name="lantern-replayer",
        daemon=True,
    )
    thread.start()
    return thread, stop
