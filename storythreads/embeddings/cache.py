"""Content-hash cache in front of any Embedder.

Key = (model name, sha256 of the text). A text seen before, in this run or an earlier one
(when the backing store persists), is never embedded again, and duplicates inside one
call are embedded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..types import sha256_text
from .base import Embedder


class VectorStore(Protocol):
    def get_vectors(self, model: str, shas: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_vectors(self, model: str, items: dict[str, np.ndarray]) -> None: ...


class MemoryVectorStore:
    """A dict-backed VectorStore for one process (tests, the Python API without a store)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], np.ndarray] = {}

    def get_vectors(self, model: str, shas: Sequence[str]) -> dict[str, np.ndarray]:
        return {s: self._data[(model, s)] for s in shas if (model, s) in self._data}

    def put_vectors(self, model: str, items: dict[str, np.ndarray]) -> None:
        for sha, vec in items.items():
            self._data[(model, sha)] = np.asarray(vec, dtype=np.float32)


class CachedEmbedder:
    """Wrap ``inner`` so each distinct text is embedded at most once per model."""

    def __init__(self, inner: Embedder, store: VectorStore | None = None):
        self.inner = inner
        self.store = store if store is not None else MemoryVectorStore()
        self.name = inner.name
        # The cache key names the exact model: a changed local model never reuses vectors.
        fingerprint = getattr(inner, "fingerprint", None)
        self.key = f"{inner.name}@{fingerprint()}" if callable(fingerprint) else inner.name
        self.embedded = 0  # texts sent to the model over this object's life
        self.reused = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def describe(self) -> dict[str, Any]:
        """The inner embedder's account of itself, and the key its vectors are kept under."""
        describe = getattr(self.inner, "describe", None)
        own = describe() if callable(describe) else {"model": self.name}
        return {**own, "vectors_key": self.key}

    def _missing(
        self, texts: Sequence[str]
    ) -> tuple[list[str], dict[str, np.ndarray], dict[str, str]]:
        """(the texts' shas, the vectors found for them, sha -> text of those not found)."""
        shas = [sha256_text(t) for t in texts]
        found = self.store.get_vectors(self.key, sorted(set(shas)))
        missing: dict[str, str] = {}
        for sha, text in zip(shas, texts, strict=True):
            if sha not in found and sha not in missing:
                missing[sha] = text
        return shas, found, missing

    def prefetch(self, texts: Sequence[str]) -> None:
        """Have an engine that can work in the background (``ProcessEmbedder.submit``)
        start on those of ``texts`` not cached yet, while the caller goes on; the
        ``embed`` call that then needs exactly those texts takes their vectors. The texts
        go in the order ``embed`` will send them, so the batches and floats are the same."""
        submit = getattr(self.inner, "submit", None)
        if callable(submit):
            _, _, missing = self._missing(texts)
            submit([missing[s] for s in sorted(missing)])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        shas, found, missing = self._missing(texts)
        if missing:
            order = sorted(missing)  # fixed order: the same batch gives the same floats
            vectors = self.inner.embed([missing[s] for s in order])
            new = dict(zip(order, vectors, strict=True))
            self.store.put_vectors(self.key, new)
            found.update(new)
        elif callable(close := getattr(self.inner, "close", None)):
            close()  # an engine started early (ProcessEmbedder.start) is not needed
        self.embedded += len(missing)
        self.reused += len(texts) - len(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[s] for s in shas]).astype(np.float32, copy=False)
