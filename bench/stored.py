"""Count one site's events in the event store; run in its own process once the server has exited
(chDB lets one process at a time open a data directory).

    python -c "import sys; from bench.stored import main; sys.exit(main(sys.argv[1:]))" bench.example
"""

from __future__ import annotations

import json

from analytics import client
from analytics.config import database_url
from bench.common import BenchError
from ingest.accounts import AccountsDB


def site_id(domain: str) -> int:
    for site in AccountsDB(database_url()).fetch_sites():
        if site.domain == domain:
            return site.id
    raise BenchError(f"no site {domain} in the accounts database")


def count_events(site: int) -> int:
    sql = "SELECT count() FROM events WHERE site_id = {site:UInt64}"
    return int(client.execute(sql, {"site": site}, tag="bench").rows[0][0])


def main(argv: list[str]) -> int:
    site = site_id(argv[0])
    print(json.dumps({"site_id": site, "stored": count_events(site)}))
    return 0
