"""The public, read-only dashboard of a shared link: ``/share/<domain>?auth=<slug>[&embed=true]``.

Logged out, it renders the dashboard template with ``shared_link`` (the link), ``share_auth`` (the
slug, which the page's Stats API and export requests carry as ``auth=<slug>``) and ``embed`` (no
header or navigation). Only this page may be framed, and only in embed mode. A link with a password
shows a password form first (rate-limited per link).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from panel.dashboard.views import dashboard_context
from panel.middleware import POLICY
from panel.sharing import access
from panel.sharing.forms import PasswordForm
from panel.sharing.models import SharedLink

# Password attempts, right or wrong, per link: enough for people, far too few for guessing.
PASSWORD_RATE = "10/m"  # noqa: S105 (a rate, not a password)
FRAMEABLE_POLICY = POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


@never_cache
def shared_dashboard(request: HttpRequest, domain: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    link = access.link_for(request, domain)
    if link is None:
        raise Http404("no such shared link")
    embed = request.GET.get("embed") == "true"
    if access.is_unlocked(request, link):
        if request.method == "POST":  # e.g. the password form sent twice: the page is read-only
            return redirect(request.get_full_path())
        response = render(
            request,
            "dashboard/dashboard.html",
            dashboard_context(link.site, shared_link=link, share_auth=link.slug, embed=embed),
        )
    else:
        response = _password_page(request, link, embed)
    return _frameable(response) if embed else response


def _password_page(request: HttpRequest, link: SharedLink, embed: bool) -> HttpResponse:
    form = PasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _too_many_attempts(request, link):
            form.add_error("password", "Too many attempts for this link: wait a minute and try again.")
            status = 429
        elif form.is_valid() and link.check_password(form.cleaned_data["password"]):
            access.unlock(request, link)
            return redirect(request.get_full_path())
        else:
            if form.is_valid():
                form.add_error("password", "That password is not right.")
            status = 403
    context = {"site": link.site, "form": form, "embed": embed}
    return render(request, "sharing/password.html", context, status=status)


def _too_many_attempts(request: HttpRequest, link: SharedLink) -> bool:
    return bool(
        is_ratelimited(
            request,
            group="shared-link-password",
            key=lambda _group, _request: link.slug,
            rate=PASSWORD_RATE,
            increment=True,
        )
    )


def _frameable(response: HttpResponse) -> HttpResponse:
    """Embed mode: any page may frame this one (every other page stays DENY / frame-ancestors 'none')."""
    response.xframe_options_exempt = True
    response["Content-Security-Policy"] = FRAMEABLE_POLICY
    return response
