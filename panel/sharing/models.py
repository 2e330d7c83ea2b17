"""Shared links: a read-only public view of one site's dashboard, reached with an unguessable slug.

    >>> link = SharedLink.objects.create_for(site, name="Investors", password="…")  # doctest: +SKIP
    >>> SharedLink.objects.live(site.domain, link.slug) == link  # doctest: +SKIP
    True

A link may carry a password (stored hashed with Django's hashers). Revoking deletes the link, so it
answers 404 at once.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.urls import reverse
from django.utils.crypto import salted_hmac

from panel.accounts.models import User
from panel.sites.models import Site

SLUG_BYTES = 24  # 32 URL-safe characters, 192 random bits


class SharedLinkQuerySet(models.QuerySet["SharedLink"]):
    def live(self, domain: str, slug: str) -> SharedLink | None:
        """The link ``slug`` of the site ``domain``, or None (unknown, revoked, or another site's)."""
        if not slug or len(slug) > 64:
            return None
        return self.select_related("site").filter(site__domain=domain, slug=slug).first()

    def create_for(self, site: Site, *, name: str, password: str = "", by: User | None = None) -> SharedLink:
        link = self.model(site=site, name=name, slug=secrets.token_urlsafe(SLUG_BYTES), created_by=by)
        link.set_password(password)
        link.save()
        return link


class SharedLink(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="shared_links")
    name = models.CharField(max_length=100)
    slug = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=256, blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SharedLinkQuerySet.as_manager()

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"

    def path(self, *, embed: bool = False) -> str:
        """``/share/example.com?auth=<slug>`` (and ``&embed=true`` for an iframe)."""
        query = {"auth": self.slug, **({"embed": "true"} if embed else {})}
        return f"{reverse('shared-dashboard', args=[self.site.domain])}?{urlencode(query)}"

    @property
    def path_for_embed(self) -> str:
        return self.path(embed=True)

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def set_password(self, raw: str) -> None:
        """An empty ``raw`` removes the password."""
        self.password_hash = make_password(raw) if raw else ""

    def check_password(self, raw: str) -> bool:
        return self.has_password and check_password(raw, self.password_hash)

    def proof(self) -> str:
        """What a browser that gave the right password keeps in its session for this link.

        It is derived from the password's hash, so changing the password signs every browser out.
        """
        return salted_hmac("lantern.sharing.proof", f"{self.slug}:{self.password_hash}").hexdigest()
