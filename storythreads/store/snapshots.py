"""Snapshots: the store as it was before a run changed it, kept beside it, and restored.

Before ``update`` writes anything, a store that passed SQLite's check at open is copied
with SQLite's online backup API to ``<store>.snapshots/<UTC time>.sqlite``; the newest
``store.snapshots`` copies (default 3) are kept. ``restore`` puts the newest snapshot
that passes the check back in the store's place, and moves the file it replaces aside as
``<store>.damaged-<UTC time>`` (or ``.replaced-`` when that file was sound): nothing is
deleted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreError
from .health import Examined, examine, open_read_only
from .lock import held_lock
from .snapshot_files import Snapshot, list_snapshots, read_snapshot, snapshot_dir, stamp

if TYPE_CHECKING:
    from .database import Store


@dataclass(frozen=True)
class Restored:
    """What ``restore`` did: the snapshot it put back, where the replaced file went (None
    when there was none), and newer snapshots it passed over with what was wrong."""

    store: Path
    snapshot: Snapshot
    aside: Path | None
    skipped: tuple[tuple[Path, str], ...] = ()


def keep_snapshot(store: Store, keep: int) -> Path | None:
    """Before a run changes ``store``: copy it as it is into a new snapshot and drop all but
    the newest ``keep``. Only a store that passed the check is copied, so a good snapshot
    is never rotated out for a damaged one; a store holding no run yet is not copied.

    The caller holds the store's lock. A snapshot that cannot be written is a StoreError:
    a scheduled run does not go on without its way back (``store.snapshots = 0`` turns
    snapshots off). Returns the snapshot's path (None when none was taken).
    """
    return PendingSnapshot(store, keep).wait()


class PendingSnapshot:
    """``keep_snapshot`` in a background thread, so the copy runs beside the caller's work.

    The store as it is now is pinned at once (a read transaction on a connection of the
    snapshot's own), so what the caller writes meanwhile (new vectors) is not in it.
    SQLite's backup API and the fsync let go of Python's lock, so the copy costs the
    caller next to nothing. ``wait`` before writing the run: it gives the snapshot's path,
    or raises the StoreError that stopped it.
    """

    def __init__(self, store: Store, keep: int) -> None:
        self.path: Path | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if keep <= 0 or store.last_run_id() is None:
            return
        store.verify()  # at once when the open already checked it
        self._folder = snapshot_dir(store.path)
        self._store_path = store.path
        try:
            self._folder.mkdir(exist_ok=True)
            target = _free_name(self._folder)
            source = open_read_only(store.path, check_same_thread=False)
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # pinned
        except (sqlite3.Error, OSError) as exc:
            raise self._failed(exc) from exc
        self._thread = threading.Thread(
            target=self._copy, args=(source, target, keep), name="snapshot", daemon=True
        )
        self._thread.start()

    def _copy(self, source: sqlite3.Connection, target: Path, keep: int) -> None:
        try:
            try:
                copy_database(source, target)
            finally:
                source.close()
            _rotate(self._store_path, keep)
            self.path = target
        except (sqlite3.Error, OSError) as exc:
            self._error = self._failed(exc)
        except BaseException as exc:  # noqa: BLE001 -- raised in the waiting thread
            self._error = exc

    def _failed(self, exc: BaseException) -> StoreError:
        return StoreError(
            f"{self._store_path}: cannot keep a snapshot in {self._folder} ({exc}); free some "
            "space, or set store.snapshots = 0 to run without snapshots"
        )

    def wait(self) -> Path | None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error
        return self.path


def copy_database(source: sqlite3.Connection, target: Path) -> None:
    """Copy an open database with SQLite's backup API into a temp file beside ``target``,
    then rename it: ``target`` never holds half a copy. The copy keeps no journal file."""
    temp = target.with_name(f".{target.name}.tmp")
    try:
        dest = sqlite3.connect(temp, isolation_level=None)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, target)
    finally:
        _remove(temp)
        _remove(temp.with_name(temp.name + "-journal"))


def restore(store_path: str | Path, name: str | None = None, wait: float = 30.0) -> Restored:
    """Put a good snapshot back in place of the store at ``store_path``.

    ``name`` picks a snapshot (its file name in ``<store>.snapshots/`` or a path); without
    it, the newest one that passes SQLite's check and is a store this version reads. The
    file it replaces (and its -wal and -shm) is moved aside, never deleted. Holds the
    store's lock meanwhile, waiting up to ``wait`` seconds for a run to finish.
    """
    store_path = Path(store_path)
    if store_path.is_dir():
        raise StoreError(f"{store_path}: is a directory, expected a store file")
    with held_lock(store_path, wait):
        chosen, skipped = _choose(store_path, name)
        folder = store_path.parent
        temp = folder / f".{store_path.name}.restoring"
        try:
            source = open_read_only(chosen.path)
            try:
                copy_database(source, temp)
            finally:
                source.close()
            aside = _move_aside(store_path)
            os.replace(temp, store_path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{store_path}: cannot restore {chosen.path}: {exc}") from exc
        finally:
            _remove(temp)
    return Restored(store_path, chosen, aside, tuple(skipped))


def _choose(store_path: Path, name: str | None) -> tuple[Snapshot, list[tuple[Path, str]]]:
    """The snapshot to restore, and the newer ones passed over for failing the check."""
    if name is not None:
        snapshot = _named(store_path, name)
        found = examine(snapshot.path)
        if not found.ok:
            raise StoreError(f"{snapshot.path}: cannot restore this snapshot: {_why(found)}")
        return snapshot, []
    snapshots = list_snapshots(store_path)
    if not snapshots:
        raise StoreError(f"{store_path}: no snapshot to restore in {snapshot_dir(store_path)}")
    skipped: list[tuple[Path, str]] = []
    for snapshot in snapshots:
        found = examine(snapshot.path)
        if found.ok:
            return snapshot, skipped
        skipped.append((snapshot.path, _why(found)))
    raise StoreError(
        f"{store_path}: none of the {len(snapshots)} snapshots in {snapshot_dir(store_path)} "
        "passes the check"
    )


def _named(store_path: Path, name: str) -> Snapshot:
    folder = snapshot_dir(store_path)
    for candidate in (Path(name), folder / name, folder / f"{name}.sqlite"):
        if candidate.is_file():
            return read_snapshot(candidate)
    raise StoreError(f"{store_path}: no snapshot {name!r} (looked in {folder})")


def _why(found: Examined) -> str:
    return f"{found.status}: {found.problem}" if found.problem else found.status


def _move_aside(store_path: Path) -> Path | None:
    """Rename the store and its -wal/-shm to ``<store>.damaged-<time>`` (``.replaced-``
    when it passes the check), so SQLite still pairs the journal with its file."""
    if not store_path.exists():
        return None
    kind = "replaced" if examine(store_path).ok else "damaged"
    aside = store_path.with_name(f"{store_path.name}.{kind}-{stamp()}")
    for suffix in ("-wal", "-shm"):
        journal = store_path.with_name(store_path.name + suffix)
        if journal.exists():
            os.replace(journal, aside.with_name(aside.name + suffix))
    os.replace(store_path, aside)
    return aside


def _free_name(folder: Path) -> Path:
    target = folder / f"{stamp()}.sqlite"
    while target.exists():  # two snapshots within a microsecond
        target = folder / f"{stamp()}.sqlite"
    return target


def _rotate(store_path: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` snapshots, and temp files of killed copies."""
    for old in list_snapshots(store_path)[keep:]:
        _remove(old.path)
    for temp in snapshot_dir(store_path).glob(".*.tmp*"):
        _remove(temp)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
