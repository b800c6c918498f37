"""Who speaks in each outlet's telling of a story, and how it hedges.

Voices come from the parse (``analysis.attribution``): every direct quote, partial quote
and indirect attribution ("according to Y", "officials told CNN ...") with its speaker,
the speaker's kind (person, organisation, anonymous, document), the cue and the content,
at character offsets into the post's text (its title, a newline, then its body, as it is
parsed). Within a thread one person has one name across its posts ("Zakharova" and
"Maria Zakharova"; ``attribution.same_speakers``).

- ``quotes``: one row per attribution (the quotes.csv table);
- ``voices``: per (thread, outlet, speaker): direct quotes and other attributions, with
  one example quote and the post it is in;
- ``sources``: per (thread, outlet): how many attributions, and the share whose source
  is anonymous ("officials", "a source", "people familiar with the matter");
- ``hedging``: counts of the phrases in ``HEDGES`` ("could not independently verify"):
  a fixed list of newsroom formulas, matched as words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...types import Post, Run
from ..language.animacy import NOT_A_SPEAKER
from ..language.speakers import PRONOUNS
from .outlets import outlet_of, thread_posts

if TYPE_CHECKING:
    from ..language.attribution import Attribution

HEDGES = (
    "could not independently verify", "cannot independently verify",
    "has not been able to verify", "reportedly", "allegedly", "claimed", "according to",
    "unconfirmed", "it is unclear",
)  # fmt: skip


def post_text(post: Post) -> str:
    """The text a post is parsed as, and that quote offsets point into."""
    return f"{post.title}\n{post.body}"


@dataclass(frozen=True)
class QuoteRow:
    post_id: str
    outlet: str
    thread_id: str
    speaker: str
    speaker_kind: str  # person | organisation | anonymous | document | other (no speaker)
    cue: str
    content: str
    direct: bool
    start: int  # character offsets of the content in post_text(post)
    end: int


@dataclass(frozen=True)
class VoiceRow:
    thread_id: str
    outlet: str
    speaker: str
    speaker_kind: str
    quotes: int  # direct quotes
    attributions: int  # indirect attributions and partial quotes
    example: str  # one thing the speaker said, as the outlet wrote it
    example_post: str


@dataclass(frozen=True)
class SourceRow:
    thread_id: str
    outlet: str
    attributions: int  # all, direct or not
    anonymous: int
    anonymous_share: float


@dataclass(frozen=True)
class HedgeRow:
    thread_id: str
    outlet: str
    phrase: str
    count: int


def quotes(run: Run, found: Mapping[str, list[Attribution]]) -> list[QuoteRow]:
    """Every attribution in each thread's primary posts (``found``: post id -> its
    attributions, ``attribution.extract_attributions`` of the parse of ``post_text``);
    rows by (thread order, post time, post id, position in the post)."""
    from ..language.attribution import same_speakers

    rows = []
    for thread, posts in thread_posts(run):
        groups = same_speakers([found[p.id] for p in posts])
        for post, attributions in zip(posts, groups, strict=True):
            for a in attributions:
                rows.append(
                    QuoteRow(post.id, outlet_of(post), thread.id, a.speaker, a.speaker_kind,
                             a.cue, a.content, a.direct, a.start, a.end)
                )  # fmt: skip
    return rows


def is_voice(row: QuoteRow) -> bool:
    """Whether an attribution's speaker is one to list: not a pronoun that named nobody
    ("he", "they"), nor a thing, an abstraction or nobody (kind "other")."""
    return row.speaker.lower() not in PRONOUNS and row.speaker_kind != NOT_A_SPEAKER


def voices(rows: list[QuoteRow]) -> list[VoiceRow]:
    """Per (thread, outlet, speaker): counts and one example (the longest direct quote, or
    the longest attribution); by (thread order, outlet, most attributions, speaker). A
    pronoun that named nobody ("he", "himself", "they") is no speaker to list: its
    attributions count in ``sources`` and stay in quotes.csv; nor is a thing, an
    abstraction or nobody (kind "other": ``animacy.judge_speakers``, "no one said")."""
    groups: dict[tuple[str, str, str], list[QuoteRow]] = {}
    order: dict[str, int] = {}
    for r in rows:
        order.setdefault(r.thread_id, len(order))
        if not is_voice(r):
            continue
        groups.setdefault((r.thread_id, r.outlet, r.speaker), []).append(r)
    out = []
    for (thread_id, outlet, speaker), items in groups.items():
        direct = sum(r.direct for r in items)
        example = max(items, key=lambda r: (r.direct, len(r.content)))
        kind = Counter(r.speaker_kind for r in items).most_common(1)[0][0]
        out.append(VoiceRow(thread_id, outlet, speaker, kind, direct, len(items) - direct,
                            example.content, example.post_id))  # fmt: skip
    out.sort(key=lambda v: (order[v.thread_id], v.outlet, -(v.quotes + v.attributions), v.speaker))
    return out


def sources(rows: list[QuoteRow]) -> list[SourceRow]:
    """Per (thread, outlet): attributions and the share of anonymous ones."""
    counts: dict[tuple[str, str], list[int]] = {}
    order: dict[str, int] = {}
    for r in rows:
        order.setdefault(r.thread_id, len(order))
        c = counts.setdefault((r.thread_id, r.outlet), [0, 0])
        c[0] += 1
        c[1] += r.speaker_kind == "anonymous"
    return [
        SourceRow(t, o, n, anon, anon / n)
        for (t, o), (n, anon) in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]


def hedges(text: str) -> Counter[str]:
    """How often each phrase of `HEDGES` occurs (case-insensitive, whole words)."""
    counts: Counter[str] = Counter()
    for phrase in HEDGES:
        pattern = r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b"
        n = len(re.findall(pattern, text, re.IGNORECASE))
        if n:
            counts[phrase] = n
    return counts


def hedging(run: Run) -> list[HedgeRow]:
    """Hedge phrase counts per (thread, outlet) over primary posts; by (thread, outlet, phrase)."""
    rows = []
    for thread, posts in thread_posts(run):
        per_outlet: dict[str, Counter[str]] = {}
        for post in posts:
            per_outlet.setdefault(outlet_of(post), Counter()).update(hedges(post_text(post)))
        for outlet in sorted(per_outlet):
            for phrase, n in sorted(per_outlet[outlet].items()):
                rows.append(HedgeRow(thread.id, outlet, phrase, n))
    return rows
