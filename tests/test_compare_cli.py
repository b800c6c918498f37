"""`storythreads compare` end to end: two outlets, tidy tables, the JSON contract."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from storythreads import cli
from storythreads.embeddings import CachedEmbedder


@pytest.fixture
def fake_model(monkeypatch, make_fake_embedder):
    monkeypatch.setattr(cli, "_embedder", lambda settings: CachedEmbedder(make_fake_embedder()))


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


QUAKE = "earthquake Izmir rescuers rubble magnitude aftershock survivors"
VOTE = "election Valdoria ballots turnout candidate parliament count"


def test_compare_writes_tables_for_two_outlets(tmp_path, fake_model):
    a = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "id": "a1",
                "source": "Alpha",
                "published": "2024-03-04T08:00:00Z",
                "title": "Earthquake hits Izmir",
                "text": f"{QUAKE}. At least 12 people were killed.",
            },
            {
                "id": "a2",
                "source": "Alpha",
                "published": "2024-03-04T09:00:00Z",
                "title": "Izmir rescuers search rubble",
                "text": f"{QUAKE} rubble rescuers.",
            },
            {
                "id": "a3",
                "source": "Alpha",
                "published": "2024-03-04T10:00:00Z",
                "title": "Valdoria election count",
                "text": f"{VOTE} ballots.",
            },
        ],
    )
    b = write_jsonl(
        tmp_path / "b.jsonl",
        [
            {
                "id": "b1",
                "url": "https://www.bbc.co.uk/news/quake",
                "published": "2024-03-04T08:45:00Z",
                "title": "Izmir earthquake rescuers",
                "text": f"{QUAKE}. At least 15 people were killed.",
            },
        ],
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["compare", str(a), str(b), "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    names = {p.name for p in out.iterdir()}
    assert {"compare.md", "compare.json", "coverage.csv", "terms.csv", "lead.csv"} <= names
    report = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert report["schema"] == "storythreads.compare/1"
    assert report["outlets"] == ["Alpha", "BBC"]  # the outlet of b1 comes from its URL
    with open(out / "coverage.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    quake = [r for r in rows if r["outlet"] == "BBC"]
    assert len(quake) == 1 and quake[0]["posts"] == "1"
    lead = {r["outlet"]: r for r in report["lead"] if r["thread_id"] == quake[0]["thread_id"]}
    assert lead["Alpha"]["is_first"] and lead["BBC"]["lag_minutes"] == 45
    assert report["median_lag_minutes"]["BBC"] == 45
    assert any("deaths" in r["note"] for r in report["revisions"])  # 12 vs 15 killed
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert "Who reports first" in md and "figures differ" in md
    assert "| BBC | +45 min |" in md  # the median lag, written as a person would
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert '<td>BBC</td><td class="num">+45 min</td>' in html  # median lag, same words
