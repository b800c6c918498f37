"""``--engine ray``: the embedding stage as Ray Data ``map_batches`` over a Ray cluster.

``RayEmbedder`` is an Embedder like any other: the pipeline's ``CachedEmbedder`` hands it
only the texts no earlier run embedded (deduplicated), it ships them to the cluster as a
``ray.data`` dataset, each actor builds the embedder once from a picklable factory (by
default ``functools.partial(make_embedder, settings.embedding)``, so the model is loaded
from its local path *on the worker*: every worker needs storythreads and the model package
installed), and the vectors come back in input order. Clustering, labelling and the store
stay on the driver. Name and fingerprint are the local embedder's, so a store filled by
one engine is reused by the other. Needs the ``ray`` extra.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ..config import EmbeddingSettings
from ..errors import EmbeddingError
from .base import Embedder
from .factory import EngineEmbedder

INSTALL_HINT = "install the optional extra: pip install 'storythreads[ray]'"


def import_ray() -> ModuleType:
    """The ray module with Ray Data, or an EmbeddingError saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise EmbeddingError(f"--engine ray needs Ray Data ({exc}); {INSTALL_HINT}") from exc
    return ray


class _EmbedBatch:
    """One per Ray actor: the embedder is built once, then embeds batch after batch."""

    def __init__(self, factory: Callable[[], Embedder]):
        self.embedder = factory()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


class RayEmbedder(EngineEmbedder):
    """Embed on a Ray cluster; same name, fingerprint and vectors as ``factory()`` locally."""

    def __init__(
        self,
        factory: Callable[[], Embedder] | None = None,
        settings: EmbeddingSettings | None = None,
        address: str | None = None,
        actors: int | None = None,
        rows_per_batch: int = 256,
        init_kwargs: dict[str, Any] | None = None,
        show_progress: bool = False,
    ):
        super().__init__(factory, settings)
        self.address = address
        self.actors = actors
        self.rows_per_batch = rows_per_batch
        self.init_kwargs = init_kwargs or {}
        self.show_progress = show_progress

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._local.dim)
        return self._dim

    def _connect(self) -> ModuleType:
        ray = import_ray()
        if not ray.is_initialized():
            # no address: a private single-machine cluster, reachable on loopback only
            local = {} if self.address else {"_node_ip_address": "127.0.0.1"}
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    **{**local, **self.init_kwargs},
                )
            except Exception as exc:  # no cluster at the address, bad address, ...
                where = self.address or "a local Ray"
                raise EmbeddingError(f"cannot start or join {where}: {exc}") from exc
        return ray

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ray = self._connect()
        ray.data.DataContext.get_current().enable_progress_bars = self.show_progress
        if not self.show_progress:  # cron mail and logs: errors only
            logging.getLogger("ray.data").setLevel(logging.ERROR)
        items = [{"row": i, "text": t} for i, t in enumerate(texts)]
        actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        dataset = ray.data.from_items(items).map_batches(
            _EmbedBatch,
            fn_constructor_args=(self.factory,),
            batch_size=self.rows_per_batch,
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
            num_cpus=1,
        )
        out = np.zeros((len(texts), 0), dtype=np.float32)
        seen = 0
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                rows, vectors = batch["row"], np.stack(batch["vector"])
                if out.shape[1] == 0:
                    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                out[rows] = vectors  # blocks may arrive in any order: rows put them back
                seen += len(rows)
        except Exception as exc:
            raise EmbeddingError(f"embedding on Ray failed: {exc}") from exc
        if seen != len(texts):
            raise EmbeddingError(f"Ray returned {seen} vectors for {len(texts)} texts")
        self._dim = out.shape[1]
        return out
