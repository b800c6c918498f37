"""A run's report folder: the windowed reports, their assets, and the archive of threads;
and the windows themselves (``recent_window``, ``select_window``).

What `storythreads run` and `storythreads report` write (each calls ``publish``):
report.md, report.json and report.html over the threads active in the last
``report.window_days`` (or over ``--since``/``--until``), plotly.js once in ``assets/``
(inside report.html with ``report.single_file``), and a page per thread in
``archive/`` (reports.archive), rewritten only when the thread changed.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

from ..config import ReportSettings
from ..types import Run
from .archive import write_archive
from .render import write_reports


def publish(
    run: Run,
    out_dir: str | Path,
    report: ReportSettings,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Path]:
    """Write ``run``'s report folder; return the report files' paths (the archive's pages
    are not listed). A window given by ``since``/``until`` replaces the recent one."""
    if since is not None or until is not None:
        shown = select_window(run, since, until)
    else:
        shown = recent_window(run, report.window_days)
    written = write_reports(shown, out_dir, report.formats, single_file=report.single_file)
    write_archive(run, out_dir, report.formats)
    return written


def select_window(run: Run, since: datetime | None = None, until: datetime | None = None) -> Run:
    """The part of ``run`` whose posts were published in [since, until).

    Undated posts are left out of a window. Threads keep their ids and labels; their
    post lists, summaries and links shrink to what lies inside the window.
    """
    if since is None and until is None:
        return run

    def inside(ts: datetime | None) -> bool:
        return ts is not None and (since is None or ts >= since) and (until is None or ts < until)

    posts = tuple(p for p in run.posts if inside(p.published))
    keep = {p.id: p for p in posts}
    threads = []
    for t in run.threads:
        primary = tuple(i for i in t.post_ids if i in keep)
        if not primary:
            continue
        # every post in `keep` is dated (the test is for the type checker)
        times = [ts for i in primary if (ts := keep[i].published) is not None]
        threads.append(
            dataclasses.replace(
                t,
                post_ids=primary,
                also_post_ids=tuple(i for i in t.also_post_ids if i in keep),
                summary=tuple(c for c in t.summary if c.post_id in keep),
                first_seen=min(times),
                last_seen=max(times),
            )
        )
    kept_threads = {t.id for t in threads}
    return dataclasses.replace(
        run,
        posts=posts,
        threads=tuple(threads),
        assignments=tuple(
            a for a in run.assignments if a.post_id in keep and a.thread_id in kept_threads
        ),
        links=tuple(k for k in run.links if k.src in kept_threads and k.dst in kept_threads),
        unthreaded=tuple(i for i in run.unthreaded if i in keep),
        counts={
            **run.counts,
            # the counts describe what the report shows; the whole run's stay beside them
            "posts": len(posts),
            "threads": len(threads),
            "single_post_threads": sum(1 for t in threads if len(t.post_ids) == 1),
            "unthreaded": sum(1 for i in run.unthreaded if i in keep),
            "run_posts": run.counts.get("posts"),
            "run_threads": run.counts.get("threads"),
            "window_since": since,
            "window_until": until,
        },
    )


def recent_window(run: Run, days: float) -> Run:
    """The part of ``run`` a report opens with: the threads active in the last ``days``
    days before its newest post, and those with no dated post, whole (every post, summary and link among them), the
    unthreaded posts of those days, and the key points among them. ``days`` 0, a run
    without dated posts, or a run whose threads are all recent: ``run`` itself. Older
    threads are left to the archive's pages (reports.archive)."""
    dated = [p.published for p in run.posts if p.published is not None]
    if days <= 0 or not dated:
        return run
    cutoff = max(dated) - timedelta(days=days)
    # a thread with no dated post cannot be placed in time: it is always shown
    threads = tuple(t for t in run.threads if t.last_seen is None or t.last_seen >= cutoff)
    if len(threads) == len(run.threads):
        return run
    kept = {t.id for t in threads}
    keep = {pid for t in threads for pid in (*t.post_ids, *t.also_post_ids)}
    loose = set(run.unthreaded)
    keep.update(
        p.id for p in run.posts if p.id in loose and (p.published is None or p.published >= cutoff)
    )
    return dataclasses.replace(
        run,
        posts=tuple(p for p in run.posts if p.id in keep),
        threads=threads,
        assignments=tuple(a for a in run.assignments if a.post_id in keep and a.thread_id in kept),
        links=tuple(k for k in run.links if k.src in kept and k.dst in kept),
        unthreaded=tuple(i for i in run.unthreaded if i in keep),
        key_points=tuple(c for c in run.key_points if c.post_id in keep),
        layout=tuple(row for row in run.layout if row[0] in keep),
        counts={
            **run.counts,
            "window_days": days,
            "window_threads": len(threads),
            "archived_threads": len(run.threads) - len(threads),
        },
    )
