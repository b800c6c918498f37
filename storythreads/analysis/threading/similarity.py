"""How two posts compare: the one definition, used by the clustering, the neighbour
index, `also`, the story chains and the placing of new posts.

* A post's **vector** (``post_vectors``): its headline blended with its body, lead
  paragraphs weighing most; unit length.
* Its **words** (``lexical_text``, ``lexical_model``): sublinear TF-IDF rows of its
  title and body, stop words out, L2-normalised.
* The **blend**: ``(1 - w) * cosine(vectors) + w * cosine(TF-IDF rows)``, with
  ``w = cluster.lexical_weight``; without TF-IDF rows ``w`` is 0. Dense
  (``blended_similarity``, every pair, clipped to [-1, 1]), a block of rows against
  columns (``blended_block``) or given pairs (``blended_pairs``).
* **Time** scales the blend (``analysis.threading.timeline``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from ...embeddings import normalize_rows
from ...types import Post
from ..language.text import says_what, tokens

if TYPE_CHECKING:
    from ...config import ClusterSettings


def blend_weight(lexical_weight: float, lexical: sparse.csr_matrix | None) -> float:
    """The TF-IDF share of the blend: ``lexical_weight``, or 0 without TF-IDF rows."""
    return lexical_weight if lexical is not None else 0.0


def blended_block(
    X: np.ndarray,
    lexical: sparse.csr_matrix | None,
    rows: slice | NDArray[np.integer[Any]],
    w: float,
    cols: NDArray[np.integer[Any]] | None = None,
) -> np.ndarray:
    """Blended similarities of the rows ``rows`` of ``X`` and ``lexical`` (a slice or an
    index array) against every row, or against the rows ``cols``."""
    others = X if cols is None else X[cols]
    sim: np.ndarray = (1.0 - w) * (X[rows] @ others.T)
    if w > 0:
        lexical = cast("sparse.csr_matrix", lexical)  # w > 0: there are TF-IDF rows
        words = lexical if cols is None else lexical[cols]
        sim += w * (lexical[rows] @ words.T).toarray()
    return sim


def blended_pairs(
    X: np.ndarray,
    lexical: sparse.csr_matrix | None,
    w: float,
    rows: NDArray[np.integer[Any]],
    cols: NDArray[np.integer[Any]],
    chunk: int = 16_384,
) -> np.ndarray:
    """The exact blended similarity of each (rows[i], cols[i]) pair, a chunk at a time (the
    gathered rows of a chunk are copies: 16k pairs x 384 floats x 2 = 50 MB)."""
    out = np.empty(rows.size, dtype=np.float32)
    for s in range(0, rows.size, chunk):
        r, c = rows[s : s + chunk], cols[s : s + chunk]
        sim = (1.0 - w) * np.einsum("ij,ij->i", X[r], X[c])
        if w > 0:
            lexical = cast("sparse.csr_matrix", lexical)  # w > 0: there are TF-IDF rows
            sim += w * np.asarray(lexical[r].multiply(lexical[c]).sum(axis=1)).ravel()
        out[s : s + chunk] = sim
    return out


def lexical_vectors(texts: list[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows (sublinear tf; stop words out). Empty texts give zero rows."""
    return lexical_model(texts)[1]


def lexical_model(texts: list[str]) -> tuple[TfidfVectorizer | None, sparse.csr_matrix]:
    """The fitted TF-IDF vectorizer (None when there are no words) and ``texts``' rows."""
    if not any(t.strip() for t in texts):
        return None, sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True, norm="l2", dtype=np.float32)
    try:
        return vectorizer, vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # every text was only stop words
        return None, sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def blended_similarity(
    semantic: np.ndarray, lexical: sparse.csr_matrix | None, lexical_weight: float
) -> np.ndarray:
    """The blend; without TF-IDF rows it is the semantic cosine alone (weight 0)."""
    w = lexical_weight if lexical is not None else 0.0
    sim = (1.0 - w) * (semantic @ semantic.T)
    if w > 0:
        lexical = cast("sparse.csr_matrix", lexical)  # w > 0: there are TF-IDF rows
        sim = sim + w * (lexical @ lexical.T).toarray()
    return cast("np.ndarray", np.clip(sim, -1.0, 1.0))


def lexical_text(post: Post) -> str:
    """The text of a post's TF-IDF row."""
    return f"{post.title}\n{post.body}"


def post_vectors(
    posts: Sequence[Post],
    segments_by_post: Mapping[str, Sequence[tuple[str, int]]],
    seg_vectors: np.ndarray,
    settings: ClusterSettings,
) -> np.ndarray:
    """A post's vector: its headline blended with its body, lead paragraphs weighing most.

    News is written as an inverted pyramid: the event first, context and background after.
    Background paragraphs are what unrelated posts of one live blog share, so paragraph i
    weighs ``lead_decay ** i``. A headline that is only a dateline says nothing about the
    story and is left out when there is a body.
    """
    out = np.zeros((len(posts), seg_vectors.shape[1] if len(seg_vectors) else 0), np.float32)
    for i, post in enumerate(posts):
        rows = segments_by_post[post.id]
        title = [r for kind, r in rows if kind == "title"]
        body = [r for kind, r in rows if kind != "title"]
        if body and not says_what(post.title):
            title = []
        if body:
            weights = settings.lead_decay ** np.arange(len(body), dtype=np.float32)
            body_vec = (seg_vectors[body] * weights[:, None]).sum(0) / weights.sum()
        if title and body:
            out[i] = (
                settings.title_weight * seg_vectors[title[0]]
                + (1 - settings.title_weight) * body_vec
            )
        elif title:
            out[i] = seg_vectors[title[0]]
        elif body:
            out[i] = body_vec
    return normalize_rows(out)
