"""Django's deployment checklist stays clean with production settings and with the defaults (HTTPS on)."""

import os
import secrets
import subprocess
import sys

import pytest


def assert_deploy_check_clean(env: dict[str, str]) -> None:
    """``manage.py check --deploy`` in a fresh process with ``env``: no warning at all."""
    result = subprocess.run(
        [sys.executable, "-m", "panel.manage", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean() -> None:
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "LANTERN_HTTPS": "1",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "lantern.example",
        "BASE_URL": "https://lantern.example",
    }
    assert_deploy_check_clean(env)


def test_check_deploy_is_clean_with_the_defaults() -> None:
    """Nothing but a secret key: HTTPS is on unless LANTERN_HTTPS=0 says otherwise."""
    unset = {"LANTERN_HTTPS", "DEBUG", "ALLOWED_HOSTS", "BASE_URL", "SECURE_HSTS_SECONDS", "SECRET_KEY_FILE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["SECRET_KEY"] = secrets.token_urlsafe(64)
    assert_deploy_check_clean(env)


def test_plain_http_is_only_the_local_default_of_dev_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks

    monkeypatch.delenv("LANTERN_HTTPS", raising=False)
    for host in ("", "127.0.0.1", "localhost", "::1"):
        monkeypatch.setenv("HOST", host)
        assert tasks.embedded_env()["LANTERN_HTTPS"] == "0"
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert "LANTERN_HTTPS" not in tasks.embedded_env()
    monkeypatch.setenv("LANTERN_HTTPS", "1")
    monkeypatch.setenv("HOST", "127.0.0.1")
    assert tasks.embedded_env()["LANTERN_HTTPS"] == "1"  # what is set wins


def test_a_missing_secret_key_stops_the_boot() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE"}}
    result = subprocess.run(
        [sys.executable, "-m", "panel.manage", "check"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
