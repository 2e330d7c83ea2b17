"""Environment-only settings shared by every Lantern process, read through small typed helpers.

A bad value raises ``ConfigError`` at boot, naming the variable. Unset means embedded mode:

    >>> import os; os.environ.pop("CLICKHOUSE_URL", None) and None
    >>> clickhouse_url().startswith("chdb://")
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import os
import re
import types
from collections.abc import Iterator, Mapping
from pathlib import Path


class ConfigError(ValueError):
    """An environment variable holds a value Lantern cannot use."""


_NONE: Mapping[str, str] = types.MappingProxyType({})
_overrides: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "lantern_overrides", default=_NONE
)


@contextlib.contextmanager
def overridden(**values: str) -> Iterator[None]:
    """Within the block (this thread or task only), read these variables as given instead of the
    environment's: how one process talks to another installation's stores, e.g. ``transfer`` moving an
    embedded installation to servers (``CLICKHOUSE_URL``, ``DATABASE_URL``, ``CLICKHOUSE_TOPOLOGY``)."""
    token = _overrides.set({**_overrides.get(), **values})
    try:
        yield
    finally:
        _overrides.reset(token)


def is_overridden() -> bool:
    return bool(_overrides.get())


def _raw(name: str) -> str | None:
    overrides = _overrides.get()
    return overrides[name] if name in overrides else os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    """The variable's text, or ``default``; ``NAME_FILE`` names a file holding it (secrets)."""
    if name in _overrides.get():
        return _overrides.get()[name]
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


_RATE = re.compile(r"^[1-9][0-9]*/[0-9]*[smhd]$")


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate, ``<count>/<period>`` such as ``600/h`` or ``300/10m``."""
    raw = os.environ.get(name, "").strip() or default
    if not _RATE.match(raw):
        raise ConfigError(f"{name} must be a rate such as 600/h or 300/10m, got {raw!r}")
    return raw


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of CIDR ranges, e.g. ``TRUSTED_PROXIES=10.0.0.0/8,::1/128``."""
    raw = os.environ.get(name, "")
    networks = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {part!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def data_dir() -> Path:
    """Where embedded mode keeps its files (``LANTERN_DATA_DIR``, default ``./var``)."""
    return Path(env_str("LANTERN_DATA_DIR", "var")).resolve()


def database_url() -> str:
    return env_str("DATABASE_URL") or f"sqlite:///{data_dir() / 'lantern.sqlite3'}"


def clickhouse_url() -> str:
    return env_str("CLICKHOUSE_URL") or f"chdb://{data_dir() / 'clickhouse'}"


def redis_url() -> str:
    """Empty in embedded mode: the buffer is an in-process queue over an on-disk spool."""
    return env_str("REDIS_URL")


def is_embedded_clickhouse(url: str | None = None) -> bool:
    return (url or clickhouse_url()).startswith("chdb:")


def header_timeout_s() -> int:
    """Seconds a request's headers may take to arrive once a server thread took its connection."""
    return env_int("REQUEST_HEADER_TIMEOUT_S", 10, minimum=1)


def body_timeout_s() -> int:
    """Seconds a request's body may take to arrive after its headers (then 408)."""
    return env_int("REQUEST_BODY_TIMEOUT_S", 10, minimum=1)
