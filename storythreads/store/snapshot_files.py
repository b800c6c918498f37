"""Where a store's snapshots are and what they are called: ``<store>.snapshots/<UTC
time>.sqlite``. Read by the check (``health``), the error messages (``faults``) and by
``snapshots``, which takes and restores them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STAMP = "%Y%m%dT%H%M%S.%fZ"
_NAME = re.compile(r"^(\d{8}T\d{6}\.\d{6}Z)\.sqlite$")


@dataclass(frozen=True)
class Snapshot:
    path: Path
    taken: datetime
    size: int


def snapshot_dir(store_path: str | Path) -> Path:
    store_path = Path(store_path)
    return store_path.with_name(store_path.name + ".snapshots")


def stamp(when: datetime | None = None) -> str:
    """A UTC time as file names here carry it; names sort as times do."""
    return (when or datetime.now(UTC)).strftime(STAMP)


def list_snapshots(store_path: str | Path) -> list[Snapshot]:
    """The store's snapshots, newest first (files of other names are left alone)."""
    folder = snapshot_dir(store_path)
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match and entry.is_file():
            taken = datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
            found.append(Snapshot(entry, taken, entry.stat().st_size))
    return sorted(found, key=lambda s: s.path.name, reverse=True)


def read_snapshot(path: Path) -> Snapshot:
    """A snapshot file (named by ``restore``'s caller): taken at the time its name gives,
    else at its modification time."""
    match = _NAME.match(path.name)
    taken = (
        datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
        if match
        else datetime.fromtimestamp(path.stat().st_mtime, UTC)
    )
    return Snapshot(path, taken, path.stat().st_size)


def full_copy_due(
    store_path: str | Path, max_mb: int, every_hours: float, now: datetime | None = None
) -> bool:
    """Whether this run checks the whole store and snapshots it: always for a store of up
    to ``max_mb`` (or one not made yet), else when its newest snapshot is older than
    ``every_hours`` (or there is none). Both read every page, so on a store of gigabytes
    they are done once a day, not every hour."""
    path = Path(store_path)
    if every_hours <= 0 or not path.exists() or path.stat().st_size <= max_mb * 2**20:
        return True
    newest = list_snapshots(path)
    now = now or datetime.now(UTC)
    return not newest or (now - newest[0].taken).total_seconds() >= every_hours * 3600
