"""The full export of a site: every event, visit and drop count plus its settings (and its imported
history, as Plausible's export lays it out), as CSV files in a zip, written in the background with
progress, then mailed to whoever asked as a signed link that expires after ``LINK_DAYS`` days.

    >>> export = start_export(site, user)  # doctest: +SKIP  (queues run_export(export.pk))
    >>> SiteExport.objects.get(pk=export.pk).percent  # doctest: +SKIP
    40

Cells go through ``panel.exports.csv``'s ``exact_cell``: tracked values that a spreadsheet would run as
formulas are defused, reversibly, so the zip imports into another Lantern value for value
(``analytics.imported.lantern``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from analytics import (
    EXPORT_DROPPED_COLUMNS,
    EXPORT_EVENT_COLUMNS,
    EXPORT_IMPORTED_COLUMNS,
    EXPORT_VISIT_COLUMNS,
    ActiveImport,
    export_dropped_rows,
    export_event_batches,
    export_imported_batches,
    export_totals,
    export_visit_batches,
)
from analytics.config import data_dir
from analytics.datadir import make_private_dir, private_opener
from panel.exports.csv import exact_cell, write_csv
from panel.imports.jobs import active_import
from panel.imports.models import SiteImport
from panel.reports.models import SiteExport
from panel.sites.models import Site

log = logging.getLogger(__name__)

LINK_DAYS = 7
_SALT = "lantern.reports.export"
SITE_COLUMNS = (
    "domain",
    "timezone",
    "created_at",
    "retention_days",
    "excluded_ips",
    "excluded_pages",
    "excluded_countries",
    "allowed_hostnames",
)


def export_dir() -> Path:
    return data_dir() / "exports"


def download_token(export_id: int) -> str:
    return signing.dumps(export_id, salt=_SALT)


def read_download_token(token: str) -> int | None:
    """The export's id, or None when the link is forged, cut short or older than LINK_DAYS."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=dt.timedelta(days=LINK_DAYS))
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, int) else None


def download_url(export_id: int) -> str:
    return settings.BASE_URL + reverse("site-export-download", args=[download_token(export_id)])


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return orjson.dumps(list(value)).decode()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], *, header: bool) -> bytes:
    cells = ({k: _cell(v) for k, v in row.items()} for row in rows)
    return write_csv(cells, columns, header=header, cell=exact_cell)


class _Progress:
    """Moves ``percent`` as rows are written (at most 99 until the zip is complete)."""

    def __init__(self, export: SiteExport, total_rows: int) -> None:
        self.export, self.total, self.done = export, max(total_rows, 1), 0

    def add(self, rows: int) -> None:
        self.done += rows
        percent = min(99, self.done * 100 // self.total)
        if percent != self.export.percent:
            self.export.percent = percent
            SiteExport.objects.filter(pk=self.export.pk).update(percent=percent)


def _write_batches(
    archive: zipfile.ZipFile,
    name: str,
    columns: Sequence[str],
    batches: Iterable[list[dict[str, Any]]],
    progress: _Progress,
) -> None:
    with archive.open(name, "w", force_zip64=True) as out:
        out.write(_csv([], columns, header=True))
        for rows in batches:
            out.write(_csv(rows, columns, header=False))
            progress.add(len(rows))


Part = tuple[str, Sequence[str], Callable[[], Iterable[list[dict[str, Any]]]]]


def imported_parts(site: Site, active: ActiveImport) -> list[Part]:
    """The active import's tables as Plausible's export names and lays out its files, so the zip's
    ``imported_*.csv`` import again (into Lantern, or Plausible)."""
    days = f"{active.first:%Y%m%d}_{active.last:%Y%m%d}"

    def reader(table: str) -> Callable[[], Iterable[list[dict[str, Any]]]]:
        return lambda: export_imported_batches(site.id, active.import_id, table, active.first, active.last)

    return [
        (f"{table}_{days}.csv", columns, reader(table)) for table, columns in EXPORT_IMPORTED_COLUMNS.items()
    ]


def write_zip(site: Site, path: Path, progress: _Progress) -> None:
    site_row = {column: getattr(site, column) for column in SITE_COLUMNS}
    parts: list[Part] = [
        ("site.csv", SITE_COLUMNS, lambda: [[site_row]]),
        ("events.csv", EXPORT_EVENT_COLUMNS, lambda: export_event_batches(site.id)),
        ("visits.csv", EXPORT_VISIT_COLUMNS, lambda: export_visit_batches(site.id)),
        ("dropped_events.csv", EXPORT_DROPPED_COLUMNS, lambda: [export_dropped_rows(site.id)]),
    ]
    active = active_import(site)
    if active is not None:
        parts += imported_parts(site, active)
    with (
        open(path, "wb", opener=private_opener) as file,
        zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for name, columns, batches in parts:
            _write_batches(archive, name, columns, batches(), progress)


def run_export(export_id: int) -> str:
    """Write the zip, mark the export done and mail its link (the background job); the status."""
    export = SiteExport.objects.select_related("site", "requested_by").get(pk=export_id)
    if export.status != SiteExport.Status.QUEUED:
        return str(export.status)  # already run (a redelivered task)
    SiteExport.objects.filter(pk=export.pk).update(status=SiteExport.Status.RUNNING)
    make_private_dir(export_dir())
    name = f"{export.site.domain}-{timezone.now():%Y%m%d}-{secrets.token_hex(8)}.zip"
    path = export_dir() / name
    try:
        totals = export_totals(export.site.id)
        imported = SiteImport.objects.active_for(export.site)
        rows = sum(totals.values()) + (imported.rows if imported else 0)
        write_zip(export.site, path, _Progress(export, rows + 1))
    except Exception:
        log.exception("the export %s of %s failed", export.pk, export.site.domain)
        path.unlink(missing_ok=True)
        SiteExport.objects.filter(pk=export.pk).update(
            status=SiteExport.Status.FAILED, finished_at=timezone.now()
        )
        return SiteExport.Status.FAILED
    SiteExport.objects.filter(pk=export.pk).update(
        status=SiteExport.Status.DONE,
        percent=100,
        file_name=name,
        size_bytes=path.stat().st_size,
        finished_at=timezone.now(),
    )
    _mail(export)
    return SiteExport.Status.DONE


def _mail(export: SiteExport) -> None:
    domain = export.site.domain
    body = (
        f"The export of everything Lantern holds about {domain} is ready:\n\n{download_url(export.pk)}\n\n"
        f"The link works for {LINK_DAYS} days, for members of the site's organisation (log in first).\n"
    )
    try:
        send_mail(f"Your export of {domain} is ready", body, None, [export.requested_by.email])
    except Exception:
        log.exception("the mail for export %s was not sent", export.pk)


def start_export(site: Site, user: Any) -> SiteExport:
    """Queue a full export of ``site`` for ``user``; the work happens in the background."""
    from panel.celery import in_background

    export = SiteExport.objects.create(site=site, requested_by=user)
    # Once the row is committed, so that the worker (another connection) finds it.
    transaction.on_commit(lambda: in_background("lantern.export", export.pk))
    return export


def delete_expired(now: dt.datetime | None = None) -> int:
    """Delete the files of exports whose links have expired (a scheduled job); how many."""
    now = now or timezone.now()
    expired = SiteExport.objects.filter(
        status=SiteExport.Status.DONE, finished_at__lt=now - dt.timedelta(days=LINK_DAYS)
    ).exclude(file_name="")
    count = 0
    for export in expired:
        (export_dir() / export.file_name).unlink(missing_ok=True)
        SiteExport.objects.filter(pk=export.pk).update(file_name="")
        count += 1
    return count


def delete_site_files(site: Site) -> int:
    """Delete the files of every export of ``site`` (the site is being deleted); how many."""
    names = SiteExport.objects.filter(site=site).exclude(file_name="").values_list("file_name", flat=True)
    for name in names:
        (export_dir() / name).unlink(missing_ok=True)
    return len(names)


def delete_files_requested_by(user: Any) -> int:
    """Delete the files of every export ``user`` asked for (their account is being deleted, and the
    rows go with it, so the expiry job would never find them); how many."""
    exports = SiteExport.objects.filter(requested_by=user).exclude(file_name="")
    names = list(exports.values_list("file_name", flat=True))
    for name in names:
        (export_dir() / name).unlink(missing_ok=True)
    return len(names)
