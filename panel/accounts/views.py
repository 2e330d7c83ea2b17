"""Sign up, log in, log out."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from panel.accounts.forms import SignupForm
from panel.accounts.models import User


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("sites")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_with_organisation(
            form.cleaned_data["email"], form.cleaned_data["password"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("site-new")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)
