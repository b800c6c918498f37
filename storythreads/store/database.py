"""The SQLite store: posts, segments, the embedding cache, threads and run history.

Plain stdlib ``sqlite3`` in WAL mode, schema versions in ``PRAGMA user_version`` applied
by numbered migrations. A run's results are written in **one transaction**, so a run
killed at any point leaves the store as it was before that run (embedding vectors, a pure
cache, are committed as they are computed and are reused by the next run). A file lock
(``<store>.lock``) keeps two runs from writing the same store at once.

Every open runs SQLite's ``PRAGMA quick_check``: a damaged file is refused with a message
saying how to restore the last good snapshot (``snapshots.py``). Every sqlite3 error met
while using the store becomes a one-line StoreError naming it (``faults.py``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypedDict, TypeVar, Unpack, cast

import numpy as np

from ..errors import StoreError
from ..types import Assignment, Link, Post, Problem, Run, Thread
from .codec import citations_from_json, parse_time, time_text
from .faults import damaged, guarded, refuse_read_only, store_fault
from .health import open_read_only, quick_check, schema_problem, tables_of
from .lock import release_lock, take_lock
from .schema import MIGRATIONS
from .snapshot_files import list_snapshots

if TYPE_CHECKING:
    from collections import Counter

    from ..analysis.threading.identity import LineageEvent

    class _Scoped(TypedDict, total=False):
        """``Store.save_run``'s keyword arguments passed on to ``save.save_run``."""

        scope: tuple[set[str], set[str]] | None
        terms: tuple[int, Counter[str], bool] | None


_T = TypeVar("_T")


class Store:
    """An open storythreads store. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | Path, create: bool = True, check: bool = True):
        """Open (``create``: or make) the store at ``path``.

        With ``create=False`` (the read-only commands) a missing file or a SQLite file that
        is not a storythreads store is an error, and nothing is written to it. A file that
        is not a store is refused before anything is written to it, whatever ``create``
        says. ``check``: run SQLite's quick_check now and refuse a damaged file.
        """
        self.path = Path(path)
        self._lock_fd: int | None = None
        self.checked = False
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, expected a store file")
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no such store")
        if create:
            refuse_read_only(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._refuse_foreign(create)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise store_fault(self.path, exc) from exc
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        try:
            self._prepare(check)
        except BaseException:
            self.db.close()
            raise

    def _refuse_foreign(self, create: bool) -> None:
        """Read the file's schema without writing: a newer schema, or an SQLite file of
        someone else's tables, is refused before a migration could add ours to it."""
        if not self.path.exists() or (create and self.path.stat().st_size == 0):
            return
        probe = open_read_only(self.path)
        try:
            version, tables = _while_locked(lambda: _schema_of(probe))
        finally:
            probe.close()
        if create and version == 0 and not tables:
            return  # an empty SQLite file, or a new store whose first run was killed early
        refused = schema_problem(version, tables)
        if refused:
            raise StoreError(f"{self.path}: {refused[1]}")

    def _prepare(self, check: bool) -> None:
        try:
            self._wal()
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            if check:
                self.verify()
            self._migrate()
        except sqlite3.Error as exc:
            raise store_fault(self.path, exc) from exc

    def verify(self) -> None:
        """SQLite's ``PRAGMA quick_check`` (once per open): a damaged store is a StoreError
        that says how to restore its last good snapshot."""
        if self.checked:
            return
        problem = quick_check(self.db)
        if problem:
            raise damaged(self.path, problem, len(list_snapshots(self.path)))
        self.checked = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.unlock()
        self.db.close()

    # -- schema -----------------------------------------------------------------------
    def _wal(self, wait: float = 30.0) -> None:
        """Switch to WAL, retrying while another process creates the same store."""
        _while_locked(lambda: self.db.execute("PRAGMA journal_mode=WAL"), wait)

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: store schema {version} is newer than this storythreads "
                f"understands ({len(MIGRATIONS)}); upgrade storythreads"
            )
        if version == len(MIGRATIONS):
            return
        with self.transaction():
            # Another process may have migrated since we looked: read again under the lock.
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; anything raised inside rolls the whole of it back.

        SQLite may already have rolled back itself (a full disk does that); the error
        that stopped the work is the one raised, never a failed ROLLBACK's."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise

    # -- lock ---------------------------------------------------------------------------
    def lock(self, wait: float = 0.0) -> None:
        """Take the store's run lock, waiting up to ``wait`` seconds; StoreLockedError if not."""
        if self._lock_fd is None:
            self._lock_fd = take_lock(self.path, wait)

    def unlock(self) -> None:
        if self._lock_fd is not None:
            release_lock(self._lock_fd)
            self._lock_fd = None

    # -- embedding cache (the VectorStore protocol) ---------------------------------------
    @guarded
    def get_vectors(self, model: str, shas: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        shas = list(shas)
        for start in range(0, len(shas), 500):
            chunk = shas[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT sha, vector FROM vectors WHERE model = ? AND sha IN ({marks})",
                [model, *chunk],
            )
            for sha, blob in rows:
                found[sha] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    @guarded
    def put_vectors(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors (model, sha, dim, vector) VALUES (?, ?, ?, ?)",
                [
                    (model, sha, int(v.shape[0]), np.asarray(v, np.float32).tobytes())
                    for sha, v in items.items()
                ],
            )

    # -- reading ------------------------------------------------------------------------
    @guarded
    def load_posts(self, ids: Iterable[str] | None = None) -> list[Post]:
        """Every stored post, or those of ``ids`` (unknown ids are skipped)."""
        columns = (
            "SELECT id, source, url, published, title, byline, body, captions, date_only,"
            " time_inferred_from, outlet_group, key_event FROM posts"
        )
        rows: Iterable[tuple[Any, ...]]
        if ids is None:
            rows = self.db.execute(columns)
        else:
            rows = self._select_in(columns + " WHERE id IN ({})", sorted(set(ids)))
        return [
            Post(
                id=r[0],
                source=r[1],
                url=r[2],
                published=parse_time(r[3]),
                title=r[4],
                byline=r[5],
                body=r[6],
                captions=tuple(json.loads(r[7])),
                date_only=bool(r[8]),
                time_inferred_from=r[9],
                group=r[10],
                key_event=bool(r[11]),
            )
            for r in rows
        ]

    def _select_in(
        self, sql: str, values: Sequence[Any], size: int = 500
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` (one ``IN ({})`` to fill) for ``values``, ``size`` at a time."""
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            yield from self.db.execute(sql.format(",".join("?" * len(chunk))), chunk)

    @guarded
    def post_stamps(self, ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """Post id -> (content sha, published as stored) for the stored posts of ``ids``:
        what a run needs to tell new and edited posts from known ones without reading the
        store's other posts."""
        sql = "SELECT id, content_sha, published FROM posts WHERE id IN ({})"
        return {
            pid: (sha, published) for pid, sha, published in self._select_in(sql, sorted(set(ids)))
        }

    @guarded
    def newest_published(self) -> datetime | None:
        """The newest time of a stored post (None when none is dated)."""
        row = self.db.execute("SELECT MAX(published) FROM posts").fetchone()
        return parse_time(row[0]) if row and row[0] else None

    @guarded
    def working_set(self, since: datetime, post_ids: Iterable[str]) -> tuple[set[str], set[str]]:
        """(thread ids, post ids) of a scheduled run's working set: the stored posts of
        ``post_ids``, every post published since ``since``, the active and dormant threads
        seen since then or with no dated post; then, until nothing is added, the threads
        holding any of those posts and every post (primary or `also`) of those threads,
        so that no thread or post is left half inside."""
        stamp = time_text(since)
        threads = {
            tid
            for (tid,) in self.db.execute(
                "SELECT id FROM threads WHERE status IN ('active', 'dormant')"
                " AND (last_seen >= ? OR last_seen IS NULL)",
                (stamp,),
            )
        }
        posts = {pid for (pid,) in self.db.execute(
            "SELECT id FROM posts WHERE published >= ?", (stamp,))}  # fmt: skip
        posts.update(
            pid
            for (pid,) in self._select_in(
                "SELECT id FROM posts WHERE id IN ({})", sorted(set(post_ids))
            )
        )
        todo_posts, todo_threads = set(posts), set(threads)
        while todo_posts or todo_threads:
            homes = {
                tid
                for (tid,) in self._select_in(
                    "SELECT DISTINCT thread_id FROM assignments WHERE post_id IN ({})",
                    sorted(todo_posts),
                )
            }
            todo_threads |= homes - threads
            threads |= homes
            members = {
                pid
                for (pid,) in self._select_in(
                    "SELECT post_id FROM assignments WHERE thread_id IN ({})", sorted(todo_threads)
                )
            }
            todo_posts, todo_threads = members - posts, set()
            posts |= members
        return threads, posts

    @guarded
    def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        """(posts counted, term -> number of those posts that use it) for ``terms``, from
        the counts the runs keep (``term_counts_kept``)."""
        n = int(self.meta("term_docs", "0") or 0)
        found = dict(
            self._select_in("SELECT term, df FROM terms WHERE term IN ({})", sorted(set(terms)))
        )
        return n, found

    @guarded
    def term_counts_kept(self) -> bool:
        """Whether the store keeps its words' document frequencies (from the first run that
        needed them on)."""
        return self.meta("term_docs") is not None

    @guarded
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @guarded
    def post_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0])

    @guarded
    def last_run_id(self) -> str | None:
        row = self.db.execute("SELECT id FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    @guarded
    def last_settings_digest(self) -> str | None:
        """The settings digest of the last run: descriptions it stored are reusable only
        by a run with the same settings."""
        row = self.db.execute("SELECT settings_digest FROM runs ORDER BY seq DESC LIMIT 1")
        found = row.fetchone()
        return found[0] if found else None

    @guarded
    def last_vectors_key(self) -> str | None:
        """The cache key of the vectors the last run threaded with (model, its files'
        digest, backend): another key means this run embeds every segment afresh."""
        row = self.db.execute("SELECT model_hash FROM runs ORDER BY seq DESC LIMIT 1")
        found = row.fetchone()
        return found[0] if found else None

    @guarded
    def next_run_seq(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs").fetchone()[0])

    @guarded
    def thread_history(self) -> list[dict[str, Any]]:
        """Every thread ever made, newest activity first, with its lineage events."""
        events: dict[str, list[dict[str, Any]]] = {}
        for run_id, tid, event, other, detail in self.db.execute(
            "SELECT run_id, thread_id, event, other_id, detail FROM lineage ORDER BY seq"
        ):
            events.setdefault(tid, []).append(
                {"run": run_id, "event": event, "other": other, "detail": detail}
            )
        counts = dict(
            self.db.execute(
                "SELECT thread_id, COUNT(*) FROM assignments WHERE role='primary' GROUP BY thread_id"
            ).fetchall()
        )
        out = []
        for tid, label, status, first, last in self.db.execute(
            "SELECT id, label, status, first_seen, last_seen FROM threads "
            "ORDER BY COALESCE(last_seen, '') DESC, id"
        ):
            out.append(
                {
                    "id": tid,
                    "label": label,
                    "status": status,
                    "first_seen": first,
                    "last_seen": last,
                    "posts": counts.get(tid, 0),
                    "history": events.get(tid, []),
                }
            )
        return out

    @guarded
    def load_threads(
        self,
        assignments: Iterable[Assignment] | None = None,
        order: Mapping[str, int] | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[Thread]:
        """The active and dormant threads as stored (those of ``ids``, if given), with
        their members."""
        if ids is not None:
            ids = sorted(set(ids))
        if assignments is None:
            sql = "SELECT post_id, thread_id, role FROM assignments"
            rows = (
                self.db.execute(sql)
                if ids is None
                else self._select_in(sql + " WHERE thread_id IN ({})", ids)
            )
            assignments = [Assignment(p, t, role, 0.0) for p, t, role in rows]
        by_thread: dict[tuple[str, str], list[str]] = {}
        for a in assignments:
            by_thread.setdefault((a.thread_id, a.role), []).append(a.post_id)

        def members(tid: str, role: str) -> tuple[str, ...]:
            ids = by_thread.get((tid, role), [])
            # ``order`` holds every member (load_run passes all the posts): get finds each
            return tuple(
                sorted(ids, key=cast("Callable[[str], int]", order.get)) if order else sorted(ids)
            )

        sql = (
            "SELECT id, label, keyphrases, headline, centroid, first_seen, last_seen, status, "
            "summary FROM threads WHERE status IN ('active', 'dormant')"
        )
        rows = (
            self.db.execute(sql) if ids is None else self._select_in(sql + " AND id IN ({})", ids)
        )
        threads = []
        for r in rows:
            summary = citations_from_json(r[8])
            threads.append(
                Thread(
                    id=r[0],
                    label=r[1],
                    keyphrases=tuple(json.loads(r[2])),
                    headline=r[3],
                    post_ids=members(r[0], "primary"),
                    also_post_ids=members(r[0], "also"),
                    first_seen=parse_time(r[5]),
                    last_seen=parse_time(r[6]),
                    summary=summary,
                    status=r[7],
                    centroid=np.frombuffer(r[4], np.float32) if r[4] else None,
                )
            )
        return threads

    @guarded
    def load_layout(self, ids: Iterable[str] | None = None) -> dict[str, tuple[float, float]]:
        """The latest run's map positions: post id -> (x, y) (of ``ids``, if given)."""
        sql = "SELECT post_id, x, y FROM layout"
        rows = (
            self.db.execute(sql)
            if ids is None
            else self._select_in(sql + " WHERE post_id IN ({})", sorted(set(ids)))
        )
        return {pid: (x, y) for pid, x, y in rows}

    @guarded
    def load_run(self) -> Run:
        """The latest run's results, rebuilt from the tables (for `storythreads report`)."""
        row = self.db.execute(
            "SELECT id, started, finished, settings_digest, model, counts, changes, problems,"
            " key_points, provenance FROM runs ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: the store holds no run yet; use `storythreads run`")
        posts = sorted(self.load_posts(), key=lambda p: p.sort_key)
        assignments = [
            Assignment(p, t, role, score, tuple(json.loads(segs)))
            for p, t, role, score, segs in self.db.execute(
                "SELECT post_id, thread_id, role, score, segment_ids FROM assignments"
            )
        ]
        order = {p.id: i for i, p in enumerate(posts)}
        threads = self.load_threads(assignments, order)
        threads.sort(key=lambda t: (-(len(t.post_ids) + len(t.also_post_ids)), t.id))
        links = [
            Link(*r)
            for r in self.db.execute(
                "SELECT src, dst, kind, score, reason FROM links ORDER BY src, score DESC, dst, kind"
            )
        ]
        threaded = {a.post_id for a in assignments if a.role == "primary"}
        return Run(
            id=row[0],
            started=cast(datetime, parse_time(row[1])),  # NOT NULL columns
            finished=cast(datetime, parse_time(row[2])),
            settings_digest=row[3],
            model=row[4],
            counts=json.loads(row[5]),
            posts=tuple(posts),
            threads=tuple(threads),
            assignments=tuple(
                sorted(assignments, key=lambda a: (order[a.post_id], a.role, a.thread_id))
            ),
            links=tuple(links),
            unthreaded=tuple(p.id for p in posts if p.id not in threaded),
            problems=tuple(Problem(**p) for p in json.loads(row[7])),
            changes=json.loads(row[6]),
            key_points=citations_from_json(row[8]),
            provenance=json.loads(row[9]),
            layout=tuple(
                (pid, x, y)
                for pid, (x, y) in sorted(
                    self.load_layout().items(), key=lambda kv: order.get(kv[0], -1)
                )
            ),
        )

    # -- writing --------------------------------------------------------------------------

    @guarded
    def save_run(
        self,
        run: Run,
        lineage: Sequence[LineageEvent],
        next_thread_number: int,
        edits: Sequence[tuple[Post, Post]] = (),
        model_hash: str | None = None,
        **scoped: Unpack[_Scoped],
    ) -> None:
        """Write everything ``run`` produced in one transaction (all or nothing); see
        ``save.save_run`` for ``scope`` and ``terms``."""
        from .save import save_run

        save_run(self, run, lineage, next_thread_number, edits, model_hash, **scoped)


def _schema_of(db: sqlite3.Connection) -> tuple[int, set[str]]:
    return db.execute("PRAGMA user_version").fetchone()[0], tables_of(db)


def _while_locked(step: Callable[[], _T], wait: float = 30.0) -> _T:
    """``step()``, retried until ``wait`` runs out while SQLite answers "locked": it does so
    at once (no busy wait) while another process is creating the same store."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
