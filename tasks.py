"""Lantern's tasks, run through ``./dev <task>`` (which prepares .venv first).

./dev serve            embedded Lantern at http://127.0.0.1:8000 (PORT, LANTERN_DATA_DIR change where)
./dev test             PostgreSQL + Redis + Chromium as needed, then ruff, mypy and the whole suite
./dev bench [--quick]  benchmarks; the last line is one JSON object of figures
./dev manage CMD ...   Django management commands (createsite, createapikey, migrate, ...)
./dev worker [--beat]  server mode: a Celery worker for the scheduled jobs (./dev beat: the scheduler)
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

ROOT = Path(__file__).resolve().parent
PY = str(ROOT / ".venv" / "bin" / "python")
TRACKER = ROOT / "tracker-js"
DASHBOARD = ROOT / "dashboard-js"
DASHBOARD_DIST = ROOT / "panel" / "static" / "lantern" / "dist"
SHARED = ROOT.parent / "shared"


def _data_dir() -> Path:
    return Path(os.environ.get("LANTERN_DATA_DIR") or ROOT / "var").resolve()


LOOPBACK_HOSTS = {"", "127.0.0.1", "localhost", "::1"}


def embedded_env() -> dict[str, str]:
    """Defaults for running on this machine: a persistent secret key, and plain HTTP on a loopback
    ``HOST`` only (``LANTERN_HTTPS=0``); bound elsewhere, Lantern stays on its secure default.

    Anything already set in the environment (DATABASE_URL, REDIS_URL, CLICKHOUSE_URL, ...) wins.
    """
    data = _data_dir()
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    data.chmod(0o700)  # private whatever the umask, also when it existed (see analytics.datadir)
    secret = data / "secret_key"
    if not secret.exists():
        with open(secret, "w", opener=lambda path, flags: os.open(path, flags, 0o600)) as out:
            out.write(secrets.token_urlsafe(64))
    defaults = {
        "LANTERN_DATA_DIR": str(data),
        "SECRET_KEY_FILE": str(secret),
        "LANTERN_HTTPS": "0",
        "BASE_URL": f"http://127.0.0.1:{os.environ.get('PORT', '8000')}",
        "DJANGO_SETTINGS_MODULE": "panel.settings",
    }
    if os.environ.get("SECRET_KEY"):
        del defaults["SECRET_KEY_FILE"]
    if os.environ.get("HOST", "") not in LOOPBACK_HOSTS:
        del defaults["LANTERN_HTTPS"]
    return {key: os.environ.get(key) or value for key, value in defaults.items()}


def _apt_install(c: Context, packages: list[str]) -> None:
    if not packages:
        return
    print(f"dev: installing {' '.join(packages)} with apt-get", file=sys.stderr)
    sudo = "" if os.geteuid() == 0 else "sudo "
    c.run(f"{sudo}apt-get update -qq", hide="out")
    c.run(f"{sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {' '.join(packages)}", hide="out")


@task
def tracker(c: Context) -> None:
    """Build tracker-js/dist (terser through npm, pinned by package-lock.json) and check its size budget."""
    if not shutil.which("node"):
        _apt_install(c, ["nodejs", "npm"])
    with c.cd(str(TRACKER)):
        if not (TRACKER / "node_modules" / "terser").exists():
            c.run("npm ci --no-audit --no-fund --loglevel=error", hide="out")
        c.run("node build.mjs")


def _newest_mtime(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


@task
def dashboard(c: Context) -> None:
    """Bundle dashboard-js (uPlot, the world map) into panel/static/lantern/dist when its sources changed."""
    if not shutil.which("node"):
        _apt_install(c, ["nodejs", "npm"])
    with c.cd(str(DASHBOARD)):
        if not (DASHBOARD / "node_modules" / "esbuild").exists():
            c.run("npm ci --no-audit --no-fund --loglevel=error", hide="out")
        sources = [*(DASHBOARD / "src").rglob("*"), DASHBOARD / "build.mjs", DASHBOARD / "package-lock.json"]
        built = [DASHBOARD_DIST / "dashboard.js", DASHBOARD_DIST / "dashboard.css"]
        if all(p.exists() for p in built) and _newest_mtime(sources) < min(p.stat().st_mtime for p in built):
            return
        c.run("node build.mjs")


@task
def migrate(c: Context) -> None:
    """Apply the Django (accounts) and ClickHouse (events) migrations."""
    env = embedded_env()
    c.run(f"{PY} -m panel.manage migrate --no-input -v 0", env=env)
    c.run(f"{PY} -m clickhouse.migrate", env=env)


@task(pre=[tracker, dashboard, migrate])
def serve(c: Context) -> None:
    """Run Lantern at http://127.0.0.1:$PORT: SQLite, chDB, in-process buffer and jobs, no servers needed."""
    env = embedded_env()
    c.run(f"{PY} -m panel.manage collectstatic --no-input -v 0", env=env)
    print(f"\n  Lantern is running at {env['BASE_URL']}  (data in {env['LANTERN_DATA_DIR']})\n", flush=True)
    os.execvpe(
        PY,
        [PY, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "panel.wsgi:application"],
        {**os.environ, **env},
    )


@task
def manage(c: Context) -> None:
    """Django management commands: ./dev manage createsite example.com --owner you@example.com"""
    args = shlex.split(c.remainder)
    os.execvpe(PY, [PY, "-m", "panel.manage", *args], {**os.environ, **embedded_env()})


@task
def flusher(c: Context) -> None:
    """Server mode: move events from the Redis stream into ClickHouse until stopped."""
    os.execvpe(PY, [PY, "-m", "ingest.flusher"], {**os.environ, **embedded_env()})


@task(help={"beat": "also run the scheduler in this worker (run exactly one beat per installation)"})
def worker(c: Context, beat: bool = False) -> None:
    """Server mode: a Celery worker on REDIS_URL for reports, alerts, retention and exports."""
    if not os.environ.get("REDIS_URL"):
        sys.exit("dev worker: set REDIS_URL (embedded mode runs these jobs inside ./dev serve)")
    args = [PY, "-m", "celery", "-A", "panel.celery", "worker", "--loglevel", "INFO"]
    os.execvpe(
        PY,
        [*args, *(["--beat", "--schedule", str(_data_dir() / "celerybeat-schedule")] if beat else [])],
        {**os.environ, **embedded_env()},
    )


@task(name="beat")
def beat_(c: Context) -> None:
    """Server mode: Celery beat alone, sending the periodic jobs to the workers (one per installation)."""
    if not os.environ.get("REDIS_URL"):
        sys.exit("dev beat: set REDIS_URL (embedded mode runs these jobs inside ./dev serve)")
    schedule = str(_data_dir() / "celerybeat-schedule")
    args = [PY, "-m", "celery", "-A", "panel.celery", "beat", "--loglevel", "INFO", "--schedule", schedule]
    os.execvpe(PY, args, {**os.environ, **embedded_env()})


@task
def lint(c: Context) -> None:
    """ruff and mypy over the whole tree."""
    c.run(f"{PY} -m ruff check .")
    c.run(f"{PY} -m ruff format --check --quiet .")
    c.run(f"{PY} -m mypy .", env={"SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "panel.settings"})


@task(
    help={
        "k": "only tests matching this expression",
        "fast": "skip the browser tests",
        "skip_lint": "run the tests without ruff and mypy first",
        "clock": "run the tests that need no browser with the wall clock moved: +365d, -30d, +2y, +6h",
    }
)
def test(c: Context, k: str = "", fast: bool = False, skip_lint: bool = False, clock: str = "") -> None:
    """Install and start what the tests need (PostgreSQL, Redis, Chromium), lint, then run the suite.

    ``--clock +365d`` moves the wall clock of the test process and of every Python process it starts
    (``tests/moved_clock``), not the engine's, PostgreSQL's, Redis's or the browser's (so the browser
    tests are left out): every test must pass on any day it runs.
    """
    sys.path.insert(0, str(ROOT))
    from tests import services

    shift_s = _clock_shift_s(clock) if clock else 0.0
    _apt_install(c, services.missing_packages())
    tracker(c)
    dashboard(c)
    if not skip_lint:
        lint(c)
    with tempfile.TemporaryDirectory(prefix="lantern-test-") as tmp:
        postgres = services.Postgres.start(Path(tmp) / "pg")
        redis = services.Redis.start(Path(tmp) / "redis")
        try:
            env = {
                "DATABASE_URL": postgres.url,
                "TEST_REDIS_URL": redis.url,
                "LANTERN_DATA_DIR": str(Path(tmp) / "data"),
                "CLICKHOUSE_URL": f"chdb://{Path(tmp) / 'clickhouse'}",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "GEOIP_DATABASE": str(ROOT / "tests" / "data" / "geoip" / "GeoLite2-City-Test.mmdb"),
                "PYTHONDONTWRITEBYTECODE": "1",
                "LANTERN_HTTPS": "0",  # the test client and the servers tests start speak plain HTTP
            }
            args = ["-q", "-p", "no:cacheprovider"]
            if k:
                args += ["-k", k]
            if fast or clock:
                args += ["-m", "not browser"]
            if clock:  # sitecustomize has imported time-machine before pytest could rewrite it
                paths = [str(ROOT / "tests" / "moved_clock"), os.environ.get("PYTHONPATH", "")]
                env["LANTERN_TEST_CLOCK_SHIFT_S"] = str(shift_s)
                env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
                args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
                print(f"dev: the tests' wall clock is moved {clock} ({shift_s:+.0f} s)", file=sys.stderr)
            c.run(f"{PY} -m pytest {shlex.join(args)}", env=env, pty=False)
        finally:
            redis.stop()
            postgres.stop()


_UNITS = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def _clock_shift_s(text: str) -> float:
    """``+365d`` -> seconds; a sign, a whole number and one unit of y, d, h, m, s."""
    sign, number, unit = text[:1], text[1:-1], text[-1:]
    if sign not in {"+", "-"} or not number.isdigit() or unit not in _UNITS:
        sys.exit(f"dev test: --clock {text!r} is not a shift such as +365d, -30d, +2y or +6h")
    return (1 if sign == "+" else -1) * int(number) * _UNITS[unit]


@task(
    pre=[dashboard],
    help={
        "quick": "a smaller run of every benchmark (under 3 minutes)",
        "only": "run only these benchmarks, comma-separated: http_ingest, flush, ua_parse, dashboard",
    },
)
def bench(c: Context, quick: bool = False, only: str = "") -> None:
    """Benchmarks, each against a baseline measured in the same run; the last line is a JSON object."""
    args = (["--quick"] if quick else []) + (["--only", *only.split(",")] if only else [])
    c.run(f"{PY} -m bench.run {shlex.join(args)}", env=embedded_env(), pty=False)


# Names the lists spell in lower case that a dashboard shows capitalised, as their owners write them.
DISPLAY_NAMES = {"reddit": "Reddit", "bilibili": "Bilibili", "hi5": "Hi5"}


@task
def referrers(c: Context) -> None:
    """Regenerate ingest/data/referrers.json from the CC0 lists in ../shared/data/referrers."""
    import yaml

    hosts: dict[str, list[str]] = {}
    wildcards: dict[str, list[str]] = {}
    for file_name, kind in (
        ("AIAssistants.yml", "ai"),
        ("Socials.yml", "social"),
        ("SearchEngines.yml", "search"),
    ):
        data = yaml.safe_load((SHARED / "data" / "referrers" / file_name).read_text())
        for listed, entries in data.items():
            name = DISPLAY_NAMES.get(str(listed), listed)
            for entry in entries:
                for host in entry.get("urls", []) if isinstance(entry, dict) else [entry]:
                    host = str(host).strip().lower().removeprefix("www.").split("/")[0]
                    if host.endswith(".{}"):
                        wildcards.setdefault(host[:-3], [str(name), kind])
                    elif host and "{}" not in host:
                        hosts.setdefault(host, [str(name), kind])
    out = ROOT / "ingest" / "data" / "referrers.json"
    out.write_text(json.dumps({"hosts": hosts, "wildcards": wildcards}, sort_keys=True, indent=0) + "\n")
    print(f"wrote {len(hosts)} hosts and {len(wildcards)} any-TLD names to {out.relative_to(ROOT)}")
