"""The ``transfer`` command's flags, parsed into where it moves an installation, or refused naming the flag.

    target = parse("http://lantern:pw@clickhouse:8123/lantern", "postgres://lantern@db/lantern",
                   topology="single", cluster="lantern")
    target.variables()   # {"CLICKHOUSE_URL": ..., "DATABASE_URL": ..., "CLICKHOUSE_TOPOLOGY": ...}

Only a ClickHouse server (``http``/``https``) and PostgreSQL are targets: chDB admits one data directory
per process (the source's, here), and SQLite is what is being left.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

import dj_database_url

from analytics import Topology

_DATABASE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,190}$")
_CLUSTER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


class FlagError(ValueError):
    """A flag's value the command cannot use; the message starts with the flag."""


@dataclasses.dataclass(frozen=True)
class Target:
    clickhouse_url: str
    database_url: str
    topology: Topology
    cluster: str

    def variables(self) -> dict[str, str]:
        """The settings naming the target installation (``analytics.config.overridden`` takes them)."""
        return {
            "CLICKHOUSE_URL": self.clickhouse_url,
            "DATABASE_URL": self.database_url,
            "CLICKHOUSE_TOPOLOGY": self.topology.value,
            "CLICKHOUSE_CLUSTER": self.cluster,
        }

    def shown(self) -> str:
        """Both URLs without their passwords, for messages."""
        return f"{_without_password(self.clickhouse_url)} and {_without_password(self.database_url)}"


def parse(clickhouse: str, database: str, *, topology: str, cluster: str) -> Target:
    try:
        layout = Topology(topology.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in Topology)
        raise FlagError(f"--to-topology must be one of {choices}, got {topology!r}") from None
    if not _CLUSTER.match(cluster):
        raise FlagError(f"--to-cluster must be a cluster name (letters, digits, _ . -), got {cluster!r}")
    return Target(clickhouse_server(clickhouse), postgres(database), layout, cluster)


def clickhouse_server(url: str) -> str:
    """``--to-clickhouse``: ``http(s)://[user[:password]@]host[:port][/database]``."""
    flag = "--to-clickhouse"
    parts = _split(flag, url)
    if parts.scheme not in ("http", "https"):
        raise FlagError(
            f"{flag} must be a ClickHouse server's http:// or https:// URL, got {_without_password(url)!r}"
            + (" (chDB runs one data directory per process: the source's)" if parts.scheme == "chdb" else "")
        )
    _host(flag, url, parts)
    database = parts.path.strip("/")
    if database and not _DATABASE.match(database):
        raise FlagError(f"{flag}: {database!r} is not a database name (letters, digits and _)")
    if parts.query or parts.fragment:
        raise FlagError(f"{flag} takes no query string or fragment, got {_without_password(url)!r}")
    return url


def postgres(url: str) -> str:
    """``--to-database``: a PostgreSQL URL naming its database."""
    flag = "--to-database"
    parts = _split(flag, url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise FlagError(f"{flag} must be a postgres:// URL, got {_without_password(url)!r}")
    _host(flag, url, parts)
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:
        raise FlagError(f"{flag}: {exc}") from None
    if not config.get("NAME"):
        raise FlagError(f"{flag} must name its database (postgres://user@host:5432/NAME)")
    return url


def _split(flag: str, url: str) -> urllib.parse.SplitResult:
    if not url.strip():
        raise FlagError(f"{flag} is required: the URL of the server to move to")
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise FlagError(f"{flag} is not a URL ({exc})") from None
    return parts


def _host(flag: str, url: str, parts: urllib.parse.SplitResult) -> None:
    if not parts.hostname:
        raise FlagError(f"{flag} must name a host, got {_without_password(url)!r}")


def same_database(first: str, second: str) -> bool:
    """Whether two accounts-database URLs name one database (host, port and name; SQLite: the file)."""
    one, two = dj_database_url.parse(first), dj_database_url.parse(second)
    fields = ("ENGINE", "HOST", "PORT", "NAME")
    return all(str(one.get(f) or "") == str(two.get(f) or "") for f in fields)


def same_clickhouse(first: str, second: str) -> bool:
    """Whether two ClickHouse URLs name one database of one server."""
    one, two = urllib.parse.urlsplit(first), urllib.parse.urlsplit(second)
    return (one.scheme, one.hostname, one.port, one.path.strip("/") or "default") == (
        two.scheme,
        two.hostname,
        two.port,
        two.path.strip("/") or "default",
    )


def _without_password(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<not a URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
