"""What a Lantern export's ``site.csv`` says that the site importing it does not: shown, never applied.

An import brings history, not configuration: the site receiving it keeps its own timezone, retention
and shields (changing them would change how its own events are counted and shown from now on). The
owner is told which of the export's settings differ, to copy them by hand where wanted.

    >>> note(site, {"domain": "old.example", "timezone": "Europe/Berlin", ...})  # doctest: +SKIP
    'The export of old.example had settings this site does not: timezone Europe/Berlin (here UTC). …'
"""

from __future__ import annotations

from collections.abc import Mapping

from panel.sites.models import Site

# (site.csv column, how the note names it), in the order the settings pages show them.
SETTINGS = (
    ("timezone", "timezone"),
    ("retention_days", "retention days"),
    ("excluded_ips", "excluded IP addresses"),
    ("excluded_pages", "excluded pages"),
    ("excluded_countries", "excluded countries"),
    ("allowed_hostnames", "allowed hostnames"),
)
_SHOWN = 60  # characters of a value quoted in the note


def _lines(text: str) -> list[str]:
    return sorted(line.strip() for line in text.splitlines() if line.strip())


def _shown(value: str) -> str:
    flat = ", ".join(_lines(value)) or "none"
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…"


def note(site: Site, exported: Mapping[str, str]) -> str:
    """The sentence naming the export's settings that differ from ``site``'s ('' when none does)."""
    differ = []
    for column, label in SETTINGS:
        if column not in exported:
            continue
        theirs, ours = exported[column], str(getattr(site, column))
        if _lines(theirs) != _lines(ours):
            differ.append(f"{label} {_shown(theirs)} (here {_shown(ours)})")
    if not differ:
        return ""
    source = exported.get("domain") or "the exported site"
    return (
        f"The export of {source} had settings this site does not: {'; '.join(differ)}."
        " They were not applied; change them in this site's settings if you want them."
    )
