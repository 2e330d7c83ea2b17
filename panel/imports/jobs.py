"""Importing a site's history in the background: queue an uploaded export, load it, make it active.

    >>> record = start_import(site, user, Path("/tmp/upload.zip"), "export.zip")  # doctest: +SKIP
    >>> run_import(record.pk)  # the job: a Celery worker, or a thread when embedded  # doctest: +SKIP
    'done'

The file is moved under ``$LANTERN_DATA_DIR/imports/`` (in server mode a volume the workers share)
and deleted once loaded or refused. Plausible's export takes the days before the site's first native
event (or the owner's chosen days within them); it becomes the site's active import only once every
file has loaded, then the earlier ones are replaced and their rows deleted. Lantern's full export
(known by its files) adds its raw events to the site's own, exactly, with visits derived here (only
the chosen days' events, when days are chosen), its drop counts, and its own imported history as
the active import when it holds one (``analytics.load_lantern``); its settings are only named
(``settings_note``). A bad file fails the import with the error naming the file, line and column,
and leaves the site as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from analytics import (
    ActiveImport,
    ImportFileError,
    ImportLoaded,
    LanternLoaded,
    drop_import_staging,
    drop_imports,
    first_event_day,
    import_kept_days,
    is_lantern_export,
    load_lantern,
    load_plausible,
    staged_import_ids,
)
from analytics.config import data_dir
from analytics.datadir import make_private_dir
from panel.imports.models import SiteImport
from panel.imports.settings_note import note
from panel.sites.models import Site

log = logging.getLogger(__name__)

NOTHING_TO_TAKE = "the export holds no day before the site's first event (or within the days asked for)"
SERVER_FAILED = "the import failed on the server; nothing was imported, please try again"
SERVER_FAILED_LANTERN = (
    "the import failed on the server; import the same file again to complete it (nothing is counted twice)"
)
NOTHING_IN_EXPORT = "the export holds no event, drop count or imported day (within the days asked for)"


def imports_dir() -> Path:
    return data_dir() / "imports"


def start_import(
    site: Site,
    user: Any,
    upload: Path,
    file_name: str,
    wanted: tuple[dt.date, dt.date] | None = None,
    *,
    background: bool = True,
    move: bool = True,
) -> SiteImport:
    """Queue an import of the file at ``upload`` for ``site`` (moved away from there, or copied when
    not ``move``); ``background``: run it in the background once committed."""
    make_private_dir(imports_dir())
    record = SiteImport.objects.create(
        site=site,
        requested_by=user,
        file_name=file_name[:255],
        size_bytes=upload.stat().st_size,
        wanted_from=wanted[0] if wanted else None,
        wanted_to=wanted[1] if wanted else None,
    )
    stored = f"{record.pk}-{secrets.token_hex(8)}.zip"
    if move:
        shutil.move(upload, imports_dir() / stored)
    else:
        shutil.copyfile(upload, imports_dir() / stored)
    SiteImport.objects.filter(pk=record.pk).update(stored_as=stored)
    record.stored_as = stored
    if background:
        from panel.celery import in_background

        # Once the row is committed, so that the worker (another connection) finds it.
        transaction.on_commit(lambda: in_background("lantern.import", record.pk))
    return record


def _fail(record: SiteImport, error: str) -> str:
    SiteImport.objects.filter(pk=record.pk).update(
        status=SiteImport.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    return SiteImport.Status.FAILED


def run_import(import_id: int, on_progress: Callable[[int], None] = lambda percent: None) -> str:
    """Load a queued import and make it the site's active one; the status it ends in."""
    record = SiteImport.objects.select_related("site").get(pk=import_id)
    if record.status != SiteImport.Status.QUEUED:
        return str(record.status)  # already run (a redelivered task)
    SiteImport.objects.filter(pk=record.pk).update(status=SiteImport.Status.RUNNING)
    site = record.site
    path = imports_dir() / record.stored_as
    wanted = (record.wanted_from, record.wanted_to) if record.wanted_from and record.wanted_to else None
    shown = {"percent": 0}

    def progress(fraction: float) -> None:
        percent = min(99, int(fraction * 100))
        if percent != shown["percent"]:
            shown["percent"] = percent
            SiteImport.objects.filter(pk=record.pk).update(percent=percent)
            on_progress(percent)

    lantern: LanternLoaded | None = None
    lantern_file = is_lantern_export(path)
    try:
        if lantern_file:
            SiteImport.objects.filter(pk=record.pk).update(source=SiteImport.Source.LANTERN)
            _drop_stale_staging()
            first_native = first_event_day(site.id, site.timezone)
            lantern = load_lantern(path, site.id, record.pk, site.timezone, wanted, first_native, progress)
            loaded = lantern.history
        else:
            keep = import_kept_days(first_event_day(site.id, site.timezone), wanted)
            loaded = load_plausible(path, site.id, record.pk, keep, progress)
    except ImportFileError as exc:
        return _fail(record, str(exc))
    except Exception:
        log.exception("the import %s of %s failed", record.pk, site.domain)
        return _fail(record, SERVER_FAILED_LANTERN if lantern_file else SERVER_FAILED)
    finally:
        path.unlink(missing_ok=True)
    if lantern is not None:
        return _finish_lantern(record, lantern, on_progress)
    if loaded.first is None:
        drop_imports(site.id, [record.pk])
        return _fail(record, NOTHING_TO_TAKE)
    _activate(record, loaded)
    on_progress(100)
    return SiteImport.Status.DONE


def _activate(record: SiteImport, loaded: ImportLoaded, **fields: Any) -> None:
    """Mark the import done with ``fields``; when it holds imported days it becomes the site's active
    import, and the earlier one is replaced (its rows deleted)."""
    earlier: list[int] = []
    with transaction.atomic():
        if loaded.first is not None:
            earlier = list(
                SiteImport.objects.select_for_update()
                .holding_days(record.site)
                .exclude(pk=record.pk)
                .values_list("pk", flat=True)
            )
            SiteImport.objects.filter(pk__in=earlier).update(status=SiteImport.Status.REPLACED)
        SiteImport.objects.filter(pk=record.pk).update(
            status=SiteImport.Status.DONE,
            percent=100,
            first_day=loaded.first,
            last_day=loaded.last,
            rows=sum(loaded.rows.values()),
            finished_at=timezone.now(),
            **fields,
        )
    if earlier:
        drop_imports(record.site.id, earlier)


def _finish_lantern(record: SiteImport, loaded: LanternLoaded, on_progress: Callable[[int], None]) -> str:
    if not (loaded.events_added or loaded.events_present or loaded.dropped_added or loaded.history.first):
        return _fail(record, NOTHING_IN_EXPORT)
    _activate(
        record,
        loaded.history,
        events_added=loaded.events_added,
        events_present=loaded.events_present,
        dropped_added=loaded.dropped_added,
        note=note(record.site, loaded.site),
    )
    on_progress(100)
    return SiteImport.Status.DONE


def _drop_stale_staging() -> None:
    """Drop the staging tables that imports no longer running left (a worker died mid-way)."""
    live = SiteImport.Status.QUEUED, SiteImport.Status.RUNNING
    for import_id in staged_import_ids():
        if not SiteImport.objects.filter(pk=import_id, status__in=live).exists():
            drop_import_staging(import_id)


def active_import(site: Site) -> ActiveImport | None:
    """What queries add for ``site``: its active import's id and days, or None."""
    record = SiteImport.objects.active_for(site)
    if record is None or record.first_day is None or record.last_day is None:
        return None
    return ActiveImport(record.pk, record.first_day, record.last_day)


def remove_imports(site: Site) -> int:
    """Remove the site's imported data ("remove imported data"); how many imports it had."""
    with transaction.atomic():
        done = list(SiteImport.objects.select_for_update().holding_days(site).values_list("pk", flat=True))
        SiteImport.objects.filter(pk__in=done).update(status=SiteImport.Status.REMOVED)
    if done:
        drop_imports(site.id, done)
    return len(done)


def delete_site_files(site: Site) -> int:
    """Delete the uploaded files of the site's imports not run yet (the site is being deleted)."""
    names = SiteImport.objects.filter(site=site).exclude(stored_as="").values_list("stored_as", flat=True)
    for name in names:
        (imports_dir() / name).unlink(missing_ok=True)
    return len(names)
