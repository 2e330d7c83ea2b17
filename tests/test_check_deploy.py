"""Django's deployment checklist stays clean with production settings (HTTPS on)."""

import os
import secrets
import subprocess
import sys


def test_check_deploy_is_clean() -> None:
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "LANTERN_HTTPS": "1",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "lantern.example",
        "BASE_URL": "https://lantern.example",
    }
    result = subprocess.run(
        [sys.executable, "-m", "panel.manage", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_missing_secret_key_stops_the_boot() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE"}}
    result = subprocess.run(
        [sys.executable, "-m", "panel.manage", "check"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
