"""The embedding cache, model resolution, and Settings validation."""

from __future__ import annotations

import numpy as np
import pytest

from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder, MemoryVectorStore, resolve_model_path
from storythreads.errors import ConfigError, EmbeddingError, StoryThreadsError

# --- CachedEmbedder ------------------------------------------------------------------


def test_each_distinct_text_is_embedded_once(fake_embedder):
    cached = CachedEmbedder(fake_embedder)
    texts = ["alpha beta", "gamma", "alpha beta", "delta epsilon", "gamma"]
    vectors = cached.embed(texts)
    assert vectors.shape == (5, fake_embedder.dim)
    assert vectors.dtype == np.float32
    assert fake_embedder.texts_embedded == 3
    assert sorted(t for batch in fake_embedder.calls for t in batch) == [
        "alpha beta", "delta epsilon", "gamma",
    ]  # fmt: skip
    assert (cached.embedded, cached.reused) == (3, 2)


def test_second_call_embeds_nothing(fake_embedder):
    cached = CachedEmbedder(fake_embedder)
    first = cached.embed(["one two", "three"])
    n_calls = len(fake_embedder.calls)
    second = cached.embed(["three", "one two"])
    assert len(fake_embedder.calls) == n_calls  # the model was not called again
    assert cached.embedded == 2
    assert np.array_equal(second, first[::-1])


def test_output_order_matches_input_order(fake_embedder, make_fake_embedder):
    texts = ["zulu words here", "alpha", "mike november", "alpha", "bravo charlie delta"]
    cached = CachedEmbedder(fake_embedder).embed(texts)
    direct = make_fake_embedder().embed(texts)
    assert np.allclose(cached, direct)
    assert np.allclose(np.linalg.norm(cached, axis=1), 1.0)


def test_empty_input(fake_embedder):
    out = CachedEmbedder(fake_embedder).embed([])
    assert out.shape == (0, fake_embedder.dim)
    assert fake_embedder.calls == []


def test_a_shared_store_is_keyed_by_model_name(make_fake_embedder):
    store = MemoryVectorStore()
    first = make_fake_embedder()
    CachedEmbedder(first, store).embed(["shared text"])
    again = make_fake_embedder()
    CachedEmbedder(again, store).embed(["shared text"])
    assert again.calls == []  # same model name: reused from the store
    other = make_fake_embedder()
    other.name = "another-model"
    CachedEmbedder(other, store).embed(["shared text"])
    assert other.texts_embedded == 1  # a different model never gets another model's vectors


# --- resolve_model_path ----------------------------------------------------------------


def test_resolve_model_path_rejects_a_missing_directory(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbeddingError, match="no-such-model") as info:
        resolve_model_path(str(missing))
    assert isinstance(info.value, StoryThreadsError)
    assert info.value.exit_code == 4


def test_resolve_model_path_accepts_a_local_directory(tmp_path):
    assert resolve_model_path(str(tmp_path)) == str(tmp_path)


def test_resolve_model_path_finds_the_packaged_model():
    from pathlib import Path

    assert Path(resolve_model_path("all-MiniLM-L6-v2")).is_dir()


# --- Settings --------------------------------------------------------------------------


def test_replace_validates_and_names_the_setting():
    with pytest.raises(ConfigError, match=r"cluster\.threshold"):
        Settings().replace("cluster", threshold=2)


def test_replace_rejects_unknown_settings():
    with pytest.raises(ConfigError, match="no_such_knob"):
        Settings().replace("cluster", no_such_knob=1)


def test_replace_returns_a_changed_copy():
    base = Settings()
    changed = base.replace("cluster", threshold=0.2)
    assert changed.cluster.threshold == 0.2
    assert base.cluster.threshold != 0.2


def test_from_toml_unknown_section(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[clusterr]\nthreshold = 0.2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"clusterr") as info:
        Settings.from_toml(path)
    assert str(path) in str(info.value)


def test_from_toml_reads_values_and_rejects_bad_ones(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[cluster]\nthreshold = 0.2\n[report]\nformats = ["md"]\n', encoding="utf-8")
    settings = Settings.from_toml(good)
    assert settings.cluster.threshold == 0.2
    assert settings.report.formats == ("md",)
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster]\nfloor = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cluster\.floor"):
        Settings.from_toml(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[cluster\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml"):
        Settings.from_toml(broken)


def test_digest_changes_with_a_setting():
    base = Settings()
    assert base.digest() == Settings().digest()
    assert base.replace("cluster", threshold=0.2).digest() != base.digest()
    assert base.replace("embedding", model="/some/model").digest() != base.digest()
