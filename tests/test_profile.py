"""Per-stage timing: `storythreads run --profile` and run.timings."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from storythreads.analysis.ingest import read_posts
from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder
from storythreads.pipeline import analyze
from storythreads.timing import STAGES, StageTimer, profile_table


@pytest.fixture(autouse=True)
def fake_model(monkeypatch, make_fake_embedder):
    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


def _table_rows(stderr: str) -> dict[str, list[str]]:
    rows = {}
    for line in stderr.splitlines():
        parts = line.split()
        if parts and parts[0] in (*STAGES, "load", "total"):
            rows[parts[0]] = parts[1:]
    return rows


@pytest.mark.parametrize("store_args", [["--no-store"], []], ids=["no-store", "store"])
def test_profile_prints_a_row_per_stage(seed_path, tmp_path, store_args):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli.main, ["run", str(seed_path), "--out", str(out), "--profile", *store_args]
    )
    assert result.exit_code == 0, result.output
    rows = _table_rows(result.stderr)
    expected = set(STAGES) - {"save", "load"} | {"total"}
    if not store_args:  # a store: posts are loaded from it and the run saved to it
        expected |= {"save", "load"}
    assert expected <= set(rows), result.stderr
    seconds = {name: float(cells[0]) for name, cells in rows.items()}
    assert all(s >= 0 for s in seconds.values())
    parts = sum(s for name, s in seconds.items() if name != "total")
    assert seconds["total"] == pytest.approx(parts, abs=0.01 * len(rows))
    assert "segments/s" in " ".join(rows["embed"])
    # the timings stay out of the reports
    report = json.loads((out / "report.json").read_text())
    assert "timings" not in json.dumps(report)


def test_no_profile_no_table(seed_path, tmp_path):
    result = CliRunner().invoke(
        cli.main, ["run", str(seed_path), "--out", str(tmp_path), "--no-store"]
    )
    assert result.exit_code == 0, result.output
    assert "segments/s" not in result.stderr


def test_analyze_puts_timings_on_the_run(seed_path, make_fake_embedder):
    run = analyze(read_posts([seed_path]).posts, embedder=make_fake_embedder())
    assert {"segment", "embed", "cluster", "label", "summarize", "crossref"} <= set(run.timings)


def test_nested_stages_count_exclusive_time():
    timer = StageTimer()
    with timer.stage("outer"):
        time.sleep(0.02)
        with timer.stage("inner"):
            time.sleep(0.05)
    assert timer.seconds["inner"] >= 0.05
    assert 0.02 <= timer.seconds["outer"] < 0.05
    table = profile_table(timer.seconds)
    assert table.splitlines()[-1].split()[0] == "total"
