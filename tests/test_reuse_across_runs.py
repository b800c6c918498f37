"""A scheduled run keeps what did not change: the name and summary of a thread whose posts
are the same, and each known post's place on the map; other settings or an edited post
start them afresh."""

from __future__ import annotations

import dataclasses

from helpers.fixture_posts import POSTS

from storythreads.config import Settings
from storythreads.pipeline import update
from storythreads.store import Store


def _run(store, posts, make_fake_embedder, settings=None, **kw):
    return update(store, posts, settings or Settings(), make_fake_embedder(), **kw)


def _relabel(store, marker: str) -> None:
    """Mark every stored thread's label, as if an earlier version had named it."""
    store.db.execute("UPDATE threads SET label = ? || label", (marker,))
    store.db.commit()


def test_unchanged_threads_keep_their_description_and_posts_their_place(
    tmp_path, make_fake_embedder
):
    first, rest = POSTS[: len(POSTS) // 2], POSTS[len(POSTS) // 2 :]
    with Store(tmp_path / "s.sqlite") as store:
        before = _run(store, first, make_fake_embedder)
        assert before.counts.get("mode", "full") == "full"
        _relabel(store, "KEPT ")
        after = _run(store, [], make_fake_embedder)  # nothing new: every thread unchanged
        assert all(t.label.startswith("KEPT ") for t in after.threads)
        assert {p: (x, y) for p, x, y in after.layout} == {p: (x, y) for p, x, y in before.layout}
        grown = _run(store, rest, make_fake_embedder)
        changed = {t.id for t in grown.threads if set(t.post_ids) - {p.id for p in first}}
        for thread in grown.threads:
            assert thread.label.startswith("KEPT ") == (thread.id not in changed), thread.id
        placed = {p: (x, y) for p, x, y in grown.layout}
        assert all(placed[p] == (x, y) for p, x, y in before.layout)


def test_other_settings_or_an_edited_post_describe_afresh(tmp_path, make_fake_embedder):
    with Store(tmp_path / "s.sqlite") as store:
        run = _run(store, POSTS, make_fake_embedder)
        _relabel(store, "KEPT ")
        other = Settings().replace("report", summary_sentences=2)
        assert not any(
            t.label.startswith("KEPT ") for t in _run(store, [], make_fake_embedder, other).threads
        )
        _relabel(store, "KEPT ")
        edited_post = run.posts[0]
        edited = dataclasses.replace(edited_post, body=edited_post.body + " An update.")
        again = _run(store, [edited], make_fake_embedder, other)
        home = next(t for t in again.threads if edited.id in t.post_ids)
        assert not home.label.startswith("KEPT ")
        assert any(t.label.startswith("KEPT ") for t in again.threads if t.id != home.id)
