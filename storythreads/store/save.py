"""Writing a run's results: everything in one transaction, so a killed run leaves no trace."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..types import Post, Run
from .codec import citation_json, time_text

if TYPE_CHECKING:
    from ..analysis.threading.identity import LineageEvent
    from .database import Store


def save_run(
    store: Store,
    run: Run,
    lineage: Sequence[LineageEvent],
    next_thread_number: int,
    edits: Sequence[tuple[Post, Post]] = (),
    model_hash: str | None = None,
    scope: tuple[set[str], set[str]] | None = None,
    terms: tuple[int, Counter[str], bool] | None = None,
) -> None:
    """Write everything ``run`` produced in one transaction (all or nothing).

    ``scope``: (thread ids, post ids) of the working set the run re-threaded (None: the
    whole store). Only their assignments, map positions and links between them are
    replaced; links from them to threads outside stay. ``terms``: what to add to the
    store's document frequencies (posts, word -> posts, and whether they replace them)."""
    touched = {e.thread_id for e in lineage if e.event in ("born", "split", "continued")}
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO posts (id, source, url, published, title, byline, body, captions,"
            " content_sha, first_run, last_run, date_only, time_inferred_from, outlet_group,"
            " key_event) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET source=excluded.source, url=excluded.url,"
            " published=excluded.published, date_only=excluded.date_only,"
            " time_inferred_from=excluded.time_inferred_from,"
            " outlet_group=excluded.outlet_group, key_event=excluded.key_event,"
            " title=excluded.title, byline=excluded.byline,"
            " body=excluded.body, captions=excluded.captions,"
            " content_sha=excluded.content_sha, last_run=excluded.last_run"
            " WHERE posts.content_sha IS NOT excluded.content_sha"
            " OR posts.published IS NOT excluded.published"
            " OR posts.date_only IS NOT excluded.date_only"
            " OR posts.time_inferred_from IS NOT excluded.time_inferred_from"
            " OR posts.outlet_group IS NOT excluded.outlet_group"
            " OR posts.key_event IS NOT excluded.key_event"
            " OR posts.url IS NOT excluded.url OR posts.byline IS NOT excluded.byline"
            " OR posts.source IS NOT excluded.source",
            [
                (
                    p.id,
                    p.source,
                    p.url,
                    time_text(p.published),
                    p.title,
                    p.byline,
                    p.body,
                    json.dumps(list(p.captions), ensure_ascii=False),
                    p.content_sha,
                    run.id,
                    run.id,
                    int(p.date_only),
                    p.time_inferred_from,
                    p.group,
                    int(p.key_event),
                )
                for p in run.posts
            ],
        )
        db.executemany(
            "INSERT OR REPLACE INTO post_edits (post_id, run_id, old_sha, new_sha,"
            " old_title, old_body) VALUES (?,?,?,?,?,?)",
            [
                (old.id, run.id, old.content_sha, new.content_sha, old.title, old.body)
                for old, new in edits
            ],
        )
        db.executemany("DELETE FROM segments WHERE post_id = ?", [(o.id,) for o, _ in edits])
        db.executemany(
            "INSERT OR IGNORE INTO segments (id, post_id, ordinal, kind, text, sha)"
            " VALUES (?,?,?,?,?,?)",
            [(g.id, g.post_id, g.ordinal, g.kind, g.text, g.sha) for g in run.segments],
        )
        for t in run.threads:
            db.execute(
                "INSERT INTO threads (id, label, keyphrases, headline, centroid, first_seen,"
                " last_seen, status, summary, born_run, updated_run)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                " label=excluded.label, keyphrases=excluded.keyphrases,"
                " headline=excluded.headline, centroid=excluded.centroid,"
                " first_seen=excluded.first_seen, last_seen=excluded.last_seen,"
                " status=excluded.status, summary=excluded.summary,"
                " updated_run=CASE WHEN ? THEN excluded.updated_run ELSE updated_run END",
                (
                    t.id,
                    t.label,
                    json.dumps(list(t.keyphrases), ensure_ascii=False),
                    t.headline,
                    np.asarray(t.centroid, np.float32).tobytes()
                    if t.centroid is not None
                    else None,
                    time_text(t.first_seen),
                    time_text(t.last_seen),
                    t.status,
                    json.dumps([citation_json(c) for c in t.summary], ensure_ascii=False),
                    run.id,
                    run.id,
                    t.id in touched,
                ),
            )
        for event in lineage:
            if event.event in ("merged", "retired"):
                db.execute(
                    "UPDATE threads SET status = ?, updated_run = ? WHERE id = ?",
                    (event.event, run.id, event.thread_id),
                )
        _clear(db, run, lineage, scope)
        db.executemany(
            "INSERT INTO assignments (post_id, thread_id, role, score, segment_ids)"
            " VALUES (?,?,?,?,?)",
            [
                (a.post_id, a.thread_id, a.role, a.score, json.dumps(list(a.segment_ids)))
                for a in run.assignments
            ],
        )
        db.executemany("INSERT INTO layout (post_id, x, y) VALUES (?,?,?)", run.layout)
        db.executemany(
            "INSERT OR REPLACE INTO links (src, dst, kind, score, reason) VALUES (?,?,?,?,?)",
            [(k.src, k.dst, k.kind, k.score, k.reason) for k in run.links],
        )
        db.executemany(
            "INSERT INTO lineage (run_id, thread_id, event, other_id, detail) VALUES (?,?,?,?,?)",
            [(run.id, e.thread_id, e.event, e.other_id, e.detail) for e in lineage],
        )
        db.execute(
            "INSERT INTO runs (seq, id, started, finished, settings_digest, model,"
            " model_hash, counts, changes, problems, key_points, provenance)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                store.next_run_seq(),
                run.id,
                time_text(run.started),
                time_text(run.finished),
                run.settings_digest,
                run.model,
                model_hash,
                json.dumps(run.counts),
                json.dumps(run.changes, ensure_ascii=False, default=str),
                json.dumps(
                    [{"path": p.path, "line": p.line, "message": p.message} for p in run.problems],
                    ensure_ascii=False,
                ),
                json.dumps([citation_json(c) for c in run.key_points], ensure_ascii=False),
                json.dumps(run.provenance, ensure_ascii=False, default=str),
            ),
        )
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_thread_number', ?)",
            (str(next_thread_number),),
        )
        if terms is not None:
            _add_terms(db, *terms)


def _clear(
    db: sqlite3.Connection,
    run: Run,
    lineage: Sequence[LineageEvent],
    scope: tuple[set[str], set[str]] | None,
) -> None:
    """Remove what the run replaces: every assignment, map position and link, or, for a
    working set, those of its posts, the links between its threads, and every link of a
    thread that ended (merged or retired)."""
    if scope is None:
        for table in ("assignments", "layout", "links"):
            db.execute(f"DELETE FROM {table}")  # fixed names
        return
    threads, posts = scope
    rows = [(pid,) for pid in sorted(posts | {p.id for p in run.posts})]
    db.executemany("DELETE FROM assignments WHERE post_id = ?", rows)
    db.executemany("DELETE FROM layout WHERE post_id = ?", rows)
    db.execute("CREATE TEMP TABLE IF NOT EXISTS scope_threads (id TEXT PRIMARY KEY)")
    db.execute("DELETE FROM scope_threads")
    inside = sorted(threads | {t.id for t in run.threads})
    db.executemany("INSERT INTO scope_threads VALUES (?)", [(t,) for t in inside])
    db.execute(
        "DELETE FROM links WHERE src IN (SELECT id FROM scope_threads)"
        " AND dst IN (SELECT id FROM scope_threads)"
    )
    ended = sorted({e.thread_id for e in lineage if e.event in ("merged", "retired")})
    db.executemany("DELETE FROM links WHERE src = ? OR dst = ?", [(t, t) for t in ended])


def _add_terms(db: sqlite3.Connection, n_posts: int, df: Counter[str], replace: bool) -> None:
    """Add to the kept document frequencies (``replace``: they are the counts afresh)."""
    if replace:
        db.execute("DELETE FROM terms")
        db.execute("DELETE FROM meta WHERE key = 'term_docs'")
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('term_docs', ?) ON CONFLICT(key) DO UPDATE"
        " SET value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)",
        (str(n_posts),),
    )
    db.executemany(
        "INSERT INTO terms (term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE"
        " SET df = df + excluded.df",
        [(w, c) for w, c in sorted(df.items()) if c],
    )
