"""Compare outlets over a finished Run: who covered which thread, how much, how soon, in which words.

Pure functions of a `Run`; nothing is re-clustered. An outlet is ``post.source or "unknown"``
and a post counts for a thread only through its *primary* assignment, so every threaded
post is counted once. Rows are frozen dataclasses in a documented order, ready for
``dataclasses.asdict`` and a DataFrame.

The framing comparison is the "Fightin' Words" log-odds ratio with an informative Dirichlet
prior (Monroe, Colaresi & Quinn 2008, *Political Analysis* 16(4)), computed within a thread
so that it contrasts how outlets tell the *same* story, not which stories they chose.
"""

from __future__ import annotations

import dataclasses
import statistics
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ...config import CompareSettings
from ...types import Post, Run, Thread
from ..language.text import tokens
from .stats import benjamini_hochberg, log_odds_dirichlet, median_interval, p_value


def outlet_of(post: Post) -> str:
    return post.source or "unknown"


def thread_posts(run: Run) -> list[tuple[Thread, list[Post]]]:
    """Each thread of the run (in run order) with its primary posts in (time, id) order."""
    by_id = {p.id: p for p in run.posts}
    members: dict[str, list[Post]] = {t.id: [] for t in run.threads}
    for a in run.assignments:
        if a.role == "primary" and a.thread_id in members and a.post_id in by_id:
            members[a.thread_id].append(by_id[a.post_id])
    return [(t, sorted(set(members[t.id]), key=lambda p: p.sort_key)) for t in run.threads]


def _by_outlet(posts: list[Post]) -> dict[str, list[Post]]:
    grouped: dict[str, list[Post]] = {}
    for post in posts:
        grouped.setdefault(outlet_of(post), []).append(post)
    return dict(sorted(grouped.items()))


def _dated(posts: list[Post]) -> list[datetime]:
    return sorted(p.published for p in posts if p.published is not None)


@dataclass(frozen=True)
class CoverageRow:
    thread_id: str
    outlet: str
    posts: int
    words: int  # whitespace-separated words of title and body
    share_of_outlet: float  # this thread's posts / all of the outlet's threaded posts
    first: datetime | None
    last: datetime | None
    first_date_only: bool = False  # the first post gives a date, not a time of day


def coverage(run: Run) -> list[CoverageRow]:
    """One row per (thread, outlet) with at least one primary post; (thread order, outlet)."""
    grouped = [(t, _by_outlet(posts)) for t, posts in thread_posts(run)]
    totals: Counter[str] = Counter()
    for _, outlets in grouped:
        totals.update({o: len(ps) for o, ps in outlets.items()})
    rows = []
    for thread, outlets in grouped:
        for outlet, posts in outlets.items():
            times = _dated(posts)
            first_post = _first_post(posts)  # None exactly when times is empty
            rows.append(
                CoverageRow(
                    thread_id=thread.id,
                    outlet=outlet,
                    posts=len(posts),
                    words=sum(len(f"{p.title} {p.body}".split()) for p in posts),
                    share_of_outlet=len(posts) / totals[outlet],
                    first=times[0] if times else None,
                    last=times[-1] if times else None,
                    first_date_only=first_post is not None and first_post.date_only,
                )
            )
    return rows


MAX_LAG_DAYS = 7.0  # a first post later than this behind the thread's start is another event


@dataclass(frozen=True)
class LeadRow:
    thread_id: str
    outlet: str
    first: datetime | None  # the outlet's first dated post in the thread
    lag_minutes: float | None  # behind the thread's first dated post by anyone
    is_first: bool  # lag 0 (ties: every outlet that posted at that minute, or that day)
    # first came more than max_lag_days after the thread's start: no lag is claimed, since
    # so late a post reports a later development, not the same news late
    beyond_window: bool = False
    # "day" when this outlet's first report or the thread's first gives a date only: the
    # lag is then whole calendar days (lag_days; 0 = the same day) and lag_minutes is
    # None, since minutes between dates would be made up (issue 25)
    resolution: str = "minute"
    lag_days: int | None = None


@dataclass(frozen=True)
class LeadTimes:
    rows: list[LeadRow]  # (thread order; lag, then beyond the window, then undated; outlet)
    median_lag: dict[str, float]  # outlet -> median lag over shared threads, by outlet name
    single_outlet: list[str]  # ids of threads only one outlet covered, in thread order
    # outlet -> median lag in days over shared threads timed to the day
    median_lag_days: dict[str, float] = dataclasses.field(default_factory=dict)
    # outlet -> (low, high, threads): a 95 % interval of the median lag (median_interval),
    # in minutes and in days; absent where too few threads give one
    lag_interval: dict[str, tuple[float, float, int]] = dataclasses.field(default_factory=dict)
    lag_interval_days: dict[str, tuple[float, float, int]] = dataclasses.field(
        default_factory=dict
    )


def lead_times(run: Run, *, max_lag_days: float = MAX_LAG_DAYS) -> LeadTimes:
    """Who reported each story first, and how far behind the others were.

    Undated posts are ignored for timing. A lag is only read within one event: an outlet
    whose first dated post in a thread is more than `max_lag_days` after the thread's first
    keeps its `first` time but gets no lag (`beyond_window`), so a thread that still joins
    two events cannot report "+400 days" as slowness. `median_lag` only uses threads where at
    least two outlets have a lag (otherwise "first" says nothing), including lag 0 for the
    outlet that was first.
    """
    if not max_lag_days > 0:
        raise ValueError(f"max_lag_days ({max_lag_days}) must be positive")
    window = max_lag_days * 24 * 60
    rows: list[LeadRow] = []
    lags: dict[str, list[float]] = {}
    days: dict[str, list[float]] = {}
    single: list[str] = []
    for thread, posts in thread_posts(run):
        outlets = _by_outlet(posts)
        if len(outlets) == 1:
            single.append(thread.id)
        here = _lead_rows(thread.id, outlets, window)
        timed = [r for r in here if r.lag_minutes is not None or r.lag_days is not None]
        if len(timed) >= 2:
            for r in timed:
                if r.lag_minutes is not None:
                    lags.setdefault(r.outlet, []).append(r.lag_minutes)
                elif r.lag_days is not None:  # always, for a timed row
                    days.setdefault(r.outlet, []).append(float(r.lag_days))
        rows.extend(sorted(here, key=_lead_order))
    median = {o: float(statistics.median(v)) for o, v in sorted(lags.items())}
    median_days = {o: float(statistics.median(v)) for o, v in sorted(days.items())}
    return LeadTimes(rows, median, single, median_days, _intervals(lags), _intervals(days))


def _intervals(lags: dict[str, list[float]]) -> dict[str, tuple[float, float, int]]:
    found = {}
    for outlet, values in sorted(lags.items()):
        interval = median_interval(values)
        if interval is not None:
            found[outlet] = (*interval, len(values))
    return found


def _lead_rows(thread_id: str, outlets: dict[str, list[Post]], window: float) -> list[LeadRow]:
    """One row per outlet of a thread; lags over `window` minutes become beyond_window."""
    firsts = {o: _first_post(ps) for o, ps in outlets.items()}
    # A post dated to the day only covers the whole day: the lag is counted from the
    # earliest *end* of a first report, so "2013-01-23" and "2013-01-23 18:00" are both
    # first, and an instant is never behind a day that may have been later than it.
    dated = [p for p in firsts.values() if p is not None]
    leader = min(dated, key=lambda p: (_end(p), p.published, p.id)) if dated else None
    rows = []
    for outlet, post in firsts.items():
        if post is None:
            rows.append(LeadRow(thread_id, outlet, None, None, False))
            continue
        # a dated first post: so the leader is one too
        assert leader is not None and post.published is not None
        assert leader.published is not None
        lag = max(0.0, (post.published - _end(leader)).total_seconds() / 60)
        beyond = lag > window
        if post.date_only or leader.date_only:  # this pair is timed to the day
            gap = max(0, (post.published.date() - leader.published.date()).days)
            beyond = gap * 24 * 60 > window
            shown_days = None if beyond else gap
            rows.append(LeadRow(thread_id, outlet, post.published, None, shown_days == 0,
                                beyond, "day", shown_days))  # fmt: skip
            continue
        shown = None if beyond else lag
        rows.append(LeadRow(thread_id, outlet, post.published, shown, shown == 0, beyond))
    return rows


def _first_post(posts: list[Post]) -> Post | None:
    """An outlet's earliest dated post in a thread (ties: the earlier end, then the id)."""
    dated = [p for p in posts if p.published is not None]
    return min(dated, key=lambda p: (p.published, _end(p), p.id)) if dated else None


def _end(post: Post) -> datetime:
    assert post.published is not None  # dated posts only
    return post.published + timedelta(days=1) if post.date_only else post.published


def _lead_order(row: LeadRow) -> tuple[int, float | datetime | None, str]:
    """Lagged rows by lag, then those beyond the window by time, then undated; by outlet."""
    if row.lag_minutes is not None:
        return (0, row.lag_minutes, row.outlet)
    if row.lag_days is not None:
        return (0, row.lag_days * 24 * 60, row.outlet)
    if row.beyond_window:
        return (1, row.first, row.outlet)
    return (2, 0, row.outlet)


@dataclass(frozen=True)
class TermRow:
    thread_id: str
    outlet: str
    term: str
    count: int  # the term's count in this outlet's posts of the thread
    other_count: int  # ... in the other outlets' posts of the thread
    words: int  # all words of this outlet's posts of the thread
    other_words: int  # ... of the other outlets'
    docs: int  # posts of the run that use the term
    prior: float  # the term's Dirichlet prior count: its share of the run's words x
    # (words + other_words), so the prior weighs as much as the thread's own words
    log_odds: float
    z: float
    p_value: float  # two-sided, from z
    q_value: float | None  # Benjamini-Hochberg adjusted (None with fdr = "none")


def _words(post: Post) -> list[str]:
    return tokens(f"{post.title}\n{post.body}")


def framing(run: Run, top_n: int = 10, rules: CompareSettings | None = None) -> list[TermRow]:
    """Each outlet's significantly distinctive words within each thread that at least two
    outlets covered (the rules: ``config.CompareSettings``).

    Per (thread, outlet): its words vs the other outlets' words in the same thread, with
    the whole run's word counts (all posts) as the prior. Every word the outlet uses that
    passes the floors is tested; those with z >= ``z_min`` (and, with Benjamini-Hochberg,
    q <= ``q`` over every test of the run) are kept, up to ``top_n`` per cell, rows by
    (thread order, outlet, -z, term).
    """
    if top_n < 0:
        raise ValueError(f"top_n ({top_n}) must be at least 0")
    rules = rules or CompareSettings()
    words_of = {p.id: _words(p) for p in run.posts}  # each post tokenised once
    prior = Counter(w for ws in words_of.values() for w in ws)
    prior_total = sum(prior.values())
    docs = Counter(w for ws in words_of.values() for w in set(ws))
    # every test's p-value goes into the correction; a row is made only for a word that
    # can be listed (z >= z_min), so a large comparison holds floats, not millions of rows
    p_values = array("d")
    tests: list[tuple[int, TermRow]] = []
    for thread, posts in thread_posts(run):
        outlets = _by_outlet(posts)
        if len(outlets) < 2:
            continue
        counts = {o: Counter(w for p in ps for w in words_of[p.id]) for o, ps in outlets.items()}
        total = sum(counts.values(), Counter())
        for outlet, mine in counts.items():
            others = total - mine
            words, other_words = sum(mine.values()), sum(others.values())
            if min(words, other_words) < rules.min_words:
                continue
            # the run's word shape, as strong as the thread's own words (alpha0 = n_i + n_j):
            # the whole run's raw counts would outweigh one thread's words many times over
            # and pull every z to 0 (median 0.65 on a held-out set of 304 articles)
            scale = words + other_words
            scores = log_odds_dirichlet(mine, others, prior, prior_scale=scale)
            for w in sorted(mine):
                if docs[w] < rules.min_docs:
                    continue
                delta, z = scores[w]
                p_values.append(p_value(z))
                if z < rules.z_min:
                    continue
                alpha = prior[w] * scale / prior_total
                tests.append((len(p_values) - 1, TermRow(
                    thread.id, outlet, w, mine[w], others[w], words, other_words, docs[w],
                    alpha, delta, z, p_values[-1], None)))  # fmt: skip
    if rules.fdr == "bh":
        q = benjamini_hochberg(p_values)
        tests = [(i, dataclasses.replace(t, q_value=q[i])) for i, t in tests]
    kept = [t for _, t in tests if t.q_value is None or t.q_value <= rules.q]
    rows: list[TermRow] = []
    cells: dict[tuple[str, str], list[TermRow]] = {}
    for t in kept:
        cells.setdefault((t.thread_id, t.outlet), []).append(t)
    order = {t.id: i for i, t in enumerate(run.threads)}
    for key in sorted(cells, key=lambda k: (order[k[0]], k[1])):
        rows.extend(sorted(cells[key], key=lambda r: (-r.z, r.term))[:top_n])
    return rows


@dataclass(frozen=True)
class AttentionRow:
    """How much of an outlet's output one story took, day by day (issue 25)."""

    thread_id: str
    outlet: str
    day: str  # YYYY-MM-DD (UTC), every day from the thread's first to its last
    posts: int  # the outlet's posts of the thread that day (0 filled in)
    outlet_posts: int  # all the outlet's threaded posts that day, any thread
    share: float  # posts / outlet_posts; 0 when the outlet posted nothing that day
    peak_day: str  # the thread's busiest day, all outlets together (ties: the earlier)
    lag_to_peak_days: int | None  # the outlet's first day in the thread minus the peak
    # day: negative when it reported before the peak; None if it never covered it


MAX_ATTENTION_DAYS = 366  # a thread's series is cut after a year (time keeps threads short)


def attention(run: Run) -> list[AttentionRow]:
    """Per thread, outlet and day: the outlet's posts on the story, its posts that day
    and the share, zero-filled over the thread's days for every outlet of the run, so a
    series goes straight into a lead-lag analysis (Media Cloud normalises attention by
    the day's total the same way). Dated primary posts only; rows by (thread order,
    outlet, day)."""
    from datetime import date as date_type

    def day(post: Post) -> date_type:
        assert post.published is not None  # dated posts only
        return post.published.astimezone(UTC).date()

    grouped = [(t, [p for p in posts if p.published is not None]) for t, posts in thread_posts(run)]
    outlets = sorted({outlet_of(p) for _, posts in grouped for p in posts})
    daily: Counter[tuple[str, date_type]] = Counter()  # (outlet, day) -> threaded posts
    for _, posts in grouped:
        daily.update((outlet_of(p), day(p)) for p in posts)
    rows: list[AttentionRow] = []
    for thread, posts in grouped:
        if not posts:
            continue
        counts = Counter((outlet_of(p), day(p)) for p in posts)
        per_day = Counter(day(p) for p in posts)
        peak = min(per_day, key=lambda d: (-per_day[d], d))
        first, last = min(per_day), max(per_day)
        span = min((last - first).days, MAX_ATTENTION_DAYS - 1)
        firsts = {o: min(d for (x, d) in counts if x == o) for o in {o for o, _ in counts}}
        for outlet in outlets:
            lag = (firsts[outlet] - peak).days if outlet in firsts else None
            for offset in range(span + 1):
                d = first + timedelta(days=offset)
                n, total = counts[(outlet, d)], daily[(outlet, d)]
                rows.append(AttentionRow(thread.id, outlet, d.isoformat(), n, total,
                                         n / total if total else 0.0, peak.isoformat(), lag))  # fmt: skip
    return rows
