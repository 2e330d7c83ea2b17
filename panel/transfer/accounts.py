"""Copy the accounts database (users, organisations, sites, keys, goals, links, salts, …) to another one.

The target is a second Django database, ``TARGET`` (``connect`` adds it at run time). Every row of every
model is copied as it is, primary keys included, so API keys, shared links and ids stay valid, and the
day's salts too (today's visitor ids stay the same). Content types and permissions are the target's own
until the copy replaces them with the source's (their ids are referred to). The copy is one transaction:
the target holds all of it or none; then its sequences are moved past the copied ids.

    connect("postgres://lantern@db/lantern"); migrate_target()
    if not occupied(): copy()
    difference()   # None when both hold the same rows
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

TARGET = "transfer_target"
REPLACED: tuple[type[models.Model], ...] = (Permission, ContentType)  # made by migrate, replaced by the copy
BATCH = 2_000


def connect(url: str) -> None:
    """Add the database at ``url`` as the alias ``TARGET``, beside the process's own."""
    config = dj_database_url.parse(url, conn_max_age=0)
    settings.DATABASES[TARGET] = config
    connections.settings[TARGET] = connections.configure_settings(
        {DEFAULT_DB_ALIAS: settings.DATABASES[DEFAULT_DB_ALIAS], TARGET: config}
    )[TARGET]


def disconnect() -> None:
    """Close the target's connection and forget the alias."""
    connections[TARGET].close()
    del connections[TARGET]
    connections.settings.pop(TARGET, None)
    settings.DATABASES.pop(TARGET, None)


def migrate_source() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def migrate_target() -> None:
    call_command("migrate", database=TARGET, interactive=False, verbosity=0)


def copied_models() -> list[type[models.Model]]:
    """Every model with a table of its own (many-to-many tables too), in a stable order."""
    found = apps.get_models(include_auto_created=True)
    kept = [model for model in found if model._meta.managed and not model._meta.proxy]
    return sorted(kept, key=lambda model: model._meta.label)


@dataclasses.dataclass(frozen=True)
class Rows:
    model: str
    count: int


def occupied() -> list[Rows]:
    """The target's tables holding rows (but content types and permissions, which migrate makes)."""
    tables = set(connections[TARGET].introspection.table_names())
    found = []
    for model in copied_models():
        if model in REPLACED or model._meta.db_table not in tables:
            continue
        count = model._base_manager.using(TARGET).count()
        if count:
            found.append(Rows(model._meta.label, count))
    return found


def copy() -> dict[str, int]:
    """Copy every row to the target, in one transaction; returns the rows copied per model."""
    copied: dict[str, int] = {}
    target = connections[TARGET]
    with transaction.atomic(using=TARGET):
        for model in REPLACED:
            model._base_manager.using(TARGET).all().delete()
        for model in copied_models():
            count = 0
            for row in _rows(model, DEFAULT_DB_ALIAS):
                # raw: stored as read (no auto_now stamps, no signals acting on it); force_insert: one INSERT
                row.save_base(using=TARGET, raw=True, force_insert=True)
                count += 1
            copied[model._meta.label] = count
        with target.cursor() as cursor:
            for statement in target.ops.sequence_reset_sql(no_style(), copied_models()):
                cursor.execute(statement)
    ContentType.objects.clear_cache()  # the target's were replaced
    return copied


def difference() -> str | None:
    """The first row that differs between the two databases, in words; None when every row is equal."""
    for model in copied_models():
        if model in REPLACED:
            continue
        ours, theirs = _values(model, DEFAULT_DB_ALIAS), _values(model, TARGET)
        for key in sorted(set(ours) | set(theirs), key=str):
            if ours.get(key) != theirs.get(key):
                where = (
                    "only here"
                    if key not in theirs
                    else "only on the target"
                    if key not in ours
                    else "differs"
                )
                return f"{model._meta.label} {key}: {where}"
    return None


def _rows(model: type[models.Model], alias: str) -> Iterator[Any]:
    return model._base_manager.using(alias).order_by("pk").iterator(chunk_size=BATCH)


def _values(model: type[models.Model], alias: str) -> dict[Any, tuple[Any, ...]]:
    names = [field.attname for field in model._meta.concrete_fields]
    rows = model._base_manager.using(alias).order_by("pk").values_list("pk", *names)
    return {row[0]: tuple(_plain(value) for value in row[1:]) for row in rows}


def _plain(value: Any) -> Any:
    """A value as both databases give it back (PostgreSQL's bytea arrives as a memoryview)."""
    return bytes(value) if isinstance(value, memoryview) else value
