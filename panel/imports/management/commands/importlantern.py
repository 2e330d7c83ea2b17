"""./dev manage importlantern DOMAIN FILE.zip [--from DATE --to DATE]: add another Lantern's full export
(its raw events, drop counts and imported history) to a site, printing progress; see ``importplausible``,
which takes this file too: this name only refuses a file that is not Lantern's export.

It needs the event store: in embedded mode, stop ``./dev serve`` first (it holds the store), or
upload the file in the site's settings instead.
"""

from __future__ import annotations

from panel.imports.management.commands import importplausible


class Command(importplausible.Command):
    help = (
        "Add FILE.zip (another Lantern's full export) to DOMAIN: its events exactly, visits derived here;"
        " events the site holds already are skipped."
    )
    lantern_only = True
