"""./dev manage importplausible DOMAIN FILE.zip [--from DATE --to DATE]: import a site's history from
Plausible's CSV export (or Lantern's full export), printing progress; it replaces an earlier import.

It needs the event store: in embedded mode, stop ``./dev serve`` first (it holds the store), or
upload the file in the site's settings instead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import EngineBusyError, first_event_day, is_lantern_export
from panel.imports.jobs import run_import, start_import
from panel.imports.models import SiteImport
from panel.sites.models import Site


def _day(raw: str | None, flag: str) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{flag}: {raw!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Import DOMAIN's history from FILE.zip (Plausible's CSV export); replaces an earlier import."
    lantern_only = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("domain")
        parser.add_argument(
            "file", help="the zip Plausible's Settings → Imports & Exports made, or Lantern's full export"
        )
        parser.add_argument("--from", dest="first", help="the first day to take (YYYY-MM-DD)")
        parser.add_argument("--to", dest="last", help="the last day to take (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(domain=options["domain"].strip().lower()).first()
        if site is None:
            raise CommandError(f"no site {options['domain']!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if self.lantern_only and not is_lantern_export(path):
            raise CommandError(f"{path.name}: not Lantern's full export (events.csv, site.csv, …)")
        first, last = _day(options["first"], "--from"), _day(options["last"], "--to")
        if (first is None) != (last is None):
            raise CommandError("--from and --to go together")
        if first and last and first > last:
            raise CommandError("--from is after --to")
        try:
            first_event_day(site.id, site.timezone)  # opens the event store, or says who holds it
        except EngineBusyError as exc:
            raise CommandError(f"{exc}; stop it, or upload the file in the site's settings") from None
        wanted = (first, last) if first and last else None
        record = start_import(site, None, path, path.name, wanted, background=False, move=False)
        self.stdout.write(f"importing {path.name} into {site.domain} (import {record.pk})")
        status = run_import(record.pk, on_progress=lambda percent: self.stdout.write(f"{percent}%"))
        record = SiteImport.objects.get(pk=record.pk)
        if status != SiteImport.Status.DONE:
            raise CommandError(f"the import failed: {record.error}")
        days = f"{record.first_day} to {record.last_day}"
        if record.source != SiteImport.Source.LANTERN:
            self.stdout.write(f"imported {record.rows} rows, {days}; it replaces any earlier import")
            return
        self.stdout.write(
            f"added {record.events_added} events ({record.events_present} were there already)"
            f" and {record.dropped_added} filtered-out counts"
        )
        if record.first_day:
            self.stdout.write(f"imported history: {record.rows} rows, {days}; it replaces any earlier import")
        if record.note:
            self.stdout.write(record.note)
