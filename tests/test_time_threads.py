"""Time inside the threading (issue 14): a feed of several weeks, story chains, date-only
times, undated posts; the cheap and the full scheduled paths agree over weeks."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from helpers.fixture_posts import DAY1, WEEKS_FEED, story_of

from storythreads.analysis.describe.crossref import chain_roots, story_chains
from storythreads.analysis.ingest import read_posts
from storythreads.analysis.threading.cluster import ThreadClusterer
from storythreads.analysis.threading.timeline import decay, gap_days, time_intervals
from storythreads.config import Settings
from storythreads.pipeline import analyze, update
from storythreads.reports.render import render_json, render_markdown
from storythreads.store import Store
from storythreads.types import Post


def _partition(run) -> set[frozenset[str]]:
    return {frozenset(t.post_ids) for t in run.threads}


def _stories(posts) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for p in posts:
        groups.setdefault(story_of(p.id), set()).add(p.id)
    return {frozenset(g) for g in groups.values()}


# -- the time factor ------------------------------------------------------------------


def test_dates_cover_whole_days_and_undated_posts_are_neutral():
    day = datetime(2013, 1, 23, tzinfo=UTC)

    def post(i, when, date_only=False):
        return Post(f"p{i}", None, None, when, "t", None, "b", date_only=date_only)

    posts = [
        post(0, day, date_only=True),
        post(1, day + timedelta(days=1), date_only=True),  # the next day: touching
        post(2, day + timedelta(days=1, hours=6)),  # an instant inside that next day
        post(3, day + timedelta(days=10), date_only=True),
        post(4, None),
    ]
    gaps = gap_days(*(2 * [time_intervals(posts)]))
    assert gaps[0, 1] == 0.0 and gaps[0, 2] == pytest.approx(0.25)
    assert gaps[1, 2] == 0.0  # inside the day
    assert gaps[0, 3] == pytest.approx(9.0)
    assert np.isnan(gaps[4, 0])
    factor = decay(gaps, grace_days=1.0, half_life_days=2.0)
    assert factor[0, 1] == 1.0 and factor[4, 3] == 1.0  # within the grace; undated
    assert factor[0, 3] == pytest.approx(0.5**4)  # 9 days: 8 past the grace, 4 half-lives
    assert np.all(decay(gaps, 1.0, 0.0) == 1.0)  # half-life 0: time off


def test_the_same_words_a_month_apart_are_two_threads_unless_time_is_off():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1, 16))
    X = base + 0.05 * rng.normal(size=(8, 16))
    X = (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    at = np.array([0, 1, 2, 3, 30, 31, 32, 33], dtype=float) * 86_400 + start
    times = np.stack([at, at], axis=1)
    labels = ThreadClusterer(n_neighbors=3).fit_predict(X, times=times)
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1
    assert labels[0] != labels[4]
    assert len(set(ThreadClusterer(n_neighbors=3, time_half_life_days=0).fit_predict(
        X, times=times))) == 1  # fmt: skip
    undated = np.full_like(times, np.nan)
    assert len(set(ThreadClusterer(n_neighbors=3).fit_predict(X, times=undated))) == 1
    # the exact blockwise path for large inputs applies the same factor
    big_X = base + 0.05 * rng.normal(size=(64, 16))
    big_X = (big_X / np.linalg.norm(big_X, axis=1, keepdims=True)).astype(np.float32)
    big_times = np.repeat(times, 8, axis=0)
    dense = ThreadClusterer(n_neighbors=3).fit_predict(big_X, times=big_times)
    blocks = ThreadClusterer(n_neighbors=3, large_n=50).fit_predict(big_X, times=big_times)
    assert np.array_equal(dense, blocks)
    assert not set(dense[:32]) & set(dense[32:])  # no thread holds both months


def test_a_date_only_record_is_read_as_a_whole_day(tmp_path):
    path = tmp_path / "feed.jsonl"
    rows = [
        {"id": "a", "title": "Dated", "text": "x", "published": "2013-01-23"},
        {"id": "b", "title": "Timed", "text": "y", "published": "2013-01-23T10:00:00Z"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    posts = {p.id: p for p in read_posts([path], format="jsonl").posts}
    assert posts["a"].date_only and not posts["b"].date_only
    assert posts["a"].published == datetime(2013, 1, 23, tzinfo=UTC)


# -- threads and chains over weeks --------------------------------------------------------


def test_a_subject_back_weeks_later_is_a_new_thread_that_follows_the_old(fake_embedder):
    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    assert _partition(run) == _stories(WEEKS_FEED)
    thread_of = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    follows = {(k.src, k.dst) for k in run.links if k.kind == "follows"}
    followed = {(k.dst, k.src) for k in run.links if k.kind == "followed-by"}
    assert follows == followed
    assert (thread_of["quakelater-00"], thread_of["quake-01"]) in follows
    assert (thread_of["votelater-03"], thread_of["vote-01"]) in follows
    chained = {thread_of["quakelater-00"], thread_of["votelater-03"]}
    assert {src for src, _ in follows} == chained  # nothing else follows anything
    reason = next(k.reason for k in run.links if k.kind == "follows" and k.src in chained)
    assert "after its last post" in reason and "both name" in reason
    spans = {t.id: t.last_seen - t.first_seen for t in run.threads}
    assert max(spans.values()) < timedelta(days=3)  # no thread spans the weeks


def test_the_reports_show_the_chain(fake_embedder):
    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    thread_of = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    early, late = thread_of["quake-01"], thread_of["quakelater-00"]
    report = json.loads(render_json(run))
    chains = [c for c in report["chains"] if early in c]
    assert chains == [[early, late]]
    by_id = {t["id"]: t for t in report["threads"]}
    assert by_id[late]["chain"] == early and by_id[early]["chain"] == early
    assert {"thread_id": early, "kind": "follows"}.items() <= next(
        k for k in by_id[late]["links"] if k["kind"] == "follows").items()  # fmt: skip
    md = render_markdown(run)
    assert "## Story chains" in md
    labels = {t.id: t.label for t in run.threads}
    assert f"- Before: [{labels[early]}](#thread-{early})" in md.replace("\\", "")
    assert f"- After: [{labels[late]}](#thread-{late})" in md.replace("\\", "")


def test_chains_need_a_later_start_a_similar_subject_and_a_date():
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    vecs = np.eye(4, dtype=np.float32)
    vecs[1] = vecs[0]  # thread 1 is thread 0's subject; 2 and 3 are other subjects
    spans = [(t0, t0), (t0 + timedelta(days=20), t0 + timedelta(days=21)),
             (t0 + timedelta(days=40), t0 + timedelta(days=40)), (None, None)]  # fmt: skip
    names = [{"Izmir", "Bayrakli"}, {"Bayrakli"}, {"Izmir"}, {"Izmir"}]
    ids = ["t-1", "t-2", "t-3", "t-4"]
    links = story_chains(ids, vecs, None, spans, names, threshold=0.5)
    assert {(k.src, k.dst, k.kind) for k in links} == {
        ("t-2", "t-1", "follows"), ("t-1", "t-2", "followed-by")}  # fmt: skip
    assert "20 days after its last post" in links[0].reason or "19 days" in links[0].reason
    assert chain_roots(ids, links) == {"t-1": "t-1", "t-2": "t-1", "t-3": "t-3", "t-4": "t-4"}
    same_day = [(t0, t0), (t0 + timedelta(hours=5), t0 + timedelta(hours=6))] + spans[2:]
    assert story_chains(ids, vecs, None, same_day, names, threshold=0.5) == []
    no_names = [{"Izmir"}, {"Ankara"}, set(), set()]
    assert story_chains(ids, vecs, None, spans, no_names, threshold=0.5) == []


def _weekly(feed):
    weeks: dict[int, list[Post]] = {}
    for p in feed:
        weeks.setdefault((p.published - DAY1).days // 7, []).append(p)
    return [weeks[k] for k in sorted(weeks)]


def test_weekly_runs_match_one_full_run_over_several_weeks(tmp_path, make_fake_embedder):
    """A cron job running once a week, on the full path, on the cheap attach path over the
    whole store and on its working set (the threads within time's reach of the new posts;
    issue 26), leaves the store with the threads, ids and chains of one run over the
    whole feed."""
    batches = _weekly(WEEKS_FEED)
    assert len(batches) >= 3
    large = Settings().replace("identity", full_rethread_max_posts=4)
    results, modes, last = {}, {}, {}
    for name, settings in {
        "whole": Settings(),
        "weekly": Settings(),
        "attach": large.replace("report", window_days=0),  # no window: the whole store
        "working set": large,
    }.items():
        with Store(tmp_path / f"{name}.sqlite") as store:
            for batch in [WEEKS_FEED] if name == "whole" else batches:
                last[name] = update(store, batch, settings, make_fake_embedder())
            modes[name] = last[name].counts["mode"]
            results[name] = store.load_run()
    assert modes == {"whole": "full", "weekly": "full", "attach": "attach",
                     "working set": "working set"}  # fmt: skip
    whole = results["whole"]
    assert _partition(whole) == _stories(WEEKS_FEED)
    for name in ("weekly", "attach", "working set"):
        run = results[name]
        assert {t.id: sorted(t.post_ids) for t in run.threads} == {
            t.id: sorted(t.post_ids) for t in whole.threads
        }, name
        chain = {(k.src, k.dst) for k in run.links if k.kind == "follows"}
        whole_chain = {(k.src, k.dst) for k in whole.links if k.kind == "follows"}
        if name == "working set":
            # a story back weeks later is a new thread within the working set; its link to
            # the old one, outside the set, is made by the next whole re-threading
            assert chain < whole_chain
            with Store(tmp_path / f"{name}.sqlite") as store:
                update(store, [], large, make_fake_embedder(), rethread=True)
                run = store.load_run()
            assert {t.id: sorted(t.post_ids) for t in run.threads} == {
                t.id: sorted(t.post_ids) for t in whole.threads
            }
            chain = {(k.src, k.dst) for k in run.links if k.kind == "follows"}
        assert chain == whole_chain, name
    # the late quake posts started a thread of their own in the run that brought them
    born = {e.thread_id for e in last["weekly"].lineage if e.event == "born"}
    thread_of = {a.post_id: a.thread_id for a in whole.assignments if a.role == "primary"}
    assert thread_of["quakelater-00"] in born


def test_a_paragraph_recalling_an_old_event_is_no_also_member(fake_embedder):
    """A roundup paragraph on the Izmir quake joins the quake thread as `also` on the same
    day, but not when the roundup is a month later: it recalls the story, it is not part
    of it."""
    quake = [p for p in WEEKS_FEED if p.id.startswith("quake-")]
    vote = [p for p in WEEKS_FEED if p.id.startswith("vote-")]
    roundup_body = (
        "Ortega's win in the Valdoria presidential election was confirmed by the ballot "
        "count; turnout reached record levels, candidate Brenner conceded.\n"
        "In Izmir, rescue teams dug through earthquake rubble in Bayrakli for survivors "
        "of the magnitude 6.8 quake, as aftershocks rattled the city."
    )

    def also_links(shift_days):
        roundup = Post("roundup", "Test Wire", None, vote[-1].published + timedelta(hours=1),
                       "Valdoria election: what we know", None, roundup_body)  # fmt: skip
        later = [dataclasses.replace(p, published=p.published + timedelta(days=shift_days))
                 for p in [*vote, roundup]]  # fmt: skip
        run = analyze([*quake, *later], Settings(), fake_embedder)
        thread_of = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
        return {(a.post_id, a.thread_id) for a in run.assignments if a.role == "also"}, thread_of

    same_day, thread_of = also_links(0)
    assert ("roundup", thread_of["quake-01"]) in same_day
    month_later, thread_of = also_links(30)
    assert not any(tid == thread_of["quake-01"] for _, tid in month_later)


def test_a_thread_followed_twice_reads_as_two_lines_not_one():
    """A subject that came back twice, each time following the first thread: the report
    shows A -> B and A -> C, never A -> B -> C (B is not what C follows)."""
    from storythreads.reports.graph import chain_paths as _chain_paths
    from storythreads.types import Link, Run, Thread

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    threads = tuple(
        Thread(tid, tid, (), "", (), (), t0 + timedelta(days=d), t0 + timedelta(days=d))
        for tid, d in (("A", 0), ("B", 20), ("C", 40))
    )
    links = (Link("B", "A", "follows", 0.5, ""), Link("C", "A", "follows", 0.5, ""))
    run = Run("r", t0, t0, "x", "m", {}, (), threads, (), links)
    assert _chain_paths(run, [["A", "B", "C"]]) == [["A", "B"], ["A", "C"]]


def test_above_20k_posts_time_finds_the_neighbours_the_exact_path_finds():
    """The approximate path (cluster.APPROX_MIN) takes candidates from indexes of time
    windows too: 20 subjects back every day for 30 days, the same-day posts of a subject
    are found though most of its nearest posts over the feed are on other days."""
    from storythreads.analysis.threading.neighbours import approximate_neighbours

    rng = np.random.default_rng(0)
    base = rng.normal(size=(20, 64))
    X, at = [], []
    for day in range(30):
        for subject in range(20):
            event = base[subject] + 0.35 * rng.normal(size=64)  # that day's news
            for k in range(3):
                X.append(event + 0.25 * rng.normal(size=64))
                at.append(1.7e9 + day * 86_400 + k * 3_600)
    X = np.asarray(X, dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    times = np.stack([np.asarray(at)] * 2, axis=1)
    exact = ThreadClusterer()._neighbours(X, None, times)
    approx = approximate_neighbours(X, None, 5, 0.3, 0.0, (times, 1.0, 2.0))
    found, wanted = (
        set(zip(*approx.nonzero(), strict=True)),
        set(zip(*exact.nonzero(), strict=True)),
    )
    assert len(found & wanted) / len(wanted) >= 0.95
