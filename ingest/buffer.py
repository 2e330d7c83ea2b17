"""Where accepted events wait between ingest and ClickHouse: at-least-once, re-readable until acked.

Every batch carries a ``token``; the flusher inserts a batch with it as ``insert_deduplication_token``,
so an insert repeated after a crash is a no-op. That is exact only if a token always names the same
records: every re-read of a batch must return exactly the records of its first read, under its token.

    buffer.push([event.to_json()])           # ingest; returning means the event is stored
    batch = buffer.read(50_000, wait_s=0.5)  # the flusher: insert batch.records with batch.token ...
    buffer.ack(batch)                         # ... then forget them

``SpoolBuffer`` (embedded mode): append-only segment files on local disk, one writing process.
    Pushes go to ``open-<name>.jsonl``; the flusher renames it ``seg-<name>.jsonl`` (sealed: never
    written again) and reads it whole with the token ``spool:seg-<name>.jsonl``; the ack unlinks it. A
    killed process's ``open-*`` segment is sealed under the same name by the next one, so it too keeps
    one token however often it is re-read.

``RedisStreamBuffer`` (server mode): the stream ``lantern:events`` with the consumer group ``flushers``.
    A batch's composition is fixed in Redis in the same atomic step that delivers it: a Lua script runs
    ``XREADGROUP … >`` and records ``HSET lantern:events:batches <first id> "<last id> <count> <token>"``.
    One ``XREADGROUP`` delivers the next entries after the group's cursor, and every ``XADD`` takes an
    automatic, increasing id, so the batch is exactly the stream's entries from its first to its last
    id, and ``XRANGE first last`` rebuilds it. The token is made once (stream, first id, count and a
    random nonce, so no two batches anywhere share one) and is read back from the record, never derived
    from what a later read happens to return. Each ``read`` first resumes a recorded batch, in a second
    script, before taking new entries:

    - one of this consumer's own (it was killed, or its insert failed) — whole, even if larger than
      ``max_records``; or
    - another consumer's whose first entry has been idle for ``claim_idle_ms``: all of its entries are
      ``XCLAIM``-ed in that one script, so a claim hands over a whole batch, never a fragment.

    The ack (``XACK`` + ``XDEL`` + ``HDEL`` of the record) is one ``MULTI``/``EXEC``, so a batch is
    either wholly pending and recorded or gone. Two flushers working on one batch at once (one was only
    slow) insert it under the same token, and the engine keeps one copy.

    ``push`` is one Lua script per call (its ``XADD``s run as one atomic step) and safe to retry: each
    thread pushes in a *lane* (a random key) with a sequence number the script stores beside its
    ``XADD``s and checks first, so a retry of a push whose reply was lost adds nothing. When a push
    fails, the caller cannot know whether it landed: it raises ``PushUncertain`` naming its lane and
    number, and the thread takes a fresh lane.

``FallbackBuffer`` (server mode, the web process): the Redis stream, or a local spool while Redis is
    unreachable. A push that fails is appended to this process's own ``SpoolBuffer`` in
    ``<spool root>/<host>-<pid>-<random>/`` (the event is still answered 202) behind a marker line
    ``#push <lane> <seq>``; if the spool cannot be written either, the push raises (503, never a silent
    loss). The process holds an ``flock`` on the directory's ``.lock`` for its life, so a replayer can
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
the last ``non_replicated_deduplication_window`` inserts only. Pending entries without a batch record
(left by a flusher older than this design) are not resumed: stop old flushers (they drain on SIGTERM)
before starting new ones.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

MARKER_TTL_S = 7 * 24 * 3600  # how long a replay marker and a push lane are remembered


@dataclasses.dataclass(frozen=True)
class Batch:
    token: str
    records: tuple[bytes, ...]
    handle: Any = None


class Buffer(Protocol):
    def push(self, records: Sequence[bytes]) -> None: ...

    def read(self, max_records: int, wait_s: float) -> Batch | None: ...

    def ack(self, batch: Batch) -> None: ...


class SpoolBuffer:
    """Embedded mode's buffer: one process appends lines to ``open-*.jsonl``; the flusher seals it."""

    def __init__(self, directory: Path, *, seal_after_records: int = 50_000) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seal_after = seal_after_records
        self._lock = threading.Condition()
        self._file: Any = None
        self._path: Path | None = None
        self._count = 0
        for leftover in self.directory.glob("open-*.jsonl"):  # a previous process's unsealed segment
            leftover.rename(leftover.with_name("seg-" + leftover.name.removeprefix("open-")))

    def push(self, records: Sequence[bytes]) -> None:
        with self._lock:
            if self._file is None:
                name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
                self._path = self.directory / f"open-{name}"
                self._file = open(self._path, "ab")  # noqa: SIM115 - kept open across pushes
            self._file.write(b"".join(record.rstrip(b"\n") + b"\n" for record in records))
            self._file.flush()
            self._count += len(records)
            if self._count >= self._seal_after:
                self._seal()
            self._lock.notify_all()

    def _seal(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._path.rename(self._path.with_name("seg-" + self._path.name.removeprefix("open-")))
        self._file, self._path, self._count = None, None, 0

    def read(self, max_records: int, wait_s: float) -> Batch | None:
        with self._lock:
            if not self._sealed() and self._count == 0:
                self._lock.wait(timeout=wait_s)
            if not self._sealed():
                self._seal()
            sealed = self._sealed()
        if not sealed:
            return None
        path = sealed[0]
        lines = path.read_bytes().split(b"\n")
        records = tuple(line for line in lines if line.strip())
        return Batch(token=f"spool:{path.name}", records=records, handle=path)

    def _sealed(self) -> list[Path]:
        return sorted(self.directory.glob("seg-*.jsonl"))

    def ack(self, batch: Batch) -> None:
        Path(batch.handle).unlink(missing_ok=True)

    def close(self) -> None:
        """Seal what is open, so the next process (or a flush) picks it up."""
        with self._lock:
            self._seal()


def spool_is_empty(directory: Path) -> bool:
    """Whether a spool directory holds no buffered record; reads only, so any process may ask."""
    try:
        return all(path.stat().st_size == 0 for path in directory.glob("*.jsonl"))
    except FileNotFoundError:  # a segment acknowledged while we looked
        return False


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


# KEYS: stream, lane.  ARGV: seq, ttl, records...  Returns how many it added: 0 for a repeat of a push
# that landed, -1 if a replay fenced the lane (this push was spooled and replayed instead).
_PUSH = """
local done = redis.call('GET', KEYS[2])
if done == 'fenced' then return -1 end
if done and tonumber(done) >= tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV do redis.call('XADD', KEYS[1], '*', 'e', ARGV[i]) end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return #ARGV - 2
"""

# KEYS: stream, batches.  ARGV: group, consumer, count, nonce.
# Delivers new entries and records the batch in one step. Returns {first, token, last}: the entries are
# one unbroken run of the stream, which the caller reads with XRANGE (Lua hands big replies back slowly);
# or, when there is nothing new, {false, the group's last delivered id} to block on.
_TAKE = """
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not reply or #reply[1][2] == 0 then
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields['name'] == ARGV[1] then return {false, fields['last-delivered-id']} end
  end
  return {false, '0-0'}
end
local entries = reply[1][2]
local first, last, count = entries[1][1], entries[#entries][1], #entries
local token = 'redis:' .. KEYS[1] .. ':' .. first .. ':' .. count .. ':' .. ARGV[4]
redis.call('HSET', KEYS[2], first, last .. ' ' .. count .. ' ' .. token)
return {first, token, last}
"""

# KEYS: stream, batches.  ARGV: group, consumer, claim idle ms.
# A recorded batch to go on with: this consumer's own, else one idle long enough, claimed whole.
# Forgets records whose entries are no longer pending. Returns {first, token, entries} or nil.
_RESUME = """
local records = redis.call('HGETALL', KEYS[2])
local chosen
for i = 1, #records, 2 do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], records[i], records[i], 1)
  if #pending == 0 then
    redis.call('HDEL', KEYS[2], records[i])
  elseif pending[1][2] == ARGV[2] then
    chosen = i
    break
  elseif not chosen and pending[1][3] >= tonumber(ARGV[3]) then
    chosen = i
  end
end
if not chosen then return nil end
local first = records[chosen]
local last, _, token = string.match(records[chosen + 1], '^(%S+) (%S+) (%S+)$')
local entries = redis.call('XRANGE', KEYS[1], first, last)
local claim = {}
for j = 1, #entries do
  claim[#claim + 1] = entries[j][1]
  if #claim == 1000 or j == #entries then
    local args = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0'}
    for _, id in ipairs(claim) do args[#args + 1] = id end
    args[#args + 1] = 'JUSTID'
    redis.call(unpack(args))
    claim = {}
  end
end
return {first, token, entries}
"""

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
    landed = done ~= false and done ~= 'fenced' and tonumber(done) >= seq
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
        self._group_ready = False
        self._local = threading.local()
        self._push_script = self.redis.register_script(_PUSH)
        self._take_script = self.redis.register_script(_TAKE)
        self._resume_script = self.redis.register_script(_RESUME)
        self._replay_script = self.redis.register_script(_REPLAY)

    def push(self, records: Sequence[bytes]) -> None:
        """Add records atomically; on failure raise ``PushUncertain`` (they may have been added)."""
        if not records:
            return
        lane: _Lane | None = getattr(self._local, "lane", None)
        if lane is None:
            lane = self._local.lane = _Lane(f"{self.stream}:lane:{uuid.uuid4().hex}")
        lane.seq += 1
        try:
            added = self._run_push(lane.key, lane.seq, records)
        except redis.RedisError as exc:
            self._local.lane = None  # this lane's last push stays in doubt: never push in it again
            raise PushUncertain(lane.key, lane.seq) from exc
        if added < 0:
            self._local.lane = None
            raise PushUncertain(lane.key, lane.seq)

    def _run_push(self, lane: str, seq: int, records: Sequence[bytes]) -> int:
        """One stream entry per push: its records as lines, so a busy flusher reads few, fat entries."""
        entry = b"\n".join(record.rstrip(b"\n") for record in records)
        added = int(self._push_script(keys=[self.stream, lane], args=[seq, MARKER_TTL_S, entry]))
        return len(records) if added > 0 else added

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def read(self, max_records: int, wait_s: float) -> Batch | None:
        """A recorded batch to resume (whole, whatever its size), else up to ``max_records`` new ones."""
        self._ensure_group()
        keys, who = [self.stream, self.batches_key], [self.group, self.consumer]
        try:
            resumed: Any = self._resume_script(keys=keys, args=[*who, self._claim_idle_ms])
            if resumed:
                return self._batch(resumed)
            taken = self._take(max_records)
            if isinstance(taken, Batch) or wait_s <= 0:
                return taken if isinstance(taken, Batch) else None
            block_ms = max(1, int(min(wait_s, 4.0) * 1000))  # below the socket timeout
            self.redis.xread({self.stream: taken}, count=1, block=block_ms)
            again = self._take(max_records)
            return again if isinstance(again, Batch) else None
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream was deleted, or Redis came back empty
                self._group_ready = False
            raise

    def _take(self, max_records: int) -> Batch | bytes:
        """New entries as a recorded batch, or the group's last delivered id to wait after."""
        reply: Any = self._take_script(
            keys=[self.stream, self.batches_key],
            args=[self.group, self.consumer, max_records, uuid.uuid4().hex],
        )
        if reply[0] is None:
            return bytes(reply[1])
        first, token, last = reply
        return self._batch([first, token, self.redis.xrange(self.stream, first, last)])

    @staticmethod
    def _batch(reply: Any) -> Batch:
        first, token, entries = reply
        ids = [entry[0] for entry in entries]
        records = []
        for _, flat in entries:  # fields come flat from a script, as a dict from redis-py's XRANGE
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

    def push(self, records: Sequence[bytes]) -> None:
        marker = _MARKER + b"- 0"
        if time.monotonic() >= self._redis_retry_at:
            try:
                self.primary.push(records)
                return
            except PushUncertain as exc:
                log.warning("Redis did not take a push (%s): spooling it locally", exc.__cause__ or exc)
                marker = _MARKER + f"{exc.lane} {exc.seq}".encode()
                self._redis_retry_at = time.monotonic() + self._retry_after_s
        self.own_spool().push([marker, *records])  # an OSError here answers 503: nothing is lost silently

    def read(self, max_records: int, wait_s: float) -> Batch | None:
        return self.primary.read(max_records, wait_s)

    def ack(self, batch: Batch) -> None:
        self.primary.ack(batch)

    def pending(self) -> int:
        return self.primary.pending()

    def own_spool(self) -> SpoolBuffer:
        """This process's spool directory, made on first use and locked for the life of the process."""
        with self._lock:
            if self._spool is None:
                self.spool_root.mkdir(parents=True, exist_ok=True)
                name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                staging = self.spool_root / f"{name}.tmp"  # replayers skip it until it holds its lock
                staging.mkdir()
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
