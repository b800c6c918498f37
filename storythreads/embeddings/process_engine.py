"""The local engine: new segments are embedded in a child process that exits afterwards.

Loading torch and the model and running it leaves about 400 MB resident in a process
(measured: RSS +410 MB after embedding 279 paragraphs with all-MiniLM-L6-v2; dropping the
model and ``malloc_trim`` give back only 78 MB of it, the rest is torch's libraries and
allocator). In a child process all of it is the operating system's again before threading
starts, which is when a large run peaks. The main process never imports torch, so a run
with nothing new to embed starts no child at all.

``ProcessEmbedder`` is an Embedder like any other: the pipeline's ``CachedEmbedder`` hands
it only texts no earlier run embedded. The child builds the embedder once from a picklable
factory (``functools.partial(make_embedder, settings)`` by default) and embeds the texts in
one call per chunk of ``chunk`` texts, so up to that many it computes exactly what the same
embedder computes in this process (same batches, same floats). Name and fingerprint are
the local embedder's: vectors are cached under the same key whichever engine made them.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from ..config import EmbeddingSettings
from ..errors import EmbeddingError
from .base import Embedder
from .factory import EngineEmbedder

CHUNK = 50_000  # texts per call into the child: bounds the pickled buffers on both sides

_child_embedder: Embedder | None = None  # in the child: built once by _start


def start_method() -> str:
    """fork where there is one and torch is not imported here: the child then starts with
    this process's imports (numpy, scipy, scikit-learn: ~2 s of a fresh interpreter) and
    imports only torch itself. After torch has run here, its OpenMP threads make a fork
    unsafe (the child can hang), so then, and where there is no fork, a fresh interpreter."""
    if "fork" in multiprocessing.get_all_start_methods() and "torch" not in sys.modules:
        return "fork"
    return "spawn"


def quiet_model_loading() -> None:
    """No progress bars in logs and cron mail: transformers draws one while loading weights."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()


def _die_with(parent: int) -> None:
    """Linux: have the kernel kill this child when ``parent`` dies, ``kill -9`` included, so
    no orphan goes on embedding or holding the store's lock file (a forked child shares
    its open descriptors). Elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _start(factory: Callable[[], Embedder], quiet: bool, parent: int) -> None:
    global _child_embedder
    _die_with(parent)
    if quiet:
        quiet_model_loading()
    _child_embedder = factory()


def _embed(texts: list[str]) -> np.ndarray:
    return np.asarray(_child_embedder.embed(texts), dtype=np.float32)


def _dim() -> int:
    return int(_child_embedder.dim)


class ProcessEmbedder(EngineEmbedder):
    """Embed in a child process; same name, fingerprint and vectors as ``factory()``."""

    def __init__(
        self,
        factory: Callable[[], Embedder] | None = None,
        settings: EmbeddingSettings | None = None,
        quiet: bool = True,
        chunk: int = CHUNK,
    ):
        super().__init__(factory, settings)
        self.quiet = quiet
        self.chunk = chunk

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = self._in_child(lambda pool: pool.submit(_dim).result())
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)

        def run(pool):
            parts = [
                pool.submit(_embed, texts[i : i + self.chunk])
                for i in range(0, len(texts), self.chunk)
            ]
            return np.concatenate([part.result() for part in parts])

        out = self._in_child(run)
        if out.shape[0] != len(texts):
            raise EmbeddingError(
                f"the embedding process returned {len(out)} vectors for {len(texts)} texts"
            )
        self._dim = int(out.shape[1])
        return out

    def _in_child(self, work):
        context = multiprocessing.get_context(start_method())
        try:
            with ProcessPoolExecutor(
                1,
                mp_context=context,
                initializer=_start,
                initargs=(self.factory, self.quiet, os.getpid()),
            ) as pool:
                return work(pool)
        except BrokenProcessPool as exc:
            raise EmbeddingError(
                f"the embedding process died before it finished ({exc}); out of memory? "
                "Lower embedding.batch_size, or run with --engine inline to see the cause"
            ) from exc
