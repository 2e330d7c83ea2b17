"""Deleting a site and everything of it: its rows in ClickHouse, its export and import files, then the
site with its settings, goals, funnels, shared links, reports, exports and imports (the settings danger
zone and the Sites API both use this).

Funnels go first: a funnel's steps protect their goals, so the site's cascade alone would refuse.
ClickHouse's deletion runs inside the transaction, last, so the site's row goes only when it has
succeeded and a failure can be retried.
"""

from __future__ import annotations

from django.db import transaction

from analytics import delete_site_data
from panel.goals.models import Funnel
from panel.imports.jobs import delete_site_files as delete_import_files
from panel.reports.full_export import delete_site_files
from panel.sites.models import Site


def delete_site_and_data(site: Site) -> None:
    """Delete ``site``, every row that refers to it, its export and import files, and its rows in
    ClickHouse (its imported history with them)."""
    site_id = site.pk
    delete_site_files(site)
    delete_import_files(site)
    with transaction.atomic():
        Funnel.objects.filter(site=site).delete()
        site.delete()
        delete_site_data(site_id)
