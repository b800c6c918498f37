"""`storythreads compare` end to end: two outlets, tidy tables, the JSON contract."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from storythreads.cli import commands as cli
from storythreads.embeddings import CachedEmbedder


@pytest.fixture
def fake_model(monkeypatch, make_fake_embedder):
    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


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
    assert report["run"]["provenance"]["storythreads"]  # how it was made (issue 23)
    assert report["run"]["provenance"]["settings"]["cluster"]["floor"] == 0.3
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


BASIL = Path(__file__).parents[2] / "shared" / "data" / "basil-dev.jsonl"
_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+$", re.IGNORECASE
)


@pytest.mark.skipif(not BASIL.is_file(), reason="../shared/data/basil-dev.jsonl is missing")
def test_basil_figures_hold_no_date_year_or_day_of_month(tmp_path, fake_model):
    """150 articles of three outlets through `compare`: figures.csv never reads a date, a
    year or a day of the month as a count (the issue's "Sept. 11 attack" -> attack: 11,
    "fiscal 2013 request" -> request: 2013), and every row names its post and sentence."""
    result = CliRunner().invoke(cli.main, ["compare", str(BASIL), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "figures.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 100
    posts = {json.loads(line)["id"]: json.loads(line) for line in BASIL.open(encoding="utf-8")}
    for row in rows:
        assert row["post_id"] in posts and row["text"], row
        article = posts[row["post_id"]]
        assert row["text"] in f"{article['title']}\n{article['text']}", row
        number = row["number"]
        assert number and number in row["text"], row
        assert not re.fullmatch(r"(?:1[89]|20)\d\d", number), row  # a year
        at = row["text"].index(number)
        assert not _MONTH.search(row["text"][:at]), row  # "Sept. 11", "Oct. 15"


def test_eval_voices_scores_a_gold_file(tmp_path):
    text = (
        "“We will rebuild every home,” Mayor Ana Ruiz said on Monday.\n\n"
        "Officials said the damage was worse than feared."
    )
    gold = [{"id": "a1", "text": text, "gold_attributions": [
        {"source": "Mayor Ana Ruiz", "cue": "said", "content": "“We will rebuild every home,”",
         "content_spans": [[0, 29]], "direct": True},
        {"source": "Officials", "cue": "said", "content": "the damage was worse than feared",
         "content_spans": [[80, 112]], "direct": False},
    ]}]  # fmt: skip
    path = write_jsonl(tmp_path / "gold.jsonl", gold)
    result = CliRunner().invoke(cli.main, ["eval-voices", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "voices-scores.json").read_text())
    assert scores["direct"]["f1"] == 1.0 and scores["all"]["f1"] == 1.0
    assert scores["direct"]["speaker_accuracy"] == 1.0
    assert "storythreads" in result.output and "1 articles" in result.output


def test_a_missing_spacy_pipeline_is_exit_4_in_one_line(tmp_path, fake_model):
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "title": "T", "text": "Words."}])
    result = CliRunner().invoke(
        cli.main, ["compare", str(path), "--out", str(tmp_path / "o"), "--nlp-model", "nope_xx"]
    )
    assert result.exit_code == 4
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "nope_xx" in lines[0] and "Traceback" not in result.output


# -- outlet groups (issue 25) -------------------------------------------------------------


def _two_outlets(tmp_path):
    a = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "a1", "source": "Alpha", "published": "2024-03-04",
             "title": "Earthquake hits Izmir", "text": f"{QUAKE}. At least 12 people were killed."},
            {"id": "a2", "source": "Gamma", "published": "2024-03-05",
             "title": "Izmir rescuers search rubble", "text": f"{QUAKE} rubble rescuers."},
        ],
    )  # fmt: skip
    b = write_jsonl(
        tmp_path / "b.jsonl",
        [{"id": "b1", "source": "Beta", "published": "2024-03-04",
          "title": "Izmir earthquake rescuers", "text": f"{QUAKE}. At least 15 were killed."}],
    )  # fmt: skip
    return a, b


def test_groups_make_every_table_per_group_and_record_the_mapping(tmp_path, fake_model):
    a, b = _two_outlets(tmp_path)
    groups = tmp_path / "ideology.csv"
    groups.write_text("outlet,group\nAlpha,left\nGamma,left\nBeta,right\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["compare", str(a), str(b), "--out", str(out), "--groups", str(groups)]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    for table in ("coverage", "lead", "terms", "voices", "sources", "figures", "framing",
                  "agenda", "pairs"):  # fmt: skip
        assert (out / f"{table}-ideology.csv").is_file(), table
    with open(out / "coverage-ideology.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["outlet"] for r in rows} == {"left", "right"}
    assert sum(int(r["posts"]) for r in rows if r["outlet"] == "left") == 2
    report = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    (grouping,) = report["groupings"]
    assert grouping["name"] == "ideology" and grouping["unmapped_outlets"] == []
    assert grouping["mapping"] == {"Alpha": "left", "Beta": "right", "Gamma": "left"}
    assert grouping["sha256"] == hashlib.sha256(groups.read_bytes()).hexdigest()
    # dates only: lags in days, never minutes
    assert all(r["lag_minutes"] is None for r in report["lead"] + grouping["lead"])
    assert report["term_rules"]["correction"].startswith("Benjamini-Hochberg")
    assert grouping["framing_tested"] >= 0 and isinstance(grouping["framing"], list)
    assert isinstance(grouping["median_lag_interval_days"], dict)
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert "## By ideology" in md and "left: Alpha, Gamma" in md
    # the pooled findings come first, per grouping, then per outlet
    assert md.index("## Findings") < md.index("### By ideology") < md.index("### By outlet")
    assert md.index("### By outlet") < md.index("## Summary")
    assert " min |" not in md  # no minute-level lag anywhere
    assert "| 2024-03-04 |" in md  # a date shown as a date
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "<h2>By ideology</h2>" in html and "<td>left</td><td>Alpha, Gamma</td>" in html


@pytest.mark.parametrize(
    "text, message",
    [
        ("source,group\nAlpha,left\n", "needs an 'outlet' and a 'group' column"),
        ("outlet,group\nAlpha,left\nAlpha,right\n", ":3: outlet 'Alpha' is in group 'left' and"),
        ("outlet,group\nAlpha,\n", ":2: an empty outlet or group"),
        ("outlet,group\n", "names no outlet"),
    ],
)
def test_a_bad_grouping_file_is_one_line_naming_it(tmp_path, fake_model, text, message):
    a, b = _two_outlets(tmp_path)
    groups = tmp_path / "groups.csv"
    groups.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    args = ["compare", str(a), str(b), "--out", str(out), "--groups", str(groups)]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("storythreads: error:")]
    assert str(groups) in line and message in line
    assert not out.exists()  # nothing written


def test_a_group_field_on_the_records_makes_a_grouping_too(tmp_path, fake_model):
    a, b = _two_outlets(tmp_path)
    rows = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    rows += [json.loads(line) for line in b.read_text(encoding="utf-8").splitlines()]
    groups = {"Alpha": "left", "Gamma": "left", "Beta": "right"}
    both = write_jsonl(tmp_path / "both.jsonl", [{**r, "group": groups[r["source"]]} for r in rows])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["compare", str(both), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    (grouping,) = report["groupings"]
    assert grouping["name"] == "group" and grouping["mapping"] == groups
    assert (out / "coverage-group.csv").is_file()
    # one outlet in two groups is a one-line error naming the post
    rows[0]["group"] = "centre"  # Alpha's first record centre, its second (a2) left
    rows[1] = {**rows[1], "source": "Alpha", "group": "left"}
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**r, "group": r.get("group") or groups[r["source"]]}
                                               for r in rows])  # fmt: skip
    result = CliRunner().invoke(cli.main, ["compare", str(bad), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 1
    assert "outlet 'Alpha' has records in group" in result.output
