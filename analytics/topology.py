"""Where a table's rows live in each ClickHouse topology: the one place that names stored tables.

``CLICKHOUSE_TOPOLOGY`` chooses the layout (``single``, the default, is one server or chDB), and
``CLICKHOUSE_CLUSTER`` names the cluster of ``remote_servers`` (default ``lantern``):

- ``single``: every table is itself; no ``ON CLUSTER``.
- ``replicated``: the same tables as ``Replicated*`` engines on every replica, DDL ``ON CLUSTER``.
- ``sharded``: a table holding sites' rows is ``<name>_local`` (``Replicated*``) on every shard, and
  ``<name>`` is a ``Distributed`` table over them sharded by ``cityHash64(site_id)``; reads and inserts
  go through ``<name>``, mutations and ``TRUNCATE`` run on ``<name>_local`` ``ON CLUSTER``.

    >>> layout = Layout(Topology.SHARDED, "lantern")
    >>> layout.write_target("events")
    "`events_local` ON CLUSTER 'lantern'"
    >>> Layout(Topology.SINGLE, "lantern").write_target("events")
    '`events`'

Only tables holding sites' rows are sharded; the others (the migrations ledger) are replicated to every
node of the cluster. Names are checked against ``NAME``, never taken from outside unchecked.
"""

from __future__ import annotations

import dataclasses
import enum
import re

from analytics.config import ConfigError, env_str

LOCAL_SUFFIX = "_local"
SHARDING_KEY = "cityHash64(site_id)"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,190}$")
_CLUSTER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")


class Topology(enum.StrEnum):
    SINGLE = "single"
    REPLICATED = "replicated"
    SHARDED = "sharded"


def _checked(table: str) -> str:
    if not NAME.match(table):
        raise ValueError(f"unexpected table name {table!r}")
    return table


@dataclasses.dataclass(frozen=True)
class Layout:
    topology: Topology
    cluster: str = "lantern"

    @classmethod
    def from_env(cls) -> Layout:
        """The layout the environment names; a bad value is a ``ConfigError`` naming its variable."""
        raw = env_str("CLICKHOUSE_TOPOLOGY", "single").strip().lower() or "single"
        try:
            topology = Topology(raw)
        except ValueError:
            choices = ", ".join(t.value for t in Topology)
            raise ConfigError(f"CLICKHOUSE_TOPOLOGY must be one of {choices}, got {raw!r}") from None
        cluster = env_str("CLICKHOUSE_CLUSTER", "lantern").strip() or "lantern"
        if not _CLUSTER.match(cluster):
            raise ConfigError(
                f"CLICKHOUSE_CLUSTER must be a cluster name (letters, digits, _ . -), got {cluster!r}"
            )
        return cls(topology, cluster)

    @property
    def clustered(self) -> bool:
        return self.topology is not Topology.SINGLE

    @property
    def sharded(self) -> bool:
        return self.topology is Topology.SHARDED

    def on_cluster(self) -> str:
        """`` ON CLUSTER '<name>'`` in a cluster, else nothing: to follow a table or view name in DDL."""
        return f" ON CLUSTER '{self.cluster}'" if self.clustered else ""

    def local(self, table: str) -> str:
        """The table holding the rows of ``table`` (a table of sites' rows) on each node."""
        return _checked(table) + (LOCAL_SUFFIX if self.sharded else "")

    def logical(self, stored: str) -> str:
        """The name reads and inserts use for a stored table ``local`` returned."""
        if self.sharded and stored.endswith(LOCAL_SUFFIX):
            return _checked(stored[: -len(LOCAL_SUFFIX)])
        return _checked(stored)

    def write_target(self, table: str) -> str:
        """What follows ``ALTER TABLE`` or ``TRUNCATE TABLE`` to change the rows of ``table`` everywhere."""
        return f"`{self.local(table)}`{self.on_cluster()}"

    def mutation_settings(self) -> dict[str, int]:
        """Settings of an ``ALTER TABLE … DELETE``: wait until every replica has finished it. A cluster's
        mutation whose condition has a subquery must be allowed to (the caller orders its mutations so
        every replica reads the same rows)."""
        settings = {"mutations_sync": 2}
        if self.clustered:
            settings["allow_nondeterministic_mutations"] = 1
        return settings

    def insert_settings(self) -> dict[str, int]:
        """Settings of an insert: when sharded, the ``Distributed`` table hands the rows to their shards
        before it answers (not to a queue on the node that took them), so an acknowledged batch is stored
        on its shard's replicas, and a retried one reaches the shard that deduplicates it."""
        return {"distributed_foreground_insert": 1} if self.sharded else {}

    def keeper_path(self, table: str, *, per_shard: bool) -> str:
        """The Keeper path of a replicated table: one replica group per shard, or one for the cluster."""
        shard = "{shard}/" if per_shard else ""
        return f"/clickhouse/tables/{shard}{{database}}/{_checked(table)}"

    def distributed_engine(self, table: str) -> str:
        """The engine of the ``Distributed`` table over ``<table>_local``, sharded by site."""
        return f"Distributed('{self.cluster}', currentDatabase(), '{self.local(table)}', {SHARDING_KEY})"

    def create_like(self, table: str, source: str, order_by: str) -> list[str]:
        """Statements making ``table`` (of sites' rows) with ``source``'s columns, as a work table: on a
        server a copy of ``source`` (engine too); in a cluster a replicated table under its own Keeper
        path (a copied engine would share ``source``'s), ordered by ``order_by``, and when sharded the
        ``Distributed`` table over it."""
        if not self.clustered:
            return [f"CREATE TABLE {_checked(table)} AS {_checked(source)}"]
        path = self.keeper_path(table, per_shard=True)
        engine = f"ReplicatedMergeTree('{path}', '{{replica}}') ORDER BY {order_by}"
        on, stored = self.on_cluster(), self.local(table)
        made = [f"CREATE TABLE {stored}{on} AS {self.local(source)} ENGINE = {engine}"]
        if self.sharded:
            made.append(f"CREATE TABLE {table}{on} AS {stored} ENGINE = {self.distributed_engine(table)}")
        return made

    def drop(self, table: str, *, view: bool = False, site_rows: bool = True) -> list[str]:
        """Statements dropping ``table`` (and its local tables, if it holds sites' rows) on every node,
        waiting until Keeper forgets it (``SYNC``), so a table of the same name can be made again."""
        kind = "VIEW" if view else "TABLE"
        if not self.clustered:
            return [f"DROP {kind} IF EXISTS {_checked(table)}"]
        sync = f"{self.on_cluster()} SYNC"
        names = [table, self.local(table)] if self.sharded and site_rows and not view else [table]
        return [f"DROP {kind} IF EXISTS {_checked(name)}{sync}" for name in names]


def current() -> Layout:
    """The process's layout, from the environment."""
    return Layout.from_env()
