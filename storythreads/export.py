"""The store's data out, for other tools: every post with its thread, every thread, every
link and every lineage event, as CSV and JSONL (and Parquet with pyarrow) — ``storythreads
export`` (issue 33).

report.json shows a window (the threads of the last days); a researcher who wants every
post's thread reads these files instead. Each file is streamed from SQLite row by row
(indexed lookups, no table held in memory), so a store of a million posts exports in
bounded memory, and each is written beside its target and renamed over it, so a reader
never sees half a file. The files are one snapshot of the store (one read transaction). The
columns are the README's data dictionary.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .reports.files import write_all_atomic
from .store import Store
from .store.faults import store_fault

# table -> (columns, SQL giving them in that order)
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "posts": (
        ("id", "source", "group", "url", "published", "date_only", "time_inferred_from",
         "time_inferred_from_page", "title", "byline", "key_event", "thread_id", "also",
         "first_run", "last_run"),
        "SELECT p.id, p.source, p.outlet_group, p.url, p.published, p.date_only,"
        " CASE WHEN p.time_inferred_from LIKE 'page:%' THEN NULL ELSE p.time_inferred_from END,"
        " CASE WHEN p.time_inferred_from LIKE 'page:%' THEN substr(p.time_inferred_from, 6) END,"
        " p.title, p.byline, p.key_event,"
        " (SELECT a.thread_id FROM assignments a WHERE a.post_id = p.id AND a.role = 'primary'"
        "  ORDER BY a.thread_id LIMIT 1),"
        " (SELECT json_group_array(thread_id) FROM (SELECT a.thread_id FROM assignments a"
        "  WHERE a.post_id = p.id AND a.role = 'also' ORDER BY a.thread_id)),"
        " p.first_run, p.last_run FROM posts p ORDER BY p.id",
    ),
    "threads": (
        ("id", "label", "keywords", "headline", "first_seen", "last_seen", "status", "posts",
         "also_posts", "born_run", "updated_run"),
        "SELECT t.id, t.label, t.keyphrases, t.headline, t.first_seen, t.last_seen, t.status,"
        " (SELECT COUNT(*) FROM assignments a WHERE a.thread_id = t.id AND a.role = 'primary'),"
        " (SELECT COUNT(*) FROM assignments a WHERE a.thread_id = t.id AND a.role = 'also'),"
        " t.born_run, t.updated_run FROM threads t ORDER BY t.id",
    ),
    "links": (
        ("src", "dst", "kind", "score", "reason"),
        "SELECT src, dst, kind, score, reason FROM links ORDER BY src, dst, kind",
    ),
    "lineage": (
        ("seq", "run_id", "thread_id", "event", "other_id", "detail"),
        "SELECT seq, run_id, thread_id, event, other_id, detail FROM lineage ORDER BY seq",
    ),
}  # fmt: skip
_JSON_COLUMNS = frozenset({"also", "keywords"})  # JSON lists (as text in the CSV files)
_FLAGS = frozenset({"date_only", "key_event"})
_BATCH = 10_000  # rows per Parquet row group


def export_store(store_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write posts, threads, links and lineage of the store at ``store_path`` into
    ``out_dir`` as ``<table>.csv`` and ``<table>.jsonl`` (and ``<table>.parquet`` when
    pyarrow is installed); return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with Store(store_path, create=False) as store:
        store.db.execute("BEGIN")  # one snapshot: a run that commits meanwhile is not half-seen
        try:
            for name, (columns, sql) in TABLES.items():
                files = [(out / f"{name}.csv", _csv(columns, _rows(store, sql, columns))),
                         (out / f"{name}.jsonl", _jsonl(_rows(store, sql, columns)))]  # fmt: skip
                write_all_atomic(files)
                written += [path for path, _ in files]
                parquet = _parquet(out / f"{name}.parquet", columns, _rows(store, sql, columns))
                written += [parquet] if parquet is not None else []
        except sqlite3.Error as exc:
            raise store_fault(store.path, exc) from exc
        finally:
            if store.db.in_transaction:
                store.db.execute("COMMIT")
    return written


def _rows(store: Store, sql: str, columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for row in store.db.execute(sql):
        record = dict(zip(columns, row, strict=True))
        for key in _JSON_COLUMNS & record.keys():
            record[key] = json.loads(record[key] or "[]")
        for key in _FLAGS & record.keys():
            record[key] = bool(record[key])
        yield record


def _csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for v in row.values()
        )
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def _parquet(path: Path, columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Path | None:
    """The rows as Parquet, written in row groups beside ``path`` and renamed over it; None
    without pyarrow."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    kinds = {"date_only": pa.bool_(), "key_event": pa.bool_(), "score": pa.float64(),
             "seq": pa.int64(), "posts": pa.int64(), "also_posts": pa.int64(),
             "also": pa.list_(pa.string()), "keywords": pa.list_(pa.string())}  # fmt: skip
    schema = pa.schema([(c, kinds.get(c, pa.string())) for c in columns])
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= _BATCH:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
