"""Quotes, attributions and hedges, on sentences from the seed blog."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from storythreads.analysis.ingest import read_posts
from storythreads.analysis.voices import (
    HedgeRow,
    Quote,
    VoiceRow,
    attributions,
    extract_quotes,
    hedges,
    hedging,
    voices,
)
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


def test_zakharova_quotes_resolve_to_the_full_name():
    quotes = extract_quotes(ZAKHAROVA)
    assert [(q.speaker, q.verb) for q in quotes] == [
        ("Maria Zakharova", "said"),
        ("Maria Zakharova", "added"),
    ]
    assert quotes[0].quote.startswith("The transfer of cluster munitions is an act")
    assert quotes[1].quote == "It will not affect the course of a special military operation"
    # the scare quote after "claimed" is not a quotation with a speaker
    assert not any(q.quote.startswith("aimed") for q in quotes)


def test_zakharova_attributions_exclude_the_quote_attributions():
    assert attributions(ZAKHAROVA) == ["Russia's foreign ministry", "Maria Zakharova"]


def test_ares_quotes_and_a_pronoun_speaker():
    quotes = extract_quotes(ARES)
    assert [q.speaker for q in quotes] == ["Ares", "Ares", "Ares"]
    assert [q.verb for q in quotes] == ["says", "adds", "says"]
    assert quotes[1].quote.startswith("One or two months ago")
    assert attributions(ARES) == ["Ukrainian officials"]


def test_a_pronoun_with_no_named_speaker_before_it_is_kept():
    assert extract_quotes("“We will hold the line,” she said.") == [
        Quote("she", "We will hold the line", "said")
    ]


def test_erdogan_told_cnn_and_the_quote_that_continues_it():
    quotes = extract_quotes(ERDOGAN)
    assert [(q.speaker, q.verb) for q in quotes] == [("Erdogan", "told"), ("Erdogan", None)]
    assert quotes[1].quote.startswith("We are a strong state")


def test_speaker_before_the_quote():
    text = "Erdogan told CNN “Turkey will not impose sanctions on Russia.” Zakharova said: “No.”"
    quotes = extract_quotes(text)
    assert quotes[0] == Quote("Erdogan", "Turkey will not impose sanctions on Russia.", "told")
    assert len(quotes) == 1  # a one-word quote is too short to attribute from before


def test_titles_are_dropped_from_speakers():
    text = "“Ukraine deserves NATO,” Turkish President Recep Tayyip Erdogan said on Saturday."
    assert extract_quotes(text)[0].speaker == "Recep Tayyip Erdogan"


def test_attributions_according_to_citing_and_said():
    text = (
        "At least eight people were killed, according to Ukrainian officials.\n"
        "No date is set yet, Russian state media TASS reported on Saturday, citing Kremlin "
        "spokesperson Dmitry Peskov.\n"
        "Peskov said Friday that the two sides were already in talks.\n"
        "The head of Donetsk region military administration Pavlo Kyrylenko said rescuers came."
    )
    assert attributions(text) == [
        "Ukrainian officials",
        "Dmitry Peskov",
        "Dmitry Peskov",
        "Pavlo Kyrylenko",
    ]


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


def test_voices_and_hedging_per_thread_and_outlet():
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
            "“It changes nothing,” Maria Zakharova said, reportedly.",
        ),
    )
    t1 = Thread("t1", "Cluster munitions", (), "", ("c1", "b1", "b2"), (), None, None)
    run = Run(
        id="r",
        started=_at(12),
        finished=_at(12),
        settings_digest="x",
        model="fake",
        counts={},
        posts=posts,
        threads=(t1,),
        assignments=tuple(Assignment(p.id, "t1", "primary", 1.0) for p in posts),
        links=(),
    )
    assert voices(run) == [
        # bbc: "Zakharova" (post b1) joins "Maria Zakharova" (post b2)
        VoiceRow("t1", "bbc", "Maria Zakharova", 1, 1),
        VoiceRow("t1", "cnn", "Maria Zakharova", 2, 1),
        VoiceRow("t1", "cnn", "Russia's foreign ministry", 0, 1),
    ]
    assert hedging(run) == [
        HedgeRow("t1", "bbc", "reportedly", 1),
        HedgeRow("t1", "cnn", "claimed", 1),
    ]


def test_seed_posts():
    posts = {p.title[:20]: p for p in read_posts(["examples/cnn-liveblog-2023-07-08.txt"]).posts}
    bakhmut = posts["Ukrainian officials "]
    speakers = [q.speaker for q in extract_quotes(bakhmut.body)]
    assert speakers[:3] == ["Ares", "Ares", "Ares"] and set(speakers) == {"Ares", "Dmytro"}
    russia = posts["Russia calls US deci"]
    assert {q.speaker for q in extract_quotes(russia.body)} == {"Maria Zakharova"}
    turkey = posts["No date set yet for "]
    assert [q.speaker for q in extract_quotes(turkey.body)] == ["Erdogan", "Erdogan"]
    assert "Dmitry Peskov" in attributions(turkey.body)
