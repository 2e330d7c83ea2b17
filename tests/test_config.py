"""Settings read from the environment: a value Lantern cannot use is refused by name at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from analytics.config import (
    ConfigError,
    clickhouse_url,
    env_int,
    env_rate,
    env_str,
    is_overridden,
    overridden,
)


@pytest.mark.parametrize("value", ["600/h", "300/10m", "1/s", "20/d"])
def test_a_rate_is_count_slash_period(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOME_RATE", value)
    assert env_rate("SOME_RATE", "5/m") == value


def test_an_unset_rate_takes_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_RATE", raising=False)
    assert env_rate("SOME_RATE", "5/m") == "5/m"


@pytest.mark.parametrize("value", ["600", "h/600", "0/h", "600/hour", "-1/m", "600/h; x"])
def test_a_bad_rate_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOME_RATE", value)
    with pytest.raises(ConfigError, match="SOME_RATE"):
        env_rate("SOME_RATE", "5/m")


@pytest.mark.parametrize("name", ["STATS_API_RATE", "SHARED_LINK_RATE", "SESSION_STATS_RATE", "EXPORT_RATE"])
def test_a_bad_rate_stops_the_boot_naming_it(name: str) -> None:
    env = {**os.environ, "SECRET_KEY": "k" * 50, name: "600/hour"}
    result = subprocess.run(
        [sys.executable, "-m", "panel.manage", "check"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0 and f"{name} must be a rate" in result.stderr


def test_an_overridden_block_reads_its_own_values_and_only_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKHOUSE_URL", "chdb:///here")
    monkeypatch.setenv("FLUSH_INTERVAL_MS", "1000")
    seen_elsewhere: list[str] = []
    with overridden(CLICKHOUSE_URL="http://there:8123/lantern", FLUSH_INTERVAL_MS="50"):
        assert clickhouse_url() == "http://there:8123/lantern" and env_int("FLUSH_INTERVAL_MS", 1) == 50
        assert is_overridden()
        with overridden(CLICKHOUSE_TOPOLOGY="replicated"):  # nested blocks add to the outer one
            assert env_str("CLICKHOUSE_TOPOLOGY") == "replicated" and clickhouse_url().startswith("http:")
        assert env_str("CLICKHOUSE_TOPOLOGY") == ""
        other = threading.Thread(target=lambda: seen_elsewhere.append(clickhouse_url()))
        other.start()
        other.join()
    assert seen_elsewhere == ["chdb:///here"]  # another thread keeps the environment's
    assert clickhouse_url() == "chdb:///here" and not is_overridden()
