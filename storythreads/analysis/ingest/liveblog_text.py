"""A live blog copied from the browser as plain text (see examples/cnn-liveblog-*.txt).

The copy has no markup, so the structure is recovered from what the page prints: each post
starts with a time line ("1:30 p.m. ET, July 8, 2023"), then its headline, then an optional
"From CNN's ..." byline, then the body. Photos leave their caption twice, the second time
with the photo credit after it; page furniture ("21 Posts", "Sort by", "Watch more:") and
reporting credits are not part of the story and are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem
from .cleaning import clean_line, split_lines
from .common import PostSink
from .times import is_stamp

_CHROME = [
    re.compile(r"^Watch more:?$", re.IGNORECASE),
    re.compile(r"^Sort by", re.IGNORECASE),
    re.compile(r"^\d+ Posts?$", re.IGNORECASE),
    re.compile(r"^Updated:? \d{1,2}[:.]\d{2}", re.IGNORECASE),
    re.compile(r"^Link Copied!?$", re.IGNORECASE),
    re.compile(
        r"^.{1,300}\bcontributed (?:reporting|to this (?:report|post|story))"
        r"(?: (?:to|for) this (?:post|report|story))?\.?$",
        re.IGNORECASE,
    ),
]
_BULLET = re.compile(r"^(?:[•●▪◦‣]\s*|[-*\u2013]\s+)(?P<text>\S.*)$")
# "CNN's Mariya Knight", "CNN staff", "The Guardian's ..." -> the outlet before 's / staff.
_OUTLET = re.compile(r"^(?P<outlet>[A-Z][\w&.-]*(?: [A-Z][\w&.-]*){0,3}?)(?:['\u2019]s? | staff\b)")
_CREDIT_MAX = 120  # a photo credit ("Frank Augstein/Pool/AFP/Getty Images") is short
_CAPTION_MIN = 15  # shorter lines (subheads) are not taken for captions


@dataclass
class _Block:
    """The lines between one time line and the next."""

    line: int  # the time line's number, used to name the post in problems
    stamp: str
    lines: list[str] = field(default_factory=list)


def read(
    path: Path, text: str, limits: LimitSettings, source: str | None = None
) -> tuple[list[Post], list[Problem]]:
    """Posts from a live-blog copy; the outlet is `source`, else the one the bylines name."""
    blocks: list[_Block] = []
    for number, line in enumerate(split_lines(text), start=1):
        if is_stamp(line):
            blocks.append(_Block(number, clean_line(line)))
        elif blocks:  # anything before the first time line is page furniture
            blocks[-1].lines.append(line)
    if not blocks:
        raise InputError(
            "no post times found (lines like '1:30 p.m. ET, July 8, 2023'); "
            "is this a live-blog copy?",
            path=str(path),
        )
    parsed = [_parse_block(block) for block in blocks]
    sink = PostSink(path, limits, source or _infer_outlet(p["byline"] for p in parsed if p))
    for block, post in zip(blocks, parsed, strict=True):
        if post is None:
            sink.problem(block.line, "post time with no headline after it; skipped")
            continue
        sink.add(block.line, published=block.stamp, **post)
    return sink.result()


class _Parsed(TypedDict):
    """A post's fields as ``_parse_block`` reads them (its time is the block's stamp)."""

    title: str
    byline: str | None
    body: str
    captions: tuple[str, ...]


def _parse_block(block: _Block) -> _Parsed | None:
    lines = [clean_line(line) for line in block.lines]
    filled = [i for i, line in enumerate(lines) if line]
    if not filled:
        return None
    title = lines[filled[0]]
    rest = filled[0] + 1
    byline = None
    if len(filled) > 1 and _is_byline(lines[filled[1]]):
        byline = lines[filled[1]][len("From ") :].strip()
        rest = filled[1] + 1
    paragraphs: list[str] = []
    captions: list[str] = []
    i = rest
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        i += 1
        if not line:
            continue
        if _is_caption(line, following):
            captions.append(line)
            i += 1  # the credit line goes with it
        elif any(pattern.match(line) for pattern in _CHROME):
            continue
        elif bullet := _BULLET.match(line):
            paragraphs.append("• " + bullet["text"])
        else:
            paragraphs.append(line)
    return {
        "title": title,
        "byline": byline,
        "body": "\n\n".join(paragraphs),
        "captions": tuple(dict.fromkeys(captions)),
    }


def _is_byline(line: str) -> bool:
    return line.startswith("From ") and len(line) <= 200 and not line.endswith((".", "!", "?"))


def _is_caption(line: str, following: str) -> bool:
    """A caption is printed, then printed again with the photo credit after it."""
    if len(line) < _CAPTION_MIN or not following.startswith(line + " "):
        return False
    return len(following) - len(line) - 1 <= _CREDIT_MAX


def _infer_outlet(bylines: Iterable[str | None]) -> str | None:
    """The outlet most bylines name ("From CNN's ..." -> "CNN"); ties go to the first."""
    outlets: Counter[str] = Counter()
    for byline in bylines:
        match = _OUTLET.match(byline or "")
        if match:
            outlets[match["outlet"]] += 1
    return outlets.most_common(1)[0][0] if outlets else None
