"""The data out (issue 33): report.json says which window it shows and where the rest is;
`run --window all` reports every thread; `export` writes every post with its thread."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
from click.testing import CliRunner
from helpers.fixture_posts import WEEKS_FEED, write_posts_jsonl

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch, make_fake_embedder):
    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    """Three weeks of posts as a JSONL input file."""
    root = tmp_path_factory.mktemp("weeks")
    feed = write_posts_jsonl(root / "feed.jsonl", WEEKS_FEED)
    return root, feed


def run(*args: str):
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_the_report_says_its_window_and_all_shows_every_thread(weeks, tmp_path):
    _root, feed = weeks
    run("run", str(feed), "--out", str(tmp_path / "recent"))
    recent = json.loads((tmp_path / "recent" / "report.json").read_text(encoding="utf-8"))
    window = recent["window"]
    assert window["kind"] == "recent" and window["days"] == 7.0
    assert window["threads_archived"] > 0 and window["threads_shown"] == len(recent["threads"])
    assert window["posts_shown"] == len(recent["posts"]) < window["run_posts"] == len(WEEKS_FEED)
    assert "storythreads export" in window["rest"]
    run("run", str(feed), "--out", str(tmp_path / "all"), "--window", "all")
    every = json.loads((tmp_path / "all" / "report.json").read_text(encoding="utf-8"))
    assert every["window"]["kind"] == "all" and every["window"]["threads_archived"] == 0
    assert len(every["threads"]) == window["threads_shown"] + window["threads_archived"]
    assert len(every["posts"]) == len(WEEKS_FEED)


def test_export_writes_every_post_with_its_thread(weeks, tmp_path):
    _root, feed = weeks
    out = tmp_path / "out"
    run("run", str(feed), "--out", str(out))
    result = run("export", "--store", str(out / "store.sqlite"), "--out", str(tmp_path / "x"))
    assert "posts.csv" in result.output and "threads.jsonl" in result.output
    with sqlite3.connect(out / "store.sqlite") as db:
        sql = "SELECT post_id, thread_id FROM assignments WHERE role = 'primary'"
        primary = dict(db.execute(sql))
        threads = {row[0] for row in db.execute("SELECT id FROM threads")}
        n_links = db.execute("SELECT COUNT(*) FROM links").fetchone()[0]
    with open(tmp_path / "x" / "posts.csv", encoding="utf-8") as fh:
        posts = list(csv.DictReader(fh))
    assert len(posts) == len(WEEKS_FEED) and {p["id"] for p in posts} == {p.id for p in WEEKS_FEED}
    assert {p["id"]: p["thread_id"] for p in posts if p["thread_id"]} == primary
    assert all(isinstance(json.loads(p["also"]), list) for p in posts)
    lines = (tmp_path / "x" / "threads.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert {r["id"] for r in rows} == threads and all(isinstance(r["keywords"], list) for r in rows)
    assert sum(r["posts"] for r in rows) == len(primary)
    with open(tmp_path / "x" / "links.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == n_links
    pq = pytest.importorskip("pyarrow.parquet")
    assert pq.read_table(tmp_path / "x" / "posts.parquet").num_rows == len(WEEKS_FEED)


def test_export_of_a_file_that_is_no_store_is_one_line(tmp_path):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("not a database", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["export", "--store", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == 3, result.output
    assert not (tmp_path / "posts.csv").exists()


def test_a_bad_window_is_a_usage_error(weeks, tmp_path):
    _root, feed = weeks
    args = ["run", str(feed), "--out", str(tmp_path), "--window", "soon"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 2 and "'soon' is not a number of days" in result.output


def test_a_large_file_is_written_in_bounded_memory(tmp_path):
    """Files are written as their chunks come, about a megabyte at a time: 64 MB of CSV in
    64 kB blocks (what export's CSV writer yields) never sits in memory whole."""
    import tracemalloc

    from storythreads.reports.files import write_all_atomic

    block = "x" * (1 << 16)

    def blocks():
        for _ in range(1024):
            yield block

    tracemalloc.start()
    write_all_atomic([(tmp_path / "big.csv", blocks())], durable=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (tmp_path / "big.csv").stat().st_size == 1 << 26
    assert peak < 8 << 20
