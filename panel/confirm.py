"""Asking before a destructive action: the action's URL answers GET with a page that says what will
happen, with the button that POSTs it and a way back; only the POST acts.

    if request.method != "POST":
        return confirm_page(request, question=f"Revoke the key {key.name}?", consequence="…",
                            action="Revoke key", cancel_url=reverse("api-keys", args=[org_id]))

Links on the lists lead to these pages, so nothing is removed by one click, with or without JavaScript
(the pages run no script: nothing for the Content-Security-Policy to refuse). A site's settings get the
page inside their tabs (``site`` and ``tab``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from panel.sites.models import Site


def confirm_page(
    request: HttpRequest,
    *,
    question: str,
    consequence: str,
    action: str,
    cancel_url: str,
    site: Site | None = None,
    tab: str = "",
) -> HttpResponse:
    context = {
        "question": question,
        "consequence": consequence,
        "action": action,
        "cancel_url": cancel_url,
        "site": site,
        "tab": tab,
    }
    template = "sites/settings/confirm.html" if site is not None else "confirm.html"
    return render(request, template, context)
