"""Moving an embedded installation (SQLite and chDB) to servers (PostgreSQL and ClickHouse), without
losing a day: ``./dev manage transfer --to-clickhouse URL --to-database URL`` (``management/commands``).

``targets`` parses the flags, ``accounts`` copies the accounts database, ``analytics.transfer`` the
event store; the command runs them in order and compares both sides before it says done.
"""
