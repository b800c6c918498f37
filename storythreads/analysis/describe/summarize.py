"""Extractive thread summaries whose every sentence cites its post.

Sentences are scored without embedding anything new: the vector of the segment a
sentence sits in (how central that paragraph is to the thread) plus the TF-IDF cosine of
the sentence to the thread as a whole (how central the sentence is within its paragraph),
with a small bonus for a post's first sentence, where news puts the event. Maximal
marginal relevance then picks sentences that add something new.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ...types import Citation, Post, Segment
from ..language.text import tokens
from ..threading.segment import split_sentences

MIN_WORDS = 8
MAX_CHARS = 400
NEAR_DUPLICATE = 0.8  # TF-IDF cosine at which two sentences say the same


def _candidates(segments: list[Segment]) -> Iterator[tuple[Segment, int, str]]:
    """(segment, position, sentence) for every sentence worth citing; a sentence told twice
    (syndicated copies, a roundup repeating a post) is offered once, from its first segment."""
    seen: set[str] = set()
    for seg in segments:
        if seg.kind == "title":
            continue
        for i, sentence in enumerate(split_sentences(seg.text)):
            words = sentence.split()
            if len(words) < MIN_WORDS or len(sentence) > MAX_CHARS:
                continue
            if sentence.endswith(":"):  # a lead-in, not a statement
                continue
            key = " ".join(sentence.lower().split())
            if key in seen:
                continue
            seen.add(key)
            yield seg, i, sentence


def summarize_thread(
    segments: list[Segment],
    segment_scores: dict[str, float],
    posts: dict[str, Post],
    n_sentences: int = 4,
    diversity: float = 0.5,
    central: str | None = None,
) -> list[Citation]:
    """Pick up to ``n_sentences`` central, non-redundant sentences from ``segments``.

    ``segment_scores`` maps a segment id to its cosine with the thread centroid. The lead
    of the ``central`` post (its first sentence worth citing), when given, comes first:
    what the story is; the rest follow in time order (then post, then position), as a
    reader expects a story told. No sentence is a near-duplicate of another (TF-IDF cosine
    ``NEAR_DUPLICATE`` or more): outlets rewrite one wire sentence in many ways.
    """
    cands = list(_candidates(segments))
    if not cands:
        return []
    texts = [c[2] for c in cands]
    try:
        tfidf = TfidfVectorizer(analyzer=tokens, sublinear_tf=True).fit_transform(texts)
    except ValueError:
        tfidf = None
    if tfidf is not None:
        centre = np.asarray(tfidf.mean(axis=0)).ravel()
        centre /= np.linalg.norm(centre) or 1.0
        lexical = tfidf @ centre
    else:
        lexical = np.zeros(len(cands))
    relevance = np.zeros(len(cands))
    for k, (seg, i, _) in enumerate(cands):
        # the first sentence of a post's first paragraph is where news puts the event
        lead_bonus = 0.1 if seg.ordinal <= 1 and i == 0 else 0.0
        relevance[k] = 0.6 * segment_scores.get(seg.id, 0.0) + 0.4 * lexical[k] + lead_bonus
    # MMR, one pick at a time: redundancy is the highest similarity to a sentence already
    # chosen, updated per pick (memory linear in the candidates, not quadratic).
    n = len(cands)
    redundancy = np.zeros(n)
    chosen: list[int] = []
    lead = next((k for k, c in enumerate(cands) if c[0].post_id == central), None)
    for _ in range(min(n_sentences, n)):
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        score[redundancy >= NEAR_DUPLICATE] = -np.inf
        if lead is not None and not chosen:
            best = lead
        elif not np.isfinite(score).any():
            break  # every sentence left says what a chosen one says
        else:
            best = int(np.argmax(score))  # the first maximum: ties go to the earlier one
        chosen.append(best)
        if tfidf is not None:
            sims = (tfidf @ tfidf[best].T).toarray().ravel()
        else:
            sims = (np.arange(n) == best).astype(float)
        redundancy = np.maximum(redundancy, sims)

    def order(k: int) -> tuple[tuple[float, str], int, int]:
        post = posts[cands[k][0].post_id]
        return (post.sort_key, cands[k][0].ordinal, cands[k][1])

    first = [lead] if lead is not None else []
    out = []
    for k in first + sorted((k for k in chosen if k != lead), key=order):
        seg, _, sentence = cands[k]
        post = posts[seg.post_id]
        out.append(
            Citation(
                text=sentence,
                post_id=post.id,
                published=post.published,
                byline=post.byline,
                score=round(float(relevance[k]), 4),
            )
        )
    return out
