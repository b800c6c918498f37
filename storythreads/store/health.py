"""Is a file a sound storythreads store? SQLite's own check, the schema, the counts.

``Store`` runs ``quick_check`` on every open (a few tenths of a second at 100,000 posts,
see bench/snapshot_cost.py); ``storythreads store check`` and ``store restore`` use
``examine`` on files they open read-only, so that checking never writes.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .faults import classify
from .schema import MIGRATIONS
from .snapshot_files import list_snapshots

COUNTED = ("posts", "segments", "vectors", "threads", "runs")
# a store at any schema version has these; a foreign SQLite file rarely has all three
OWN_TABLES = frozenset({"posts", "runs", "meta"})


def open_read_only(
    path: Path, immutable: bool = False, check_same_thread: bool = True
) -> sqlite3.Connection:
    """A connection that cannot write to ``path`` (nor create it). ``immutable``: read
    the file alone, without the -shm a WAL reader needs (for a read-only folder)."""
    mode = "immutable=1" if immutable else "mode=ro"
    return sqlite3.connect(
        f"file:{quote(str(path))}?{mode}", uri=True, timeout=30, check_same_thread=check_same_thread
    )


def quick_check(db: sqlite3.Connection) -> str | None:
    """None when SQLite's ``PRAGMA quick_check`` finds the file sound, else what it found.

    quick_check reads every page and checks the b-trees' structure, but not that each index
    matches its table (``integrity_check`` does, at several times the cost).
    """
    rows = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
    return None if rows == ["ok"] else "; ".join(rows)


def schema_problem(version: int, tables: set[str]) -> tuple[str, str] | None:
    """(status, message) when a readable SQLite file is not a store this version can use."""
    if version > len(MIGRATIONS):
        newer = (
            f"store schema {version} is newer than this storythreads understands "
            f"({len(MIGRATIONS)}); upgrade storythreads"
        )
        return "newer", newer
    if version == 0 and tables:
        shown = ", ".join(sorted(tables)[:5])
        return "not a store", f"not a storythreads store (an SQLite database of tables {shown})"
    if version == 0:
        return "not a store", "not a storythreads store (an empty SQLite database)"
    if not OWN_TABLES <= tables:
        return "not a store", f"not a storythreads store (schema {version}, no runs table)"
    return None


def tables_of(db: sqlite3.Connection) -> set[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows if not name.startswith("sqlite_")}


@dataclass(frozen=True)
class Examined:
    """What ``examine`` found: status is ok, damaged, newer or not a store."""

    status: str
    problem: str | None = None
    schema: int | None = None
    counts: dict[str, int | None] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def examine(path: Path, counts: bool = False) -> Examined:
    """Open ``path`` read-only and check it: schema first, then quick_check, then (when
    asked and the file is a store) the rows of each counted table."""
    started = time.perf_counter()
    try:
        try:
            found = _examine_file(path, counts, immutable=False)
        except sqlite3.Error as exc:
            if classify(exc) not in ("read-only", "cannot open") or _wal_holds_data(path):
                raise
            # a WAL reader needs the -shm beside the file: in a read-only folder, read the
            # file alone, which is the whole store when no -wal holds anything
            found = _examine_file(path, counts, immutable=True)
    except sqlite3.Error as exc:
        kind = classify(exc)
        if kind == "damaged":
            found = Examined("damaged", " ".join(str(exc).split()))
        elif kind == "not a store":
            found = Examined("not a store", "not a storythreads store (not an SQLite database)")
        else:
            found = Examined("unreadable", f"cannot read it: {exc}")
    return Examined(**{**found.__dict__, "seconds": time.perf_counter() - started})


def _examine_file(path: Path, counts: bool, immutable: bool) -> Examined:
    db = open_read_only(path, immutable)
    try:
        return _examine(db, counts)
    finally:
        db.close()


def _wal_holds_data(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _examine(db: sqlite3.Connection, counts: bool) -> Examined:
    version = db.execute("PRAGMA user_version").fetchone()[0]  # the header: read even if damaged
    try:
        refused = schema_problem(version, tables_of(db))
        if refused:
            return Examined(refused[0], refused[1], version)
        problem = quick_check(db)
    except sqlite3.Error as exc:
        if classify(exc) != "damaged":
            raise
        problem = " ".join(str(exc).split())
    status = "damaged" if problem else "ok"
    return Examined(status, problem, version, _counts(db) if counts else {})


def _counts(db: sqlite3.Connection) -> dict[str, int | None]:
    """Rows per table; None where a damaged table cannot be read to the end."""
    found: dict[str, int | None] = {}
    for name in COUNTED:
        try:
            found[name] = int(db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])
        except sqlite3.Error:
            found[name] = None
    return found


@dataclass(frozen=True)
class SnapshotHealth:
    path: Path
    taken: datetime
    size: int
    examined: Examined


@dataclass(frozen=True)
class StoreHealth:
    """What ``storythreads store check`` reports."""

    path: Path
    examined: Examined
    snapshots: tuple[SnapshotHealth, ...]

    @property
    def ok(self) -> bool:
        return self.examined.ok

    def good_snapshots(self) -> int:
        return sum(1 for s in self.snapshots if s.examined.ok)

    def to_dict(self) -> dict[str, Any]:
        e = self.examined
        return {
            "store": str(self.path),
            "status": e.status,
            "ok": e.ok,
            "problem": e.problem,
            "schema": e.schema,
            "schema_supported": len(MIGRATIONS),
            "counts": e.counts,
            "check_seconds": round(e.seconds, 4),
            "snapshots": [
                {
                    "path": str(s.path),
                    "taken": s.taken.isoformat(),
                    "bytes": s.size,
                    "status": s.examined.status,
                    "problem": s.examined.problem,
                }
                for s in self.snapshots
            ],
        }


def check_store(path: str | Path) -> StoreHealth:
    """The store at ``path`` and each of its snapshots, checked; nothing is written."""
    path = Path(path)
    if path.is_file():
        examined = examine(path, counts=True)
    else:
        examined = Examined("missing", "no such store file")
    snapshots = tuple(
        SnapshotHealth(s.path, s.taken, s.size, examine(s.path)) for s in list_snapshots(path)
    )
    return StoreHealth(path, examined, snapshots)
