"""Extractive summaries that cite their posts, and explained links between threads."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from storythreads.analysis.describe.crossref import cross_reference
from storythreads.analysis.describe.summarize import summarize_thread
from storythreads.analysis.threading.segment import segment_post
from storythreads.types import Post

COPIED = (
    "The Pentagon confirmed that cluster munitions will be sent to Ukraine in a new aid package."
)


def at(hour: int) -> datetime:
    return datetime(2023, 7, 8, hour, tzinfo=UTC)


POSTS = [
    # given out of time order on purpose
    Post("p-late", None, None, at(15), "Russia reacts", "Ann",
         f"Moscow called the decision an act of desperation by the Biden administration today. "
         f"{COPIED} Short one here."),
    Post("p-early", None, None, at(9), "US to send cluster munitions", "Bob",
         f"{COPIED} Human rights groups warned that unexploded bomblets endanger civilians for "
         "decades.\n\nHere's what officials told reporters on the record:\n\n"
         "• Sunak said Britain opposes the use of such weapons under the convention it signed."),
    Post("p-mid", None, None, at(12), "Allies split", None,
         "Germany and Spain said they would not supply the weapons themselves but understood "
         "the decision. Critics in Congress asked how the munitions would be tracked on the "
         "front line."),
]  # fmt: skip
BY_ID = {p.id: p for p in POSTS}


@pytest.fixture
def segments():
    return [s for p in POSTS for s in segment_post(p)]


def scores_for(segments, boost: str = COPIED):
    """Segments holding ``boost`` are the most central; the rest are middling."""
    return {s.id: (0.95 if boost in s.text else 0.3) for s in segments}


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_at_most_n_sentences_each_quoted_from_its_cited_post(segments, n):
    summary = summarize_thread(segments, scores_for(segments), BY_ID, n)
    assert 1 <= len(summary) <= n
    for citation in summary:
        own = [s.text for s in segments if s.post_id == citation.post_id and s.kind != "title"]
        assert any(citation.text in text for text in own), citation
        post = BY_ID[citation.post_id]
        assert (citation.published, citation.byline) == (post.published, post.byline)


def test_summary_is_in_time_order(segments):
    summary = summarize_thread(segments, scores_for(segments), BY_ID, 4)
    keys = [BY_ID[c.post_id].sort_key for c in summary]
    assert keys == sorted(keys)
    assert len({c.post_id for c in summary}) >= 2


def test_near_identical_sentences_are_not_both_picked(segments):
    summary = summarize_thread(segments, scores_for(segments), BY_ID, 3)
    texts = [c.text for c in summary]
    assert sum(COPIED in t for t in texts) == 1, texts
    assert len(set(texts)) == len(texts)


def test_the_central_posts_lead_comes_first_then_time_order(segments):
    summary = summarize_thread(segments, scores_for(segments), BY_ID, 4, central="p-mid")
    assert summary[0].post_id == "p-mid" and summary[0].text.startswith("Germany and Spain")
    keys = [BY_ID[c.post_id].sort_key for c in summary[1:]]
    assert keys == sorted(keys)


def test_a_reworded_sentence_is_no_second_summary_line():
    """Outlets rewrite one wire sentence: a near-duplicate (TF-IDF cosine >= 0.8) of a
    chosen sentence is never chosen too, however central."""
    reworded = (
        "The Pentagon confirmed on Friday that cluster munitions will be sent to Ukraine in "
        "a new aid package."
    )
    posts = {
        "a": Post("a", None, None, at(9), "T", None, f"{COPIED} Critics in Congress asked "
                  "how the munitions would be tracked on the front line."),
        "b": Post("b", None, None, at(10), "T", None, reworded),
    }  # fmt: skip
    segs = [s for p in posts.values() for s in segment_post(p)]
    summary = summarize_thread(segs, {s.id: 0.9 for s in segs}, posts, 3)
    assert sum("cluster munitions will be sent" in c.text for c in summary) == 1


def test_titles_short_sentences_and_lead_ins_are_never_picked(segments):
    summary = summarize_thread(segments, scores_for(segments), BY_ID, 10)
    texts = [c.text for c in summary]
    assert not any(t in {p.title for p in POSTS} for t in texts)
    assert "Short one here." not in texts
    assert not any(t.endswith(":") for t in texts)


def test_no_candidates_gives_an_empty_summary():
    post = Post("p-x", None, None, at(9), "Only a title", None, "Too short.")
    segs = segment_post(post)
    assert summarize_thread(segs, {s.id: 1.0 for s in segs}, {"p-x": post}, 3) == []


# --- cross_reference ---------------------------------------------------------------------


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def links():
    centroids = np.stack([unit(1, 0.2, 0), unit(1, 0, 0), unit(0, 0, 1)])  # a~b, c apart
    names = [{"Zelensky", "Kyiv"}, {"Biden"}, {"Zelensky", "Ankara"}]
    shared_posts = {("b", "c"): ["p-7"]}
    return cross_reference(["a", "b", "c"], centroids, names, shared_posts, threshold=0.45)


def test_links_are_symmetric(links):
    as_tuples = {(k.src, k.dst, k.kind, k.score, k.reason) for k in links}
    for src, dst, kind, score, reason in as_tuples:
        assert (dst, src, kind, score, reason) in as_tuples
    assert len(links) == len(as_tuples)


def test_no_self_links(links):
    assert links
    assert all(k.src != k.dst for k in links)


def test_each_kind_and_its_reason(links):
    kinds = {(k.src, k.dst): set() for k in links}
    for k in links:
        kinds[(k.src, k.dst)].add(k.kind)
    assert kinds[("a", "b")] == {"similar"}
    assert kinds[("a", "c")] == {"shared-entity"}
    assert kinds[("b", "c")] == {"shared-post"}
    reasons = {(k.src, k.dst, k.kind): k.reason for k in links}
    assert "Zelensky" in reasons[("a", "c", "shared-entity")]
    assert "Kyiv" not in reasons[("a", "c", "shared-entity")]  # only what both mention
    assert "p-7" in reasons[("c", "b", "shared-post")]
    assert "0.98" in reasons[("a", "b", "similar")]


def test_similar_only_at_or_above_threshold():
    centroids = np.stack([unit(1, 0), unit(1, 1)])  # cosine 0.7071
    empty = [set(), set()]
    above = cross_reference(["a", "b"], centroids, empty, {}, threshold=0.70)
    below = cross_reference(["a", "b"], centroids, empty, {}, threshold=0.72)
    assert {k.kind for k in above} == {"similar"} and len(above) == 2
    assert above[0].score == pytest.approx(0.7071, abs=1e-4)
    assert below == []


def test_names_most_threads_share_do_not_link():
    centroids = np.eye(4, dtype=np.float32)
    names = [{"Ukraine", "Lyman"}, {"Ukraine", "Lyman"}, {"Ukraine"}, {"Ukraine", "Vilnius"}]
    links = cross_reference(["a", "b", "c", "d"], centroids, names, {}, threshold=0.45)
    assert {(k.src, k.dst) for k in links} == {("a", "b"), ("b", "a")}
    assert all("Ukraine" not in k.reason for k in links)


def test_fewer_than_two_threads_have_no_links():
    assert cross_reference(["a"], np.eye(1, dtype=np.float32), [{"X"}], {}) == []
    assert cross_reference([], np.zeros((0, 3), dtype=np.float32), [], {}) == []
