"""The SQLite store: posts, segments, the embedding cache, threads, lineage and runs.

``database`` opens, migrates and locks it and reads from it; ``save`` writes one run's
results in a single transaction; ``schema`` holds the numbered migrations. ``health``
checks a store with SQLite's own check, ``faults`` turns SQLite's errors into one-line
StoreErrors, and ``snapshots`` keeps the store as it was before each run and restores it.
"""

from .database import Store
from .health import check_store
from .schema import MIGRATIONS
from .snapshot_files import full_copy_due, list_snapshots
from .snapshots import keep_snapshot, restore

__all__ = [
    "full_copy_due",
    "MIGRATIONS",
    "Store",
    "check_store",
    "keep_snapshot",
    "list_snapshots",
    "restore",
]
