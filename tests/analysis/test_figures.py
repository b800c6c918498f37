"""Figures: numbers with their subjects, and counts that change within a thread."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storythreads.analysis.ingest import read_posts
from storythreads.analysis.language.figures import FigureRow, extract_figures, figures, revisions
from storythreads.types import Assignment, Run, Thread

SEED = "examples/cnn-liveblog-2023-07-08.txt"


def facts(text: str) -> list[tuple]:
    return [(f.subject, f.value, f.unit, f.qualifier) for f in extract_figures(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "At least eight people were killed and 13 wounded when Russian troops shelled Lyman.",
            [("deaths", 8, None, "at least"), ("injured", 13, None, None)],
        ),
        (
            "Earlier, officials had reported six dead and several injured.",
            [("deaths", 6, None, None)],
        ),
        (
            "At least 494 children have been killed and 1,051 injured since the invasion.",
            [("children killed", 494, None, "at least"), ("children injured", 1051, None, None)],
        ),
        (
            "Ukrainian officials said Friday they had advanced 1 kilometer toward the city.",
            [("distance", 1, "km", None)],
        ),
        (
            "Ukrainian soldiers claim to fire up to 300 rounds every day.",
            [("rounds", 300, None, "up to")],
        ),
        (
            "Russian shelling kills at least 8 people in Ukrainian city of Lyman.",
            [("deaths", 8, None, "at least")],
        ),
        (
            "It has a range of over 40 kilometers (about 25 miles).",
            [("distance", 40, "km", "over"), ("distance", 25, "miles", "about")],
        ),
        (
            "Thirteen people died and five hundred were hurt; 1.5 million people fled.",
            [
                ("deaths", 13, None, None),
                ("injured", 500, None, None),
                ("people", 1.5e6, None, None),
            ],
        ),
        (
            "The fire spread to three vehicles and more than 10,000 people were evacuated.",
            [("vehicles", 3, None, None), ("people", 10000, None, "more than")],
        ),
    ],
)
def test_extract_figures(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The attack came at around 10 a.m. local time (3 a.m. ET) on June 30.",
        "Moscow invaded in February 2022, on its 500th day, with 155-millimeter guns.",
        "One of the reasons is that one of them left.",
        "The F-16 jets and the G7 leaders met.",
    ],
)
def test_no_figures_in_times_dates_ordinals_and_names(text):
    assert extract_figures(text) == []


def test_earlier_marks_superseded_reports():
    found = extract_figures(
        "At least eight people were killed. Earlier, officials had reported six dead. "
        "The toll was previously put at five killed."
    )
    assert [(f.value, f.earlier) for f in found] == [(8, False), (6, True), (5, True)]
    assert found[1].text == "Earlier, officials had reported six dead."


def _lyman_run() -> Run:
    posts = read_posts([SEED]).posts
    lyman = next(p for p in posts if "Lyman" in p.title)
    thread = Thread("t1", "Lyman shelling", (), lyman.title, (lyman.id,), (), None, None)
    return Run(
        id="r",
        started=datetime(2023, 7, 9, tzinfo=UTC),
        finished=datetime(2023, 7, 9, tzinfo=UTC),
        settings_digest="x",
        model="fake",
        counts={},
        posts=posts,
        threads=(thread,),
        assignments=(Assignment(lyman.id, "t1", "primary", 1.0),),
        links=(),
    )


def test_seed_lyman_post_six_revised_to_eight():
    run = _lyman_run()
    rows = figures(run)
    (lyman_id,) = run.threads[0].post_ids
    assert {r.post_id for r in rows} == {lyman_id} and {r.outlet for r in rows} == {"CNN"}
    deaths = [(r.value, r.qualifier, r.earlier) for r in rows if r.subject == "deaths"]
    assert deaths == [(8, "at least", False), (8, "at least", False), (6, None, True)]
    assert ("injured", 13) in {(r.subject, r.value) for r in rows}
    (revision,) = revisions(rows)
    assert (revision.thread_id, revision.subject) == ("t1", "deaths")
    assert revision.note == "deaths: 6 (earlier report) → 8"
    assert [v[0] for v in revision.values] == [6, 8, 8]
    assert revision.values[0][4] is True and revision.values[0][1] == lyman_id


def _row(thread_id, post_id, hour, subject, value, earlier=False, unit=None, about=None):
    when = datetime(2023, 7, 8, hour, tzinfo=UTC) if hour is not None else None
    return FigureRow(thread_id, "cnn", post_id, when, subject, value, unit, None, earlier, "",
                     about=about)  # fmt: skip


def test_revisions_order_by_thread_then_time_and_skip_stable_counts():
    rows = [
        _row("t2", "a", 9, "deaths", 3),
        _row("t2", "b", 11, "deaths", 5),
        _row("t2", "c", None, "deaths", 7),  # undated last
        _row("t2", "b", 11, "injured", 4),
        _row("t2", "c", 12, "injured", 4),  # the same value twice: no revision
        _row("t1", "d", 10, "distance", 1, unit="km", about="flood"),
        _row("t1", "e", 12, "distance", 1.5, unit="km", about="flood"),
        _row("t1", "e", 12, "distance", 2, unit="miles", about="flood"),  # another unit
        # amounts of different things, or of nothing the parse names: not compared (issue 33)
        _row("t1", "f", 9, "money", 5_000, unit="USD", about="fine"),
        _row("t1", "g", 10, "money", 293_000_000, unit="USD", about="bill"),
        _row("t1", "g", 11, "money", 250_000_000, unit="USD"),
        _row("t1", "h", 12, "money", 29_300_000, unit="USD"),
    ]
    found = revisions(rows)
    assert [(r.thread_id, r.subject, r.unit) for r in found] == [
        ("t2", "deaths", None),
        ("t1", "distance", "km"),
    ]
    assert found[0].note == "deaths: 3 → 5 → 7"
    assert found[1].note == "distance (km) of the flood: 1 → 1.5"
    rows.append(_row("t1", "h", 13, "money", 310_000_000, unit="USD", about="bill"))
    (bill,) = [r for r in revisions(rows) if r.subject == "money"]
    assert bill.note == "money (USD) of the bill: 293,000,000 → 310,000,000"
    assert revisions(rows, subjects={"injured"}) == []


def test_odd_digits_and_absurd_sizes_are_no_figures():
    found = extract_figures(
        "Footnotes ①②③④ and ¹²³⁴ aside, 20 trillion trillion homes were destroyed, "
        "a billion billion billion trillion people cheered, and 5 million people fled."
    )
    assert [(f.subject, f.value) for f in found] == [("people", 5_000_000)]
