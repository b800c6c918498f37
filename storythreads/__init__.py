"""storythreads: live blogs and news streams in, story threads and cited reports out.

    from storythreads import analyze, read_posts, Settings
    run = analyze(read_posts(["blog.txt"]).posts, Settings())
    for thread in run.threads:
        print(thread.id, thread.label, len(thread.post_ids))

Scheduled use keeps a store between runs::

    with Store("store.sqlite") as store:
        store.lock(wait=30)
        run = update(store, read_posts(["new-posts.jsonl"]).posts)

Nothing here loads a model at import time; the embedding model loads on first use.
"""

__version__ = "0.1.0"

from .analysis.ingest import IngestResult, read_posts
from .config import Settings
from .errors import (
    ConfigError,
    EmbeddingError,
    InputError,
    StoreError,
    StoryThreadsError,
)
from .pipeline import analyze, update
from .store import Store
from .types import Assignment, Citation, Link, Post, Problem, Run, Segment, Thread

__all__ = [
    "Assignment",
    "Citation",
    "ConfigError",
    "EmbeddingError",
    "IngestResult",
    "InputError",
    "Link",
    "Post",
    "Problem",
    "Run",
    "Segment",
    "Settings",
    "Store",
    "StoreError",
    "StoryThreadsError",
    "Thread",
    "analyze",
    "read_posts",
    "update",
]
