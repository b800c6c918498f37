"""The embedder that ``embedding.backend`` names; the one place that chooses it."""

from __future__ import annotations

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
