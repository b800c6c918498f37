"""--engine ray: the embedding stage on a local Ray cluster gives exactly the local results.

The cluster is started here (2 CPUs, no dashboard, loopback only) and shut down after the
module. `make setup` installs the `ray` extra, so the pipeline-level comparison runs in the
default suite (~35 s with the cluster start on 2 cores); the CLI-level one is marked slow.
Both skip, saying why, when the `ray` extra is not installed.
The FakeEmbedder reaches the Ray workers pickled by value (tests/ is not on their path).
The missing-extra error is tested in the default suite, without Ray.
"""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder
from helpers.fixture_posts import DAY1_POSTS, DAY2_POSTS

from storythreads.cli import commands as cli
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder
from storythreads.pipeline import update
from storythreads.reports import write_reports
from storythreads.store import Store


def _comparable(report_dir) -> dict:
    """report.json less the wall-clock fields of the run (start, end, stage seconds)."""
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    for key in ("started", "finished", "timings"):
        report["run"].pop(key, None)
    return report


def _write_jsonl(path, posts):
    rows = [
        {"id": p.id, "source": p.source, "published": p.published.isoformat(),
         "title": p.title, "byline": p.byline, "body": p.body}
        for p in posts
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_engine_ray_without_ray_installed_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    data = _write_jsonl(tmp_path / "posts.jsonl", DAY1_POSTS[:5])
    result = CliRunner().invoke(
        cli.main, ["run", str(data), "--out", str(tmp_path / "out"), "--engine", "ray"]
    )
    assert result.exit_code == 4, result.output
    assert "--engine ray needs Ray Data" in result.output
    assert "pip install 'storythreads[ray]'" in result.output
    assert not (tmp_path / "out" / "report.json").exists()


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the `ray` extra is not installed")
    pytest.importorskip("ray.data", reason="Ray Data (`ray[data]`) is not installed")
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[FakeEmbedder.__module__])
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )
    yield ray
    ray.shutdown()


def _ray_embedder(factory, rows_per_batch=16):
    from storythreads.embeddings.ray_engine import RayEmbedder

    # small blocks: several actors' batches come back and are put in input order
    return CachedEmbedder(RayEmbedder(factory, rows_per_batch=rows_per_batch, actors=2))


def test_ray_engine_gives_the_local_engines_threads_and_report(
    ray_cluster, tmp_path, make_fake_embedder
):
    settings = Settings()
    results = {}
    for engine in ("local", "ray"):
        with Store(tmp_path / f"{engine}.sqlite") as store:
            runs = []
            for batch in (DAY1_POSTS, DAY2_POSTS, DAY2_POSTS):  # the last run adds nothing
                embedder = (
                    _ray_embedder(make_fake_embedder)
                    if engine == "ray"
                    else CachedEmbedder(make_fake_embedder())
                )
                runs.append(update(store, batch, settings, embedder))
            write_reports(runs[-1], tmp_path / engine, ("json",))
            results[engine] = (runs, embedder)

    local_runs, local_embedder = results["local"]
    ray_runs, ray_embedder = results["ray"]
    assert ray_embedder.key == local_embedder.key  # one cache, whichever engine filled it
    assert ray_embedder.inner._local.calls == []  # the driver embedded nothing itself
    for local, ray in zip(local_runs, ray_runs, strict=True):
        assert ray.counts == local.counts
        assert [(t.id, t.post_ids, t.also_post_ids, t.label) for t in ray.threads] == [
            (t.id, t.post_ids, t.also_post_ids, t.label) for t in local.threads
        ]
        assert ray.assignments == local.assignments
    assert ray_runs[1].counts["segments_embedded"] > 0  # the new day went through Ray
    assert ray_runs[2].counts["segments_embedded"] == 0  # unchanged text never re-embedded
    assert len(ray_runs[-1].threads) > 3
    assert _comparable(tmp_path / "ray") == _comparable(tmp_path / "local")


@pytest.mark.slow
def test_cli_engine_ray_writes_the_local_report(
    ray_cluster, tmp_path, monkeypatch, make_fake_embedder
):
    from storythreads.embeddings import factory

    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )
    # the CLI's Ray path as it is, with the fake model built on the workers (the engines'
    # default factory is factory.make_embedder, looked up when the engine is built)
    monkeypatch.setattr(factory, "make_embedder", _fake_factory)
    data = _write_jsonl(tmp_path / "posts.jsonl", DAY1_POSTS)
    runner = CliRunner()
    for engine in ("local", "ray"):
        out = tmp_path / engine
        result = runner.invoke(cli.main, ["run", str(data), "--out", str(out), "--engine", engine])
        assert result.exit_code == 0, result.output
    assert _comparable(tmp_path / "ray") == _comparable(tmp_path / "local")
    assert _comparable(tmp_path / "ray")["threads"]


def _fake_factory(settings=None, show_progress=False):
    return FakeEmbedder()
