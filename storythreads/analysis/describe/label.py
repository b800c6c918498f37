"""Thread labels: class-based TF-IDF keyphrases plus the most central headline.

c-TF-IDF (as in BERTopic) treats all text of one thread as one document and weighs a term
by how much more that thread uses it than the average thread. Phrases of one or two words;
a word already inside a chosen phrase is not repeated; stop words and bare numbers never
appear.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from ..language.text import STOP_WORDS, TOKEN_PATTERN

_TOKEN = re.compile(TOKEN_PATTERN)
_NUMBER = re.compile(r"[\d.,]+")


def _terms(text: str) -> list[str]:
    """Content words and pairs of adjacent content words (no stop word, no bare number)."""
    words = [w.lower() for w in _TOKEN.findall(text)]
    good = [w not in STOP_WORDS and not _NUMBER.fullmatch(w) for w in words]
    terms = [w for w, ok in zip(words, good, strict=True) if ok]
    terms += [
        f"{a} {b}"
        for a, b, ok_a, ok_b in zip(words, words[1:], good, good[1:], strict=False)
        if ok_a and ok_b and a != b
    ]
    return terms


def keyphrases(thread_texts: list[str], top_n: int = 6) -> list[list[str]]:
    """Top ``top_n`` keyphrases for each thread, given all text of each thread."""
    if not thread_texts:
        return []
    vectorizer = CountVectorizer(analyzer=_terms)
    try:
        counts = vectorizer.fit_transform(thread_texts)
    except ValueError:  # no usable word at all (empty or all stop words)
        return [[] for _ in thread_texts]
    terms = vectorizer.get_feature_names_out()
    counts = counts.astype(np.float64)
    # sqrt damps words every thread repeats (the country a whole blog is about)
    tf = counts.sqrt().multiply(1.0 / np.maximum(counts.sum(axis=1), 1)).tocsr()
    term_freq = np.asarray(counts.sum(axis=0)).ravel()
    avg_words = counts.sum() / counts.shape[0]
    idf = np.log1p(avg_words / np.maximum(term_freq, 1))
    scores = tf.multiply(idf).tocsr()
    index = {t: i for i, t in enumerate(terms)}
    result = []
    for row in range(scores.shape[0]):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        idx, vals = scores.indices[start:end], scores.data[start:end]
        raw = counts[row].toarray().ravel()
        unigrams = [k for k in range(len(idx)) if " " not in terms[idx[k]]]
        order = sorted(unigrams, key=lambda k: (-vals[k], terms[idx[k]]))
        bigrams = [terms[i] for i in idx if " " in terms[i]]
        chosen: list[str] = []
        for k in order:
            word = terms[idx[k]]
            # upgrade a word to the collocation it mostly lives in ("cluster munitions")
            best = max(
                (b for b in bigrams if word in b.split()),
                key=lambda b: (raw[index[b]], b),
                default=None,
            )
            if best is not None and raw[index[best]] >= max(2, 0.6 * raw[idx[k]]):
                word = best
            if any(set(word.split()) & set(c.split()) for c in chosen):
                continue
            chosen.append(word)
            if len(chosen) == top_n:
                break
        result.append([_surface(term, thread_texts[row]) for term in chosen])
    return result


def _surface(term: str, text: str) -> str:
    """The spelling the text uses most for ``term`` ("NATO", "Azovstal"), else ``term``."""
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in term.split()) + r"\b"
    forms = Counter(m.group(0) for m in re.finditer(pattern, text, flags=re.IGNORECASE))
    if not forms:
        return term
    return " ".join(min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0].split())


def central_index(vectors: np.ndarray) -> int:
    """Index of the row closest to the mean direction (ties: the first)."""
    centroid = vectors.mean(axis=0)
    return int(np.argmax(vectors @ centroid))


def make_label(phrases: list[str], headline: str, n: int = 3) -> str:
    """A short human label: the top keyphrases, or the headline when there are none."""
    if phrases:
        first = phrases[0][:1].upper() + phrases[0][1:]
        return " · ".join([first, *phrases[1:n]])
    return headline[:80] or "(untitled)"
