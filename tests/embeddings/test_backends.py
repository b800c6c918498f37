"""embedding.backend: the setting, one cache key per backend, the ONNX export and its
quality against torch, and the error when the `onnx` extra is missing."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from storythreads.cli import commands as cli
from storythreads.config import EmbeddingSettings, Settings
from storythreads.embeddings import CachedEmbedder, SentenceTransformerEmbedder, make_embedder
from storythreads.embeddings.identity import cpu_numerics
from storythreads.embeddings.onnx_backend import OnnxEmbedder, pooling_mode
from storythreads.embeddings.sentence import resolve_model_path
from storythreads.errors import ConfigError, EmbeddingError


@pytest.mark.parametrize(
    "value, message",
    [("tensorflow", "must be one of"), (1, "expected str")],
)
def test_the_backend_setting_is_checked(value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_dict({"embedding": {"backend": value}})


def test_make_embedder_follows_the_backend_setting():
    default = make_embedder(EmbeddingSettings())  # float32 ONNX: the same on every CPU (23)
    assert isinstance(default, OnnxEmbedder) and not default.quantized
    torch = make_embedder(EmbeddingSettings(backend="torch"))
    assert isinstance(torch, SentenceTransformerEmbedder)
    onnx = make_embedder(EmbeddingSettings(backend="onnx"))
    int8 = make_embedder(EmbeddingSettings(backend="onnx-int8"))
    assert isinstance(onnx, OnnxEmbedder) and not onnx.quantized
    assert isinstance(int8, OnnxEmbedder) and int8.quantized


def test_each_backend_keeps_its_own_vectors_in_the_cache():
    keys = {
        backend: CachedEmbedder(make_embedder(EmbeddingSettings(backend=backend))).key
        for backend in ("torch", "onnx", "onnx-int8")
    }
    assert len(set(keys.values())) == 3
    torch_key = keys["torch"]
    assert torch_key.startswith("all-MiniLM-L6-v2@") and "+" not in torch_key  # stores keep theirs
    assert keys["onnx"] == torch_key + "+onnx"
    # int8 vectors depend on the CPU's kernels: their key names the CPU class
    assert keys["onnx-int8"] == torch_key + "+onnx-int8-" + cpu_numerics()


def test_the_cache_key_follows_the_model_files_contents_not_their_sizes(tmp_path):
    """A fine-tuned copy has files of the same names and sizes: it is another model."""
    import shutil

    from storythreads.embeddings.identity import model_digest

    model = tmp_path / "model"
    shutil.copytree(resolve_model_path("all-MiniLM-L6-v2"), model)
    settings = EmbeddingSettings(model=str(model))
    before = CachedEmbedder(make_embedder(settings)).key
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # same size, another value
    weights.write_bytes(bytes(data))
    after = CachedEmbedder(make_embedder(settings)).key
    assert before != after
    assert model_digest(model) == model_digest(model)  # remembered, the same
    assert len(model_digest(model)) == 64


def test_the_packaged_model_pools_by_mean_and_others_are_refused(tmp_path):
    from pathlib import Path

    assert pooling_mode(Path(resolve_model_path("all-MiniLM-L6-v2"))) == "mean"
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ]  # fmt: skip
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(EmbeddingError, match="Dense"):
        pooling_mode(tmp_path)


def test_backend_onnx_without_onnxruntime_exits_4_and_says_what_to_install(
    tmp_path, monkeypatch, seed_path
):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli.main, ["run", str(seed_path), "--out", str(out), "--no-store", "--backend", "onnx"]
    )
    assert result.exit_code == 4, result.output
    assert "embedding.backend = 'onnx' needs onnxruntime" in result.output
    assert "pip install -e ." in result.output
    assert not (out / "report.json").exists()


@pytest.mark.slow  # the one-off export takes 20-50 s on 2 cores
def test_onnx_backends_match_torch_and_the_export_is_made_once(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime", reason="the `onnx` extra is not installed")
    from storythreads.embeddings import onnx_backend

    texts = [
        "Ukraine says it recaptured territory near Bakhmut.",
        "one",
        "Cluster munitions: the US will send them to Kyiv, the Pentagon said on Friday. " * 20,
        "Turkey backs Sweden's NATO bid, Zelensky says after talks in Istanbul.",
    ]
    reference = SentenceTransformerEmbedder().embed(texts)
    settings = EmbeddingSettings(backend="onnx", onnx_dir=str(tmp_path / "cache"), batch_size=2)
    fp32 = make_embedder(settings).embed(texts)
    assert fp32.shape == reference.shape and fp32.dtype == np.float32
    assert np.abs(fp32 - reference).max() < 1e-4  # the same model, another runtime
    exported = sorted(p.name for p in (tmp_path / "cache").rglob("*.onnx"))
    assert exported == ["model.onnx"]  # each file is made when its backend is first used

    def no_second_export(*args):
        raise AssertionError("exported again")

    int8 = make_embedder(EmbeddingSettings(backend="onnx-int8", onnx_dir=settings.onnx_dir))
    cosines = (int8.embed(texts) * reference).sum(1)
    exported = sorted(p.name for p in (tmp_path / "cache").rglob("*.onnx"))
    assert exported == ["model-int8.onnx", "model.onnx"]
    monkeypatch.setattr(onnx_backend, "_build", no_second_export)
    for backend in ("onnx", "onnx-int8"):
        again = EmbeddingSettings(backend=backend, onnx_dir=settings.onnx_dir)
        assert make_embedder(again).embed(texts[:1]).shape == (1, 384)
    assert cosines.min() > 0.95 and cosines.mean() > 0.98  # close, not equal: int8 weights
    assert np.abs(int8.embed(texts[::-1])[::-1] - int8.embed(texts)).max() < 1e-5  # order


def test_a_small_call_has_a_session_of_its_own_and_the_same_vectors(real_embedder, monkeypatch):
    """A scheduled run's few new paragraphs go through a session whose threads do not spin
    (less CPU beside the rest of the run); the vectors are bit-identical."""
    from storythreads.embeddings import onnx_backend

    engine = real_embedder.inner
    texts = ["NATO leaders meet in Vilnius.", "Cluster munitions arrive in Ukraine.", "Rain."]
    small = engine.embed(texts)
    options = engine._sessions[True].get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.setattr(onnx_backend, "SMALL_CALL", 0)
    large = engine.embed(texts)
    assert False in engine._sessions  # the other session did this call
    assert np.array_equal(small, large)
    assert engine.dim == small.shape[1] == 384  # from the pooling config, no session needed
