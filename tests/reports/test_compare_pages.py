"""compare.md and compare.html a researcher reads (issue 33): findings first, no table over
20 rows, and a comparison of many outlets drawn by group."""

from __future__ import annotations

import json

import pytest
from helpers.fixture_posts import many_outlets

from storythreads.analysis.compare.groups import read_grouping
from storythreads.analysis.ingest import read_posts
from storythreads.pipeline import analyze
from storythreads.reports.compare_html import compare_view
from storythreads.reports.compare_report import build_comparison, render_compare_markdown
from storythreads.reports.comparison import MANY_OUTLETS, drawn_sides


@pytest.fixture
def many(tmp_path_factory, make_fake_embedder):
    folder = tmp_path_factory.mktemp("many")
    rows = many_outlets(30)
    data, groups = folder / "posts.jsonl", folder / "side.csv"
    data.write_text("".join(json.dumps(p) + "\n" for p in rows), encoding="utf-8")
    outlets = sorted({r["source"] for r in rows})
    groups.write_text("outlet,group\n" + "".join(f"{o},{o.split('-')[0]}\n" for o in outlets))
    run = analyze(read_posts([str(data)]).posts, embedder=make_fake_embedder())
    return build_comparison(run, groupings=[read_grouping(groups)])


def test_compare_md_opens_with_findings_and_caps_its_tables(many):
    text = render_compare_markdown(many)
    assert text.index("## Findings") < text.index("## Summary")
    assert text.index("### By side") < text.index("### By outlet")
    assert "No speaker is quoted by one of the groups" in text
    for table in text.split("\n\n"):
        rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
        assert len(rows) <= 21  # a header and at most 20 rows
    assert "10 more outlets in coverage.csv." in text
    assert "left: left-01, left-03" in text and "and 3 more" in text  # 15 a group, 12 named


def test_many_outlets_are_drawn_by_the_first_grouping(many):
    shown, sides, said = drawn_sides(many)
    assert sides == ["left", "right"] and said["by"] == "group"
    assert "30 outlets, drawn by their groups in side" == said["note"]
    view = compare_view(many)
    assert len(view["median_lag"]) == 20 and view["median_lag_more"] == 10
    assert [f["title"] for f in view["findings"]] == ["By side", "By outlet"]
    assert all(len(t["coverage"]) <= 20 for t in view["threads"])


def test_without_a_grouping_the_busiest_outlets_are_drawn(many):
    ungrouped = build_comparison(many.run)
    shown, sides, said = drawn_sides(ungrouped)
    assert shown is ungrouped and len(sides) == MANY_OUTLETS
    assert said["note"].startswith(f"the {MANY_OUTLETS} outlets with the most posts of 30")


def test_both_pages_say_how_many_speakers_are_left_out_as_things(many):
    import dataclasses

    from storythreads.analysis.compare.voices import QuoteRow
    from storythreads.reports.compare_html import render_compare_html

    mask = QuoteRow("p1", "left-01", many.run.threads[0].id, "the mask", "other", "says",
                    "wear me", True, 0, 7)  # fmt: skip
    with_thing = dataclasses.replace(many, quotes=(mask,))
    assert with_thing.not_speakers() == [{"speaker": "the mask", "attributions": 1}]
    said = "1 speaker(s) judged a thing or nobody are not listed"
    assert said in render_compare_markdown(with_thing)
    assert said in render_compare_html(with_thing)
    assert "judged a thing" not in render_compare_markdown(many)
