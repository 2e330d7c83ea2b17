"""What a member's dashboard links to around the site: the other sites of its organisation (the site
switcher), its settings when the member may change them, and its notifications.

    >>> site_nav(site, viewer)  # doctest: +SKIP
    SiteNav(organisation='Acme', sites=['blog.example.com', 'example.com'], manages=False)

A shared link's dashboard has none of it (``dashboard_context`` without ``nav``).
"""

from __future__ import annotations

import dataclasses

from panel.accounts.models import Membership, Role, User
from panel.sites.models import Site


@dataclasses.dataclass(frozen=True)
class SiteNav:
    organisation: str  # the site's organisation, whose sites the switcher lists
    sites: list[str]  # the domains of its sites (this one too), in order
    manages: bool  # an owner or admin there: the settings are theirs to open


def site_nav(site: Site, user: User) -> SiteNav:
    sites = (
        Site.objects.for_user(user)
        .filter(organisation_id=site.organisation_id)
        .order_by("domain")
        .values_list("domain", flat=True)
    )
    return SiteNav(
        organisation=site.organisation.name,
        sites=list(sites),
        manages=Membership.objects.has_role(user, site.organisation_id, Role.ADMIN),
    )
