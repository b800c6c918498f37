"""The stages' work on words, which a large run does in forked children (forked.py)
beside the rest: the posts' TF-IDF model with every segment's term counts, each post's
names (``lexical``), and the fresh threads' names from spaCy (``namer``, ``name_fresh``).
On a small run, or where there is no fork, the same functions run in this process, with
the same results. Only ``_stages`` and ``pipeline`` call them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..analysis.describe.label import central_index
from ..analysis.language.text import lowercase_words, names, tokens
from ..analysis.threading.also import own_counts, segment_counts
from ..analysis.threading.similarity import lexical_model, lexical_text
from ..types import Post, Segment

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from spacy.language import Language

    from ..config import ReportSettings
    from ..forked import Forked
    from .stages import Threading


class Lexical(NamedTuple):
    """The words of the threaded posts (those with a segment), in (time, id) order: the
    fitted TF-IDF vectorizer and the posts' TF-IDF rows; ``words()`` gives every
    segment's term counts in its vocabulary (what `also` scores segments by), the names
    each post mentions and the words they write in lower case (what ``stages.describe_threads``
    reads), from a child still counting them while the posts are embedded and placed, or
    counted here."""

    threaded: list[Post]
    vectorizer: TfidfVectorizer | None
    rows: sparse.csr_matrix
    words: Callable[[], tuple[sparse.csr_matrix | None, list[set[str]], set[str]]]


# From this many segments on, their words are counted in a forked child while this
# process fits the posts' TF-IDF model (``lexical``); fewer, and a fork costs more.
COUNT_FORKED_FROM = 2000


def lexical(
    posts: Iterable[Post], segments: Sequence[Segment], frequencies: Frequencies | None = None
) -> Lexical:
    """The TF-IDF model of the threaded posts and their rows, and the rest of their words
    (``Lexical.words``). On a large run a forked child counts the segments, in a
    vocabulary of their own, and reads the posts' names while this process fits the model
    and goes on; the counts' columns are then moved to the model's
    (``segment_counts(counted=...)``: the same counts).

    ``frequencies`` (a scheduled run on a working set of a large store): given the
    model's words, the number of posts and each word's document frequency over the whole
    store; the model's IDF is then the store's (``store_idf``), not the working set's."""
    from ..forked import Forked, can_fork

    with_segments = {seg.post_id for seg in segments}
    threaded = [p for p in posts if p.id in with_segments]
    texts = [seg.text for seg in segments]
    counter = None
    if len(texts) >= COUNT_FORKED_FROM and can_fork():
        counter = Forked(
            lambda: (own_counts(texts, tokens), post_words(threaded)), what="counting words"
        )
        counter.send()  # the child has the texts already: it is a copy of this process
    try:
        post_texts = [lexical_text(p) for p in threaded]
        vectorizer, rows = lexical_model(post_texts)
        if frequencies is not None and vectorizer is not None:
            vectorizer.idf_ = store_idf(
                vectorizer.get_feature_names_out(), *frequencies(vectorizer.vocabulary_)
            )
            rows = vectorizer.transform(post_texts).tocsr()
    except BaseException:
        if counter is not None:
            counter.close()
        raise

    def words() -> tuple[sparse.csr_matrix | None, list[set[str]], set[str]]:
        try:
            counted, (post_names, common) = (
                counter.result() if counter else (None, post_words(threaded))
            )
        finally:
            if counter is not None:
                counter.close()
        counts = segment_counts(texts, vectorizer, counted) if vectorizer is not None else None
        return counts, post_names, common

    return Lexical(threaded, vectorizer, rows, words)


# (words) -> (posts counted, word -> posts that use it): the store's document frequencies
Frequencies = Callable[[Iterable[str]], tuple[int, dict[str, int]]]


def store_idf(words: Iterable[str], n_docs: int, df: dict[str, int]) -> np.ndarray:
    """The IDF scikit-learn's ``TfidfVectorizer`` (smooth_idf) fits on ``n_docs`` posts of
    these document frequencies: ``ln((1 + n) / (1 + df)) + 1``.

    A post's TF-IDF row is its own sublinear term counts times the IDF, L2-normalised, so
    with the store's frequencies the rows of a working set are the rows a fit over every
    stored post would give. The frequencies are kept as counts and the IDF is computed
    afresh each run, so the rows of one run never mix IDFs of different store sizes."""
    counts = np.array([df.get(w, 0) for w in words], dtype=np.float64)
    return (np.log((1.0 + n_docs) / (1.0 + counts)) + 1.0).astype(np.float32)


def term_counts(posts: Iterable[Post]) -> tuple[int, Counter[str]]:
    """(posts with words, word -> how many of them use it): the document frequencies a
    store keeps (``store_idf``), counted as the TF-IDF model reads a post."""
    df: Counter[str] = Counter()
    n = 0
    for post in posts:
        text = lexical_text(post)
        if text.strip():
            n += 1
            df.update(set(tokens(text)))
    return n, df


def post_words(posts: Sequence[Post]) -> tuple[list[set[str]], set[str]]:
    """Per post the names it mentions, and the words the posts write in lower case
    somewhere (what ``stages.describe_threads`` tells names from common words by)."""
    post_names = [names(f"{p.title}. {p.body}") for p in posts]
    return post_names, lowercase_words(f"{p.title}\n{p.body}" for p in posts)


# From this many posts on, fresh threads are named in a forked child that loads spaCy
# while the posts are threaded (``namer``); fewer, and loading it here costs less.
NAME_FORKED_FROM = 500


def namer(report: ReportSettings, n_posts: int) -> Forked | None:
    """A forked child (forked.py) that loads the spaCy pipeline now and names the fresh
    threads when ``stages.describe_threads`` asks, beside the cross-referencing; None when the
    names are made here: names off, a small run, no fork, or spaCy loaded here already."""
    from ..analysis.language import nlp
    from ..forked import Forked, can_fork

    if report.names != "headline" or n_posts < NAME_FORKED_FROM or not can_fork():
        return None
    if nlp.loaded():
        return None
    return Forked(names_with, prepare=nlp.load_nlp, what="naming threads")


def names_with(
    nlp: Language | None,
    posts: Sequence[Sequence[Post]],
    central: Sequence[int | None],
    phrases: Sequence[Sequence[str]],
    reserved: Iterable[str],
) -> list[str]:
    from ..analysis.describe.naming import thread_names

    return thread_names(posts, central, phrases, nlp=nlp, reserved=reserved)


def name_fresh(
    threading: Threading,
    ids: Sequence[str],
    fresh: Sequence[int],
    phrases: dict[int, list[str]],
    reserved: Iterable[str],
    report: ReportSettings,
    namer: Forked | None,
) -> Callable[[], dict[str, str]]:
    """Names for the ``fresh`` threads (ids ``ids``): of 3-8 words cut from their
    headlines (analysis/describe/naming.py), unlike every other thread's, ``reserved`` (kept ones')
    included; as a function that gives thread id -> name. None of them for
    ``report.names = "keywords"``, or when no spaCy pipeline is installed: the keyword
    label stays (`run` works without spaCy; `compare` says it is missing, exit 4)."""
    from ..errors import NlpModelError

    if report.names != "headline" or not fresh:
        if namer is not None:
            namer.close()
        return dict
    members = threading.members
    posts = [[threading.threaded[i] for i in members[t]] for t in fresh]
    central = [central_index(threading.post_vecs[members[t]]) for t in fresh]
    their_phrases = [phrases[t] for t in fresh]
    if namer is None:
        try:
            named = names_with(None, posts, central, their_phrases, reserved)
            found = dict(zip(ids, named, strict=True))
        except NlpModelError:
            found = {}
        return lambda: found
    namer.send(posts, central, their_phrases, reserved)

    def collect() -> dict[str, str]:
        try:
            return dict(zip(ids, namer.result(), strict=True))
        except NlpModelError:
            return {}

    return collect
