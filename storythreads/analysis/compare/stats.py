"""The statistics of a comparison, each in one place: the log-odds ratio with an informative
Dirichlet prior, two-sided p from z, the Benjamini-Hochberg step-up, and a distribution-free
interval for a median."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def log_odds_dirichlet(
    counts_i: Counter[str],
    counts_j: Counter[str],
    prior: Counter[str],
    prior_scale: float | None = None,
) -> dict[str, tuple[float, float]]:
    """Log-odds ratio of each term in corpus i vs corpus j, with an informative Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), eq. 16 and 18. With y the term counts, n = Σ y, and the
    prior counts scaled so that α0 = Σ_w α_w equals ``prior_scale`` (default: the prior's own
    total, i.e. the raw prior counts)::

        α_w = prior_w · α0 / Σ prior
        δ_w = log((y_iw + α_w) / (n_i + α0 − y_iw − α_w))
            − log((y_jw + α_w) / (n_j + α0 − y_jw − α_w))
        var(δ_w) ≈ 1 / (y_iw + α_w) + 1 / (y_jw + α_w)
        z_w = δ_w / √var(δ_w)

    Returns ``{term: (δ, z)}`` for every term in either corpus, by term. Positive z: the term
    is more typical of i. Every such term needs a positive prior count (use a prior that
    covers both corpora, e.g. their union or the whole collection).
    """
    total = sum(prior.values())
    if total <= 0:
        raise ValueError(f"the prior must have a positive total count, got {total}")
    alpha0 = float(total if prior_scale is None else prior_scale)
    if alpha0 <= 0:
        raise ValueError(f"prior_scale ({prior_scale}) must be positive")
    vocab = sorted(set(counts_i) | set(counts_j))
    missing = [w for w in vocab if prior.get(w, 0) <= 0]
    if missing:
        raise ValueError(f"terms without a positive prior count: {missing[:10]}")
    n_i, n_j = sum(counts_i.values()), sum(counts_j.values())
    out = {}
    for w in vocab:
        a = prior[w] * alpha0 / total
        y_i, y_j = counts_i.get(w, 0), counts_j.get(w, 0)
        rest_i, rest_j = n_i + alpha0 - y_i - a, n_j + alpha0 - y_j - a
        if rest_i <= 0 or rest_j <= 0:
            raise ValueError(f"the prior must hold more than one term (only {w!r})")
        delta = math.log((y_i + a) / rest_i) - math.log((y_j + a) / rest_j)
        z = delta / math.sqrt(1 / (y_i + a) + 1 / (y_j + a))
        out[w] = (delta, z)
    return out


def p_value(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Adjusted p-values (q-values) of the Benjamini-Hochberg step-up procedure, in input
    order: q_(i) = min over j >= i of p_(j) * m / j, at most 1."""
    import numpy as np

    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.empty(m)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q.tolist()


def median_interval(values: list[float], level: float = 0.95) -> tuple[float, float] | None:
    """A distribution-free interval for the median: the order statistics x_(k) and
    x_(n-k+1) with k the largest for which P(Binomial(n, 1/2) < k) <= (1 - level) / 2, so
    the interval holds the median with probability >= ``level`` whatever the lags'
    distribution (no resampling: the same answer every run). None when n is too small
    (fewer than 6 values at 95 %)."""
    n, tail = len(values), (1 - level) / 2
    below, k = 0.0, 0
    while k < n and below + math.comb(n, k) / 2**n <= tail:
        below += math.comb(n, k) / 2**n
        k += 1
    if k < 1:
        return None
    ordered = sorted(values)
    return ordered[k - 1], ordered[n - k]
