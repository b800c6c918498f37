"""The SQLite store: schema migrations, the vector cache, the run lock, and what `update`
writes (idempotent reruns, edits, a run read back for `storythreads report`)."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time

import numpy as np
import pytest
from helpers.fixture_posts import DAY1_POSTS, POSTS

from storythreads.config import Settings
from storythreads.errors import StoreError, StoreLockedError
from storythreads.pipeline import update
from storythreads.reports import report_dict
from storythreads.store import MIGRATIONS, Store
from storythreads.types import Problem

RESULT_TABLES = ("threads", "assignments", "links")


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite") as opened:
        yield opened


def table(store: Store, name: str) -> list[tuple]:
    """Every row of a table, in a fixed order."""
    columns = [row[1] for row in store.db.execute(f"PRAGMA table_info({name})")]
    order = ", ".join(columns)
    return store.db.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()


def mapping(run) -> dict[str, list[str]]:
    return {t.id: sorted(t.post_ids) for t in run.threads}


# -- schema --------------------------------------------------------------------------


def test_a_new_store_has_the_latest_schema_in_wal_mode(store):
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"posts", "segments", "vectors", "threads", "assignments", "runs"} <= names


def test_reopening_a_store_applies_no_migration_twice(tmp_path):
    path = tmp_path / "store.sqlite"
    Store(path).close()
    with Store(path) as again:  # a second CREATE TABLE would raise
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer") as info:
        Store(path)
    assert str(path) in str(info.value)
    assert not isinstance(info.value, StoreLockedError)


def test_a_directory_is_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="directory") as info:
        Store(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_a_file_that_is_not_sqlite_is_a_store_error(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"this is not a database, just some text " * 50)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert str(path) in str(info.value)


def test_a_store_below_a_regular_file_is_a_store_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError) as info:  # not a FileExistsError from mkdir
        Store(blocker / "store.sqlite")
    assert str(blocker) in str(info.value)


def test_a_store_created_by_another_process_meanwhile_opens(tmp_path, monkeypatch):
    """Two runs start on a new store: this one reads user_version 0, the other migrates."""
    path = tmp_path / "store.sqlite"
    original = Store.transaction
    raced = []

    def transaction(self):
        if not raced:
            raced.append(True)
            Store(path).close()  # the other process wins the race right here
        return original(self)

    monkeypatch.setattr(Store, "transaction", transaction)
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert raced


def test_opening_a_new_store_waits_for_another_writer(tmp_path):
    path = tmp_path / "store.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # a write in progress, as while another run migrates
    other.execute("CREATE TABLE scratch (a)")
    timer = threading.Timer(0.5, other.execute, ["COMMIT"])
    timer.start()
    try:
        with Store(path) as store:
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
            assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        timer.join()
        other.close()


# -- the vector cache ------------------------------------------------------------------


def test_vectors_round_trip_exactly(store):
    rng = np.random.default_rng(0)
    items = {f"sha{i}": rng.standard_normal(7).astype(np.float32) for i in range(3)}
    items["odd"] = np.array([1e-38, -0.0, np.pi, 3.4e38], dtype=np.float32)
    store.put_vectors("model-a", items)
    got = store.get_vectors("model-a", [*items, "missing"])
    assert set(got) == set(items)
    for sha, vec in items.items():
        assert got[sha].dtype == np.float32
        assert np.array_equal(got[sha], vec)
    assert store.get_vectors("model-b", list(items)) == {}  # keyed by model too


def test_many_vectors_are_read_in_chunks(store):
    items = {f"{i:04d}": np.full(2, i, np.float32) for i in range(1203)}
    store.put_vectors("m", items)
    got = store.get_vectors("m", list(items))
    assert len(got) == 1203
    assert all(got[sha][0] == int(sha) for sha in items)


# -- the run lock ----------------------------------------------------------------------


def test_the_lock_keeps_a_second_run_out_until_released(tmp_path):
    path = tmp_path / "store.sqlite"
    with Store(path) as a, Store(path) as b:
        a.lock(0)
        start = time.monotonic()
        with pytest.raises(StoreLockedError, match="lock") as info:
            b.lock(0)
        assert time.monotonic() - start < 0.5
        assert str(path) in str(info.value)
        assert info.value.exit_code == 5

        start = time.monotonic()
        with pytest.raises(StoreLockedError):
            b.lock(wait=1.0)
        assert 0.95 <= time.monotonic() - start < 2.0

        a.unlock()
        b.lock(0)  # now free
        with pytest.raises(StoreLockedError):
            a.lock(0)


def test_closing_a_store_releases_its_lock(tmp_path):
    path = tmp_path / "store.sqlite"
    a = Store(path)
    a.lock(0)
    a.close()
    with Store(path) as b:
        b.lock(0)
        b.lock(0)  # taking it again in the same store is a no-op


# -- update: idempotent reruns, edits ------------------------------------------------------


def test_a_second_update_with_the_same_posts_changes_nothing(store, make_fake_embedder):
    first_model = make_fake_embedder()
    first = update(store, POSTS, Settings(), first_model)
    assert first.counts["segments_embedded"] == first_model.texts_embedded > 0
    assert first.counts["posts_new"] == len(POSTS)
    assert first.changes["since_run"] == "none (first run)"
    after_first = {name: table(store, name) for name in RESULT_TABLES}

    second_model = make_fake_embedder()
    second = update(store, list(reversed(POSTS)), Settings(), second_model)
    assert second.counts["segments_embedded"] == 0
    assert second_model.calls == []
    assert second.counts["posts_unchanged"] == len(POSTS)
    assert second.counts["posts_new"] == 0
    assert second.counts["posts_updated"] == 0
    assert mapping(second) == mapping(first)
    assert second.assignments == first.assignments
    assert {name: table(store, name) for name in RESULT_TABLES} == after_first
    assert "no_change" in second.changes
    assert second.changes["since_run"] == first.id
    assert not {"new_threads", "updated_threads", "merged", "split"} & set(second.changes)
    assert [r[0] for r in store.db.execute("SELECT id FROM runs ORDER BY seq")] == [
        first.id,
        second.id,
    ]


def test_an_update_with_only_old_posts_reuses_the_stored_ones(store, make_fake_embedder):
    first = update(store, POSTS, Settings(), make_fake_embedder())
    again = update(store, POSTS[:3], Settings(), make_fake_embedder())
    assert len(again.posts) == len(POSTS)  # the store remembers the rest
    assert mapping(again) == mapping(first)
    assert again.counts["posts_unchanged"] == 3


def test_an_edited_post_keeps_its_id_and_its_thread(store, make_fake_embedder):
    first = update(store, POSTS, Settings(), make_fake_embedder())
    old = POSTS[3]
    edited = dataclasses.replace(old, body=old.body + " Officials corrected an earlier figure.")
    model = make_fake_embedder()
    run = update(store, [edited], Settings(), model)

    assert run.counts["posts_updated"] == 1
    assert run.counts["posts_new"] == 0
    assert 1 <= run.counts["segments_embedded"] == model.texts_embedded <= 2
    assert run.primary_thread(old.id) == first.primary_thread(old.id)
    assert mapping(run) == mapping(first)
    assert [p for p in run.posts if p.id == old.id] == [edited]

    edits = store.db.execute(
        "SELECT post_id, run_id, old_sha, new_sha, old_body FROM post_edits"
    ).fetchall()
    assert edits == [(old.id, run.id, old.content_sha, edited.content_sha, old.body)]
    body, sha = store.db.execute(
        "SELECT body, content_sha FROM posts WHERE id = ?", (old.id,)
    ).fetchone()
    assert (body, sha) == (edited.body, edited.content_sha)
    assert store.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == len(POSTS)
    # the stored segments are the new text's, not both versions
    texts = [
        r[0] for r in store.db.execute("SELECT text FROM segments WHERE post_id = ?", (old.id,))
    ]
    assert any("corrected an earlier figure" in t for t in texts)
    assert not any(t == old.body for t in texts)


def test_a_corrected_publication_time_is_stored(store, make_fake_embedder):
    """Same text, new time and url: the run uses them, so the store must keep them too."""
    update(store, POSTS, Settings(), make_fake_embedder())
    old = POSTS[0]
    moved = dataclasses.replace(old, published=old.published.replace(minute=59), url=None)
    run = update(store, [moved], Settings(), make_fake_embedder())
    assert [p for p in run.posts if p.id == old.id] == [moved]
    assert [p for p in store.load_posts() if p.id == old.id] == [moved]
    assert report_dict(store.load_run()) == report_dict(run)


def test_a_run_that_fails_while_writing_leaves_the_store_as_it_was(
    store, make_fake_embedder, monkeypatch
):
    update(store, DAY1_POSTS, Settings(), make_fake_embedder())
    tables = [r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    kept = [t for t in tables if t not in ("vectors", "sqlite_sequence")]
    before = {name: table(store, name) for name in kept}
    original = Store.next_run_seq

    def failing(self):  # the last step of save_run, after every other write of the run
        if self.db.in_transaction:
            raise RuntimeError("disk on fire")
        return original(self)

    monkeypatch.setattr(Store, "next_run_seq", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        update(store, POSTS, Settings(), make_fake_embedder())
    assert not store.db.in_transaction
    assert {name: table(store, name) for name in kept} == before
    # the vectors of the failed run are kept: the next run embeds nothing
    monkeypatch.setattr(Store, "next_run_seq", original)
    model = make_fake_embedder()
    run = update(store, POSTS, Settings(), model)
    assert run.counts["segments_embedded"] == model.texts_embedded == 0
    assert run.counts["posts_new"] == len(POSTS) - len(DAY1_POSTS)


# -- reading a run back ---------------------------------------------------------------------


def test_load_run_gives_back_the_report_of_the_run(store, make_fake_embedder):
    problems = (Problem("feed.jsonl", 4, "not valid JSON; skipped"),)
    update(store, DAY1_POSTS, Settings(), make_fake_embedder())
    run = update(store, POSTS, Settings(), make_fake_embedder(), problems=problems)
    loaded = store.load_run()

    expected, got = report_dict(run), report_dict(loaded)
    for key in ("started", "finished"):  # stored as ISO text; allow only a precision loss
        assert got["run"].pop(key)[:19] == expected["run"].pop(key)[:19]
    assert got == expected
    assert loaded.id == run.id
    assert loaded.counts == run.counts
    assert loaded.changes == run.changes
    assert loaded.problems == problems
    assert mapping(loaded) == mapping(run)
    assert sorted(loaded.assignments, key=repr) == sorted(run.assignments, key=repr)


def test_load_run_on_an_empty_store_is_a_store_error(store):
    with pytest.raises(StoreError, match="no run") as info:
        store.load_run()
    assert str(store.path) in str(info.value)


def test_thread_history_has_a_born_event_for_every_thread(store, make_fake_embedder):
    run = update(store, POSTS, Settings(), make_fake_embedder())
    history = store.thread_history()
    assert sorted(h["id"] for h in history) == sorted(t.id for t in run.threads)
    sizes = {t.id: len(t.post_ids) for t in run.threads}
    for h in history:
        assert h["history"][0]["event"] == "born"
        assert h["history"][0]["run"] == run.id
        assert h["posts"] == sizes[h["id"]]
        assert h["status"] in ("active", "dormant")
    last_seen = [h["last_seen"] for h in history]
    assert last_seen == sorted(last_seen, reverse=True)  # newest activity first
