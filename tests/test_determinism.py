"""The same posts in any order give the same reports, byte for byte.

Input: the bundled blog converted to JSONL, plus a few posts that test the tie-breaks
(undated, equal times, no id), written in three orders. Only run.started and
run.finished may differ in report.json; report.md and report.html hold no time of the run
(checked), so they must be identical as they are. With --no-store, and with a fresh store
for each order.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from storythreads.analysis.ingest import read_posts
from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder

SEED = Path(__file__).parents[1] / "examples" / "cnn-liveblog-2023-07-08.txt"

EXTRA = [
    {"id": "x-undated-b", "title": "Harbour fire in Port Elsmere",
     "text": "Firefighters fought a warehouse fire at the Port Elsmere harbour overnight."},
    {"id": "x-undated-a", "title": "Port Elsmere harbour fire contained",
     "text": "The warehouse fire at the Port Elsmere harbour is contained, firefighters say."},
    # the same time as each other, and as a seed post (17:30 UTC): the id breaks the tie
    {"id": "x-tie-2", "published": "2023-07-08T17:30:00Z", "title": "Harbour docks reopen",
     "text": "Two docks of the Port Elsmere harbour reopen after the warehouse fire."},
    {"id": "x-tie-1", "published": "2023-07-08T13:30:00-04:00", "title": "Harbour fuel tanks",
     "text": "Crews at the Port Elsmere harbour cool the fuel tanks near the warehouse fire."},
    # no id: made from source, time and title
    {"source": "Wire", "published": "2023-07-08T09:00:00Z", "title": "Harbour fire breaks out",
     "text": "A warehouse at the Port Elsmere harbour caught fire before dawn, firefighters say."},
]  # fmt: skip


@pytest.fixture(autouse=True)
def fake_model(monkeypatch, make_fake_embedder):
    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


@pytest.fixture(scope="module")
def records() -> list[dict]:
    posts = read_posts([SEED]).posts
    assert len(posts) == 9
    seed = [
        {
            "id": p.id,
            "source": p.source,
            "url": p.url,
            "published": p.published.isoformat() if p.published else None,
            "title": p.title,
            "byline": p.byline,
            "text": p.body,
        }
        for p in posts
    ]
    return seed + EXTRA


def orders(rows: list) -> list[list]:
    shuffled = rows[:]
    random.Random(20230708).shuffle(shuffled)
    return [rows, rows[::-1], shuffled]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def run(work: Path, rows: list[dict], store: bool) -> dict:
    """One CLI run in its own directory (its input is always named posts.jsonl)."""
    work.mkdir()
    data = write_jsonl(work / "posts.jsonl", rows)
    out = work / "out"
    args = ["run", str(data), "--out", str(out)]
    args += ["--store", str(work / "store.sqlite")] if store else ["--no-store"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    started = report["run"].pop("started")
    finished = report["run"].pop("finished")
    assert started and finished
    return {
        "json": json.dumps(report, sort_keys=True, ensure_ascii=False),
        "report": report,
        "md": (out / "report.md").read_bytes(),
        "html": (out / "report.html").read_bytes(),
        "run_times": (started, finished),
    }


@pytest.mark.parametrize("store", [False, True], ids=["no-store", "fresh-store"])
def test_any_order_gives_identical_reports(tmp_path, records, store):
    results = [run(tmp_path / f"order{i}", rows, store) for i, rows in enumerate(orders(records))]
    first = results[0]
    assert len(first["report"]["posts"]) == len(records)
    assert first["report"]["problems"] == []
    assert len(first["report"]["threads"]) >= 2
    # the reports carry no time of the run (not even the day), so they can be compared as is
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    for fmt in ("md", "html"):
        text = first[fmt].decode("utf-8")
        assert today not in text
        assert all(t[:16] not in text for t in first["run_times"])
    for other in results[1:]:
        assert other["json"] == first["json"]
        assert other["md"] == first["md"]
        assert other["html"] == first["html"]


def test_duplicate_ids_keep_the_same_post_in_any_order(tmp_path, records):
    """Two versions of a post at the same time: the smaller content hash wins, whatever the
    order; only the line the problem names differs."""
    twins = [
        {"id": "x-twin", "published": "2023-07-08T12:00:00Z", "title": "Harbour update",
         "text": "Version one of the Port Elsmere harbour update."},
        {"id": "x-twin", "published": "2023-07-08T12:00:00Z", "title": "Harbour update",
         "text": "Version two of the Port Elsmere harbour update."},
    ]  # fmt: skip
    reports = []
    for i, rows in enumerate(orders(records + twins)):
        report = run(tmp_path / f"order{i}", rows, store=False)["report"]
        problems = report.pop("problems")
        assert len(problems) == 1 and "duplicate id x-twin" in problems[0]["message"]
        reports.append(json.dumps(report, sort_keys=True))
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]


def test_duplicate_ids_differing_only_in_byline_keep_the_same_post(tmp_path):
    a = {"id": "x-twin", "published": "2023-07-08T12:00:00Z", "title": "Harbour update",
         "text": "The Port Elsmere harbour reopens.", "byline": "Alice Reporter"}  # fmt: skip
    b = {**a, "byline": "Bob Reporter"}
    good = {"id": "x-other", "title": "Port Elsmere docks", "text": "Docks reopen."}
    bylines = []
    for name, rows in (("ab", [a, b, good]), ("ba", [b, a, good])):
        report = run(tmp_path / name, rows, store=False)["report"]
        bylines.append({p["id"]: p["byline"] for p in report["posts"]}["x-twin"])
    assert bylines[0] == bylines[1]
