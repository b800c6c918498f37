"""RSS 2.0 and Atom feeds (and RSS 1.0, which feedparser reads too): one post per entry.

Feeds are how most outlets publish a running list of stories, so a saved feed is a cheap
way to add an outlet to a run. feedparser absorbs the differences between the formats and
the errors real feeds have (undefined entities, broken markup).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import feedparser

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem
from .cleaning import clean_line
from .common import PostSink
from .outlets import outlet_from_url
from .web.markup import html_to_text

# The file is decoded already; this tells feedparser to ignore the encoding the XML
# declaration names (it would decode our UTF-8 a second time).
_UTF8 = {"content-type": "application/xml; charset=utf-8"}


def read(
    path: Path, text: str, limits: LimitSettings, source: str | None = None
) -> tuple[list[Post], list[Problem]]:
    """Posts from a feed; the outlet is `source`, else the one the feed's link names."""
    # A stream, never the text itself: feedparser fetches a string that looks like a URL.
    feed = feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers=_UTF8)
    reason = _xml_error(feed)
    if not feed.entries:
        if reason:
            raise InputError(f"not a readable RSS or Atom feed ({reason})", path=str(path))
        raise InputError("the feed has no entries", path=str(path))
    sink = PostSink(path, limits, source or outlet_from_url(feed.feed.get("link")))
    if reason:
        sink.problem(None, f"not well-formed XML ({reason}); read with a forgiving parser")
    for entry in feed.entries:
        link = entry.get("link")
        sink.add(
            None,  # feedparser does not report lines; problems name the file
            title=_plain(entry.get("title_detail"), entry.get("title")),
            body=_body(entry),
            published=_published(entry),
            byline=_byline(entry),
            url=link,
            post_id=entry.get("id") or link,
        )
    return sink.result()


def _xml_error(feed: Any) -> str | None:  # feedparser's FeedParserDict (untyped)
    """What is wrong with the XML, if anything; not its position, which feedparser shifts."""
    if not feed.get("bozo"):
        return None
    error = feed.get("bozo_exception")
    message = error.getMessage() if hasattr(error, "getMessage") else str(error or "")
    return message or "unknown error"


def _plain(detail: Mapping[str, Any] | None, value: str | None) -> str:
    """Entry text as plain text: HTML is stripped only where the feed marks it as HTML."""
    if detail is not None and "html" in (detail.get("type") or ""):
        return html_to_text(detail.get("value"))
    return value or ""


def _body(entry: Mapping[str, Any]) -> str:
    """The full content where the feed carries it, else the summary."""
    for content in entry.get("content") or []:
        if content.get("value"):
            return _plain(content, content.get("value"))
    return _plain(entry.get("summary_detail"), entry.get("summary"))


def _published(entry: dict[str, Any]) -> str | None:
    """The date as the feed writes it, read by common.parse_time like every other format.

    Not feedparser's *_parsed values: where common.parse_time fails they often keep only the
    day ("2023-07-08 13:30:00 EDT" -> midnight), and a wrong time is worse than a reported
    problem. dict.get, not entry.get: feedparser's get maps "updated" to "published" with
    a DeprecationWarning.
    """
    return dict.get(entry, "published") or dict.get(entry, "updated")


def _byline(entry: Mapping[str, Any]) -> str | None:
    names = [clean_line(a.get("name") or "") for a in entry.get("authors") or []]
    names = [name for name in names if name]
    return ", ".join(dict.fromkeys(names)) or entry.get("author")
