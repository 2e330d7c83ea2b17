"""Shared pieces of the report and alert tests: a committed team (owner, admin, viewer) and seeding.

Committed (``transactional_db``), because the jobs under test run in other threads, each with its own
database connection, as a Celery worker or a second job would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tests.conftest import make_event, seed


@dataclasses.dataclass
class Team:
    site: Any
    owner: Any
    admin: Any
    viewer: Any


def make_team(domain: str = "example.com", tz: str = "Europe/Berlin") -> Team:
    from panel.accounts.models import Membership, User
    from panel.sites.models import Site

    owner = User.objects.create_with_organisation(f"owner@{domain}", "a long enough passphrase")
    organisation = owner.primary_organisation()
    admin = User.objects.create_user(f"admin@{domain}", "a long enough passphrase")
    viewer = User.objects.create_user(f"viewer@{domain}", "a long enough passphrase")
    Membership.objects.create(user=admin, organisation=organisation, role=Membership.Role.ADMIN)
    Membership.objects.create(user=viewer, organisation=organisation, role=Membership.Role.VIEWER)
    site = Site.objects.create(organisation=organisation, domain=domain, timezone=tz)
    Site.objects.filter(pk=site.pk).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    site.refresh_from_db()
    return Team(site, owner, admin, viewer)


def seed_visits(site_id: int, visits: list[tuple[dt.datetime, int, str, str]]) -> None:
    """Pageviews as (time, visitor id, page, source), with their visits, as the flusher writes them."""
    events = [
        make_event(site_id, timestamp=at, visitor_id=visitor, pathname=page, referrer_source=source)
        for at, visitor, page, source in visits
    ]
    seed(events)


@contextlib.contextmanager
def racing(job: Callable[[], int], jobs: int) -> Iterator[list[int]]:
    """Start ``jobs`` threads that call ``job`` at the same moment, each on its own database
    connection; on leaving the block, wait for them. Yields the list their results arrive in."""
    start = threading.Barrier(jobs)
    results: list[int] = []

    def run() -> None:
        from django.db import connection

        start.wait()
        try:
            results.append(job())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    try:
        yield results
    finally:
        for thread in threads:
            thread.join()
