"""One `storythreads run` as one API function: posts in, a report folder out, through a
store (a scheduled run) or without one.

Light to import on purpose: the local engine starts embedding the new paragraphs
(``prefetch``) before the pipeline, scikit-learn and SciPy are imported, so the two
overlap on a scheduled run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis.ingest.archive import Archive
from .config import Settings
from .timing import StageTimer
from .types import Post, Problem, Run

if TYPE_CHECKING:
    from .embeddings import CachedEmbedder
    from .pipeline.backlog import Progress
    from .store import Store


@dataclass(frozen=True, kw_only=True)
class Job:
    """Where a run writes and how: the report folder; the store (None: keep nothing between
    runs); re-thread the whole store; seconds to wait for another run's lock; a window
    (``since``/``until``) in place of the report's recent one."""

    out_dir: Path
    store: Path | None = None
    rethread: bool = False
    wait: float = 30.0
    since: datetime | None = None
    until: datetime | None = None


def run_job(
    job: Job,
    posts: Sequence[Post],
    settings: Settings,
    embedder: CachedEmbedder,
    *,
    problems: Sequence[Problem] = (),
    timer: StageTimer | None = None,
    on_store: Callable[[Store], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> tuple[Run, list[Path]]:
    """Thread ``posts`` and write the report folder (``reports.publish``); with a store,
    as one scheduled run (``pipeline.update``), its reports written under the store's lock
    so that a later run cannot overwrite them with older ones. ``on_store(store)`` is called
    once the store is open and locked (the CLI says how many posts it holds). More new
    posts than ``store.backlog_window_posts`` go window by window (``pipeline.backlog``),
    each window reported to ``progress``. Returns the run and the report files written."""
    timer = timer if timer is not None else StageTimer()
    if job.store is None:
        prefetch(embedder, posts, settings)
        from .pipeline import analyze
        from .reports import publish

        run = analyze(posts, settings, embedder, problems=problems, timer=timer)
        with timer.stage("render"):
            return run, publish(run, job.out_dir, settings.report, job.since, job.until)
    from .store import Store, full_copy_due

    keeping = settings.store
    # a store of gigabytes is checked (every page read) once a day, with its snapshot
    check = full_copy_due(job.store, keeping.full_copy_max_mb, keeping.full_copy_every_hours)
    with Store(job.store, check=check) as store:
        store.lock(job.wait)
        if on_store is not None:
            on_store(store)
        # the local engine starts on the new paragraphs before the pipeline is imported; a
        # backlog embeds window by window instead (the archive's vectors never wait whole)
        if isinstance(posts, Archive):  # only what the store lacks is read from the files
            fresh: Sequence[Post] = posts.unstored(store.post_stamps)
            unstored = len(fresh)
        else:
            stamps = store.post_stamps(p.id for p in posts)
            fresh = posts
            unstored = sum(p.id not in stamps or stamps[p.id][0] != p.content_sha for p in posts)
        if job.rethread or unstored <= settings.store.backlog_window_posts:
            prefetch(embedder, posts if job.rethread else fresh, settings, store)
        from .pipeline import update
        from .pipeline.backlog import backlog
        from .reports import publish

        if job.rethread:
            run = update(store, posts, settings, embedder, problems, rethread=True, timer=timer)
        else:
            run = backlog(store, posts, settings, embedder, problems, timer, progress)
        with timer.stage("render"):  # still under the lock
            return run, publish(run, job.out_dir, settings.report, job.since, job.until)


def prefetch(
    embedder: CachedEmbedder, posts: Iterable[Post], settings: Settings, store: Store | None = None
) -> None:
    """The local engine starts embedding the input's paragraphs that ``store`` (or, with
    none, this run) has no vectors for, before this process imports the pipeline (a
    second of scikit-learn and SciPy): the two overlap on a scheduled run. The pipeline's
    own embedding call then collects them (``ProcessEmbedder.submit``)."""
    from .analysis.threading.segment import segment_posts
    from .embeddings import CachedEmbedder
    from .types import unique_posts

    if not callable(getattr(embedder.inner, "submit", None)):
        return
    cached = CachedEmbedder(embedder.inner, store) if store is not None else embedder
    cached.prefetch([s.text for s in segment_posts(unique_posts(posts), settings.segment)])
