"""Text -> vectors: the Embedder protocol, the sentence-transformers adapter, the cache."""

from .base import Embedder, normalize_rows
from .cache import CachedEmbedder, MemoryVectorStore
from .factory import make_embedder
from .sentence import SentenceTransformerEmbedder, resolve_model_path

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "MemoryVectorStore",
    "SentenceTransformerEmbedder",
    "make_embedder",
    "normalize_rows",
    "resolve_model_path",
]
