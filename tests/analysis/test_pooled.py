"""The pooled comparison (issue 33): groups (or outlets) compared over the threads each pair
both covered, a term counted once per thread and side."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storythreads.analysis.compare.pooled import (
    MIN_SHARED_THREADS,
    pooled_comparison,
    pooled_voices,
    post_terms,
    top_terms,
)
from storythreads.analysis.compare.voices import QuoteRow
from storythreads.config import CompareSettings
from storythreads.types import Assignment, Post, Run, Thread

FILLER = ("council budget harbour bridge repairs summer lane direction office monday "
          "weather forecast rain wind school teachers parents market prices shops").split()  # fmt: skip
RULES = CompareSettings(min_words=20, min_docs=3)


def make_run(posts: list[Post], threads: dict[str, list[str]]) -> Run:
    when = datetime(2023, 7, 8, tzinfo=UTC)
    return Run(
        id="run-1", started=when, finished=when, settings_digest="x", model="fake", counts={},
        posts=tuple(posts),
        threads=tuple(Thread(t, t, (), t, tuple(ids), (), None, None) for t, ids in threads.items()),
        assignments=tuple(Assignment(i, t, "primary", 1.0) for t, ids in threads.items() for i in ids),
        links=(),
    )  # fmt: skip


def story(n_threads: int, left_word: str, right_word: str) -> Run:
    """Each thread told once by left and once by right; left writes `left_word` where
    right writes `right_word`, the rest alike."""
    posts, threads = [], {}
    for t in range(n_threads):
        body = " ".join(FILLER[(t + k) % len(FILLER)] for k in range(12))
        left = Post(f"l{t}", "left", None, None, f"Story {t}", None, f"{body} {left_word} story{t}")
        right = Post(f"r{t}", "right", None, None, f"Story {t}", None, f"{body} {right_word} story{t}")
        posts += [left, right]
        threads[f"t{t}"] = [left.id, right.id]
    return make_run(posts, threads)


def test_a_word_one_side_uses_across_shared_threads_is_found():
    pooled = pooled_comparison(story(40, "undocumented immigrants", "illegal aliens"), RULES)
    found = top_terms(pooled.terms, 0.05, 5)
    assert {r.term for r in found["left"]} >= {"undocumented", "undocumented immigrants"}
    assert {r.term for r in found["right"]} >= {"illegal", "illegal aliens"}
    row = next(r for r in found["right"] if r.term == "illegal aliens")
    assert (row.other, row.threads, row.other_threads, row.shared_threads) == ("left", 40, 0, 40)
    assert all(r.q_value <= 0.05 and r.z > 0 for rows in found.values() for r in rows)
    (pair,) = pooled.pairs
    assert (pair.group, pair.other, pair.shared_threads) == ("left", "right", 40)
    assert pair.tested_terms == len(pooled.terms)
    # words both sides share are tested and do not pass
    assert any(r.term == "council" and r.q_value > 0.05 for r in pooled.terms)


def test_one_thread_cannot_carry_a_term_alone():
    run = story(10, "the", "the")
    posts = list(run.posts)
    posts[0] = Post("l0", "left", None, None, "Story 0", None, posts[0].body + " tariff" * 200)
    pooled = pooled_comparison(make_run(posts, {t.id: list(t.post_ids) for t in run.threads}), RULES)
    assert not [r for r in pooled.terms if r.term == "tariff"]  # in one thread: not tested
    assert not pooled.significant(0.05)


def test_pairs_that_share_too_few_threads_are_counted_not_compared():
    pooled = pooled_comparison(story(MIN_SHARED_THREADS - 1, "alpha", "beta"), RULES)
    assert pooled.terms == () and pooled.pairs[0].tested_terms == 0


def test_terms_are_words_and_two_word_phrases():
    post = Post("p", "x", None, None, "Illegal aliens", None, "crossed the border")
    assert post_terms(post) == [
        "illegal", "aliens", "crossed", "border", "illegal aliens", "aliens crossed",
        "crossed border",
    ]  # fmt: skip


def test_agenda_finds_the_thread_a_side_covered_more():
    posts, threads = [], {}
    for t in range(10):
        ids = []
        for side in ("left", "right"):
            k = 30 if (t == 0 and side == "left") else 2
            for i in range(k):
                posts.append(Post(f"{side}{t}-{i}", side, None, None, f"S{t}", None, "text here"))
                ids.append(posts[-1].id)
        threads[f"t{t}"] = ids
    pooled = pooled_comparison(make_run(posts, threads), RULES)
    more = [r for r in pooled.agenda if r.q_value <= 0.05]
    assert [(r.thread_id, r.group) for r in more] == [("t0", "left")]
    assert more[0].posts == 30 and more[0].expected == 16  # 32 posts x left's share elsewhere


def test_median_lag_interval_is_distribution_free_and_needs_enough_threads():
    from storythreads.analysis.compare.stats import median_interval

    assert median_interval([5.0] * 5) is None  # 5 threads cannot give a 95 % interval
    assert median_interval([float(v) for v in range(20)]) == (5.0, 14.0)  # x(6), x(15)
    assert median_interval([float(v) for v in range(100)]) == (39.0, 60.0)  # x(40), x(61)


def quote(thread: str, side: str, speaker: str, kind: str = "person") -> QuoteRow:
    return QuoteRow(f"{side}-{thread}", side, thread, speaker, kind, "said", "words", True, 0, 5)


def test_whom_each_side_quotes_more_is_pooled_over_shared_threads():
    rows = []
    for t in range(30):
        rows += [quote(f"t{t}", "left", "Maria Lopez" if t % 2 else "Lopez"),
                 quote(f"t{t}", "right", "John Smith"), quote(f"t{t}", "left", "police", "organisation"),
                 quote(f"t{t}", "right", "police", "organisation")]  # fmt: skip
    rows += [quote("t0", "right", "he"), quote("t1", "right", "the mask", "other")]
    found = top_terms(pooled_voices(rows, RULES), 0.05, 5)
    # one person across threads, under the full name used most; counted once per thread
    assert [(r.term, r.threads, r.other_threads) for r in found["left"]] == [("Maria Lopez", 30, 0)]
    assert [r.term for r in found["right"]] == ["John Smith"]
    tested = {r.term for r in pooled_voices(rows, RULES)}
    assert "police" in tested  # quoted by both: tested, not significant
    assert not tested & {"he", "the mask"}  # no pronoun that named nobody, no thing


def test_sides_that_share_too_few_threads_are_not_compared_for_voices():
    rows = [quote(f"t{t}", "left", "Lopez") for t in range(5)]
    rows += [quote("t0", "right", "Smith")]
    assert pooled_voices(rows, RULES) == ()


def test_the_longer_side_is_not_found_to_use_a_word_for_writing_more():
    """A group of three outlets uses a common word in more threads than one outlet, only
    because it writes three times the words: the test weighs each thread by its length."""
    posts, threads = [], {}
    for t in range(60):
        body = " ".join(FILLER[(t + k) % len(FILLER)] for k in range(12))
        ids = []
        for k in range(3):
            word = " alpha" if (t * 3 + k) % 10 < 3 else ""
            posts.append(Post(f"a{t}-{k}", "trio", None, None, f"Story {t}", None,
                              f"{body}{word} story{t}"))  # fmt: skip
            ids.append(f"a{t}-{k}")
        word = " alpha" if t % 10 < 3 else ""
        posts.append(Post(f"b{t}", "solo", None, None, f"Story {t}", None, f"{body}{word} story{t}"))
        threads[f"t{t}"] = [*ids, f"b{t}"]
    rows = {r.term: r for r in pooled_comparison(make_run(posts, threads), RULES).terms}
    alpha = rows["alpha"]
    used = {alpha.group: alpha.threads, alpha.other: alpha.other_threads}
    assert used == {"trio": 30, "solo": 18}  # the trio used it in far more threads
    assert alpha.q_value > 0.05 and alpha.paired_q > 0.05  # no more than its length predicts
    share = 0.75 if alpha.group == "trio" else 0.25  # its share of each thread's words
    assert alpha.expected_threads == pytest.approx(share * alpha.discordant_threads, rel=0.05)


def test_a_discordant_thread_count_is_what_the_test_reads():
    rows = {r.term: r for r in pooled_comparison(story(40, "undocumented", "illegal"), RULES).terms}
    row = rows["illegal"]
    assert (row.group, row.discordant_threads, row.threads, row.other_threads) == ("right", 40, 40, 0)
    assert row.expected_threads == pytest.approx(20, rel=0.1)  # equal lengths: half each
    assert row.log_odds > 0 and row.z > 0 and row.paired_z > 0
