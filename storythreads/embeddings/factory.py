"""The embedder that ``embedding.backend`` names; the one place that chooses it."""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..config import EmbeddingSettings
from .base import Embedder
from .sentence import SentenceTransformerEmbedder


def make_embedder(
    settings: EmbeddingSettings | None = None, show_progress: bool = False
) -> Embedder:
    """sentence-transformers on torch, or onnxruntime (float32 / int8) for the onnx backends.

    Picklable as ``functools.partial(make_embedder, settings)``: the Ray engine sends that
    to its workers, which build the embedder there.
    """
    settings = settings or EmbeddingSettings()
    if settings.backend == "torch":
        return SentenceTransformerEmbedder(settings, show_progress=show_progress)
    from .onnx_backend import OnnxEmbedder

    return OnnxEmbedder(settings, quantized=settings.backend == "onnx-int8")


class EngineEmbedder:
    """Base of the engines that embed somewhere else (a child process, a Ray cluster).

    They are built from a picklable ``factory`` (by default ``make_embedder`` with
    ``settings``) that the other side calls. The copy made here never loads a model: it
    lends its name and fingerprint, so vectors are cached under the same key whichever
    engine made them, and a store filled by one engine is reused by another.
    """

    def __init__(
        self,
        factory: Callable[[], Embedder] | None = None,
        settings: EmbeddingSettings | None = None,
    ):
        self.settings = settings or EmbeddingSettings()
        self.factory = factory or functools.partial(make_embedder, self.settings)
        self._local = self.factory()
        self.name = self._local.name
        if callable(fingerprint := getattr(self._local, "fingerprint", None)):
            self.fingerprint = fingerprint
        if callable(describe := getattr(self._local, "describe", None)):
            self.describe = describe
        self._dim: int | None = None
