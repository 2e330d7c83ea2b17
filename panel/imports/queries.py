"""Adding a site's imported history to a Stats API query, when asked (v1 ``with_imported=true``, v2
``include.imports``) and when the query can take it (``analytics.decide_imports``: Plausible's rules).

    >>> decision = with_imports(site, query)  # doctest: +SKIP
    >>> decision.query.imports, decision.reason  # doctest: +SKIP
    ((7,), None)
"""

from __future__ import annotations

from typing import Any

from analytics import IMPORT_SKIP_WARNINGS, Decision, Query, QueryError, decide_imports
from panel.imports.jobs import active_import
from panel.sites.models import Site


def with_imports(site: Site, query: Query) -> Decision:
    """The query with the site's active import added where it can be, and why not where it cannot."""
    return decide_imports(query, active_import(site))


def parse_with_imported(raw: str | None) -> bool:
    """v1's ``with_imported``: ``true`` or ``false`` (the default)."""
    if raw is None or raw == "" or raw == "false":
        return False
    if raw == "true":
        return True
    raise QueryError("with_imported", f"{raw!r} is neither true nor false")


def meta(decision: Decision) -> dict[str, Any]:
    """Plausible's v2 ``meta`` on imports: included or not, and why not, with its warning."""
    out: dict[str, Any] = {"imports_included": decision.included}
    if decision.reason is not None:
        out["imports_skip_reason"] = decision.reason
        if decision.reason in IMPORT_SKIP_WARNINGS:
            out["imports_warning"] = IMPORT_SKIP_WARNINGS[decision.reason]
    return out
