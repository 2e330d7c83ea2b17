"""What every benchmark shares: its settings, the figures it returns, its error and progress output."""

from __future__ import annotations

import dataclasses
import sys

Figure = int | float | str | bool
Figures = dict[str, Figure]


class BenchError(RuntimeError):
    """A benchmark could not produce trustworthy figures (a server did not start, many errors, ...)."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """How long and how hard to drive the load; ``quick`` is a smaller run of the same benchmarks."""

    quick: bool
    warmup_s: float
    measure_s: float
    connections: int = 32
    threads: int = 2

    @classmethod
    def for_run(cls, quick: bool) -> Settings:
        if quick:
            return cls(quick=True, warmup_s=2.0, measure_s=8.0)
        return cls(quick=False, warmup_s=3.0, measure_s=30.0)


def progress(message: str) -> None:
    """A progress line on standard error (standard output carries only the report)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p50 is the median of an odd count)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]
