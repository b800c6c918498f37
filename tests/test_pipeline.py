"""analyze() end to end with the fake embedder: consistent, order-free, cache-aware."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from storythreads.analysis.ingest import read_posts
from storythreads.analysis.threading.segment import segment_posts
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder
from storythreads.pipeline import analyze
from storythreads.reports import report_dict
from storythreads.types import Post

# floor 0.3 (default): one thread; 0.35: three threads with `also` links; 0.5: singletons
FLOORS = [0.3, 0.35, 0.5]


@pytest.fixture
def seed_posts(seed_path) -> tuple[Post, ...]:
    return read_posts([seed_path]).posts


def settings_with(floor: float) -> Settings:
    return Settings().replace("cluster", floor=floor)


def thread_view(run):
    return [
        (t.id, t.post_ids, t.also_post_ids, t.label, t.keyphrases, t.headline,
         tuple(c.text for c in t.summary), tuple(c.post_id for c in t.summary))
        for t in run.threads
    ]  # fmt: skip


def without_times(report: dict) -> dict:
    report = dict(report)
    report["run"] = {k: v for k, v in report["run"].items() if k not in {"started", "finished"}}
    return report


def test_seed_posts_fixture_reads_the_bundled_blog(seed_path, seed_posts):
    assert seed_path.name == "cnn-liveblog-2023-07-08.txt"
    assert len(seed_posts) == 9


@pytest.mark.parametrize("floor", FLOORS)
def test_every_post_has_exactly_one_primary(seed_posts, fake_embedder, floor):
    run = analyze(seed_posts, settings_with(floor), fake_embedder)
    primaries = Counter(a.post_id for a in run.assignments if a.role == "primary")
    assert set(primaries) == {p.id for p in seed_posts}
    assert set(primaries.values()) == {1}
    for t in run.threads:
        for pid in t.post_ids:
            assert run.primary_thread(pid) == t.id
    # `also` never points back at the post's own thread, and matches the thread lists
    also = {(a.post_id, a.thread_id) for a in run.assignments if a.role == "also"}
    assert all(run.primary_thread(pid) != tid for pid, tid in also)
    assert also == {(pid, t.id) for t in run.threads for pid in t.also_post_ids}
    assert all(a.segment_ids for a in run.assignments if a.role == "also")


@pytest.mark.parametrize("floor", FLOORS)
def test_thread_ids_unique_and_numbered_by_first_post(seed_posts, fake_embedder, floor):
    run = analyze(seed_posts, settings_with(floor), fake_embedder)
    ids = [t.id for t in run.threads]
    assert len(ids) == len(set(ids))
    by_id = {p.id: p for p in run.posts}
    first_post = {t.id: min(by_id[pid].sort_key for pid in t.post_ids) for t in run.threads}
    assert sorted(ids) == sorted(ids, key=first_post.get)
    sizes = [len(t.post_ids) + len(t.also_post_ids) for t in run.threads]
    assert sizes == sorted(sizes, reverse=True)  # most active first


@pytest.mark.parametrize("floor", FLOORS)
def test_run_counts_are_consistent(seed_posts, fake_embedder, floor):
    settings = settings_with(floor)
    run = analyze(seed_posts, settings, CachedEmbedder(fake_embedder))
    c = run.counts
    segments = segment_posts(seed_posts, settings.segment)
    assert c["posts"] == len(run.posts) == 9
    assert c["segments"] == len(segments)
    assert c["segments_embedded"] == len({s.text for s in segments}) == fake_embedder.texts_embedded
    assert c["threads"] == len(run.threads) >= 1
    assert c["single_post_threads"] == sum(len(t.post_ids) == 1 for t in run.threads)
    assert c["unthreaded"] == len(run.unthreaded) == 0
    assert c["skipped_records"] == 0
    assert sum(len(t.post_ids) for t in run.threads) + c["unthreaded"] == c["posts"]
    assert run.settings_digest == settings.digest()
    assert run.model == "fake"
    assert run.started <= run.finished


@pytest.mark.parametrize("floor", FLOORS)
def test_input_order_does_not_matter(seed_posts, make_fake_embedder, floor):
    settings = settings_with(floor)
    base = analyze(seed_posts, settings, make_fake_embedder())
    shuffled = list(seed_posts)
    random.Random(floor).shuffle(shuffled)
    for order in (list(reversed(seed_posts)), shuffled):
        other = analyze(order, settings, make_fake_embedder())
        assert other.id == base.id
        assert thread_view(other) == thread_view(base)
        assert other.assignments == base.assignments
        assert other.links == base.links
        assert without_times(report_dict(other)) == without_times(report_dict(base))


def test_floors_give_different_threadings(seed_posts, make_fake_embedder):
    """Guards the parametrisation above: the three settings exercise different shapes."""
    shapes = {
        floor: sorted(len(t.post_ids) for t in analyze(
            seed_posts, settings_with(floor), make_fake_embedder()).threads)
        for floor in FLOORS
    }  # fmt: skip
    assert len({tuple(s) for s in shapes.values()}) == 3


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(seed_posts, fake_embedder, n):
    run = analyze(seed_posts[:n], Settings(), fake_embedder)
    assert run.counts["posts"] == n
    assert len(run.threads) in ({0} if n == 0 else set(range(1, n + 1)))
    assert {a.post_id for a in run.assignments if a.role == "primary"} == {
        p.id for p in seed_posts[:n]
    }
    report = report_dict(run)
    assert len(report["posts"]) == n
    if n == 0:
        assert run.threads == () and run.links == () and run.assignments == ()


def test_post_without_text_is_unthreaded(seed_posts, fake_embedder):
    empty = Post("p-empty", None, None, datetime(2023, 7, 8, 12, tzinfo=UTC), "", None, "")
    blank = Post("p-blank", None, None, None, "  ", None, "\n \n")
    run = analyze([*seed_posts, empty, blank], Settings(), fake_embedder)
    assert set(run.unthreaded) == {"p-empty", "p-blank"}
    assert run.counts["unthreaded"] == 2
    assert run.primary_thread("p-empty") is None
    assert not any(a.post_id in {"p-empty", "p-blank"} for a in run.assignments)
    assert not any(pid in {"p-empty", "p-blank"} for t in run.threads for pid in t.post_ids)
    assert report_dict(run)["unthreaded"] == list(run.unthreaded)


def test_only_empty_posts(fake_embedder):
    empty = Post("p-empty", None, None, None, "", None, "")
    run = analyze([empty], Settings(), fake_embedder)
    assert run.unthreaded == ("p-empty",)
    assert run.threads == ()


def test_a_reused_cache_embeds_nothing_the_second_time(seed_posts, fake_embedder):
    cached = CachedEmbedder(fake_embedder)
    first = analyze(seed_posts, Settings(), cached)
    calls = len(fake_embedder.calls)
    second = analyze(list(reversed(seed_posts)), Settings(), cached)
    assert first.counts["segments_embedded"] > 0
    assert second.counts["segments_embedded"] == 0
    assert len(fake_embedder.calls) == calls
    assert thread_view(second) == thread_view(first)


def test_one_edited_post_embeds_only_its_changed_segments(seed_posts, fake_embedder):
    cached = CachedEmbedder(fake_embedder)
    analyze(seed_posts, Settings(), cached)
    edited = replace(seed_posts[0], body=seed_posts[0].body + "\n\nA brand new closing paragraph.")
    run = analyze([edited, *seed_posts[1:]], Settings(), cached)
    assert 1 <= run.counts["segments_embedded"] <= 2


def test_duplicate_ids_do_not_make_the_result_order_dependent(seed_posts, make_fake_embedder):
    twin = replace(seed_posts[0], title="A different headline", body="Different text entirely.")
    a = analyze([seed_posts[0], twin], Settings(), make_fake_embedder())
    b = analyze([twin, seed_posts[0]], Settings(), make_fake_embedder())
    assert a.posts == b.posts


@pytest.fixture
def naming_forked(monkeypatch):
    """Large-run naming on the seed: a forked child loads spaCy and names the threads."""
    from storythreads import forked
    from storythreads.analysis.language import nlp
    from storythreads.pipeline import words as _words

    if not forked.can_fork():
        pytest.skip("no fork here")
    children = []

    class Recorded(forked.Forked):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            children.append(self.pid)

    monkeypatch.setattr(_words, "NAME_FORKED_FROM", 0)
    monkeypatch.setattr(nlp, "loaded", lambda: False)  # as if this process had not
    monkeypatch.setattr(forked, "Forked", Recorded)
    return children


def test_names_made_in_a_forked_child_are_the_names_made_here(
    seed_posts, fake_embedder, naming_forked
):
    forked_run = analyze(seed_posts, settings_with(0.35), fake_embedder)
    assert len(naming_forked) == 1
    import storythreads.pipeline.words as words

    words.NAME_FORKED_FROM = 10**9  # named here now (the fixture's monkeypatch restores it)
    local_run = analyze(seed_posts, settings_with(0.35), fake_embedder)
    assert len(naming_forked) == 1  # no second child
    assert thread_view(forked_run) == thread_view(local_run)
    assert len({t.label for t in local_run.threads}) == len(local_run.threads) > 1


def test_without_spacy_the_forked_namer_leaves_keyword_labels(
    seed_posts, fake_embedder, naming_forked, monkeypatch
):
    from storythreads.analysis.language import nlp
    from storythreads.errors import NlpModelError

    def missing(name=None):
        raise NlpModelError("spaCy pipeline 'x' is not installed")

    monkeypatch.setattr(nlp, "load_nlp", missing)
    run = analyze(seed_posts, settings_with(0.35), fake_embedder)
    keywords = analyze(seed_posts, settings_with(0.35).replace("report", names="keywords"),
                       fake_embedder)  # fmt: skip
    assert len(naming_forked) == 1
    assert [t.label for t in run.threads] == [t.label for t in keywords.threads]


def test_words_counted_in_a_forked_child_give_the_same_run(seed_posts, fake_embedder, monkeypatch):
    from storythreads import forked
    from storythreads.pipeline import words as _words

    if not forked.can_fork():
        pytest.skip("no fork here")
    here = analyze(seed_posts, settings_with(0.35), fake_embedder)
    children = []

    class Recorded(forked.Forked):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            children.append(kwargs.get("what"))

    monkeypatch.setattr(forked, "Forked", Recorded)
    monkeypatch.setattr(_words, "COUNT_FORKED_FROM", 0)
    there = analyze(seed_posts, settings_with(0.35), fake_embedder)
    assert children == ["counting words"]
    assert thread_view(there) == thread_view(here)
    assert [(a.post_id, a.thread_id, a.role) for a in there.assignments] == [
        (a.post_id, a.thread_id, a.role) for a in here.assignments
    ]
    assert any(a.role == "also" for a in here.assignments)  # the counts were used
