"""Voices read from the parse: the quotes table, speakers per thread and outlet, the share
of anonymous sources; hedges. On sentences of the seed blog."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from storythreads.analysis.compare.readings import parse_posts
from storythreads.analysis.compare.voices import (
    HedgeRow,
    SourceRow,
    hedges,
    hedging,
    post_text,
    quotes,
    sources,
    voices,
)
from storythreads.analysis.ingest import read_posts
from storythreads.types import Assignment, Post, Run, Thread

ZAKHAROVA = (
    "The US decision to provide Ukraine with cluster munitions is an inconsequential act, "
    "Russia's foreign ministry said in a statement Saturday.\n\n"
    "“The transfer of cluster munitions is an act of desperation and evidence of failure of "
    "the highly publicized Ukrainian 'counteroffensive,'\" Russian foreign ministry "
    "spokesperson Maria Zakharova said in a statement.\n\n"
    '“It will not affect the course of a special military operation," Zakharova added, using '
    "the preferred terminology among Kremlin officials to describe the war in Ukraine.\n\n"
    'Zakharova claimed the US decision was "aimed at maximally prolonging the conflict in '
    "Ukraine,\" but that Russia's goals for the invasion will still be fully achieved."
)
ARES = (
    "“The Russians are falling back. We know because they hit us much less,” a gunner with "
    "the call sign Ares says, standing next to a small crater next to his unit’s hideout.\n\n"
    "“One or two months ago there was a lot of incoming. It was scary to be here. Now it’s "
    "different,” he adds.\n\n"
    "Ukrainian officials said Friday they had advanced 1 kilometer in the direction of the "
    "city.\n\n"
    "“We put on the flak jackets and move away from the gun as far as possible when we "
    "fire,” Ares says."
)
ERDOGAN = (
    '"We are not at a point where we would impose sanctions on Russia like the West have '
    "done. We are not bound by the West’s sanctions,” Erdogan told CNN. “We are a strong "
    "state and we have a positive relationship with Russia.”"
)


def test_hedges_are_counted_case_insensitively():
    text = (
        "CNN could not independently verify the claims. The village was reportedly hit, "
        "according to officials. Moscow claimed a victory; according to Kyiv it is unclear "
        "who fired. Reportedly, more fell."
    )
    assert hedges(text) == Counter(
        {"reportedly": 2, "according to": 2, "could not independently verify": 1}
        | {"claimed": 1, "it is unclear": 1}
    )
    assert hedges("Nothing hedged here.") == Counter()


def _at(hour: int) -> datetime:
    return datetime(2023, 7, 8, hour, tzinfo=UTC)


def _run(posts, groups) -> Run:
    threads = tuple(
        Thread(tid, tid, (), "", tuple(ids), (), None, None) for tid, ids in groups.items()
    )
    return Run(
        id="r",
        started=_at(12),
        finished=_at(12),
        settings_digest="x",
        model="fake",
        counts={},
        posts=tuple(posts),
        threads=threads,
        assignments=tuple(
            Assignment(pid, tid, "primary", 1.0) for tid, ids in groups.items() for pid in ids
        ),
        links=(),
    )


@pytest.fixture(scope="module")
def thread_run():
    posts = (
        Post("c1", "cnn", None, _at(9), "Russia calls decision desperate", None, ZAKHAROVA),
        Post("b1", "bbc", None, _at(10), "Moscow reacts", None, "Zakharova said it was a crime."),
        Post(
            "b2",
            "bbc",
            None,
            _at(11),
            "Maria Zakharova speaks",
            None,
            "“It changes nothing,” Maria Zakharova said, reportedly. Officials told the BBC "
            "that more shipments would follow, and a source said the decision was rushed.",
        ),
    )
    run = _run(posts, {"t1": ["c1", "b1", "b2"]})
    return run, {pid: r.attributions for pid, r in parse_posts(run).items()}


def test_the_quotes_table_cites_post_and_offsets(thread_run):
    run, found = thread_run
    rows = quotes(run, found)
    texts = {p.id: post_text(p) for p in run.posts}
    assert {r.post_id for r in rows} == {"c1", "b1", "b2"}
    for r in rows:
        assert r.thread_id == "t1" and r.outlet in ("cnn", "bbc")
        assert texts[r.post_id][r.start : r.end] == r.content  # offsets into the post's text
    # one name per person across the thread: "Zakharova" in b1 is Maria Zakharova of b2
    b1 = [r for r in rows if r.post_id == "b1"]
    assert [(r.speaker, r.speaker_kind, r.direct) for r in b1] == [
        ("Maria Zakharova", "person", False)
    ]
    direct = [r for r in rows if r.direct]
    assert {r.speaker for r in direct} == {"Maria Zakharova"}
    assert any(r.content.lstrip('“"').startswith("It will not affect") for r in direct)


def test_voices_count_speakers_and_anonymous_sources(thread_run):
    run, found = thread_run
    rows = quotes(run, found)
    found = {(v.outlet, v.speaker): v for v in voices(rows)}
    cnn = found[("cnn", "Maria Zakharova")]
    assert cnn.quotes >= 2 and cnn.example_post == "c1" and cnn.example
    assert found[("bbc", "Maria Zakharova")].quotes == 1
    anonymous = [v for v in voices(rows) if v.speaker_kind == "anonymous"]
    assert {v.outlet for v in anonymous} == {"bbc"}  # "Officials told the BBC", "a source"
    mix = {m.outlet: m for m in sources(rows)}
    assert mix["cnn"].anonymous == 0
    bbc = mix["bbc"]
    assert bbc == SourceRow("t1", "bbc", bbc.attributions, 2, 2 / bbc.attributions)
    assert hedging(run) == [
        HedgeRow("t1", "bbc", "reportedly", 1),
        HedgeRow("t1", "cnn", "claimed", 1),
    ]


def test_seed_voices_name_their_speakers():
    posts = read_posts(["examples/cnn-liveblog-2023-07-08.txt"]).posts
    run = _run(posts, {f"t{i}": [p.id] for i, p in enumerate(posts)})
    speakers = {
        (r.speaker, r.direct)
        for r in quotes(run, {pid: r.attributions for pid, r in parse_posts(run).items()})
    }
    names = {s for s, _ in speakers}
    for who in ("Volodymyr Zelensky", "Maria Zakharova", "Dmitry Peskov", "Ares"):
        assert who in names, who
    assert any("Erdogan" in s and direct for s, direct in speakers)
