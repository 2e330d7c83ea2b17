"""TOTP secrets sealed at rest (``panel.accounts.sealed``): the column widens and existing clear
secrets are sealed in place; going back opens them again."""

from typing import Any

from django.db import migrations

import panel.accounts.sealed
from panel.accounts.sealed import is_sealed, seal, unseal


def _rewrite(apps: Any, schema_editor: Any, *, sealing: bool) -> None:
    # Raw SQL: the sealed field would try to open clear values on the way in.
    table = schema_editor.quote_name(apps.get_model("accounts", "TwoFactor")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret FROM {table}")  # noqa: S608 (a model's table name)
        for row_id, value in cursor.fetchall():
            if is_sealed(value) == sealing:
                continue
            new = seal(value) if sealing else unseal(value)
            cursor.execute(f"UPDATE {table} SET secret = %s WHERE id = %s", [new, row_id])  # noqa: S608


def seal_existing(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, schema_editor, sealing=True)


def open_existing(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, schema_editor, sealing=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_and_invitations"),
    ]

    operations = [
        migrations.AlterField(
            model_name="twofactor",
            name="secret",
            field=panel.accounts.sealed.SealedCharField(max_length=255),
        ),
        migrations.RunPython(seal_existing, open_existing),
    ]
