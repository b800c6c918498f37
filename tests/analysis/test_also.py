"""`also` memberships (analysis/threading/also.py): who joins another thread, and the arithmetic of
"the rest of its own thread" that leaves a segment's own words out."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FakeEmbedder
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from storythreads.analysis.threading import also, neighbours
from storythreads.analysis.threading.also import also_memberships
from storythreads.analysis.threading.similarity import lexical_model

# three posts: 0 and 1 tell the ferry story, 2 is a roundup whose second bullet is the ferry
POSTS = [
    ("Ferry sinks off Crete", ["A passenger ferry sank off Crete on Monday after a storm.",
                               "Coast guard boats rescued 200 passengers from the ferry."]),
    ("Crete ferry rescue ends", ["The coast guard ended the ferry rescue off Crete.",
                                 "Divers searched the sunken ferry hull near Crete."]),
    ("What we know so far", ["Parliament passed the budget bill after a long night vote.",
                             "A ferry sank off Crete; the coast guard rescued 200 passengers."]),
]  # fmt: skip


def _inputs():
    texts, seg_post, candidate = [], [], []
    for p, (title, paragraphs) in enumerate(POSTS):
        for k, text in enumerate([title, *paragraphs]):
            texts.append(text)
            seg_post.append(p)
            candidate.append(k > 0)
    vectors = FakeEmbedder().embed(texts)
    posts = [f"{t}\n" + "\n".join(ps) for t, ps in POSTS]
    vectorizer, lexical = lexical_model(posts)
    seg_post = np.array(seg_post)
    labels = np.array([0, 0, 1])
    post_vecs = np.stack([vectors[seg_post == p].mean(0) for p in range(3)])
    centroids = np.stack([post_vecs[labels == t].mean(0) for t in range(2)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return texts, vectors, seg_post, np.array(candidate), labels, centroids, lexical, vectorizer


def test_the_roundups_ferry_bullet_joins_the_ferry_thread_and_nothing_else_does():
    texts, vectors, seg_post, candidate, labels, centroids, lexical, vectorizer = _inputs()
    found = also_memberships(
        texts, vectors, seg_post, candidate, labels, centroids, lexical, vectorizer
    )
    assert set(found) == {(2, 0)}
    ((row, score),) = found[(2, 0)]
    assert texts[row].startswith("A ferry sank off Crete;")
    assert 0.3 <= score <= 1.0
    # a title is never a candidate, however close it is
    none = also_memberships(texts, vectors, seg_post, np.zeros(len(texts), bool), labels,
                            centroids, lexical, vectorizer)  # fmt: skip
    assert none == {}


def test_a_higher_threshold_or_margin_drops_the_link():
    texts, vectors, seg_post, candidate, labels, centroids, lexical, vectorizer = _inputs()
    args = (texts, vectors, seg_post, candidate, labels, centroids, lexical, vectorizer)
    assert also_memberships(*args, threshold=0.99) == {}
    assert also_memberships(*args, margin=1.0) == {}


@pytest.mark.parametrize("block", [1, 3, also.BLOCK])
def test_the_own_side_leaves_the_segments_own_words_out(monkeypatch, block):
    """The expanded dot products equal building the reference row explicitly: the own
    thread's TF-IDF rows summed, with the post's row replaced by its other segments'
    (a block of segments at a time, whatever the block's size)."""
    monkeypatch.setattr(also, "BLOCK", block)
    texts, _, seg_post, candidate, labels, _, lexical, vectorizer = _inputs()
    rows = np.flatnonzero(candidate)
    counter = CountVectorizer(analyzer=vectorizer.build_analyzer(),
                              vocabulary=vectorizer.vocabulary_)  # fmt: skip
    counts = counter.transform(texts).astype(np.float64).tocsr()
    seg_lex = also._tfidf(counts[rows], vectorizer)
    direct = vectorizer.transform([texts[r] for r in rows]).toarray()
    assert np.allclose(seg_lex.toarray(), direct, atol=1e-6)  # the vectorizer's own rows
    own = labels[seg_post[rows]]
    sums = np.stack([np.asarray(lexical[labels == t].sum(0)).ravel() for t in range(2)])
    sums_csr = sparse.csr_matrix(sums)
    near = np.arange(rows.size)
    got = also._own_without_self(counts, rows, near, seg_lex, seg_post, own, lexical,
                                 vectorizer, sums_csr, np.linalg.norm(sums, axis=1))  # fmt: skip
    for i, r in enumerate(rows):
        p = seg_post[r]
        rest_text = "\n".join(texts[j] for j in np.flatnonzero(seg_post == p) if j != r)
        ref = (
            sums[own[i]]
            - lexical[p].toarray().ravel()
            + vectorizer.transform([rest_text]).toarray().ravel()
        )
        want = seg_lex[i].toarray().ravel() @ ref / np.linalg.norm(ref)
        assert got[i] == pytest.approx(want, abs=1e-6)


def test_the_index_path_gives_the_exact_paths_links(monkeypatch):
    texts, vectors, seg_post, candidate, labels, centroids, lexical, vectorizer = _inputs()
    args = (texts, vectors, seg_post, candidate, labels, centroids, lexical, vectorizer)
    exact = also_memberships(*args)
    monkeypatch.setattr(neighbours, "DENSE_PAIRS_MAX", 0)
    assert also_memberships(*args) == exact


def test_without_words_the_semantic_cosine_decides():
    texts, vectors, seg_post, candidate, labels, centroids, _, _ = _inputs()
    found = also_memberships(texts, vectors, seg_post, candidate, labels, centroids)
    sims = vectors @ centroids.T
    want = set()
    for r in np.flatnonzero(candidate):
        own = labels[seg_post[r]]
        other = 1 - own
        if sims[r, other] >= 0.3 and sims[r, other] >= sims[r, own] + 0.05:
            want.add((int(seg_post[r]), int(other)))
    assert set(found) == want


def test_counts_made_in_their_own_vocabulary_are_moved_to_the_models():
    """A child counts segments before the posts' vocabulary is known (own_counts); moved
    into it, they are exactly the counts made in it, words outside it dropped."""
    from storythreads.analysis.language.text import tokens
    from storythreads.analysis.threading.also import own_counts, segment_counts

    texts, *_, vectorizer = _inputs()
    texts = [*texts, "Unheard-of words only here", "", "the and of"]  # new, empty, stop
    direct = segment_counts(texts, vectorizer)
    moved = segment_counts(texts, vectorizer, own_counts(texts, tokens))
    assert moved.shape == direct.shape and moved.dtype == direct.dtype == np.float32
    assert (moved != direct).nnz == 0
    assert np.array_equal(moved.indices, direct.indices)  # canonical order too
    assert direct[len(texts) - 3].nnz == 0  # "unheard-of": not in the posts' vocabulary
    nothing = own_counts(["", "the and"], tokens)
    assert nothing[0] == {} and nothing[1].shape == (2, 0)
    assert segment_counts(["", "the and"], vectorizer, nothing).nnz == 0
