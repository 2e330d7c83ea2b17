"""Who may do what in an organisation, for views: ``requires_role`` and the current organisation.

    @requires_role("admin")
    def invite(request: OrgRequest, org_id: int) -> HttpResponse:
        request.organisation, request.membership  # attached; the user is at least an admin

A view whose URL takes ``org_id`` is checked against that organisation; one that takes ``domain``
against the site's organisation (``request.site`` is attached too). Not logged in: the login page.
Not a member (or no such thing): 404, the same answer as for something that does not exist.
A member with too small a role: 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from panel.accounts.models import Membership, Organisation, User, role_at_least
from panel.sites.models import Site

SESSION_KEY = "organisation"


class OrgRequest(HttpRequest):
    user: User  # logged in, checked by requires_role
    organisation: Organisation
    membership: Membership
    site: Site | None  # type: ignore[assignment]  # ours, not django.contrib.sites'


def signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _membership(user: User, kwargs: dict[str, Any]) -> tuple[Membership, Site | None]:
    site = None
    if "domain" in kwargs:
        site = Site.objects.for_user(user).filter(domain=str(kwargs["domain"])).first()
        if site is None:
            raise Http404("no such site")
        org_id = site.organisation_id
    elif "org_id" in kwargs:
        org_id = int(kwargs["org_id"])
    else:
        raise TypeError("requires_role needs a URL with org_id or domain")
    membership = (
        Membership.objects.select_related("organisation").filter(user=user, organisation_id=org_id).first()
    )
    if membership is None:
        raise Http404("no such organisation")
    return membership, site


def requires_role(
    role: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let the view run only for a member of the URL's organisation with at least ``role``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = signed_in_user(request)
            if user is None:
                return redirect_to_login(request.get_full_path())
            membership, site = _membership(user, kwargs)
            if not role_at_least(membership.role, role):
                raise PermissionDenied(f"this needs the {role} role in {membership.organisation.name}")
            org_request: OrgRequest = request  # type: ignore[assignment]
            org_request.organisation = membership.organisation
            org_request.membership = membership
            org_request.site = site
            return view(org_request, *args, **kwargs)

        return wrapper

    return decorate


def current_organisation(request: HttpRequest, user: User) -> Organisation:
    """The organisation the user last switched to (kept in the session), else their first one."""
    chosen = request.session.get(SESSION_KEY)
    if isinstance(chosen, int):
        membership = Membership.objects.select_related("organisation").filter(
            user=user, organisation_id=chosen
        )
        found = membership.first()
        if found is not None:
            return found.organisation
    return user.primary_organisation()


def switch_organisation(request: HttpRequest, organisation: Organisation) -> None:
    request.session[SESSION_KEY] = organisation.pk
