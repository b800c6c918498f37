"""How groups of outlets (or outlets) word the stories they both covered: the pooled
comparison a researcher comes for (issue 33).

Within one thread, one article a side gives too few words for any word to pass a
significance rule (``outlets.framing`` says so honestly). Pooled over every thread that
two sides both covered, the same words add up: the difference is then one of wording, not
of which stories each side chose.

**Terms.** Words and two-word phrases (consecutive content words) of a post's headline and
text (``language.text.tokens``). For each pair of sides, the pool is the threads both
covered; a term counts once per thread and side (in how many of the pool's threads the
side used it), so one long thread, or one outlet's house phrase repeated in a story, can
not carry a term alone. The raw occurrences are reported beside it.

**Test.** The threads of the pool are matched pairs: each side's telling of the same
story. A term tells the sides apart only in the threads where one side used it and the
other did not (discordant threads); in a thread where side A wrote a share ``w_A / (w_A +
w_B)`` of the pool's words, A is the one that used it with about that chance when the
side makes no difference. The number of discordant threads A won is then a sum of
Bernoulli trials with those chances (a sign test stratified by thread, the conditional
test behind Mantel-Haenszel for sparse strata): ``z = (x - sum p) / sqrt(sum p(1 - p))``,
with a continuity correction, two-sided p from z, and the Benjamini-Hochberg q over
every tested term of every pair of the grouping. Unlike a test of pooled counts it reads
the pairing (both sides tell the same stories, so their counts move together) and the
sides' lengths (a group of two outlets writes twice the words of one).

The effect size is the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, ``stats.log_odds_dirichlet``): the prior is the term's
thread-level count over the whole comparison, scaled so that it weighs as much as the
pair's own counts (alpha0 = n_A + n_B), with its own z, p and q (the table's first
columns, as it first had them). On BASIL 2015-19, under random swaps of the sides within
threads, that z has a spread of 0.5 (it ignores the pairing), so it is reported, and the
paired test (``paired_z``, ``paired_p``, ``paired_q``) decides what is listed. A term is tested when at least
``rules.min_docs`` of the pool's thread-sides use it; a pair is compared when it shares at
least ``MIN_SHARED_THREADS`` threads and each side has at least ``rules.min_words`` words
in them.

**Agenda.** Which threads a side covered more than its share elsewhere predicts: Fisher's
exact test (one-sided) of the side's posts against the other sides' posts, on the thread
and on every other thread, with Benjamini-Hochberg q over every (thread, side). The
expected count is the thread's posts times the side's share of the posts on other
threads.

**Voices.** Whom each side quotes more: the same test with speakers for terms
(``pooled_voices``), each speaker counted once per thread and side in which it is quoted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from ...config import CompareSettings
from ...types import Post, Run
from ..language.speakers import fullest_names, last_word
from ..language.text import tokens
from .outlets import outlet_of, thread_posts
from .stats import benjamini_hochberg, log_odds_dirichlet, p_value
from .voices import QuoteRow, is_voice

MIN_SHARED_THREADS = 3  # threads a pair must both have covered to be compared


@dataclass(frozen=True)
class PooledTermRow:
    """One tested term of one pair of sides, oriented so that ``group`` uses it more by
    the log-odds (z, p and q are the log-odds', as the table first had them); the paired
    test that decides what is listed is in the ``paired_*`` fields (see the module doc)."""

    group: str  # the side that uses the term more by the log-odds (z >= 0)
    other: str
    term: str  # a word, or two words joined by a space
    z: float  # the log-odds' z (Monroe et al.), reported: it ignores the pairing
    p_value: float  # two-sided, from z
    q_value: float  # Benjamini-Hochberg of p_value over every tested term of the grouping
    log_odds: float  # the effect: log-odds ratio with the informative Dirichlet prior
    threads: int  # threads of the pool in which `group` used the term (what is tested)
    other_threads: int
    count: int  # the term's occurrences in `group`'s posts of the pool
    other_count: int
    shared_threads: int  # the pool: threads both sides covered
    prior: float  # the term's Dirichlet prior count
    # the stratified sign test over the discordant threads: positive when `group` used
    # the term in more of them than its share of the words predicts, negative when fewer
    paired_z: float = 0.0
    paired_p: float = 1.0  # two-sided, from paired_z
    paired_q: float = 1.0  # Benjamini-Hochberg of paired_p over every tested term: listed
    discordant_threads: int = 0  # pool threads in which exactly one side used the term
    expected_threads: float = 0.0  # of those, how many `group` would win by its length

    def passes(self, q: float) -> bool:
        """Whether the paired test lists the term (``paired_q <= q``)."""
        return self.paired_q <= q

    def paired_view(self) -> PooledTermRow:
        """The row from the side the paired test finds using the term more (as it is
        when ``paired_z >= 0``; else its sides swapped, both z's then from that side)."""
        if self.paired_z >= 0:
            return self
        return replace(
            self, group=self.other, other=self.group, z=-self.z, log_odds=-self.log_odds,
            threads=self.other_threads, other_threads=self.threads, count=self.other_count,
            other_count=self.count, paired_z=-self.paired_z,
            expected_threads=self.discordant_threads - self.expected_threads,
        )  # fmt: skip


@dataclass(frozen=True)
class AgendaRow:
    """A side's posts on a thread against what its share of all posts predicts."""

    thread_id: str
    group: str
    posts: int  # the side's posts of the thread
    expected: float  # the thread's posts x the side's share of the posts on other threads
    ratio: float  # posts / expected
    p_value: float  # Fisher's exact test, one-sided: more posts than expected
    q_value: float  # Benjamini-Hochberg over every (thread, side)

    def passes(self, q: float) -> bool:
        return self.q_value <= q


@dataclass(frozen=True)
class PairRow:
    """A pair of sides: how many threads both covered, and whether it was compared."""

    group: str
    other: str
    shared_threads: int
    tested_terms: int  # 0: not compared (too few shared threads or words)


@dataclass(frozen=True)
class Pooled:
    """The pooled comparison of one grouping (or of the outlets themselves)."""

    terms: tuple[PooledTermRow, ...]  # every tested term, by (group, other, -z, term)
    agenda: tuple[AgendaRow, ...]
    pairs: tuple[PairRow, ...]

    def significant(self, q: float) -> list[PooledTermRow]:
        return [row for row in self.terms if row.passes(q)]


def post_terms(post: Post) -> list[str]:
    """A post's terms: its content words and each pair of consecutive ones."""
    words = tokens(f"{post.title}\n{post.body}")
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def pooled_comparison(run: Run, rules: CompareSettings | None = None) -> Pooled:
    """The pooled terms and agenda of a run whose posts' sources are the sides (a
    ``groups.regroup``-ed run for a grouping, the run itself for outlets)."""
    rules = rules or CompareSettings()
    # side -> thread -> (term -> occurrences); each post read once
    per_side: dict[str, dict[str, Counter[str]]] = {}
    for thread, posts in thread_posts(run):
        for post in posts:
            cell = per_side.setdefault(outlet_of(post), {}).setdefault(thread.id, Counter())
            cell.update(post_terms(post))
    terms, pairs = compare_pairs(per_side, rules, min_words=rules.min_words, size=words_in)
    return Pooled(terms, tuple(agenda(run)), pairs)


def pooled_voices(
    rows: Iterable[QuoteRow], rules: CompareSettings | None = None
) -> tuple[PooledTermRow, ...]:
    """Whom each side quotes more over the threads each pair both covered: the test of
    ``pooled_comparison`` with speakers for terms (a speaker counts once per thread and
    side). Only voices count (``voices.is_voice``); a person is one name across threads,
    the full name used most that ends in the same word (``speakers.fullest_names``)."""
    rules = rules or CompareSettings()
    rows = [r for r in rows if is_voice(r)]
    names = fullest_names(Counter(r.speaker for r in rows if r.speaker_kind == "person"))
    per_side: dict[str, dict[str, Counter[str]]] = {}
    for r in rows:
        name = (
            names.get(last_word(r.speaker), r.speaker) if r.speaker_kind == "person" else r.speaker
        )
        per_side.setdefault(r.outlet, {}).setdefault(r.thread_id, Counter())[name] += 1
    return compare_pairs(per_side, rules, min_words=0, size=lambda cell: sum(cell.values()))[0]


def words_in(cell: Counter[str]) -> int:
    """The words of a cell of terms: its one-word terms' occurrences."""
    return sum(n for term, n in cell.items() if " " not in term)


def compare_pairs(
    per_side: dict[str, dict[str, Counter[str]]],
    rules: CompareSettings,
    min_words: int,
    size: Callable[[Counter[str]], float],
) -> tuple[tuple[PooledTermRow, ...], tuple[PairRow, ...]]:
    """Every pair of sides over its pool (the threads both have), each item (a term, a
    speaker) counted once per thread and side, tested against the union prior (see the
    module doc); q over every test. A pair is compared when it shares
    ``MIN_SHARED_THREADS`` threads and each side has ``min_words`` one-word items there;
    ``size`` is a cell's amount of text, whose share sets a side's chance in the test."""
    prior = Counter(item for threads in per_side.values() for cell in threads.values()
                    for item in cell)  # fmt: skip
    tests: list[PooledTermRow] = []
    pairs = []
    for a, b in combinations(sorted(per_side), 2):
        pool = sorted(set(per_side[a]) & set(per_side[b]))
        found = (
            _pair(a, b, pool, per_side, prior, rules.min_docs, min_words, size)
            if len(pool) >= MIN_SHARED_THREADS
            else []
        )
        tests.extend(found)
        pairs.append(PairRow(a, b, len(pool), len(found)))
    q = benjamini_hochberg([row.p_value for row in tests])
    paired_q = benjamini_hochberg([row.paired_p for row in tests])
    rows = [replace(row, q_value=qv, paired_q=pq)
            for row, qv, pq in zip(tests, q, paired_q, strict=True)]  # fmt: skip
    rows.sort(key=lambda r: (r.group, r.other, -r.z, r.term))
    return tuple(rows), tuple(pairs)


def _pair(
    a: str,
    b: str,
    pool: Sequence[str],
    per_side: dict[str, dict[str, Counter[str]]],
    prior: Counter[str],
    min_docs: int,
    min_words: int,
    size: Callable[[Counter[str]], float],
) -> list[PooledTermRow]:
    """Every tested item of one pair over its pool (the q values come later)."""
    used_a = Counter(term for t in pool for term in per_side[a][t])  # threads using it
    used_b = Counter(term for t in pool for term in per_side[b][t])
    occurs_a = sum((per_side[a][t] for t in pool), Counter())
    occurs_b = sum((per_side[b][t] for t in pool), Counter())
    if min(words_in(occurs_a), words_in(occurs_b)) < min_words or not (used_a and used_b):
        return []
    split, won, mean, var = _discordant(a, b, pool, per_side, size)
    scale = sum(used_a.values()) + sum(used_b.values())
    scores = log_odds_dirichlet(used_a, used_b, prior, prior_scale=scale)
    total = sum(prior.values())
    found = []
    for term in sorted(set(used_a) | set(used_b)):
        if used_a[term] + used_b[term] < min_docs:
            continue
        delta, lo_z = scores[term]
        gap, spread = won[term] - mean.get(term, 0.0), var.get(term, 0.0)
        z = math.copysign(max(abs(gap) - 0.5, 0.0), gap) / math.sqrt(spread) if spread else 0.0
        first, second = (a, b) if delta >= 0 else (b, a)
        ua, ub = (used_a, used_b) if first == a else (used_b, used_a)
        oa, ob = (occurs_a, occurs_b) if first == a else (occurs_b, occurs_a)
        n = split[term]
        expected = mean.get(term, 0.0) if first == a else n - mean.get(term, 0.0)
        paired = z if first == a else -z
        found.append(PooledTermRow(
            first, second, term, abs(lo_z), p_value(lo_z), 1.0, abs(delta), ua[term], ub[term],
            oa[term], ob[term], len(pool), prior[term] * scale / total, paired, p_value(z),
            1.0, n, expected))  # fmt: skip
    return found


def _discordant(
    a: str,
    b: str,
    pool: Sequence[str],
    per_side: dict[str, dict[str, Counter[str]]],
    size: Callable[[Counter[str]], float],
) -> tuple[Counter[str], Counter[str], dict[str, float], dict[str, float]]:
    """Per term, over the pool's threads in which exactly one side used it: how many, the
    threads side ``a`` used it in, and the mean and variance of that number when each thread
    goes to ``a`` with its share of the thread's text (``size``)."""
    split: Counter[str] = Counter()
    won: Counter[str] = Counter()
    mean: dict[str, float] = {}
    var: dict[str, float] = {}
    for t in pool:
        cell_a, cell_b = per_side[a][t], per_side[b][t]
        size_a, size_b = size(cell_a), size(cell_b)
        if size_a + size_b <= 0:
            continue
        p = size_a / (size_a + size_b)
        for term in cell_a.keys() ^ cell_b.keys():
            split[term] += 1
            won[term] += term in cell_a
            mean[term] = mean.get(term, 0.0) + p
            var[term] = var.get(term, 0.0) + p * (1 - p)
    return split, won, mean, var


def agenda(run: Run) -> list[AgendaRow]:
    """Each (thread, side) with Fisher's exact test of its posts (see the module doc), by
    (thread order, side)."""
    from scipy.stats import fisher_exact

    posts_of: Counter[tuple[str, str]] = Counter()  # (thread, side) -> posts
    side_total: Counter[str] = Counter()
    thread_total: Counter[str] = Counter()
    for thread, posts in thread_posts(run):
        for post in posts:
            posts_of[(thread.id, outlet_of(post))] += 1
            side_total[outlet_of(post)] += 1
            thread_total[thread.id] += 1
    everything = sum(thread_total.values())
    tests = []
    for thread, _posts in thread_posts(run):
        for side in sorted(side_total):
            k = posts_of[(thread.id, side)]
            rest = side_total[side] - k  # the side's posts on other threads
            others_here = thread_total[thread.id] - k
            others_rest = everything - thread_total[thread.id] - rest
            if rest + others_rest == 0 or k + others_here == 0:
                continue
            expected = thread_total[thread.id] * rest / (rest + others_rest)
            table = [[k, others_here], [rest, others_rest]]
            p = float(fisher_exact(table, alternative="greater").pvalue)
            ratio = k / expected if expected else math.inf
            tests.append(AgendaRow(thread.id, side, k, expected, ratio, p, 1.0))
    q = benjamini_hochberg([row.p_value for row in tests])
    return [replace(row, q_value=qv) for row, qv in zip(tests, q, strict=True)]


def top_terms(
    rows: Iterable[PooledTermRow], q: float, per_side: int
) -> dict[str, list[PooledTermRow]]:
    """Per side, the terms the paired test lists for it (``paired_q <= q``), each seen from
    that side (``paired_view``), by paired z, each term once (its strongest pair), at most
    ``per_side`` of them."""
    found: dict[str, list[PooledTermRow]] = {}
    seen: set[tuple[str, str]] = set()
    views = [row.paired_view() for row in rows if row.passes(q)]
    for row in sorted(views, key=lambda r: (-r.paired_z, r.group, r.other, r.term)):
        mine = found.setdefault(row.group, [])
        if (row.group, row.term) not in seen and len(mine) < per_side:
            mine.append(row)
            seen.add((row.group, row.term))
    return {side: found[side] for side in sorted(found) if found[side]}
