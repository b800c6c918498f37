"""Where `storythreads run` embeds new text (``--engine``): the local engine's child
process (default), this process (``inline``) or a Ray cluster (``ray``), each behind the
store's content-hash cache; and starting that work early, beside the run's own start."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

from ..config import Settings

if TYPE_CHECKING:
    from ..embeddings import CachedEmbedder


def embedder(settings: Settings) -> CachedEmbedder:
    """The local engine: new segments are embedded in a child process (process_engine.py),
    so torch and the model are not resident while the posts are threaded."""
    from ..embeddings import CachedEmbedder, make_embedder
    from ..embeddings.process_engine import ProcessEmbedder

    interactive = sys.stderr.isatty()
    factory = functools.partial(make_embedder, settings.embedding, show_progress=interactive)
    return CachedEmbedder(ProcessEmbedder(factory, settings.embedding, quiet=not interactive))


def inline_embedder(settings: Settings) -> CachedEmbedder:
    """--engine inline: the model runs in this process (no child to start; for debugging)."""
    from ..embeddings import CachedEmbedder, make_embedder
    from ..embeddings.process_engine import quiet_model_loading

    interactive = sys.stderr.isatty()
    if not interactive:
        quiet_model_loading()
    return CachedEmbedder(make_embedder(settings.embedding, show_progress=interactive))


def ray_embedder(settings: Settings, address: str | None) -> CachedEmbedder:
    """--engine ray: new segments are embedded on a Ray cluster (embeddings/ray_engine.py)."""
    from ..embeddings import CachedEmbedder
    from ..embeddings.process_engine import quiet_model_loading
    from ..embeddings.ray_engine import RayEmbedder, import_ray

    import_ray()  # a missing extra is an error before any work is done
    quiet_model_loading()
    return CachedEmbedder(
        RayEmbedder(settings=settings.embedding, address=address, show_progress=sys.stderr.isatty())
    )


def engine_embedder(settings: Settings, engine: str, address: str | None) -> CachedEmbedder:
    if engine == "ray":
        return ray_embedder(settings, address)
    return inline_embedder(settings) if engine == "inline" else embedder(settings)


def start_early(embedder: CachedEmbedder) -> None:
    """The local engine's child starts loading the model now, beside this process's own
    start-up (importing the pipeline, reading the inputs and the store): ~2 s less for a
    scheduled run. When the run finds nothing new to embed, the child is stopped unused."""
    start = getattr(getattr(embedder, "inner", None), "start", None)
    if callable(start):
        start()
