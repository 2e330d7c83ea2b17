"""Where a member lands once their address is confirmed or an invitation accepted: never on a page their
role would refuse (a viewer sent to "add a site" got a 403).

    >>> landing(request, user)  # doctest: +SKIP
    '/example.com/'

One site: its dashboard. Several: the site list. None: "add a site" when they may add one to their
current organisation, else the (empty) site list.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from panel.accounts.models import Membership, Organisation, Role, User
from panel.accounts.roles import current_organisation
from panel.sites.models import Site


def _only_site(sites: QuerySet[Site]) -> str | None:
    """The domain when there is exactly one site."""
    domains = list(sites.order_by("domain").values_list("domain", flat=True)[:2])
    return domains[0] if len(domains) == 1 else None


def landing(request: HttpRequest, user: User) -> str:
    """The path to send ``user`` to (their current organisation is read from ``request``'s session)."""
    sites = Site.objects.for_user(user)
    if (domain := _only_site(sites)) is not None:
        return reverse("dashboard", args=[domain])
    if not sites.exists() and may_add_sites(request, user):
        return reverse("site-new")
    return reverse("sites")


def organisation_landing(organisation: Organisation) -> str:
    """After joining ``organisation``: its only site's dashboard, else the site list."""
    domain = _only_site(Site.objects.filter(organisation=organisation))
    return reverse("dashboard", args=[domain]) if domain is not None else reverse("sites")


def may_add_sites(request: HttpRequest, user: User) -> bool:
    """Whether "add a site" would work: an owner or admin of the current organisation."""
    return Membership.objects.has_role(user, current_organisation(request, user), Role.ADMIN)
