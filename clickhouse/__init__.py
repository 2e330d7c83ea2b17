"""ClickHouse schema: numbered ``.sql`` migrations in ``migrations/`` and the runner that applies them."""
