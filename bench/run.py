"""Run every benchmark, print a table of figures, and as the very last line one JSON object of them.

    python -m bench.run [--quick] [--only flush ...]

Each benchmark is a function from ``Settings`` to a dict of figures; the dicts are merged into
the final JSON object. A benchmark that fails adds ``<name>_error`` and the run exits 1.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import traceback
from collections.abc import Callable

from bench import dashboard, flush, http_ingest, import_large, ua_parse
from bench.common import BenchError, Figure, Figures, Settings, progress

Benchmark = Callable[[Settings], Figures]

BENCHMARKS: list[Benchmark] = [
    http_ingest.ingest_vs_bare,
    flush.flusher_vs_insert,
    ua_parse.ua_parsing,
    dashboard.dashboard_queries,
    import_large.import_vs_read,
]
LABELS: dict[str, str] = {
    **http_ingest.LABELS,
    **flush.LABELS,
    **ua_parse.LABELS,
    **dashboard.LABELS,
    **import_large.LABELS,
    "quick": "a quick run (--quick)",
    "bench_s": "wall time of all benchmarks",
}

_UNITS = (("_eps", "events/s"), ("_per_s", "/s"), ("_ms", "ms"), ("_ratio", "x"), ("_s", "s"))


def unit(key: str) -> str:
    return next((name for suffix, name in _UNITS if key.endswith(suffix)), "")


def format_value(value: Figure) -> str:
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    decimals = 3 if abs(value) < 1 else 2 if abs(value) < 1000 else 1
    return f"{value:,.{decimals}f}"


def table(figures: Figures) -> str:
    """A plain-text table: figure, value, unit, what it is."""
    rows = [("figure", "value", "unit", "what")]
    rows += [(key, format_value(value), unit(key), LABELS.get(key, "")) for key, value in figures.items()]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        f"{key:<{widths[0]}}  {value:>{widths[1]}}  {name:<{widths[2]}}  {what}".rstrip()
        for key, value, name, what in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def run_one(benchmark: Benchmark, settings: Settings) -> Figures:
    name = benchmark.__name__
    progress(f"{name} ({'quick' if settings.quick else 'full'})")
    started = time.monotonic()
    try:
        figures = benchmark(settings)
    except BenchError as exc:
        print(f"ERROR in {name}: {exc}", file=sys.stderr, flush=True)
        return {f"{name}_error": str(exc).splitlines()[0]}
    except Exception as exc:  # a bug in a benchmark: still report the others and end with the JSON line
        traceback.print_exc()
        return {f"{name}_error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    progress(f"{name} took {time.monotonic() - started:.0f} s")
    return figures


def name_of(benchmark: Benchmark) -> str:
    """A benchmark's short name for ``--only``: its module's (``flush`` for ``bench/flush.py``)."""
    return benchmark.__module__.rsplit(".", 1)[-1]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through every ``finally``: no server is left running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run of every benchmark")
    parser.add_argument(
        "--only", nargs="+", choices=[name_of(b) for b in BENCHMARKS], help="run only these benchmarks"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    settings = Settings.for_run(args.quick)
    started = time.monotonic()
    figures: Figures = {}
    for benchmark in BENCHMARKS:
        if not args.only or name_of(benchmark) in args.only:
            figures.update(run_one(benchmark, settings))
    figures["quick"] = settings.quick
    figures["bench_s"] = round(time.monotonic() - started, 1)
    print(f"\nLantern benchmarks ({'quick' if settings.quick else 'full'} run)\n")
    print(table(figures))
    print(json.dumps(figures), flush=True)
    return 1 if any(key.endswith("_error") for key in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
