"""The local engine: new segments are embedded in a child process that exits afterwards.

Loading torch and the model and running it leaves about 400 MB resident in a process
(measured: RSS +410 MB after embedding 279 paragraphs with all-MiniLM-L6-v2; dropping the
model and ``malloc_trim`` give back only 78 MB of it, the rest is torch's libraries and
allocator). In a child process all of it is the operating system's again before threading
starts, which is when a large run peaks. The main process never imports torch.

``storythreads run`` starts the child first thing (``ProcessEmbedder.start``), so that
loading the model runs beside the main process's own start-up, and hands it the input's
new paragraphs (``submit``, through ``CachedEmbedder.prefetch``) before importing the
pipeline, so that they are embedded while scikit-learn and SciPy are imported. A run
that turns out to have nothing new to embed stops the child unused
(``CachedEmbedder`` calls ``close``); one that embeds stops it as soon as the vectors are
back. The child talks to this process over a pipe and is killed by the kernel if this
process dies first (Linux).

``ProcessEmbedder`` is an Embedder like any other: the pipeline's ``CachedEmbedder`` hands
it only texts no earlier run embedded. The child builds the embedder once from a picklable
factory (``functools.partial(make_embedder, settings)`` by default) and embeds the texts in
one call per chunk of ``chunk`` texts, so up to that many it computes exactly what the same
embedder computes in this process (same batches, same floats). Name and fingerprint are
the local embedder's: vectors are cached under the same key whichever engine made them.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..config import EmbeddingSettings
from ..errors import EmbeddingError
from ..forked import die_with_parent
from .base import Embedder
from .factory import EngineEmbedder

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

CHUNK = 50_000  # texts per call into the child: bounds the pickled buffers on both sides


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
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # transformers: unannotated


def _serve(conn: Connection, factory: Callable[[], Embedder], quiet: bool, parent: int) -> None:
    """(child) Build the embedder, then answer requests until told to stop: ``("dim",)``
    -> its dimension (loading the model), ``("embed", texts)`` -> their vectors; an error
    goes back as ``("error", exception)``."""
    gc.freeze()  # as forked.py's children: the parent's objects are not walked (or copied)
    die_with_parent(parent)
    if quiet:
        quiet_model_loading()
    embedder = factory()
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the parent closed its end
            return
        if request is None:
            return
        try:
            if request[0] == "dim":
                conn.send(("ok", int(embedder.dim)))
            else:
                conn.send(("ok", np.asarray(embedder.embed(request[1]), dtype=np.float32)))
        except Exception as exc:  # noqa: BLE001 -- sent back and raised in the parent
            conn.send(("error", exc))


class ProcessEmbedder(EngineEmbedder):
    """Embed in a child process; same name, fingerprint and vectors as ``factory()``.

    The child is started by the first ``embed`` (or earlier by ``start``) and stopped when
    that ``embed`` returns, or by ``close``.
    """

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
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None
        self._warming = False  # a "dim" request is on its way (sent by start)
        self._pending: list[str] | None = None  # texts sent by submit, answers not read

    def start(self) -> None:
        """Start the child now and have it load the model (importing torch and reading the
        weights take ~5 s), so that this runs beside whatever the caller does next;
        ``embed`` then finds it ready. A child that turns out not to be needed is stopped
        by ``close``."""
        if self._child is None:
            context = multiprocessing.get_context(start_method())
            self._conn, theirs = context.Pipe()
            # typeshed types get_context(str) as BaseContext, which lacks the Process that
            # the fork and spawn contexts have
            self._child = context.Process(  # type: ignore[attr-defined]  # typeshed: BaseContext lacks it
                target=_serve,
                args=(theirs, self.factory, self.quiet, os.getpid()),
                name="storythreads-embed",
                daemon=True,
            )
            self._child.start()
            theirs.close()
        if self._dim is None and not self._warming:
            assert self._conn is not None  # started above
            self._conn.send(("dim",))
            self._warming = True

    def submit(self, texts: Sequence[str]) -> None:
        """Start embedding ``texts`` now, in the background (starting the child if need
        be); the ``embed`` call with exactly these texts then only collects their vectors.
        A scheduled run submits its new paragraphs before importing the pipeline, so the
        model works while this process starts up."""
        texts = list(texts)
        if not texts or self._pending is not None:
            return
        self.start()
        assert self._conn is not None  # started
        for i in range(0, len(texts), self.chunk):
            self._conn.send(("embed", texts[i : i + self.chunk]))
        self._pending = texts

    def close(self) -> None:
        """Stop the child (at once: nothing it holds is needed any more)."""
        self._pending = None
        if self._child is None:
            return
        if self._child.is_alive():
            self._child.kill()
        self._child.join()
        assert self._conn is not None  # set with the child
        self._conn.close()
        self._child = self._conn = None
        self._warming = False

    @property
    def dim(self) -> int:
        if self._dim is None:
            running = self._child is not None
            self.start()
            self._take_dim()
            if not running:  # started only to ask: not left holding the model
                self.close()
        assert self._dim is not None  # _take_dim read it
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        try:
            self.start()
            self._take_dim()
            pending, self._pending = self._pending, None
            if pending is not None:  # submitted: their answers come first, in order
                parts = [self._answer() for _ in range(0, len(pending), self.chunk)]
                if pending == texts:
                    return self._checked(parts, texts)
            parts = []  # other texts than submitted (not the pipeline's way): embed them
            assert self._conn is not None  # started
            for i in range(0, len(texts), self.chunk):
                self._conn.send(("embed", texts[i : i + self.chunk]))
                parts.append(self._answer())
        finally:
            self.close()  # the model's memory goes back to the system now
        return self._checked(parts, texts)

    @staticmethod
    def _checked(parts: list[np.ndarray], texts: list[str]) -> np.ndarray:
        out = np.concatenate(parts)
        if out.shape[0] != len(texts):
            raise EmbeddingError(
                f"the embedding process returned {len(out)} vectors for {len(texts)} texts"
            )
        return out

    def _take_dim(self) -> None:
        if self._warming:
            self._warming = False
            self._dim = self._answer()

    def _answer(self) -> Any:  # what the child sent: a dimension (int) or vectors
        try:
            status, value = cast("Connection", self._conn).recv()
        except (EOFError, OSError) as exc:
            code = self._child.exitcode if self._child is not None else None
            raise EmbeddingError(
                f"the embedding process died before it finished (exit code {code}); out of "
                "memory? Lower embedding.batch_size, or run with --engine inline to see "
                "the cause"
            ) from exc
        if status == "ok":
            return value
        if isinstance(value, EmbeddingError):
            raise value
        raise EmbeddingError(f"embedding failed: {value}") from value

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown, modules may be gone
            self.close()
