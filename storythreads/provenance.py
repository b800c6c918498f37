"""How a run was made, so that a researcher can say it and make it again.

``provenance`` is report.json's and compare.json's ``run.provenance`` (and the store's
runs table keeps it): the storythreads version, the embedding model with the sha256 of
its files, the backend and its quantisation, the cache key its vectors are kept under,
the spaCy pipeline, the versions of the libraries whose numbers shape the result, the
Python and CPU it ran on, and every setting. ``version_text`` is ``storythreads
--version``: the same facts for the default settings, one per line.

Versions are read from the installed distributions' metadata: nothing is imported.
"""

from __future__ import annotations

import json
import platform
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .analysis.language.nlp import DEFAULT_MODEL as DEFAULT_PIPELINE  # spaCy itself loads lazily
from .config import Settings
from .embeddings.identity import cpu_numerics

# the libraries whose versions can change a vector, a thread, a name or a figure
LIBRARIES = (
    "onnxruntime",
    "sentence-transformers",
    "torch",
    "transformers",
    "tokenizers",
    "spacy",
    "numpy",
    "scipy",
    "scikit-learn",
    "umap-learn",
    "faiss-cpu",
)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    """Installed version of each of ``LIBRARIES`` (None: not installed)."""
    return {name: _version(name) for name in LIBRARIES}


def spacy_pipeline(name_or_path: str | None = None) -> dict[str, str | None]:
    """Name and version of a spaCy pipeline: a package's version, or a directory's
    meta.json, without loading spaCy."""
    name = name_or_path or DEFAULT_PIPELINE
    meta = Path(name) / "meta.json"
    if meta.is_file():
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            return {"name": f"{data.get('lang', '')}_{data.get('name', '')}",
                    "version": str(data.get("version"))}  # fmt: skip
        except (OSError, ValueError):
            return {"name": name, "version": None}
    return {"name": name, "version": _version(name)}


def describe_embedder(embedder: object) -> dict[str, Any]:
    """The embedder's own account (model, files' sha256, backend, quantisation) where it
    gives one, else its name; a caching embedder adds the key its vectors are kept under."""
    describe = getattr(embedder, "describe", None)
    return describe() if callable(describe) else {"model": getattr(embedder, "name", None)}


def provenance(
    settings: Settings, embedder: object, nlp_pipeline: str | None = None
) -> dict[str, Any]:
    """Everything a run's result depends on besides its input."""
    return {
        "storythreads": __version__,
        "embedding": describe_embedder(embedder),
        "nlp_pipeline": spacy_pipeline(nlp_pipeline),
        "libraries": library_versions(),
        "python": platform.python_version(),
        "machine": cpu_numerics(),
        "settings": settings.to_dict(),
    }


def version_text(settings: Settings | None = None) -> str:
    """``storythreads --version``: the provenance of a run with ``settings``, a line each."""
    from .embeddings import CachedEmbedder, make_embedder

    settings = settings or Settings()
    facts = provenance(settings, CachedEmbedder(make_embedder(settings.embedding)))
    embedding, nlp = facts["embedding"], facts["nlp_pipeline"]
    lines = [
        f"storythreads {facts['storythreads']}",
        f"model: {embedding.get('model')} (sha256 {embedding.get('model_sha256')})",
        f"backend: {embedding.get('backend')}; quantization: {embedding.get('quantization')}",
        f"vectors key: {embedding.get('vectors_key')}",
        f"spaCy pipeline: {nlp['name']} {nlp['version']}",
        *(f"{name}: {version}" for name, version in facts["libraries"].items()),
        f"python: {facts['python']}; machine: {facts['machine']}",
        f"settings digest: {settings.digest()}",
    ]
    return "\n".join(lines)
