"""Segmenting posts: title first, bullets on their own, long paragraphs cut at sentences."""

from __future__ import annotations

import hashlib
import re

import pytest

from storythreads.analysis.threading.segment import segment_post, segment_posts, split_sentences
from storythreads.config import SegmentSettings
from storythreads.types import Post

ROUNDUP = """Officials say the summit in Vilnius will focus on Ukraine's path to membership.

Here's what to know:

• The US will send cluster munitions to Ukraine as part of a new package.
- Turkey still has not approved Sweden's bid to join the alliance.
1. Biden arrives in London on Sunday before traveling on to Lithuania."""


def post(body: str, title: str = "NATO leaders gather in Vilnius", pid: str = "p-1") -> Post:
    return Post(pid, None, None, None, title, None, body)


def test_title_is_ordinal_zero():
    segments = segment_post(post("A first paragraph that is long enough to stand on its own."))
    assert [(s.ordinal, s.kind) for s in segments] == [(0, "title"), (1, "paragraph")]
    assert segments[0].text == "NATO leaders gather in Vilnius"


def test_no_title_starts_with_the_body():
    segments = segment_post(post("A first paragraph that is long enough to stand on its own.", ""))
    assert [(s.ordinal, s.kind) for s in segments] == [(0, "paragraph")]


def test_bullets_become_bullet_segments_without_their_markers():
    bullets = [s for s in segment_post(post(ROUNDUP)) if s.kind == "bullet"]
    assert [s.text for s in bullets] == [
        "The US will send cluster munitions to Ukraine as part of a new package.",
        "Turkey still has not approved Sweden's bid to join the alliance.",
        "Biden arrives in London on Sunday before traveling on to Lithuania.",
    ]


def test_lead_in_before_bullets_joins_the_preceding_paragraph():
    segments = segment_post(post(ROUNDUP))
    assert [s.kind for s in segments] == ["title", "paragraph", "bullet", "bullet", "bullet"]
    paragraph = segments[1]
    assert paragraph.text.startswith("Officials say the summit")
    assert paragraph.text.endswith("Here's what to know:")
    assert not any("what to know" in s.text for s in segments if s.kind == "bullet")


def test_long_paragraph_is_cut_at_sentence_ends():
    sentences = [
        f"Sentence number {word} talks about the counteroffensive near Bakhmut at length."
        for word in ("one", "two", "three", "four", "five", "six", "seven", "eight")
    ]
    paragraph = " ".join(sentences)
    settings = SegmentSettings(min_chars=10, max_chars=200)
    assert len(paragraph) > settings.max_chars
    pieces = [s for s in segment_post(post(paragraph), settings) if s.kind != "title"]
    assert len(pieces) > 1
    assert all(len(s.text) <= settings.max_chars for s in pieces)
    assert all(s.text.endswith(".") for s in pieces)  # cut between sentences, not inside
    assert " ".join(s.text for s in pieces) == paragraph  # nothing lost or duplicated
    assert [s.ordinal for s in pieces] == list(range(1, len(pieces) + 1))


def test_sentence_longer_than_max_chars_is_hard_cut():
    paragraph = "word " * 100 + "end."
    settings = SegmentSettings(min_chars=10, max_chars=120)
    pieces = [s for s in segment_post(post(paragraph), settings) if s.kind != "title"]
    assert len(pieces) >= 4
    assert all(0 < len(s.text) <= settings.max_chars for s in pieces)


@pytest.mark.parametrize(
    "first_line", ["NATO leaders gather in Vilnius", "NATO leaders gather in Vilnius."]
)
def test_body_repeating_the_title_is_not_duplicated(first_line):
    body = f"{first_line}\n\nThe alliance meets on Tuesday to discuss Ukraine's membership bid."
    texts = [s.text for s in segment_post(post(body))]
    assert texts == [
        "NATO leaders gather in Vilnius",
        "The alliance meets on Tuesday to discuss Ukraine's membership bid.",
    ]


def test_split_sentences_keeps_abbreviated_titles_together():
    text = (
        "Chairman of the US Joint Chiefs of Staff Gen. Mark Milley has said the pace of the "
        "counteroffensive is not surprising. Biden agreed with him on Friday."
    )
    sentences = split_sentences(text)
    assert len(sentences) == 2
    assert "Gen. Mark Milley" in sentences[0]
    assert sentences[1] == "Biden agreed with him on Friday."


def test_split_sentences_splits_plain_sentences_and_normalises_space():
    assert split_sentences("  One thing happened.\n Then another!  Why? ") == [
        "One thing happened.",
        "Then another!",
        "Why?",
    ]
    assert split_sentences("   ") == []


def test_split_sentences_splits_after_short_place_names():
    assert split_sentences("The talks were held in Kyiv. Zelensky spoke afterwards.") == [
        "The talks were held in Kyiv.",
        "Zelensky spoke afterwards.",
    ]


def test_segment_ids_and_hashes():
    posts = [
        post(ROUNDUP, pid="p-a"),
        post("Another long enough paragraph about Turkey.", pid="p-b"),
    ]
    segments = segment_posts(posts)
    assert {s.post_id for s in segments} == {"p-a", "p-b"}
    for s in segments:
        assert s.id == f"{s.post_id}#{s.ordinal}"
        assert s.sha == hashlib.sha256(s.text.encode("utf-8")).hexdigest()
        assert re.fullmatch(r"[0-9a-f]{64}", s.sha)
    assert len({s.id for s in segments}) == len(segments)


def test_captions_are_not_segmented():
    p = Post(
        "p-1",
        None,
        None,
        None,
        "Title here",
        None,
        "A body paragraph long enough to keep.",
        captions=("A photo caption that must not become a segment.",),
    )
    assert not any("caption" in s.text for s in segment_post(p))
