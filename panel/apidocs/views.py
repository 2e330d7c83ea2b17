"""``GET /api/docs/``: the API reference page, for anyone (signed in or not, verified or not).

The page is rendered from ``panel.stats_api.openapi.document()``, so it says what the JSON says; the
example calls use ``BASE_URL``. A signed-in user is pointed at their organisation's API keys page.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from panel.accounts.roles import current_organisation, signed_in_user
from panel.apidocs.reference import Reference, build
from panel.stats_api.openapi import document


@functools.cache
def _reference(base_url: str) -> Reference:
    return build(document(), base_url)


@require_GET
def reference(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    keys_url = reverse("api-keys", args=[current_organisation(request, user).pk]) if user else ""
    context = {"ref": _reference(settings.BASE_URL), "keys_url": keys_url, "base_url": settings.BASE_URL}
    return render(request, "apidocs/reference.html", context)
