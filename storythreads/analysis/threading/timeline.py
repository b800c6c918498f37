"""Time inside the threading: how far apart two posts are, and how much that counts.

A story is an event in time. Two articles on one subject a month apart are two stories
(a hearing, then the emails it led to), however alike their words. So the clusterer
multiplies the blended similarity of two posts by a factor of the time between them:

    factor = 1                                   while gap <= grace
    factor = 0.5 ** ((gap - grace) / half_life)  after

* A post's time is an interval: an instant for a timestamp, a whole day for a date
  (``Post.date_only``: "2013-01-23" covers that day), so two dates one day apart touch
  and their gap is 0. The gap of two intervals is the time between them (0 when they
  overlap).
* ``grace`` (default 1 day) is one news cycle: outlets in other time zones and
  next-morning print editions report the same event. Nothing within a day is ever
  pulled apart by time, so a one-day live blog threads exactly as it did without it.
* ``half_life`` (default 2 days): every two further days halve the similarity. Two
  articles on one event a week apart need twice the usual similarity to be neighbours;
  a month apart, none is enough, and the later one starts a new thread that a `follows`
  link joins to the earlier (reports.crossref).
* Undated posts are neutral: factor 1 against everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from ...types import Post

DAY = 86_400.0


def time_intervals(posts: Sequence[Post]) -> np.ndarray:
    """(n, 2) float64 seconds since the epoch: each post's start and end; NaN if undated."""
    out = np.full((len(posts), 2), np.nan)
    for i, post in enumerate(posts):
        if post.published is not None:
            start = post.published.timestamp()
            out[i] = (start, start + (DAY if post.date_only else 0.0))
    return out


def gap_days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) days between the intervals of ``a`` and ``b``; NaN where undated."""
    gap = np.maximum(a[:, None, 0], b[None, :, 0]) - np.minimum(a[:, None, 1], b[None, :, 1])
    return cast("np.ndarray", np.maximum(gap, 0.0) / DAY)


def decay(gaps: np.ndarray, grace_days: float, half_life_days: float) -> np.ndarray:
    """The similarity factor of each gap (days); 1 for NaN (undated) and when time is off
    (``half_life_days`` 0)."""
    gaps = np.asarray(gaps, dtype=np.float64)
    if half_life_days <= 0:
        return np.ones(gaps.shape, dtype=np.float32)
    over = np.maximum(np.nan_to_num(gaps, nan=0.0) - grace_days, 0.0)
    return cast("np.ndarray", np.exp2(-over / half_life_days).astype(np.float32))


def pair_decay(
    times: NDArray[np.float64],
    rows: NDArray[np.integer[Any]],
    cols: NDArray[np.integer[Any]],
    grace_days: float,
    half_life_days: float,
) -> np.ndarray:
    """The factor of each (rows[i], cols[i]) pair of ``times`` (see ``time_intervals``)."""
    a, b = times[rows], times[cols]
    gap = np.maximum(np.maximum(a[:, 0], b[:, 0]) - np.minimum(a[:, 1], b[:, 1]), 0.0) / DAY
    return decay(gap, grace_days, half_life_days)


def scale(sim: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``sim`` times ``factor`` in place where ``sim`` is positive: time weakens a likeness,
    it never lifts a negative similarity toward 0."""
    np.multiply(sim, factor, out=sim, where=sim > 0)
    return sim


def scale_rows(
    sim: np.ndarray,
    times: NDArray[np.float64] | None,
    rows: Sequence[int] | NDArray[np.integer[Any]],
    grace_days: float,
    half_life_days: float,
) -> np.ndarray:
    """In place: row i of ``sim`` (a row of posts ``rows[i]`` against every post) scaled by
    the time factors, a block of rows at a time, in float32 days (16 MB a block at any
    size). Nothing happens when ``times`` is None, time is off, or every dated post lies
    within the grace of every other (a one-day live blog costs nothing)."""
    if times is None or half_life_days <= 0:
        return sim
    dated = times[~np.isnan(times[:, 0])]
    if dated.size == 0 or (dated[:, 1].max() - dated[:, 0].min()) / DAY <= grace_days:
        return sim
    origin = dated[:, 0].min()
    days = ((times - origin) / DAY).astype(np.float32)  # NaN stays NaN (undated)
    rows = np.asarray(rows)
    block = max(1, (1 << 22) // max(len(times), 1))
    for lo in range(0, len(rows), block):
        a = days[rows[lo : lo + block]]
        gap = a[:, None, 0] - days[None, :, 1]  # how far a starts after b ends ...
        np.maximum(gap, days[None, :, 0] - a[:, None, 1], out=gap)  # ... or b after a
        np.nan_to_num(gap, copy=False, nan=0.0)  # undated: no gap, factor 1
        gap -= grace_days
        np.maximum(gap, 0.0, out=gap)
        gap *= np.float32(-1.0 / half_life_days)
        scale(sim[lo : lo + block], np.exp2(gap, out=gap))
    return sim


def thread_intervals(times: np.ndarray, labels: np.ndarray, n_threads: int) -> np.ndarray:
    """(n_threads, 2): each thread's first start and last end over its dated posts; NaN
    for a thread with no dated post."""
    out = np.full((n_threads, 2), np.nan)
    dated = ~np.isnan(times[:, 0])
    if dated.any():
        lab = labels[dated]
        start = np.full(n_threads, np.inf)
        end = np.full(n_threads, -np.inf)
        np.minimum.at(start, lab, times[dated, 0])
        np.maximum.at(end, lab, times[dated, 1])
        has = np.isfinite(start)
        out[has, 0], out[has, 1] = start[has], end[has]
    return out
