"""Wall time per pipeline stage: what `storythreads run --profile` prints and bench/ records.

A ``StageTimer`` is handed down by the caller (CLI, bench script); stages add their seconds
to it under a fixed name. Timings never reach report.md/json/html, which stay identical for
identical input.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# The order of the table; stages not in this list are printed after these.
STAGES = (
    "ingest",
    "load",  # posts already in the store
    "segment",
    "embed",
    "cluster",
    "label",
    "summarize",
    "crossref",
    "layout",  # the report map
    "save",
    "render",
)


class StageTimer:
    """Seconds per stage name; a stage timed twice accumulates.

    Times are exclusive: a stage opened inside another is counted for itself only, so the
    stages add up to the wall time they cover.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._inner: list[float] = []  # seconds spent in nested stages, per open stage

        self._open: list[tuple[str, float]] = []

    def start(self, name: str) -> None:
        """Open a stage; ``stop`` closes the most recently opened one."""
        self._open.append((name, time.perf_counter()))
        self._inner.append(0.0)

    def stop(self) -> None:
        name, start = self._open.pop()
        took = time.perf_counter() - start
        nested = self._inner.pop()
        if self._inner:
            self._inner[-1] += took
        self.seconds[name] = self.seconds.get(name, 0.0) + took - nested

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop()

    def ordered(self) -> list[tuple[str, float]]:
        rank = {name: i for i, name in enumerate(STAGES)}
        return sorted(self.seconds.items(), key=lambda kv: (rank.get(kv[0], len(STAGES)), kv[0]))


def profile_table(seconds: dict[str, float], segments_embedded: int | None = None) -> str:
    """A plain-text table: stage, seconds, share of the total, and segments/s for `embed`."""
    timer = StageTimer()
    timer.seconds = dict(seconds)
    total = sum(seconds.values()) or 1e-9
    lines = [f"{'stage':<12}{'seconds':>10}{'share':>8}  rate"]
    for name, sec in timer.ordered():
        rate = ""
        if name == "embed" and segments_embedded:
            rate = f"{segments_embedded / max(sec, 1e-9):,.0f} segments/s"
        lines.append(f"{name:<12}{sec:>10.2f}{sec / total:>8.1%}  {rate}".rstrip())
    lines.append(f"{'total':<12}{sum(seconds.values()):>10.2f}{1:>8.0%}")
    return "\n".join(lines)
