"""API keys of an organisation: the list, creating one (its secret shown once), revoking (asked first).

Any member sees the organisation's keys (never a secret) and may create ``stats:read`` keys for
themselves; writing scopes need an owner or admin. A key is revoked by its creator or an owner/admin.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from panel.accounts.models import Role, role_at_least
from panel.accounts.roles import OrgRequest, requires_role
from panel.apikeys.forms import ApiKeyForm
from panel.apikeys.models import ApiKey
from panel.confirm import confirm_page

_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def describe_rate(rate: str) -> str:
    """A django-ratelimit rate in words.

    >>> describe_rate("600/h"), describe_rate("50/15m"), describe_rate("odd")
    ('600 requests an hour', '50 requests every 15 minutes', 'odd')
    """
    count, _, period = rate.partition("/")
    multiplier, unit = period[:-1], _UNITS.get(period[-1:], "")
    if not count.isdigit() or not unit or (multiplier and not multiplier.isdigit()):
        return rate
    if multiplier and int(multiplier) != 1:
        return f"{count} requests every {multiplier} {unit}s"
    return f"{count} requests {'an' if unit == 'hour' else 'a'} {unit}"


def _page(request: OrgRequest, form: ApiKeyForm, *, status: int = 200, new_key: str = "") -> HttpResponse:
    context = {
        "organisation": request.organisation,
        "manages": role_at_least(request.membership.role, Role.ADMIN),
        "keys": ApiKey.objects.for_organisation(request.organisation).select_related("user"),
        "form": form,
        "new_key": new_key,
        "rate": describe_rate(settings.STATS_API_RATE),
    }
    response = render(request, "apikeys/keys.html", context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"  # the secret is shown once and kept nowhere
    return response


@requires_role(Role.VIEWER)
def key_list(request: OrgRequest, org_id: int) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None, role=request.membership.role)
    if request.method != "POST":
        return _page(request, form)
    if not form.is_valid():
        return _page(request, form, status=400)
    _key, raw = ApiKey.objects.issue(
        request.user,
        organisation=request.organisation,
        name=form.cleaned_data["name"],
        scopes=form.cleaned_data["scopes"],
    )
    fresh = ApiKeyForm(role=request.membership.role)
    return _page(request, fresh, new_key=raw)


@requires_role(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def key_revoke(request: OrgRequest, org_id: int, key_id: int) -> HttpResponse:
    """GET asks (the page the list's "revoke" links to), POST revokes."""
    key = get_object_or_404(ApiKey, pk=key_id, organisation=request.organisation, revoked_at=None)
    if key.user_id != request.user.pk and not role_at_least(request.membership.role, Role.ADMIN):
        raise PermissionDenied("only the key's creator, an owner or an admin may revoke it")
    if request.method != "POST":
        return confirm_page(
            request,
            question=f"Revoke the key “{key.name}” ({key.prefix}…)?",
            consequence="Every request made with it is refused from now on, by the Stats API and by "
            "ingest. This cannot be undone: a revoked key cannot be turned back on.",
            action="Revoke key",
            cancel_url=reverse("api-keys", args=[org_id]),
        )
    key.revoke()
    messages.success(request, f"The key {key.prefix}… is revoked.")
    return redirect("api-keys", org_id=org_id)
