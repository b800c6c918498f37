"""Quality gates on the dev sets with the real model (slow: `make test-slow`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storythreads import Settings, analyze, read_posts
from storythreads.analysis.evaluate import scores

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ECBPLUS = SHARED / "ecbplus-dev.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not ECBPLUS.exists(), reason="../shared/data/ecbplus-dev.jsonl not present")
def test_ecbplus_bcubed_f1_at_least_092():
    gold = {}
    for line in ECBPLUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold[str(row["id"])] = row["gold_story_id"]
    run = analyze(read_posts([ECBPLUS]).posts, Settings())
    ids = [p.id for p in run.posts]
    result = scores([run.primary_thread(i) for i in ids], [gold[i] for i in ids])
    assert result["bcubed_f1"] >= 0.92, result
