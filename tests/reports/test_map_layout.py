"""The report map: a deterministic 2-D projection of the post vectors, kept in the store so
`storythreads report` redraws the same map, and new posts placed near their neighbours in
attach-mode runs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.fixture_posts import DAY1_POSTS, POSTS

from storythreads.analysis.describe.layout import exact_knn, place_new, project
from storythreads.config import Settings
from storythreads.pipeline import analyze, update
from storythreads.reports import figures_html
from storythreads.store import Store


def _unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _blobs(n_per=8, k=3, dim=24, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim)) * 4
    return _unit(np.vstack([c + rng.normal(size=(n_per, dim)) for c in centres]))


def test_umap_projection_is_deterministic_scaled_and_keeps_groups_apart():
    X = _blobs()
    xy = project(X, seed=7)
    assert xy.shape == (24, 2)
    assert np.array_equal(xy, project(X, seed=7))  # same input, same bytes
    assert np.abs(xy).max() == pytest.approx(1.0) and np.all(np.round(xy, 4) == xy)
    groups = [xy[i * 8 : (i + 1) * 8] for i in range(3)]
    spread = max(np.linalg.norm(g - g.mean(0), axis=1).mean() for g in groups)
    centres = np.array([g.mean(0) for g in groups])
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 2 * spread  # three stories, three visible groups


def test_above_umap_max_a_sample_is_laid_out_and_the_rest_placed_near_it(monkeypatch):
    from storythreads.analysis.describe import layout

    X = _blobs(n_per=40)  # 120 posts, 3 stories
    monkeypatch.setattr(layout, "UMAP_MAX", 30)
    sample = np.unique(np.linspace(0, 119, 30).round().astype(int))
    xy = project(X, seed=7)
    assert xy.shape == (120, 2) and np.array_equal(xy, project(X, seed=7))
    # the sampled posts sit where UMAP puts them when given only the sample
    monkeypatch.setattr(layout, "UMAP_MAX", 20_000)
    assert np.array_equal(xy[sample], project(X[sample], seed=7))
    # every other post lands inside its own story's group
    groups = [xy[i * 40 : (i + 1) * 40] for i in range(3)]
    centres = np.array([g.mean(0) for g in groups])
    for i, g in enumerate(groups):
        nearest = np.argmin(np.linalg.norm(g[:, None, :] - centres[None], axis=2), axis=1)
        assert np.all(nearest == i)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_tiny_inputs_fall_back_to_pca(n):
    xy = project(_blobs(n_per=4, k=1)[:n])
    assert xy.shape == (n, 2) and np.all(np.isfinite(xy))


def test_pca_method_and_empty_input():
    assert project(np.zeros((0, 5))).shape == (0, 2)
    xy = project(_blobs(), method="pca")
    assert xy.shape == (24, 2) and np.abs(xy).max() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        project(_blobs(), method="tsne")


def test_exact_neighbours_match_a_brute_force_search():
    from sklearn.neighbors import NearestNeighbors

    X = _unit(np.random.default_rng(3).normal(size=(500, 16)))
    idx, dist = exact_knn(X, 15, block=128)  # several blocks
    want_d, want_i = (
        NearestNeighbors(n_neighbors=15, metric="cosine", algorithm="brute").fit(X).kneighbors(X)
    )
    assert np.array_equal(idx, want_i) and np.allclose(dist, want_d, atol=1e-5)
    assert np.array_equal(idx[:, 0], np.arange(500))  # each post is its own first neighbour


def test_without_umap_the_map_falls_back_to_pca(monkeypatch):
    from storythreads.analysis.describe import layout

    def broken(vectors, seed):
        raise RuntimeError("cannot cache function: no locator available")

    monkeypatch.setattr(layout, "_umap", broken)
    with pytest.warns(RuntimeWarning, match="using PCA"):
        xy = project(_blobs())
    assert np.array_equal(xy, project(_blobs(), method="pca"))


def test_place_new_keeps_placed_posts_and_puts_new_ones_near_their_neighbours():
    X = _blobs()
    placed = {i: (float(i), 0.0) for i in range(24) if i % 8 != 0}
    xy = place_new(X, placed)
    for i, (x, y) in placed.items():
        assert tuple(xy[i]) == (x, y)
    for i in (0, 8, 16):  # each new post lands inside its own group's x range
        group = [placed[j][0] for j in range(i + 1, i + 8)]
        assert min(group) <= xy[i, 0] <= max(group)


def test_the_run_carries_one_position_per_threaded_post(make_fake_embedder):
    run = analyze(POSTS, embedder=make_fake_embedder())
    assert [pid for pid, _, _ in run.layout] == [
        p.id for p in run.posts if p.id not in run.unthreaded
    ]
    shuffled = analyze(list(reversed(POSTS)), embedder=make_fake_embedder())
    assert shuffled.layout == run.layout  # any input order, the same map


def test_no_map_when_asked_for_none_or_without_html(make_fake_embedder):
    none = Settings().replace("report", map="none")
    assert analyze(POSTS, none, make_fake_embedder()).layout == ()
    md = Settings().replace("report", formats=["md", "json"])
    run = analyze(POSTS, md, make_fake_embedder())
    assert run.layout == () and figures_html.post_map(run, {}) is None


def test_the_stored_layout_redraws_the_same_map(tmp_path, make_fake_embedder):
    with Store(tmp_path / "store.sqlite") as store:
        run = update(store, POSTS, embedder=make_fake_embedder())
        loaded = store.load_run()
    assert loaded.layout == run.layout and len(run.layout) > 0
    anchors = {t.id: t.id for t in run.threads}
    assert figures_html.post_map(loaded, anchors) == figures_html.post_map(run, anchors)


def test_attach_mode_keeps_stored_positions(tmp_path, make_fake_embedder):
    settings = Settings().replace("identity", full_rethread_max_posts=1)
    with Store(tmp_path / "store.sqlite") as store:
        first = update(store, DAY1_POSTS, settings, make_fake_embedder())
        second = update(store, POSTS, settings, make_fake_embedder())
    assert second.counts["mode"] == "working set"
    before, after = dict(_xy(first)), dict(_xy(second))
    assert all(after[pid] == xy for pid, xy in before.items())
    assert set(after) - set(before)  # the new posts got places too
    assert all(abs(x) <= 1 and abs(y) <= 1 for x, y in after.values())


def _xy(run):
    return [(pid, (x, y)) for pid, x, y in run.layout]


def test_a_window_draws_only_its_posts(make_fake_embedder):
    from storythreads.reports import select_window

    run = analyze(POSTS, embedder=make_fake_embedder())
    day2 = min(p.published for p in POSTS if p not in DAY1_POSTS)
    window = select_window(run, since=day2)
    fig = figures_html.post_map(window, {t.id: t.id for t in window.threads})
    drawn = sum(len(trace["x"]) for trace in fig["data"])
    assert drawn == sum(len(t.post_ids) for t in window.threads) < len(run.layout)


@pytest.mark.slow
def test_large_maps_use_exact_neighbours_and_stay_deterministic():
    X = _blobs(n_per=1400, k=3, dim=32)  # 4,200 posts: above UMAP's brute-force size
    xy = project(X, seed=1)
    assert np.array_equal(xy, project(X, seed=1))
    centres = np.array([xy[i * 1400 : (i + 1) * 1400].mean(0) for i in range(3)])
    spread = max(
        np.linalg.norm(xy[i * 1400 : (i + 1) * 1400] - centres[i], axis=1).mean() for i in range(3)
    )
    assert (
        min(np.linalg.norm(centres[i] - centres[j]) for i, j in ((0, 1), (0, 2), (1, 2)))
        > 2 * spread
    )
