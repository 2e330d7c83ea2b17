"""Run Lantern exactly as ``./dev serve`` does (SQLite, chDB, spool, in-process flusher) in a temp dir."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent
SERVER_MODE_VARS = (
    "DATABASE_URL",
    "CLICKHOUSE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "BASE_URL",
)


@dataclasses.dataclass
class EmbeddedServer:
    url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    log: Path

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(ROOT / "dev"), "manage", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return result.stdout


def _wait_until_serving(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 120
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"./dev serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"./dev serve did not answer within {timeout_s}s:\n{log.read_text()[-3000:]}")


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[EmbeddedServer]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVER_MODE_VARS}
    env.update({"PORT": str(port), "LANTERN_DATA_DIR": str(data_dir)})
    log = data_dir.parent / f"serve-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(ROOT / "dev"), "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield EmbeddedServer(url, port, data_dir, env, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
