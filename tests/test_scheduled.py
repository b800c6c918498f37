"""Scheduled runs: stable thread ids across days, batching and order invariance, dormancy,
report windows, and the `run` / `report` / `threads` commands over one store."""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from helpers.fixture_posts import (
    DAY1_POSTS,
    DAY2,
    DAY2_POSTS,
    POSTS,
    REVIVAL_POST,
    intended_partition,
    story_of,
    write_posts_jsonl,
)

from storythreads.cli import commands as cli
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder
from storythreads.pipeline import analyze, update
from storythreads.reports import select_window
from storythreads.store import Store


def mapping(run) -> dict[str, list[str]]:
    """thread id -> sorted primary post ids: what must not change."""
    return {t.id: sorted(t.post_ids) for t in run.threads}


def id_number(thread_id: str) -> int:
    return int(thread_id.split("-")[1])


def run_batches(path, batches, make_embedder, settings=None):
    with Store(path) as store:
        for batch in batches:
            run = update(store, batch, settings or Settings(), make_embedder())
    return run


def quarters(posts):
    n = len(posts)
    return [posts[i * n // 4 : (i + 1) * n // 4] for i in range(4)]


# -- the fixture itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    "posts",
    [POSTS, DAY1_POSTS, DAY2_POSTS, POSTS[: len(POSTS) // 4]],
    ids=["all", "day1", "day2", "first-quarter"],
)
def test_the_fake_embedder_separates_the_fixture_stories(posts, fake_embedder):
    """Guards the tests below: with default settings, one thread per story."""
    run = analyze(posts, Settings(), fake_embedder)
    assert {frozenset(t.post_ids) for t in run.threads} == intended_partition(posts)
    assert len({story_of(p.id) for p in POSTS}) == 5
    assert {story_of(p.id) for p in DAY2_POSTS} - {story_of(p.id) for p in DAY1_POSTS} == {"rates"}


# -- ids across runs ---------------------------------------------------------------------------


def test_continuing_threads_keep_their_ids_the_next_day(tmp_path, make_fake_embedder):
    with Store(tmp_path / "store.sqlite") as store:
        day1 = update(store, DAY1_POSTS, Settings(), make_fake_embedder())
        before = mapping(day1)
        day2 = update(store, DAY2_POSTS, Settings(), make_fake_embedder())
    after = mapping(day2)

    assert day2.counts["posts_new"] == len(DAY2_POSTS)
    for tid, post_ids in before.items():
        assert tid in after, tid
        assert set(post_ids) <= set(after[tid])
    assert {frozenset(p) for p in after.values()} == intended_partition(POSTS)
    new_ids = sorted(set(after) - set(before))
    assert [{story_of(p) for p in after[t]} for t in new_ids] == [{"rates"}]
    assert min(id_number(t) for t in new_ids) > max(id_number(t) for t in before)

    changes = day2.changes
    assert changes["since_run"] == day1.id
    assert changes["new_threads"] == new_ids
    day2_ids = {p.id for p in DAY2_POSTS}
    expected_updates = {
        tid: len(set(after[tid]) & day2_ids) for tid in before if set(after[tid]) & day2_ids
    }
    assert {u["id"]: u["new_posts"] for u in changes["updated_threads"]} == expected_updates
    assert len(expected_updates) == 3  # quake, vote, fire go on; transfer does not
    assert not {"merged", "split"} & set(changes)
    born = {e.thread_id for e in day2.lineage if e.event == "born"}
    assert born == set(new_ids)


def test_one_update_or_four_batches_give_the_same_threads(tmp_path, make_fake_embedder):
    whole = run_batches(tmp_path / "whole.sqlite", [POSTS], make_fake_embedder)
    batched = run_batches(tmp_path / "batched.sqlite", quarters(POSTS), make_fake_embedder)
    assert mapping(batched) == mapping(whole)
    assert {frozenset(p) for p in mapping(whole).values()} == intended_partition(POSTS)

    rng = random.Random(7)
    shuffled = []
    for batch in quarters(POSTS):
        batch = list(batch)
        rng.shuffle(batch)
        shuffled.append(batch)
    again = run_batches(tmp_path / "shuffled.sqlite", shuffled, make_fake_embedder)
    assert mapping(again) == mapping(batched)
    assert again.assignments == batched.assignments
    assert [t.label for t in again.threads] == [t.label for t in batched.threads]


def test_attaching_to_a_large_store_matches_rethreading_on_separate_stories(
    tmp_path, make_fake_embedder
):
    """The cheap path (new posts join the thread of their neighbours) gives the stories and
    ids of a full re-thread when the stories are well apart, and says which path it took."""
    attach = Settings().replace("identity", full_rethread_max_posts=4)
    full = run_batches(tmp_path / "full.sqlite", quarters(POSTS), make_fake_embedder)
    cheap = run_batches(tmp_path / "cheap.sqlite", quarters(POSTS), make_fake_embedder, attach)
    assert cheap.counts["mode"] == "working set" and full.counts["mode"] == "full"
    assert mapping(cheap) == mapping(full)
    with Store(tmp_path / "cheap.sqlite") as store:
        again = update(store, [], attach, make_fake_embedder(), rethread=True)
    assert again.counts["mode"] == "full"
    assert mapping(again) == mapping(full)


def test_one_run_does_not_depend_on_input_order(tmp_path, make_fake_embedder):
    base = run_batches(tmp_path / "a.sqlite", [POSTS], make_fake_embedder)
    shuffled = list(POSTS)
    random.Random(3).shuffle(shuffled)
    other = run_batches(tmp_path / "b.sqlite", [shuffled], make_fake_embedder)
    assert mapping(other) == mapping(base)
    assert other.assignments == base.assignments
    assert other.links == base.links


# -- dormancy -----------------------------------------------------------------------------------


def test_a_quiet_thread_goes_dormant_and_is_revived(tmp_path, make_fake_embedder):
    settings = Settings().replace("identity", dormant_hours=6)
    noon = DAY2 - timedelta(hours=12)
    morning = [p for p in POSTS if p.published < noon]
    rest = [p for p in POSTS if p.published >= noon]
    with Store(tmp_path / "store.sqlite") as store:
        first = update(store, morning, settings, make_fake_embedder())
        transfer = next(t.id for t in first.threads if story_of(t.post_ids[0]) == "transfer")
        assert {t.id: t.status for t in first.threads}[transfer] == "active"

        second = update(store, rest, settings, make_fake_embedder())
        newest = max(p.published for p in POSTS)
        for t in second.threads:  # dormant exactly when quiet for more than 6 h
            quiet = newest - t.last_seen > timedelta(hours=6)
            assert t.status == ("dormant" if quiet else "active"), t.id
        status = {t.id: t.status for t in second.threads}
        assert status[transfer] == "dormant"
        assert (transfer, "dormant") in {(e.thread_id, e.event) for e in second.lineage}
        assert transfer in second.changes["dormant"]
        assert {r["id"]: r["status"] for r in store.thread_history()}[transfer] == "dormant"

        third = update(store, [REVIVAL_POST], settings, make_fake_embedder())
        assert third.primary_thread(REVIVAL_POST.id) == transfer
        assert {t.id: t.status for t in third.threads}[transfer] == "active"
        assert (transfer, "revived") in {(e.thread_id, e.event) for e in third.lineage}
        assert transfer in third.changes["revived"]
        events = [e["event"] for r in store.thread_history() if r["id"] == transfer
                  for e in r["history"]]  # fmt: skip
        assert events[0] == "born" and "dormant" in events and events[-1] == "revived"


# -- windows -------------------------------------------------------------------------------------


def test_a_window_keeps_only_its_posts_and_threads(fake_embedder):
    run = analyze(POSTS, Settings(), fake_embedder)
    since, until = DAY2, DAY2 + timedelta(hours=12)
    window = select_window(run, since, until)
    inside = {p.id for p in POSTS if since <= p.published < until}
    assert inside and inside != {p.id for p in POSTS}
    assert {p.id for p in window.posts} == inside
    assert {pid for t in window.threads for pid in t.post_ids} == inside
    assert {t.id for t in window.threads} == {run.primary_thread(i) for i in inside}
    assert len(window.threads) < len(run.threads)  # transfer has nothing on day 2
    for t in window.threads:
        assert since <= t.first_seen <= t.last_seen < until
        assert all(c.post_id in inside for c in t.summary)
    assert {a.post_id for a in window.assignments} <= inside
    kept = {t.id for t in window.threads}
    assert all(k.src in kept and k.dst in kept for k in window.links)
    assert window.counts["posts"] == len(inside)
    assert window.counts["run_posts"] == len(run.posts)
    # the bounds are [since, until): a post exactly at `until` is out, one at `since` in
    edge = POSTS[10]
    assert edge.id in {p.id for p in select_window(run, edge.published, None).posts}
    assert edge.id not in {p.id for p in select_window(run, None, edge.published).posts}
    assert select_window(run, None, None) is run


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def fake_model(monkeypatch, make_fake_embedder):
    """No command here loads the real model."""
    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def embedded(stdout: str) -> int:
    """The number in the summary line's "(... N segments embedded)"."""
    found = re.findall(r"\b(\d+) segments embedded", stdout)
    assert len(found) == 1, stdout
    return int(found[0])


def read_report(out) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_cli_run_twice_embeds_nothing_new(runner, tmp_path, fake_model):
    data = write_posts_jsonl(tmp_path / "posts.jsonl", POSTS)
    out = tmp_path / "out"
    first = runner.invoke(cli.main, ["run", str(data), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert (out / "store.sqlite").is_file()
    assert embedded(first.stdout) > 0
    second = runner.invoke(cli.main, ["run", str(data), "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert embedded(second.stdout) == 0
    assert f"{len(POSTS)} posts ->" in second.stdout
    report = read_report(out)
    assert report["run"]["counts"]["posts_unchanged"] == len(POSTS)
    assert "no_change" in report["changes"]


def test_cli_report_rerenders_the_last_run(runner, tmp_path, fake_model):
    out, again = tmp_path / "out", tmp_path / "again"
    runner.invoke(cli.main, ["run", str(write_posts_jsonl(tmp_path / "d1.jsonl", DAY1_POSTS)),
                             "--out", str(out)])  # fmt: skip
    done = runner.invoke(
        cli.main,
        ["run", str(write_posts_jsonl(tmp_path / "d2.jsonl", DAY2_POSTS)), "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    result = runner.invoke(
        cli.main, ["report", "--store", str(out / "store.sqlite"), "--out", str(again)]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in again.iterdir()} == {
        "report.md",
        "report.json",
        "report.html",
        "archive",
        "assets",
    }
    assert read_report(again) == read_report(out)
    assert read_report(again)["changes"]["new_threads"]  # day 2 brought a new story
    key_points = read_report(again)["key_points"]  # kept in the store, not recomputed
    assert key_points and all(k["thread_id"] for k in key_points)


def test_cli_threads_lists_ids_and_history(runner, tmp_path, fake_model):
    out = tmp_path / "out"
    runner.invoke(
        cli.main, ["run", str(write_posts_jsonl(tmp_path / "p.jsonl", POSTS)), "--out", str(out)]
    )
    report = read_report(out)
    ids = [t["id"] for t in report["threads"]]
    assert len(ids) == 5

    listed = runner.invoke(cli.main, ["threads", "--store", str(out / "store.sqlite")])
    assert listed.exit_code == 0, listed.output
    for tid in ids:
        assert tid in listed.stdout
    assert listed.stdout.count("born") == len(ids)

    as_json = runner.invoke(cli.main, ["threads", "--store", str(out / "store.sqlite"), "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert all(r["history"][0]["event"] == "born" for r in rows)
    assert {r["id"]: r["posts"] for r in rows} == {
        t["id"]: len(t["posts"]) for t in report["threads"]
    }


def test_cli_report_on_a_store_without_a_run_is_exit_3(runner, tmp_path):
    path = tmp_path / "empty.sqlite"
    Store(path).close()
    result = runner.invoke(cli.main, ["report", "--store", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no run" in lines[0] and str(path) in lines[0]
    assert not (tmp_path / "o").exists()


def test_cli_run_with_a_window_reports_only_that_window(runner, tmp_path, fake_model):
    data = write_posts_jsonl(tmp_path / "p.jsonl", POSTS)
    out = tmp_path / "out"
    since, until = "2024-03-05T00:00", "2024-03-05T12:00:00+00:00"
    result = runner.invoke(
        cli.main, ["run", str(data), "--out", str(out), "--since", since, "--until", until]
    )
    assert result.exit_code == 0, result.output
    report = read_report(out)
    inside = {p.id for p in POSTS if DAY2 <= p.published < DAY2 + timedelta(hours=12)}
    assert {p["id"] for p in report["posts"]} == inside
    assert {pid for t in report["threads"] for pid in t["posts"]} == inside
    assert report["run"]["counts"]["posts"] == len(inside)
    # the store still holds every post: a later report of everything sees them all
    with Store(out / "store.sqlite") as store:
        assert len(store.load_posts()) == len(POSTS)


def test_cli_run_on_a_locked_store_is_exit_5(runner, tmp_path, fake_model):
    data = write_posts_jsonl(tmp_path / "p.jsonl", POSTS)
    path = tmp_path / "store.sqlite"
    with Store(path) as holder:
        holder.lock(0)
        result = runner.invoke(
            cli.main,
            ["run", str(data), "--out", str(tmp_path / "out"), "--store", str(path), "--wait", "0"],
        )
    assert result.exit_code == 5, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("storythreads: error: ") and "lock" in lines[0]
    assert not (tmp_path / "out").exists()
    with Store(path) as store:
        assert store.last_run_id() is None


def test_cli_run_embeds_the_new_paragraphs_while_starting_up(runner, tmp_path, monkeypatch):
    """The local engine is handed the new paragraphs before the pipeline is imported
    (jobs.prefetch); the pipeline's embedding call then collects them: one batch, of
    exactly the paragraphs no earlier run embedded."""
    from conftest import FakeEmbedder

    from storythreads.embeddings import process_engine
    from storythreads.embeddings.process_engine import ProcessEmbedder

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("the fake below is local: it reaches the child only by fork")
    monkeypatch.setattr(process_engine, "start_method", lambda: "fork")
    batches = tmp_path / "batches"

    class Logging(FakeEmbedder):
        def embed(self, texts):
            with open(batches, "a", encoding="utf-8") as fh:
                fh.write(f"{len(texts)}\n")
            return super().embed(texts)

    engines = []

    def local_engine(settings):
        engine = ProcessEmbedder(Logging)
        engine.submit = lambda texts, submit=engine.submit: (engines.append(len(texts)),
                                                            submit(texts))  # fmt: skip
        return CachedEmbedder(engine)

    monkeypatch.setattr(cli.engines, "embedder", local_engine)
    out = tmp_path / "out"
    for name, posts in (("d1", DAY1_POSTS), ("d2", DAY2_POSTS)):
        data = write_posts_jsonl(tmp_path / f"{name}.jsonl", posts)
        result = runner.invoke(cli.main, ["run", str(data), "--out", str(out)])
        assert result.exit_code == 0, result.output
    sizes = [int(n) for n in batches.read_text().split()]
    assert engines == sizes  # each run's one batch is the one submitted early
    assert sizes[1] == read_report(out)["run"]["counts"]["segments_embedded"] > 0
