"""Gunicorn with Lantern's config (deploy/gunicorn.conf.py) on a free 127.0.0.1 port, in a throwaway
environment: its own data directory, accounts database, chDB event store and secret key; and Lantern's
other long-running roles (``Service``: a flusher, a Celery worker) as processes of their own.

    >>> with Gunicorn("bench.bare_app:application", env, log_path) as server:  # doctest: +SKIP
    ...     server.url
    'http://127.0.0.1:40123'
    >>> with Service("flusher-1", ["-m", "ingest.flusher"], env, log_path) as flusher:  # doctest: +SKIP
    ...     flusher.kill()  # SIGKILL: no shutdown code runs
    ...     flusher.start()
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from bench.common import BenchError, progress

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 40.0  # gunicorn's graceful_timeout is 20 s
_UNSET = ("REDIS_URL", "DATABASE_URL", "CLICKHOUSE_URL", "SECRET_KEY", "LANTERN_DATA_DIR", "PORT", "HOST")


def python() -> str:
    """The project's interpreter (.venv), else the one running the benchmarks."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def isolated_env(data_dir: Path) -> dict[str, str]:
    """This environment, moved to embedded mode in ``data_dir`` (no Redis, no outside database)."""
    env = {k: v for k, v in os.environ.items() if k.removesuffix("_FILE") not in _UNSET}
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        LANTERN_DATA_DIR=str(data_dir),
        CLICKHOUSE_URL=f"chdb://{data_dir / 'clickhouse'}",
        SECRET_KEY=secrets.token_urlsafe(48),
        LANTERN_HTTPS="0",
        DJANGO_SETTINGS_MODULE="panel.settings",
        HOST=HOST,
        TRUSTED_PROXIES="127.0.0.1/32",  # the load generator plays the site's load balancer
    )
    return env


def run_python(args: Sequence[str], env: Mapping[str, str], timeout_s: float = 180.0) -> str:
    """Run ``python ARGS`` in the repository; its standard output, or ``BenchError`` with its output."""
    try:
        done = subprocess.run(
            [python(), *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"python {' '.join(args)} took longer than {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3000:]
        raise BenchError(f"python {' '.join(args)} failed (exit {done.returncode}):\n{output}")
    return done.stdout


def prepare_site(env: Mapping[str, str], domain: str, owner: str) -> None:
    """Create the accounts database, the event store's tables and one site, as a fresh install would."""
    run_python(["-m", "panel.manage", "migrate", "--no-input", "-v", "0"], env)
    run_python(["-m", "clickhouse.migrate"], env)
    run_python(["-m", "panel.manage", "createsite", domain, "--owner", owner], env)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class Gunicorn:
    """One gunicorn (its own process group), stopped with SIGTERM and, failing that, SIGKILL."""

    def __init__(self, app: str, env: Mapping[str, str], log_path: Path) -> None:
        self.app = app
        self.env = dict(env)
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Gunicorn:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.port = free_port()
        env = {**self.env, "PORT": str(self.port), "BASE_URL": self.url}
        command = [python(), "-m", "gunicorn", "-c", str(GUNICORN_CONF), self.app]
        self._log = self.log_path.open("ab")
        progress(f"starting gunicorn {self.app} on {self.url}")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until the port accepts connections; ``BenchError`` if gunicorn exits or takes too long."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BenchError(f"gunicorn {self.app} exited at start:\n{self.log_tail()}")
            if _accepts(self.port):
                return
            time.sleep(0.1)
        raise BenchError(f"gunicorn {self.app} did not listen within {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (workers finish, the flusher drains), wait; SIGKILL whatever of its group is left."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                progress(f"stopping gunicorn {self.app}")
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    progress(f"gunicorn {self.app} ignored SIGTERM for {timeout_s:.0f} s: killing it")
            _kill_group(process.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the processes of its group: the serving
        worker's, in practice (the master holds little)."""
        if self.process is None:
            return 0.0
        peaks = [0.0]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.process.pid:
                    continue
                status = (entry / "status").read_text()
            except (OSError, ProcessLookupError):
                continue  # gone meanwhile
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return round(max(peaks), 1)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_group(group: int, what: str = "gunicorn") -> None:
    """SIGKILL what is left of a process group this module started (a worker outliving its master)."""
    if _group_alive(group):
        progress(f"killing what is left of {what}'s process group {group}")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


class Service:
    """``python ARGS`` (a flusher, a Celery worker) in its own process group, its output in a log;
    stopped with SIGTERM (it finishes what it holds) and, failing that, SIGKILL."""

    def __init__(self, name: str, args: Sequence[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.args = list(args)
        self.env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Service:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [python(), *self.args], cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and whatever it started: nothing of its shutdown runs."""
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout_s)
        _kill_group(process.pid, self.name)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
