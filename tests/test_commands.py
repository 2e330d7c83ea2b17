"""createsite and createapikey, as scripts use them."""

import io

import pytest
from django.core.management import CommandError, call_command

from panel.accounts.models import User
from panel.apikeys.models import ApiKey
from panel.sites.models import Site


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createsite_creates_the_owner_when_missing(db: None) -> None:
    run("createsite", "www.Example.com", "--owner", "Ops@Example.com", "--timezone", "America/New_York")
    site = Site.objects.get(domain="example.com")
    assert site.timezone == "America/New_York"
    assert site in Site.objects.for_user(User.objects.get(email="ops@example.com"))


@pytest.mark.parametrize(
    "args",
    [
        ("bad domain", "--owner", "a@b.co"),
        ("ok.com", "--owner", "nope"),
        ("ok.com", "--owner", "a@b.co", "--timezone", "X"),
    ],
)
def test_createsite_refuses_bad_input(db: None, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        run("createsite", *args)


def test_createapikey_prints_the_key_last_and_stores_only_its_hash(db: None) -> None:
    run("createsite", "example.com", "--owner", "a@b.co")
    raw = run("createapikey", "--owner", "a@b.co", "--scope", "stats:read").strip().splitlines()[-1]
    key = ApiKey.objects.for_raw_key(raw)
    assert key is not None and key.scopes == ["stats:read"] and raw not in key.key_hash
    every = run("createapikey", "--owner", "a@b.co").strip().splitlines()[-1]
    assert sorted(ApiKey.objects.for_raw_key(every).scopes) == ["events:write", "sites:write", "stats:read"]  # type: ignore[union-attr]


def test_createapikey_needs_an_existing_user(db: None) -> None:
    with pytest.raises(CommandError):
        run("createapikey", "--owner", "ghost@example.com")
