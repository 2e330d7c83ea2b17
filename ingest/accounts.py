"""Plain DB-API access to the accounts-database tables ingest needs: sites, daily salts, API keys.

No ORM on the hot path: these are called rarely (cache refreshes, once a day for a salt).
The tables belong to the Django app ``panel.sites`` (``lantern_site``, ``lantern_salt``).

    >>> db = AccountsDB("sqlite:///var/lantern.sqlite3")  # doctest: +SKIP
    >>> db.fetch_sites()  # doctest: +SKIP
    [SiteInfo(id=1, domain='example.com', timezone='UTC')]
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import secrets
import sqlite3
import threading
import urllib.parse
from typing import Any

import psycopg

from ingest.shields import NO_SHIELDS, Shields

SALT_BYTES = 32
DEFAULT_RETENTION_DAYS = 3 * 365
WRITERS = ("owner", "admin")  # roles whose keys may write (panel.apikeys.models.SCOPE_ROLE)


@dataclasses.dataclass(frozen=True, slots=True)
class SiteInfo:
    id: int
    domain: str
    timezone: str
    retention_days: int = DEFAULT_RETENTION_DAYS
    shields: Shields = NO_SHIELDS


@dataclasses.dataclass(frozen=True, slots=True)
class KeyGrant:
    """What a live API key may do: its scopes, and the sites of its owner's organisations."""

    scopes: frozenset[str]
    site_ids: frozenset[int]


class AccountsDB:
    def __init__(self, url: str) -> None:
        self.url = url
        self._is_sqlite = url.startswith("sqlite:")
        self._lock = threading.Lock()
        self._conn: Any = None

    def _connect(self) -> Any:
        if self._is_sqlite:
            path = urllib.parse.urlsplit(self.url).path
            conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            return conn
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if not self._is_sqlite:
            sql = sql.replace("?", "%s")
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    cursor = self._conn.execute(sql, params)
                    return list(cursor.fetchall()) if cursor.description else []
                except (sqlite3.OperationalError, psycopg.OperationalError):
                    self.close_unlocked()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close_unlocked(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(
                Exception
            ):  # a broken connection may fail to close; it is dropped anyway
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()

    def ping(self) -> None:
        """Raise unless the database answers (readiness)."""
        self._run("SELECT 1")

    def fetch_sites(self) -> list[SiteInfo]:
        rows = self._run(
            "SELECT id, domain, timezone, retention_days,"
            " excluded_ips, excluded_pages, excluded_countries, allowed_hostnames FROM lantern_site"
        )
        return [
            SiteInfo(
                id=int(r[0]),
                domain=str(r[1]),
                timezone=str(r[2]),
                retention_days=int(r[3]),
                shields=Shields.from_text(ips=r[4], pages=r[5], countries=r[6], hostnames=r[7])
                if any(r[4:8])
                else NO_SHIELDS,
            )
            for r in rows
        ]

    def fetch_key(self, key_hash: str) -> KeyGrant | None:
        """The grant of the live API key with this SHA-256 hash, or None; records that it was used."""
        keys = self._run(
            "SELECT k.scopes, k.organisation_id, m.role FROM apikeys_apikey k"
            " JOIN accounts_membership m ON m.user_id = k.user_id AND m.organisation_id = k.organisation_id"
            " WHERE k.key_hash = ? AND k.revoked_at IS NULL",
            (key_hash,),
        )
        if not keys:
            return None  # unknown, revoked, or its user has left the key's organisation
        scopes, organisation_id, role = keys[0]
        now = dt.datetime.now(dt.UTC)  # the key was used: once per cache period is often enough
        self._run(
            "UPDATE apikeys_apikey SET last_used_at = ? WHERE key_hash = ?",
            (now.isoformat() if self._is_sqlite else now, key_hash),
        )
        sites = self._run("SELECT id FROM lantern_site WHERE organisation_id = ?", (organisation_id,))
        listed = json.loads(scopes) if isinstance(scopes, str) else scopes
        if role not in WRITERS:  # a member demoted to viewer keeps only what a viewer may do
            listed = [s for s in listed if s == "stats:read"]
        return KeyGrant(frozenset(str(s) for s in listed), frozenset(int(r[0]) for r in sites))

    def salt(self, day: dt.date) -> bytes:
        """The day's salt, created at random by whichever process asks first (races are harmless)."""
        key = day.isoformat() if self._is_sqlite else day
        now = dt.datetime.now(dt.UTC)
        self._run(
            "INSERT INTO lantern_salt (day, secret, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (day) DO NOTHING",
            (key, secrets.token_bytes(SALT_BYTES), now.isoformat() if self._is_sqlite else now),
        )
        rows = self._run("SELECT secret FROM lantern_salt WHERE day = ?", (key,))
        return bytes(rows[0][0])

    def delete_salts_before(self, day: dt.date) -> None:
        self._run("DELETE FROM lantern_salt WHERE day < ?", (day.isoformat() if self._is_sqlite else day,))
