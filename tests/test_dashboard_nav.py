"""The links around a member's dashboard, as served: the site switcher names the site's organisation
(escaped) and lists its sites only; the settings link is there for owners and admins alone; a shared
link's page has neither."""

from __future__ import annotations

import pytest

from panel.accounts.models import Membership, Organisation, Role
from panel.sharing.models import SharedLink
from panel.sites.models import Site
from tests.accounts_helpers import fresh_counters, logged_in, member_of, org_of, page  # noqa: F401
from tests.conftest import Persona

pytestmark = pytest.mark.django_db


def test_the_switcher_lists_the_sites_of_the_sites_organisation(owner: Persona, outsider: Persona) -> None:
    org = org_of(owner)
    Organisation.objects.filter(pk=org.pk).update(name="<b>Acme</b>")
    Site.objects.create(organisation=org, domain="blog.example.com")
    Membership.objects.create(user=owner.user, organisation=org_of(outsider), role=Role.VIEWER)
    assert logged_in(owner.user).get("/elsewhere.org/").status_code == 200  # theirs too, elsewhere
    shown = page(logged_in(owner.user).get("/example.com/"))
    assert "Sites of &lt;b&gt;Acme&lt;/b&gt;" in shown and "<b>Acme" not in shown
    assert 'href="/blog.example.com/"' in shown and 'href="/elsewhere.org/"' not in shown
    assert 'id="settings-link" class="settings-link small" href="/example.com/settings/"' in shown


def test_a_viewer_gets_no_settings_link(owner: Persona) -> None:
    viewer = member_of(org_of(owner), "viewer@example.com", Role.VIEWER)
    shown = page(logged_in(viewer).get("/example.com/"))
    assert 'id="site-menu"' in shown and 'href="/example.com/notifications/"' in shown
    assert "/example.com/settings/" not in shown


def test_a_shared_link_shows_no_menu(owner: Persona) -> None:
    link = SharedLink.objects.create_for(owner.site, name="Board")
    shown = page(logged_in(owner.user).get(f"/share/example.com?auth={link.slug}"))
    assert "<h1>example.com</h1>" in shown
    assert 'id="site-menu"' not in shown and "/settings/" not in shown
    assert 'id="compare-menu"' in shown  # a shared link compares too (menus.js closes its menu)
