"""Gunicorn settings for Lantern (``gunicorn -c deploy/gunicorn.conf.py panel.wsgi:application``).

Embedded mode (chDB) runs exactly one worker process, which owns the event store and runs the
flusher as a thread; server mode runs ``WEB_CONCURRENCY`` workers and a separate flusher, and each
worker runs a replayer thread that moves its fallback spool (events taken while Redis was out) into
Redis. Workers start their threads after fork; a killed worker's spool is adopted by a live one.
Embedded mode's one worker also runs the periodic jobs (reports, alerts, retention) in a scheduler
thread (``panel.scheduler``); server mode runs them in Celery (``./dev worker``).

Slow clients: a thread waits at most ``REQUEST_HEADER_TIMEOUT_S`` for a request's headers
(``panel.server``) and ``REQUEST_BODY_TIMEOUT_S`` for its body (``panel.wsgi``), both 10 s by default;
a client opening connections faster than that can still keep the threads busy, so in server mode
put a buffering proxy (nginx, Caddy) in front, which hands gunicorn only whole requests.

Files the processes create are private (umask 077), and the data directory's existing files lose
their group and other bits before the workers start (``analytics.datadir``).

Logs: ``LOG_FORMAT=json`` makes gunicorn's lines JSON as Lantern's are (``analytics.logs``); the access
log (``ACCESS_LOG``) never holds the client's address or user agent. Metrics: with
``PROMETHEUS_MULTIPROC_DIR`` the workers count into files there, summed by whichever worker answers
``/metrics``; the master empties the directory at start and forgets each worker that exits.
"""

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.config import data_dir, env_int, is_embedded_clickhouse, redis_url
from analytics.datadir import PRIVATE_UMASK, private_umask, secure_data_dir
from analytics.logs import gunicorn_config

private_umask()  # the master's umask, inherited by the workers it forks

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{env_int('PORT', 8000, minimum=1)}"
worker_class = "panel.server.BoundedThreadWorker"  # gthread, with a deadline on headers
workers = 1 if is_embedded_clickhouse() else env_int("WEB_CONCURRENCY", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 8, minimum=1)
preload_app = False  # the event store and Redis clients are opened in the worker, after fork
graceful_timeout = 20
timeout = 60
accesslog = os.environ.get("ACCESS_LOG") or None
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'  # no client address, user agent or query
errorlog = "-"
logconfig_dict = gunicorn_config()
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "") or "127.0.0.1"
umask = PRIVATE_UMASK
# prometheus_client's multiprocess mode (read from the environment by the workers' metrics)
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server: Any) -> None:
    for path in secure_data_dir(data_dir()):
        server.log.info("made %s private (it was readable by other users)", path)
    if metrics_dir:  # the counts of a previous run's workers would add to this run's
        directory = Path(metrics_dir)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_worker_init(worker: object) -> None:
    from ingest.runtime import start_workers

    start_workers()
    if not redis_url():
        from panel import scheduler

        scheduler.start()


def worker_exit(server: object, worker: object) -> None:
    from ingest.runtime import stop_workers
    from panel import scheduler

    scheduler.stop()
    stop_workers()
