import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_and_invitations"),
        ("apikeys", "0002_key_organisation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apikey",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to="accounts.organisation",
            ),
        ),
    ]
