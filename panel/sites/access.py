"""Who may change a site: a decorator for settings views that hands them the site, or refuses.

    @site_admin
    def general(request: HttpRequest, site: Site) -> HttpResponse: ...

Logged out: to the login page. A site the user cannot see (another organisation's, or none): 404,
the same as a site that does not exist. A viewer of the site: 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from panel.accounts.models import User
from panel.sites.models import Site

SiteView = Callable[..., HttpResponse]


def site_admin(view: SiteView) -> Callable[..., HttpResponse]:
    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, domain: str, **kwargs: Any) -> HttpResponse:
        assert isinstance(request.user, User)
        site = Site.objects.for_user(request.user).filter(domain=domain).first()
        if site is None:
            raise Http404("no such site")
        if not Site.objects.managed_by(request.user).filter(pk=site.pk).exists():
            raise PermissionDenied("only the site's owners and admins may change its settings")
        return view(request, site, **kwargs)

    return wrapper
