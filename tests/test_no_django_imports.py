"""ingest/ and analytics/ must not pull in Django: checked in a fresh interpreter."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["ingest.app", "ingest.runtime", "ingest.flusher", "analytics", "clickhouse.migrate"]
)
def test_it_imports_without_django(module: str) -> None:
    code = f"import sys, {module}; print([m for m in sys.modules if m.split('.')[0] == 'django'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
