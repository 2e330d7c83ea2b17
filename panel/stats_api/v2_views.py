"""Stats API v2: ``POST /api/v2/query``, Plausible's one query endpoint, a thin view over
``v2_params`` (body to Query) and ``v2_results`` (``run_query`` to Plausible's answer)."""

from __future__ import annotations

import dataclasses

from django.http import HttpResponse

from analytics import QueryError, today_in
from panel.goals.models import Goal
from panel.imports import queries as imports
from panel.stats_api import v2_params, v2_results
from panel.stats_api.auth import ApiRequest, stats_api
from panel.stats_api.views import _answer


@stats_api("stats:read", method="POST")
def query(request: ApiRequest) -> HttpResponse:
    site = request.site

    def build() -> dict[str, object]:
        parsed = v2_params.parse(
            request.query_body,
            site_id=site.id,
            tz=site.timezone,
            today=today_in(site.timezone),
            earliest=site.stats_start,
            goals=Goal.objects.analytics_goals(site),
        )
        imports_meta = None
        if parsed.include.imports:  # Plausible's include.imports: added where the query can take them
            decision = imports.with_imports(site, parsed.query)
            parsed, imports_meta = dataclasses.replace(parsed, query=decision.query), imports.meta(decision)
        try:
            return v2_results.answer(parsed, domain=site.domain, imports_meta=imports_meta)
        except QueryError as exc:  # found while running (e.g. a pattern the engine cannot compile)
            raise QueryError(f"#/{exc.field}", exc.message) from None

    return _answer(build)
