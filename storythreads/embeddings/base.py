"""The Embedder protocol: the one boundary between storythreads and a language model.

Anything with a ``name``, a ``dim`` and ``embed(texts) -> float32 (n, dim)`` whose rows are
L2-normalised can be used: the sentence-transformers adapter, a cache around it, or a fake
in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@runtime_checkable
class Embedder(Protocol):
    name: str  # identifies the model in the cache key and the run record

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` in input order: float32, shape (len(texts), dim), unit rows."""
        ...


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms: NDArray[np.float32] = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
