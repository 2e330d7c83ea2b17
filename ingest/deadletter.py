"""Records the event store refused for their content, set aside so the rest of their batch is stored.

The flusher bisects a batch the store refuses for its data (``ingest.flusher.refuses_data``) down to
the records it refuses, inserts the others and puts those here, one file per batch and table. Once the
cause is fixed (a schema out of step, a bad value: the lines may be edited), replay them:

    python -m ingest.deadletter list      # each file: records, table, first error; then the total
    python -m ingest.deadletter replay    # push every file's records back into the buffer, then remove it

A file is ``$LANTERN_DATA_DIR/dead-letter/batch-<digest of table and token>.jsonl`` (directory 0700,
file 0600), one JSON object a line: ``{"table", "record" (the buffered line), "error", "at", "batch"}``.
Its name depends on the batch only, so a batch redone after a crash before its ack writes the same file
again. A replay pushes a file under its own name before removing it, and a second push of that name
adds nothing: the Redis stream remembers replayed names (``RedisStreamBuffer.replay``); the spool gets
one segment of that name, whose token the engine deduplicates. The same works in both modes because
the flusher always has a data directory; in server mode run the command where the flusher runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from analytics.config import data_dir, redis_url
from ingest.buffer import RedisStreamBuffer, SpooledPush, deposit_segment
from ingest.drops import PREFIX as DROPS_PREFIX

# The tables the flusher writes, and how a record of each sits in the buffer (drop counts are marked).
PREFIXES = {"events": b"", "dropped_events": DROPS_PREFIX}


@dataclasses.dataclass(frozen=True)
class Refused:
    """One record the store refused (as the sink got it), and the store's error."""

    record: bytes
    error: str


def directory() -> Path:
    """Where refused records wait: ``$LANTERN_DATA_DIR/dead-letter``."""
    return data_dir() / "dead-letter"


def file_name(table: str, token: str) -> str:
    """The file for a batch's refused records of one table: the same name whenever the batch is redone."""
    digest = hashlib.sha256(f"{table} {token}".encode()).hexdigest()
    return f"batch-{digest[:32]}.jsonl"


def to_line(table: str, token: str, refused: Refused, at: dt.datetime) -> bytes:
    """One refused record as a dead-letter line (bytes that are not UTF-8 survive as escapes)."""
    item = {
        "table": table,
        "record": refused.record.decode("utf-8", "surrogateescape"),
        "error": refused.error,
        "at": at.isoformat(timespec="seconds"),
        "batch": token,
    }
    return json.dumps(item).encode() + b"\n"


def to_buffered(line: bytes) -> bytes:
    """The buffer record a dead-letter line came from (what a replay pushes); ValueError if unreadable."""
    item = json.loads(line)
    table = item.get("table") if isinstance(item, dict) else None
    record = item.get("record") if isinstance(item, dict) else None
    if not isinstance(table, str) or table not in PREFIXES or not isinstance(record, str):
        raise ValueError("not a dead-letter line")
    return PREFIXES[table] + record.encode("utf-8", "surrogateescape")


class DeadLetters:
    """The dead-letter files of one directory.

    >>> letters = DeadLetters(directory())  # doctest: +SKIP
    >>> letters.put("events", batch.token, [Refused(line, "Code: 41. ...")])
    >>> letters.count()
    1
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, table: str, token: str, refused: Sequence[Refused]) -> Path:
        """Write a batch's refused records of ``table`` (replacing what an earlier try of it wrote)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.root / file_name(table, token)
        partial = path.with_suffix(".part")
        now = dt.datetime.now(dt.UTC)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.writelines(to_line(table, token, item, now) for item in refused)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
        return path

    def files(self) -> list[Path]:
        """The dead-letter files, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(self.root.glob("batch-*.jsonl"), key=lambda path: (path.stat().st_mtime, path.name))

    def count(self) -> int:
        """How many refused records wait here (every process may ask: it only reads)."""
        return sum(len(lines(path)) for path in self.files())


def lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


def summary(path: Path) -> dict[str, Any]:
    """A file's record count, table and first error, for ``list``."""
    found = lines(path)
    first: Any = None
    with contextlib.suppress(ValueError):
        first = json.loads(found[0]) if found else None
    first = first if isinstance(first, dict) else {}
    return {
        "file": path.name,
        "records": len(found),
        "table": first.get("table"),
        "error": first.get("error"),
    }


# Pushes a file's records under a name; False if that name was pushed before (then nothing is added).
PushNamed = Callable[[str, Sequence[bytes]], bool]


def replay(letters: DeadLetters, push: PushNamed) -> int:
    """Push every file's records back into the buffer, then remove the file; returns how many records.

    A file with a line that is not a dead-letter line is left in place (and named on stderr).
    """
    moved = 0
    for path in letters.files():
        try:
            records = [to_buffered(line) for line in lines(path)]
        except ValueError:
            print(
                f"dead-letter: {path.name} has a line that is not a dead-letter record; left it",
                file=sys.stderr,
            )
            continue
        if records and push(f"dead-letter-{path.stem}", records):
            moved += len(records)
        path.unlink()
    return moved


def spool_pusher(spool: Path) -> PushNamed:
    """Embedded mode: each file becomes one sealed spool segment that the serving process flushes."""
    return lambda name, records: deposit_segment(spool, name, records)


def stream_pusher(stream: RedisStreamBuffer) -> PushNamed:
    """Server mode: the records go into the Redis stream, once per name."""
    return lambda name, records: stream.replay(name, [SpooledPush(None, 0, tuple(records))]) >= 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["list"], ["replay"]):
        print("usage: python -m ingest.deadletter list|replay", file=sys.stderr)
        return 2
    letters = DeadLetters(directory())
    if args == ["list"]:
        files = [summary(path) for path in letters.files()]
        for item in files:
            print(f"{item['file']}  {item['records']} record(s) of {item['table']}: {item['error']}")
        print(f"dead-letter: {sum(item['records'] for item in files)} record(s) in {len(files)} file(s)")
        return 0
    url = redis_url()
    push = stream_pusher(RedisStreamBuffer(url)) if url else spool_pusher(data_dir() / "spool")
    moved = replay(letters, push)
    print(f"dead-letter: replayed {moved} record(s) into the {'Redis stream' if url else 'spool'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
