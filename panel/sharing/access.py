"""Reading a site through a shared link: the ``auth=<slug>`` query parameter names the link, and a link
with a password also needs the proof a browser keeps in its session after giving the password.

    >>> site = shared_site(request, "example.com")  # doctest: +SKIP  (None: no such live link, or locked)

A shared link only reads: callers use it for GET pages and GET Stats API calls of that one site.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from panel.sharing.models import SharedLink
from panel.sites.models import Site

PARAM = "auth"
SESSION_KEY = "lantern_shared_links"  # {slug: proof}


def link_for(request: HttpRequest, domain: str) -> SharedLink | None:
    """The live link named by the request's ``auth`` parameter, if it belongs to ``domain``."""
    return SharedLink.objects.live(domain.strip().lower(), request.GET.get(PARAM, ""))


def is_unlocked(request: HttpRequest, link: SharedLink) -> bool:
    if not link.has_password:
        return True
    proofs = request.session.get(SESSION_KEY)
    given = proofs.get(link.slug) if isinstance(proofs, dict) else None
    return isinstance(given, str) and constant_time_compare(given, link.proof())


def unlock(request: HttpRequest, link: SharedLink) -> None:
    """Remember in the session that this browser gave the link's password."""
    proofs = request.session.get(SESSION_KEY)
    request.session[SESSION_KEY] = {**(proofs if isinstance(proofs, dict) else {}), link.slug: link.proof()}


def shared_site(request: HttpRequest, domain: str) -> Site | None:
    """The site ``domain`` when the request carries a live, unlocked link to it; otherwise None."""
    link = link_for(request, domain)
    return link.site if link is not None and is_unlocked(request, link) else None
