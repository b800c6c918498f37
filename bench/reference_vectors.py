"""The seed's reference vectors (issue 23): every text the pipeline embeds for the bundled
CNN blog, embedded by the default backend, written to tests/data/seed-reference-vectors.npz.

tests/embeddings/test_same_everywhere.py embeds the same texts on the machine running the
tests and requires cosine >= 0.9999 for each: run on another CPU kind, that test is the
proof that the default backend gives the same vectors there. Rewrite the file only when
the model, the default backend or the segmentation changes on purpose:

    .venv/bin/python bench/reference_vectors.py [--check]

--check writes nothing and prints how close this machine comes to the committed file,
and how close torch (float32, sentence-transformers) comes to it.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np

from storythreads.analysis.ingest import read_posts
from storythreads.config import EmbeddingSettings, Settings
from storythreads.embeddings import CachedEmbedder, make_embedder
from storythreads.embeddings.identity import cpu_numerics
from storythreads.pipeline import analyze

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "cnn-liveblog-2023-07-08.txt"
REFERENCE = ROOT / "tests" / "data" / "seed-reference-vectors.npz"


class Recording:
    """An embedder that remembers every text it was asked for, in order."""

    def __init__(self, inner):
        self.inner, self.name, self.texts = inner, inner.name, []
        self.fingerprint = inner.fingerprint

    @property
    def dim(self):
        return self.inner.dim

    def embed(self, texts):
        self.texts.extend(texts)
        return self.inner.embed(texts)


def seed_texts() -> list[str]:
    """The texts a default run embeds for the seed, sorted (the order the cache sends)."""
    recorder = Recording(make_embedder())
    analyze(read_posts([SEED]).posts, Settings(), CachedEmbedder(recorder))
    return sorted(set(recorder.texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    texts = seed_texts()
    vectors = make_embedder().embed(texts)
    torch = make_embedder(EmbeddingSettings(backend="torch")).embed(texts)
    to_torch = (vectors * torch).sum(1)
    print(f"{len(texts)} texts; default backend vs torch: cosine min {to_torch.min():.6f}"
          f" mean {to_torch.mean():.6f}")  # fmt: skip
    if args.check:
        ref = np.load(REFERENCE)
        same = list(ref["texts"]) == texts
        cos = (ref["vectors"] * vectors).sum(1) if same else np.array([np.nan])
        print(f"texts as committed: {same}; this machine ({cpu_numerics()}) vs committed "
              f"({ref['cpu']}): cosine min {cos.min():.7f} mean {cos.mean():.7f}")  # fmt: skip
        return
    np.savez_compressed(
        REFERENCE,
        texts=np.array(texts),
        vectors=vectors.astype(np.float32),
        backend=np.array(EmbeddingSettings().backend),
        cpu=np.array(f"{cpu_numerics()} {platform.platform()}"),
    )
    print(f"wrote {REFERENCE.relative_to(ROOT)} ({REFERENCE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
