"""Post -> Segments: the title, then paragraphs and bullets of the body.

A roundup post ("Here's what to know", one bullet per story) tells several stories; giving
each bullet its own vector lets it join other threads as an `also` member. Captions are not
segmented: they describe a photo, not the story, and are printed twice in copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

from ...config import SegmentSettings
from ...types import Post, Segment, SegmentKind, sha256_text

_BULLET = re.compile(r"^\s*(?:[•·▪●◦‣*–-]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")


_ABBREVIATION = re.compile(
    r"\b(?:Gen|Lt|Col|Sgt|Capt|Maj|Adm|Gov|Sen|Rep|Rev|Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|No|Vol"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Z])\.$"
)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; a plain rule that keeps 'Gen. Mark Milley' mostly intact."""
    text = " ".join(text.split())
    if not text:
        return []
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()].strip())
        start = match.end()
    parts.append(text[start:].strip())
    sentences: list[str] = []
    for part in parts:
        # Join back splits after abbreviations and initials ("Gen.", "U.S.", "J.").
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(part)
    return sentences


def _paragraphs(body: str) -> list[tuple[str, str]]:
    out = []
    for raw in re.split(r"\n\s*\n|\n", body):
        text = " ".join(raw.split())
        if not text:
            continue
        if _BULLET.match(raw):
            out.append(("bullet", _BULLET.sub("", raw, count=1).strip()))
        else:
            out.append(("paragraph", text))
    return out


def _cut(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    pieces, current = [], ""
    for sentence in split_sentences(text):
        while len(sentence) > max_chars:  # a sentence longer than the limit: hard cut
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def segment_post(post: Post, settings: SegmentSettings | None = None) -> list[Segment]:
    """Segments of one post, in reading order; ordinal 0 is the title when there is one."""
    settings = settings or SegmentSettings()
    units: list[tuple[str, str]] = []
    title = " ".join(post.title.split())
    if title:
        units.append(("title", title))
    merged: list[list[str]] = []  # [kind, text]
    for kind, text in _paragraphs(post.body):
        if title and not merged and text.rstrip(".") == title.rstrip("."):
            continue  # articles often repeat the headline as their first line
        short = merged and merged[-1][0] != "bullet" and len(merged[-1][1]) < settings.min_chars
        if short and kind == "paragraph":
            merged[-1] = [kind, f"{merged[-1][1]} {text}"]  # a short line joins what follows
        elif short and len(merged) > 1 and merged[-2][0] != "bullet":
            # a lead-in to a list ("Here's his schedule:") closes the paragraph before it
            lead_in = merged.pop()
            merged[-1] = [merged[-1][0], f"{merged[-1][1]} {lead_in[1]}"]
            merged.append([kind, text])
        else:
            merged.append([kind, text])
    for kind, text in merged:
        units.extend((kind, piece) for piece in _cut(text, settings.max_chars))
    return [
        Segment(
            id=f"{post.id}#{i}",
            post_id=post.id,
            ordinal=i,
            kind=cast(SegmentKind, kind),  # "title", "paragraph" or "bullet"
            text=text,
            sha=sha256_text(text),
        )
        for i, (kind, text) in enumerate(units)
    ]


def segment_posts(posts: Iterable[Post], settings: SegmentSettings | None = None) -> list[Segment]:
    return [s for post in posts for s in segment_post(post, settings)]
