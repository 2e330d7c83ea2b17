"""How every Lantern process logs: plain lines, or one JSON object a line with ``LOG_FORMAT=json``.

    LOGGING = logging_config()     # panel/settings.py: Django (web processes, Celery) applies it
    configure("flusher")           # a process without Django (the flusher): the same, applied now

``LOG_FORMAT`` is ``text`` (the default) or ``json``; ``LOG_LEVEL`` one of Python's level names; any
other value stops the boot naming the variable. A JSON line holds ``time`` (UTC, ISO 8601), ``level``,
``logger``, ``message``, ``process`` and ``thread``, ``exc_info`` with a traceback, and what a call
adds with ``extra=``. No log line carries a visitor's IP address or user agent: ingest never logs
them, and gunicorn's access log format leaves them out (``deploy/gunicorn.conf.py``).
"""

from __future__ import annotations

import logging.config
from typing import Any

from analytics.config import ConfigError, env_str

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_format() -> str:
    raw = env_str("LOG_FORMAT", "text").strip().lower() or "text"
    if raw not in FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {env_str('LOG_FORMAT')!r}")
    return raw


def log_level() -> str:
    raw = env_str("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if raw not in LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, got {env_str('LOG_LEVEL')!r}")
    return raw


def formatter(text_format: str = "%(message)s") -> dict[str, Any]:
    """The formatter of ``logging.config.dictConfig``: JSON lines, or ``text_format``."""
    if log_format() == "json":
        return {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "process", "threadName"],
            "rename_fields": {"levelname": "level", "name": "logger", "threadName": "thread"},
            "timestamp": "time",
        }
    return {"format": text_format}


def logging_config(text_format: str = "%(message)s") -> dict[str, Any]:
    """A ``dictConfig`` sending every logger's lines to stderr in the configured format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lantern": formatter(text_format)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "lantern"}},
        "root": {"handlers": ["console"], "level": log_level()},
    }


def gunicorn_config() -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error and access logs as JSON lines too; empty (gunicorn's
    own text lines) unless ``LOG_FORMAT=json``."""
    if log_format() != "json":
        return {}
    config = logging_config()
    config["loggers"] = {
        "gunicorn.error": {"level": log_level(), "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    }
    return config


def capture_warnings() -> None:
    """With JSON lines, Python's warnings are logged too (``py.warnings``), not printed as text."""
    if log_format() == "json":
        logging.captureWarnings(True)


def configure(process: str) -> None:
    """Apply ``logging_config`` now, text lines naming ``process`` (for processes without Django)."""
    logging.config.dictConfig(logging_config(f"%(asctime)s {process} %(levelname)s %(message)s"))
    capture_warnings()
