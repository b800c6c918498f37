"""The SQLite store: posts, segments, the embedding cache, threads, lineage and runs.

``database`` opens, migrates and locks it and reads from it; ``save`` writes one run's
results in a single transaction; ``schema`` holds the numbered migrations.
"""

from .database import Store
from .schema import MIGRATIONS

__all__ = ["MIGRATIONS", "Store"]
