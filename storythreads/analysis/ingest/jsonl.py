"""JSON Lines: one JSON object per line, the format the bundled data sets use.

A bad line is reported and skipped, not fatal: exports of thousands of posts often carry a
few broken lines, and losing the whole file to one of them helps nobody.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...config import LimitSettings
from ...types import Post, Problem
from .cleaning import iter_lines
from .common import PostSink


def read(
    path: Path, text: str, limits: LimitSettings, source: str | None = None
) -> tuple[list[Post], list[Problem]]:
    """Posts from JSONL text; fields id, source, url, published, title, text/body, byline."""
    sink = PostSink(path, limits, source)
    for number, line in enumerate(iter_lines(text), start=1):
        add_line(sink, number, line)
    return sink.result()


def add_line(sink: PostSink, number: int, line: str) -> None:
    """One line of a JSONL file: a post, a problem, or nothing (a blank line)."""
    if not line.strip():
        return
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        sink.problem(number, f"not valid JSON ({exc.msg} at column {exc.colno}); skipped")
        return
    except (ValueError, RecursionError) as exc:  # e.g. nesting too deep to parse
        sink.problem(number, f"not valid JSON ({exc}); skipped")
        return
    if not isinstance(value, dict):
        sink.problem(number, f"expected a JSON object, got {_kind(value)}; skipped")
        return
    sink.add_record(value, number)


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
