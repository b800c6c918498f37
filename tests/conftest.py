"""Shared fixtures: a fake embedder (the one boundary we replace), the bundled seed blog,
and the real packaged model for the few tests that gate quality."""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from storythreads.embeddings import CachedEmbedder, make_embedder

SEED = Path(__file__).parents[1] / "examples" / "cnn-liveblog-2023-07-08.txt"
_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Bag-of-words hashed into 64 buckets: texts sharing words get close vectors.

    Deterministic across processes (crc32, not ``hash``), L2-normalised float32 rows, and it
    records every batch it was asked to embed so tests can count model calls.
    """

    name = "fake"
    dim = 64

    def __init__(self):
        self.calls: list[list[str]] = []

    @property
    def texts_embedded(self) -> int:
        return sum(len(batch) for batch in self.calls)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[row, zlib.crc32(word.encode("utf-8")) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (out / norms).astype(np.float32)


class SlowFakeEmbedder(FakeEmbedder):
    """The fake, slowed down like a real model so a run lasts long enough to kill.

    ``announce`` prints "embedded" after each batch, for helpers a test reads line by line.
    """

    def __init__(self, seconds_per_text: float, announce: bool = False):
        super().__init__()
        self.seconds_per_text = seconds_per_text
        self.announce = announce

    def embed(self, texts):
        time.sleep(self.seconds_per_text * len(texts))
        out = super().embed(texts)
        if self.announce:
            print("embedded", flush=True)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """A fresh FakeEmbedder (its call log starts empty)."""
    return FakeEmbedder()


@pytest.fixture
def make_fake_embedder():
    """The FakeEmbedder class itself, for tests that need several instances."""
    return FakeEmbedder


@pytest.fixture
def seed_path() -> Path:
    assert SEED.is_file(), SEED
    return SEED


@pytest.fixture(scope="session")
def real_embedder() -> CachedEmbedder:
    """The packaged all-MiniLM-L6-v2 on the default backend (int8 ONNX), loaded offline
    once per session (the one-off export, on a machine that has none yet: 20-50 s)."""
    return CachedEmbedder(make_embedder())


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through playwright, one per test module; skips without either."""
    from helpers.browser import ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()
