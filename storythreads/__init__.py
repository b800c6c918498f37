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

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Names are imported on first use (PEP 562), so a process that needs one part -- the
# embedding child of the local engine, the CLI printing --help -- does not import the
# whole pipeline (scikit-learn, scipy) first.
_EXPORTS = {
    "Archive": ".analysis.ingest",
    "IngestResult": ".analysis.ingest",
    "read_archive": ".analysis.ingest",
    "read_posts": ".analysis.ingest",
    "Settings": ".config",
    "ConfigError": ".errors",
    "EmbeddingError": ".errors",
    "InputError": ".errors",
    "StoreError": ".errors",
    "StoryThreadsError": ".errors",
    "analyze": ".pipeline",
    "update": ".pipeline",
    "publish": ".reports",
    "Store": ".store",
    **dict.fromkeys(
        ("Assignment", "Citation", "Link", "Post", "Problem", "Run", "Segment", "Thread"),
        ".types",
    ),
}

# what a type checker reads (the same names, imported for real only at run time above)
if TYPE_CHECKING:
    from .analysis.ingest import Archive, IngestResult, read_archive, read_posts
    from .config import Settings
    from .errors import ConfigError, EmbeddingError, InputError, StoreError, StoryThreadsError
    from .pipeline import analyze, update
    from .reports import publish
    from .store import Store
    from .types import Assignment, Citation, Link, Post, Problem, Run, Segment, Thread


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'storythreads' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Archive",
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
    "publish",
    "read_archive",
    "read_posts",
    "update",
]
