"""A stand-in for a ClickHouse server, for tests and benchmarks only (never shipped, never a product
route): the chDB engine behind enough of ClickHouse's HTTP interface for clickhouse-connect's HTTP driver.

No modern ClickHouse server installs on this machine kind, so server mode is exercised through this:
one process owning one chDB data directory, serving ``http://127.0.0.1:PORT``.

    python -m tests.clickhouse_front DATA_DIR PORT
    with running_front(tmp / "clickhouse", tmp / "front.log") as url:  # "http://127.0.0.1:40123"
        os.environ["CLICKHOUSE_URL"] = url

What it speaks: ``GET /ping``; a query is the ``query`` URL parameter followed by the request body (GET or
POST, or a multipart form of ``query`` and ``param_*``), run in the SQL's ``FORMAT`` (else
``default_format``, else TabSeparated); ``param_<name>`` values bind ``{name:Type}``; every other URL
parameter that is not part of the transport (``database``, ``session_id``, ``query_id``, ...) is a
setting for that query alone. ``INSERT INTO … FORMAT X`` followed by data (a body in any input format,
after any ``Content-Encoding`` the driver uses) streams the data into the table. A ``session_id`` keeps
its own engine connection (``SET``, ``USE``) until ``session_timeout`` seconds pass unused. Answers carry
``X-ClickHouse-Format``, ``-Summary``, ``-Query-Id``, ``-Timezone``; an error is HTTP 500 with the
engine's ``Code: N. DB::Exception: …`` text and ``X-ClickHouse-Exception-Code: N``, so the driver raises
the same ``DatabaseError`` (with ``.code``) as against a server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.message
import email.parser
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import chdb
import lz4.frame  # type: ignore[import-untyped]
from clickhouse_connect.driver._backend.httpcommon import decompress_response

ROOT = Path(__file__).resolve().parent.parent
TRANSPORT = frozenset(  # the URL parameters that are not settings (``param_*`` are not either)
    {
        "query", "database", "default_format", "session_id", "session_timeout", "session_check", "query_id",
        "quota_key", "compress", "decompress", "wait_end_of_query", "buffer_size", "client_protocol_version",
        "role", "user", "password", "enable_http_compression", "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
    }
)  # fmt: skip
_INSERT = re.compile(rb"\s*(INSERT\s+INTO\s.*?)\s+FORMAT\s+(\w+)[ \t]*\r?\n?", re.IGNORECASE | re.DOTALL)
_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CODE = re.compile(r"Code: (\d+)\.")
_CHANGED = (  # the session's own values of the settings a request changes, as one row (the session's limits)
    "SELECT groupArray(name) AS names, groupArray(value) AS values FROM system.settings"
    " WHERE changed AND has({names:Array(String)}, name)"
)
_ROWS = re.compile(r"^\s*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN|CHECK)\b", re.IGNORECASE)


def _open(path: str) -> Any:
    """A connection (a session of its own) to the engine of ``path``; the engine opens on the first."""
    return chdb.connect(path)  # type: ignore[no-untyped-call]


class EngineError(Exception):
    """An error to answer as ClickHouse does: its code and its ``Code: N. DB::Exception: …`` text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text

    @classmethod
    def of(cls, exc: Exception) -> EngineError:
        text = str(exc)
        text = text[text.find("Code: ") :] if "Code: " in text else f"Code: 1001. DB::Exception: {text}"
        found = _CODE.search(text)
        return cls(int(found.group(1)) if found else 1001, text.strip())


@dataclasses.dataclass
class _Session:
    connection: Any
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    expires: float = 0.0


class Engine:
    """The data directory's engine: a connection per request, or the one of the request's session."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._held = _open(path)  # keeps the engine open between requests
        self.timezone = str(self._held.query("SELECT timezone()", "TSV").bytes().decode().strip())
        self._sessions: dict[str, _Session] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def connection(self, session_id: str, timeout_s: float, check: bool) -> Iterator[Any]:
        if not session_id:
            connection = _open(self.path)
            try:
                yield connection
            finally:
                connection.close()
            return
        with self._guard:
            now = time.monotonic()
            for name in [n for n, s in self._sessions.items() if s.expires < now and not s.lock.locked()]:
                self._sessions.pop(name).connection.close()
            session = self._sessions.get(session_id)
            if session is None:
                if check:
                    raise EngineError(372, f"Code: 372. DB::Exception: Session {session_id} not found.")
                session = self._sessions[session_id] = _Session(_open(self.path))
            if not session.lock.acquire(blocking=False):
                raise EngineError(373, f"Code: 373. DB::Exception: Session {session_id} is locked.")
        try:
            yield session.connection
        finally:
            session.expires = time.monotonic() + timeout_s
            session.lock.release()

    def close(self) -> None:
        for session in self._sessions.values():
            session.connection.close()
        self._held.close()


@contextlib.contextmanager
def query_settings(connection: Any, settings: dict[str, str], *, restore: bool) -> Iterator[None]:
    """``settings`` for one statement on ``connection``; then, if ``restore``, what it had before (a
    session's connection outlives the request; any other is closed after it)."""
    if not settings:
        yield
        return
    for name in settings:
        if not _NAME.match(name):
            raise EngineError(115, f"Code: 115. DB::Exception: Unknown setting '{name}'. (UNKNOWN_SETTING)")
    before: dict[str, str] = {}
    if restore:
        names = "[" + ",".join(f"'{name}'" for name in settings) + "]"
        rows = connection.query(_CHANGED, "JSONEachRow", params={"names": names})
        row = json.loads(rows.bytes())
        before = dict(zip(row["names"], row["values"], strict=True))
    connection.query("SET " + ", ".join(f"{name} = {_quoted(value)}" for name, value in settings.items()))
    try:
        yield
    finally:
        if restore:
            old = [f"{n} = {_quoted(before[n]) if n in before else 'DEFAULT'}" for n in settings]
            connection.query("SET " + ", ".join(old))


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def run(
    connection: Any, sql: bytes, params: dict[str, str], default_format: str
) -> tuple[bytes, str, dict[str, int]]:
    """Run one statement: its answer's bytes, its format and its summary (engine errors raised as is)."""
    insert = _INSERT.match(sql[:65536])
    if insert:
        with connection.send_insert(insert.group(1).decode(), insert.group(2).decode()) as stream:
            if data := sql[insert.end() :]:
                stream.append(data)
            done = stream.finish()
        return b"", "", {"written_rows": done.rows_written, "written_bytes": done.bytes_written}
    text = sql.decode()
    named = _FORMAT.search(text)
    fmt = named.group(1) if named else default_format
    result = connection.query(text, fmt, params=params or None)
    data = result.bytes()
    summary = {
        "read_rows": result.rows_read(),
        "read_bytes": result.bytes_read(),
        "written_rows": result.rows_written(),
        "written_bytes": result.bytes_written(),
        "elapsed_ns": int(result.elapsed() * 1e9),
    }
    return data, fmt if data or _ROWS.match(text) else "", summary  # as a server: no format, no rows


def decompressed(body: bytes, encoding: str) -> bytes:
    """A request body as sent before its ``Content-Encoding`` (the driver sends lz4 as a frame a block)."""
    if encoding != "lz4":
        return decompress_response(body, encoding)
    out = bytearray()
    while body:
        frame = lz4.frame.LZ4FrameDecompressor()
        out += frame.decompress(body)
        body = frame.unused_data
    return bytes(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the driver's connection pool expects
    engine: Engine

    def do_GET(self) -> None:
        self.serve(b"")

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if encoding := self.headers.get("Content-Encoding"):
            body = decompressed(body, encoding)
        self.serve(body)

    def serve(self, body: bytes) -> None:
        url = urlsplit(self.path)
        fields = dict(parse_qsl(url.query, keep_blank_values=True))
        if self.headers.get_content_type() == "multipart/form-data":
            fields.update(self._form(body))
            body = b""
        sql = fields.get("query", "").encode() + (b"\n" if "query" in fields and body else b"") + body
        if url.path in ("/ping", "/") and not sql.strip():
            return self.answer(200, b"Ok.\n", {})
        params = {k.removeprefix("param_"): v for k, v in fields.items() if k.startswith("param_")}
        settings = {k: v for k, v in fields.items() if k not in TRANSPORT and not k.startswith("param_")}
        query_id = fields.get("query_id", "")
        headers = {"X-ClickHouse-Query-Id": query_id, "X-ClickHouse-Timezone": self.engine.timezone}
        try:
            session = fields.get("session_id", "")
            timeout_s = float(fields.get("session_timeout") or 60)
            with self.engine.connection(session, timeout_s, fields.get("session_check") == "1") as connection:
                if (database := fields.get("database", "")) and _NAME.match(database):
                    connection.query(f"USE {database}")
                with query_settings(connection, settings, restore=bool(session)):
                    data, fmt, summary = run(connection, sql, params, fields.get("default_format", "TSV"))
        except EngineError as exc:
            return self.failed(exc, headers)
        except Exception as exc:  # the engine's own errors (ChdbError, RuntimeError from an insert stream)
            return self.failed(EngineError.of(exc), headers)
        headers["X-ClickHouse-Summary"] = json.dumps({k: str(v) for k, v in summary.items()})
        if fmt:
            headers["X-ClickHouse-Format"] = fmt
        self.answer(200, data, headers)

    def failed(self, exc: EngineError, headers: dict[str, str]) -> None:
        headers["X-ClickHouse-Exception-Code"] = str(exc.code)
        self.answer(500, exc.text.encode() + b"\n", headers)

    def answer(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _chunked(self) -> bytes:
        out = bytearray()
        while size := int(self.rfile.readline().split(b";")[0], 16):
            out += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers, up to the blank line
            pass
        return bytes(out)

    def _form(self, body: bytes) -> dict[str, str]:
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        fields = {}
        for part in form.iter_parts() if isinstance(form, email.message.EmailMessage) else ():
            name, value = part.get_param("name", header="content-disposition"), part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(value, bytes):
                fields[name] = value.decode()
        return fields

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(data_dir: str, port: int) -> None:
    """Serve ``data_dir``'s engine on ``127.0.0.1:port`` until SIGTERM."""
    Handler.engine = Engine(data_dir)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ClickHouse HTTP stand-in (chDB {chdb.__version__}) on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        Handler.engine.close()


@contextlib.contextmanager
def running_front(data_dir: Path, log: Path, timeout_s: float = 60.0) -> Iterator[str]:
    """The front in a process of its own on a free port; yields its URL (a ``CLICKHOUSE_URL``)."""
    from tests.services import free_port

    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.clickhouse_front", str(data_dir), str(port)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the ClickHouse front exited:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/ping", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the ClickHouse front did not answer on {url}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
