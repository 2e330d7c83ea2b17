"""The dashboard script's pure logic (``dashboard-js/test``, node's own test runner) and its build: one
bundle that carries its libraries' licences and loads nothing from another host."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "panel" / "static" / "lantern" / "dist"


def test_the_dashboards_logic_passes_its_node_tests() -> None:
    result = subprocess.run(
        ["node", "--test", "test/"], cwd=ROOT / "dashboard-js", capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"^# pass [1-9]", result.stdout, re.M)
    assert re.search(r"^# fail 0$", result.stdout, re.M)


def test_the_bundle_names_no_other_host_and_keeps_the_licences() -> None:
    if not (DIST / "dashboard.js").is_file():
        pytest.fail(f"{DIST / 'dashboard.js'} is missing: build it with ./dev dashboard (./dev test does)")
    code = (DIST / "dashboard.js").read_text()
    assert code.startswith("/*! Lantern dashboard. Bundles uplot") and "LICENSES.txt" in code.split("\n")[0]
    assert "Leon Sorokin" in (DIST / "LICENSES.txt").read_text()  # uPlot's MIT notice travels with it
    hosts = set(re.findall(r"https?://([a-z0-9.-]+)", code))
    assert hosts <= {"www.w3.org"}  # the SVG namespace, never fetched
    assert (DIST / "dashboard.css").is_file()
