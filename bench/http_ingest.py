"""Events accepted per second through ``POST /api/event`` (gunicorn, Lantern's config, embedded mode)
against a bare WSGI app answering 202 under the same gunicorn settings; then, once the server has
stopped, whether every accepted event reached the event store. Then the same load in server mode (two
web processes, two flushers, Redis, ClickHouse over HTTP: ``bench/server_mode.py``), as a ratio to the
embedded figure of the same run.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from bench.common import BenchError, Figures, Settings, progress
from bench.payloads import DOMAIN, OWNER, PATH, EventRequest, event_requests, one_per_agent
from bench.server import HOST, Gunicorn, isolated_env, prepare_site, run_python
from bench.server_mode import FLUSHERS, WEB_PROCESSES, server_mode, wait_stream_drained
from bench.wrk import WrkResult, ensure_wrk, run_wrk, write_script
from ingest.buffer import spool_is_empty

INGEST_APP = "panel.wsgi:application"
BARE_APP = "bench.bare_app:application"
MAX_ERROR_SHARE = 0.01
DRAIN_WAIT_S = 10.0
LABELS = {
    "ingest_eps": "events accepted per second, POST /api/event",
    "bare_eps": "requests per second, bare WSGI app answering 202",
    "ingest_ratio": "ingest / bare",
    "ingest_p50_ms": "ingest latency, median",
    "ingest_p99_ms": "ingest latency, 99th percentile",
    "bare_p50_ms": "bare latency, median",
    "bare_p99_ms": "bare latency, 99th percentile",
    "ingest_non2xx": "ingest answers that were not 2xx (measured run)",
    "ingest_accepted": "events answered 2xx (probes, warm-up, measured run)",
    "ingest_stored": "events in the event store after a graceful stop",
    "server_ingest_eps": f"events accepted per second in server mode: {WEB_PROCESSES} web processes, "
    f"{FLUSHERS} flushers, Redis, ClickHouse over HTTP (chDB behind the test front)",
    "server_ingest_ratio": "server mode / embedded (ingest_eps), same run",
    "server_ingest_p50_ms": "server mode ingest latency, median",
    "server_ingest_p99_ms": "server mode ingest latency, 99th percentile",
    "server_ingest_non2xx": "server mode answers that were not 2xx (measured run)",
    "server_ingest_accepted": "server mode: events answered 2xx (probes, warm-up, measured run)",
    "server_ingest_stored": "server mode: events in the event store once the flushers drained Redis",
}
COUNT_COMMAND = "import sys; from bench.stored import main; sys.exit(main(sys.argv[1:]))"


@dataclasses.dataclass(frozen=True)
class Load:
    """What one server did: the measured wrk run, and every 2xx it answered (probes, warm-up, run)."""

    measured: WrkResult
    accepted: int
    unanswered: int


@dataclasses.dataclass(frozen=True)
class Target:
    """A server to drive and what to check on it."""

    name: str
    app: str
    probes: Sequence[EventRequest]
    spool: Path | None = None  # wait for this buffer directory to empty before stopping


def probe(url: str, request: EventRequest) -> None:
    """One event over a fresh connection: it must be answered 202 and not dropped."""
    port = urllib.parse.urlsplit(url).port
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {
            "Content-Type": "text/plain",
            "User-Agent": request.user_agent,
            "X-Forwarded-For": request.client_ip,
        }
        connection.request("POST", PATH, body=request.body.encode(), headers=headers)
        response = connection.getresponse()
        body = response.read()[:500].decode(errors="replace")
        dropped = response.getheader("X-Lantern-Dropped")
    finally:
        connection.close()
    if response.status != 202 or dropped:
        raise BenchError(
            f"probe to {url}{PATH} answered {response.status} (dropped: {dropped}) for "
            f"User-Agent {request.user_agent!r}: {body}"
        )


def check(result: WrkResult, label: str) -> None:
    """``BenchError`` when the run answered nothing or too many non-2xx; a note for socket errors."""
    if result.requests == 0:
        raise BenchError(f"{label}: wrk got no answer at all")
    if result.status_errors > MAX_ERROR_SHARE * result.requests:
        raise BenchError(f"{label}: {result.status_errors} of {result.requests} answers were not 2xx")
    if result.status_errors or result.socket_errors:
        progress(f"{label}: {result.status_errors} non-2xx answers, {result.socket_errors} socket errors")


def wait_drained(spool: Path, timeout_s: float) -> bool:
    """Until the spool directory holds no buffered record (the flusher has moved them), bounded."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if spool_is_empty(spool):
            return True
        time.sleep(0.2)
    return spool_is_empty(spool)


def drive(target: Target, env: dict[str, str], script: Path, settings: Settings, work: Path) -> Load:
    """Start the target's gunicorn, probe, warm up, measure; stop it (also on error)."""
    wrk = ensure_wrk()
    with Gunicorn(target.app, env, work / f"gunicorn-{target.name}.log") as server:
        try:
            for request in target.probes:
                probe(server.url, request)
            runs = []
            for label, seconds in (("warm-up", settings.warmup_s), ("measure", settings.measure_s)):
                progress(
                    f"{target.name}: {label} for {seconds:g} s with wrk ({settings.connections} connections)"
                )
                result = run_wrk(
                    wrk, script, server.url + PATH,
                    measure_s=seconds, connections=settings.connections, threads=settings.threads,
                )  # fmt: skip
                check(result, f"{target.name} {label}")
                runs.append(result)
            if target.spool is not None and not wait_drained(target.spool, DRAIN_WAIT_S):
                progress(f"{target.name}: the buffer still held records after {DRAIN_WAIT_S:g} s")
        except BenchError as exc:
            raise BenchError(f"{exc}\n--- gunicorn log ({target.name}) ---\n{server.log_tail()}") from exc
    return Load(
        measured=runs[-1],
        accepted=len(target.probes) + sum(r.ok for r in runs),
        unanswered=sum(r.unanswered for r in runs),
    )


def stored_events(env: dict[str, str], domain: str) -> int:
    """``domain``'s events in the store of ``env``, counted by a separate process (bench/stored.py)."""
    lines = run_python(["-c", COUNT_COMMAND, domain], env, timeout_s=120).strip().splitlines()
    if not lines:
        raise BenchError("counting the stored events printed nothing")
    return int(json.loads(lines[-1])["stored"])


def figures(ingest: Load, bare: Load, stored: int) -> Figures:
    ratio = ingest.measured.eps / bare.measured.eps if bare.measured.eps else 0.0
    return {
        "ingest_eps": round(ingest.measured.eps, 1),
        "bare_eps": round(bare.measured.eps, 1),
        "ingest_ratio": round(ratio, 3),
        "ingest_p50_ms": round(ingest.measured.p50_ms, 2),
        "ingest_p99_ms": round(ingest.measured.p99_ms, 2),
        "bare_p50_ms": round(bare.measured.p50_ms, 2),
        "bare_p99_ms": round(bare.measured.p99_ms, 2),
        "ingest_non2xx": ingest.measured.status_errors,
        "ingest_accepted": ingest.accepted,
        "ingest_stored": stored,
    }


def warn_if_lost(ingest: Load, stored: int, name: str = "ingest") -> None:
    if stored != ingest.accepted:
        print(
            f"WARNING: the {name} server accepted {ingest.accepted} events (2xx) but the event store "
            f"holds {stored} ({stored - ingest.accepted:+d}); {ingest.unanswered} requests were left "
            "unanswered when wrk stopped",
            flush=True,
        )


def ingest_vs_bare(settings: Settings) -> Figures:
    """The benchmark: the bare baseline first (nothing buffered yet), then ingest, then the count."""
    requests = event_requests()
    with tempfile.TemporaryDirectory(prefix="lantern-bench-") as tmp:
        work = Path(tmp)
        data = work / "data"
        script = write_script(work / "events.lua", requests)
        env = isolated_env(data)
        progress(f"preparing an embedded Lantern in {data} with the site {DOMAIN}")
        prepare_site(env, DOMAIN, OWNER)
        bare = drive(Target("bare", BARE_APP, requests[:1]), env, script, settings, work)
        ingest_target = Target("ingest", INGEST_APP, one_per_agent(requests), data / "spool")
        ingest = drive(ingest_target, env, script, settings, work)
        progress("counting stored events")
        stored = stored_events(env, DOMAIN)
        warn_if_lost(ingest, stored)
        server = server_figures(ingest, env, script, settings, work)
    return {**figures(ingest, bare, stored), **server}


def server_figures(
    embedded: Load, env: dict[str, str], script: Path, settings: Settings, work: Path
) -> Figures:
    """The same load in server mode, over the same accounts (the site, its salts); its figures, with
    the ratio to ``embedded``. A server mode that cannot run is an error figure of its own."""
    directory = work / "server"
    directory.mkdir()
    try:
        with server_mode(env, directory) as server_env:
            run_python(["-m", "clickhouse.migrate"], server_env)  # over HTTP
            target = Target("server", INGEST_APP, one_per_agent(event_requests()))
            load = drive(target, server_env, script, settings, directory)
            if not wait_stream_drained(server_env, DRAIN_WAIT_S):
                progress(f"server: Redis still held events after {DRAIN_WAIT_S:g} s")
            progress("server: counting stored events")
            stored = stored_events(server_env, DOMAIN)
    except BenchError as exc:
        return {"server_ingest_error": str(exc).splitlines()[0]}
    warn_if_lost(load, stored, "server-mode")
    eps = load.measured.eps
    return {
        "server_ingest_eps": round(eps, 1),
        "server_ingest_ratio": round(eps / embedded.measured.eps, 3) if embedded.measured.eps else 0.0,
        "server_ingest_p50_ms": round(load.measured.p50_ms, 2),
        "server_ingest_p99_ms": round(load.measured.p99_ms, 2),
        "server_ingest_non2xx": load.measured.status_errors,
        "server_ingest_accepted": load.accepted,
        "server_ingest_stored": stored,
    }
