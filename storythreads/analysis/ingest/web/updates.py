"""Live blogs from structured data: one post per ``liveBlogUpdate``, each checked against
its own block in the page.

Each update is looked up in the page's markup (by its anchor, else by its place among the
page's post elements), and the update's own markup wins over structured values that only
repeat the page's: some outlets give every ``liveBlogUpdate`` the page's headline and one
``datePublished`` (the page's last change), while each update's block carries its real
``<time>`` and its own heading. Disagreements are said once per page.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..cleaning import clean_line
from ..common import PostSink
from .blocks import first_stamp
from .markup import MarkupPost, html_to_text, markup_posts, read_block
from .page import Page, anchor_url, as_list, authors, local_time, text_value, time_or_none
from .structured import Item

# two times of one update that differ by less than this are the same time written twice
_SAME_TIME_S = 60
_ID_TAIL = re.compile(r"[-_:]")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class _Update:
    """One liveBlogUpdate as the structured data gives it, and its element in the page."""

    data: dict[str, Any]
    line: int | None
    element: Any  # an lxml element, or None where the page's markup has no such update
    is_object: bool = True  # False: the entry is no JSON object (and is skipped)
    own: MarkupPost | None = None  # the element read as a post (``_own``), once


def add_updates(blogs: list[Item], tree: Any, page: Page, sink: PostSink) -> bool:
    """One post per liveBlogUpdate entry; False when the blogs list no updates at all."""
    updates: list[_Update] = []
    seen: set[int] = set()
    for blog in blogs:
        for entry in as_list(blog.data.get("liveBlogUpdate")):
            if id(entry) in seen:
                continue
            seen.add(id(entry))
            if not isinstance(entry, dict):  # said in its place, below
                updates.append(_Update({}, blog.line, None, is_object=False))
                continue
            updates.append(_Update(entry, blog.line, entry.get("htmlNode")))
    if not updates and not any("liveBlogUpdate" in blog.data for blog in blogs):
        return False
    updates = [
        dataclasses.replace(u, own=_own(u.element)) if u.element is not None else u
        for u in _find_elements(updates, tree, page)
    ]
    # a headline most updates share is the page's label ("Women's World Cup"), not theirs
    labels = Counter(
        clean_line(text_value(u.data.get("headline")) or "").casefold() for u in updates
    )
    shared = {h for h, n in labels.items() if h and n >= 3 and n > len(updates) / 2}
    page = dataclasses.replace(page, headlines=page.headlines | shared)
    repeated_time = _repeated_time(updates, page)
    if repeated_time is not None:
        sink.problem(blogs[0].line, f"every liveBlogUpdate gives the page's time "
                     f"{repeated_time}, not its own; each update's time is read from its "
                     "markup")  # fmt: skip
    for update in updates:
        if update.is_object:
            _add_update(update, page, repeated_time is not None, sink)
        else:
            sink.problem(update.line, "a liveBlogUpdate entry is not an object; skipped")
    return True


def _add_update(update: _Update, page: Page, repeated_time: bool, sink: PostSink) -> None:
    data = update.data
    own = update.own
    url = text_value(data.get("url"))
    anchor = anchor_url(page.url, text_value(data.get("@id"))) or anchor_url(
        page.url, own.anchor if own is not None else None
    )
    headline = text_value(data.get("headline"))
    body = html_to_text(text_value(data.get("articleBody"))) or (own.body if own else "")
    if headline and (clean_line(headline).casefold() in page.headlines
                     or _opens(body, headline)):  # fmt: skip
        headline = None  # the page's headline repeated, or the body's first words
    published: object = None if repeated_time else data.get("datePublished")
    if own is not None and own.published:
        published = _better_time(published, own, update, sink)
    sink.add(
        update.line,
        title=headline or (own.title if own is not None else None),
        body=body,
        published=published,
        byline=authors(data.get("author")) or (own.byline if own is not None else None),
        url=(url if url and "#" in url else None) or anchor or url or page.url,
        post_id=anchor or url,
        captions=own.captions if own is not None else (),
        key_event=own.key_event if own is not None else False,
    )


def _own(element: Any) -> MarkupPost:
    """An update's block as its markup shows it; its time from a dated `<time>`, else
    from the first stamp it shows ("12.50 BST", a time of day the page's date completes)."""
    post = read_block(element)
    if post.published:
        return post
    stamp = first_stamp(element)
    return read_block(element, stamp=stamp) if stamp is not None else post


def _opens(body: str, headline: str) -> bool:
    """Whether a headline is only the first words of the body, maybe after a stamp
    ("18:16(IST) Ambati Rayudu's much-awaited comeback ..."): no headline of its own."""
    said = _WORDS.findall(body.casefold())[:60]
    words = _WORDS.findall(headline.casefold().rstrip(".… "))
    for skip in range(min(4, len(words))):  # the stamp's tokens, if any, come first
        rest = words[skip:]
        if len(rest) >= 3 and said[: len(rest)] == rest:
            return True
    return False


def _better_time(given: object, own: MarkupPost, update: _Update, sink: PostSink) -> object:
    """The structured time unless it is missing or unreadable; where the update's markup
    shows another instant, that is said (once per page), not taken: the structured time is
    the update's, with its offset. A markup time without an offset that differs by a whole
    zone offset is the same instant in local time, not a disagreement."""
    if given is None:
        return own.published
    structured, markup = time_or_none(given), time_or_none(own.published)
    if structured is None:
        return own.published  # unreadable in the structured data, readable in the page
    if markup is not None and not _same_instant(structured, markup, own.published):
        sink.disagreement(update.line, f"update {own.anchor or own.title or '?'}: "
                          f"structured data {given}, markup {own.published}")  # fmt: skip
    return given


def _same_instant(structured: datetime, markup: datetime, written: str) -> bool:
    """Whether two times of an update are one: within a minute, or (for a markup time that
    names no offset) a whole number of quarter hours apart, at most 14 hours."""
    apart = abs((structured - markup).total_seconds())
    if apart < _SAME_TIME_S:
        return True
    local = local_time(written) is None
    return local and apart <= 14 * 3600 and apart % 900 < _SAME_TIME_S


def _repeated_time(updates: list[_Update], page: Page) -> str | None:
    """The one time that every update of several gives, where it is the page's own time or
    the markup shows other times: it is not the updates' time."""
    given = {str(u.data.get("datePublished")) for u in updates if u.data.get("datePublished")}
    if len(updates) < 2 or len(given) != 1:
        return None
    (value,) = given
    when = time_or_none(value)
    own_times = {u.own.published for u in updates if u.own is not None}
    if (when is not None and when in page.times) or len(own_times - {""}) > 1:
        return value
    return None


def _find_elements(updates: list[_Update], tree: Any, page: Page) -> list[_Update]:
    """Each update with its element in the page: microdata has it; JSON-LD by the update's
    anchor (the fragment of its @id or url, or a bare @id, matching an element's id or
    the end of one: "block-<id>"), else by place where the page shows exactly as many post
    elements as there are updates."""
    if all(u.element is not None for u in updates):
        return updates
    by_id: dict[str, Any] = {}
    for node in tree.iter():
        anchor = node.get("id") if isinstance(node.tag, str) else None
        if anchor:
            by_id.setdefault(anchor, node)
            # "block-646219928f08" is found by "646219928f08" too, where only one ends so
            tail = _ID_TAIL.split(anchor)[-1]
            if tail != anchor:
                by_id[tail] = node if tail not in by_id else None
    found = []
    for update in updates:
        element = update.element
        for key in ("@id", "url"):
            value = text_value(update.data.get(key)) or ""
            fragment = value.partition("#")[2] or ("" if "/" in value else value)
            if element is None and fragment:
                element = by_id.get(fragment)
        found.append(_Update(update.data, update.line, element, update.is_object))
    if any(u.element is None for u in found):
        elements = [post.element for post in markup_posts(tree)]
        if len(elements) == len(found):
            found = [_Update(u.data, u.line, e if u.element is None else u.element, u.is_object)
                     for u, e in zip(found, elements, strict=True)]  # fmt: skip
    return found
