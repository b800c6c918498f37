"""Live pages with no schema markup: the repeated updates, found by their shape.

Many outlets publish live pages with no ``LiveBlogPosting`` data and no post classes this
tool knows. What every such page still has is a run of elements of one structure, each
showing a time-like stamp ("14:05", "12.50 BST", "12.31 Uhr: <headline>", a match minute
"45'"). The finder, with no per-outlet rules:

1. Stamps: ``<time>`` elements; the innermost elements whose whole text is a stamp
   (``times.stamp_kind``); and headings or short lines that open with a time of day and a
   separator ("12.31 Uhr: EU agrees sanctions"), whose rest is the update's title.
2. Stamps are grouped by their place in the page: the stamp's tag and class and the tags
   of its ancestors. Each stamp's update starts at its highest ancestor that holds no
   other stamp of the group; that element's parent is the stream (a page may split one
   run into several streams, one per page part).
3. Two shapes of stream. Where those children are containers (they hold paragraphs or
   divisions), each is one update, and the stream's other children of the same structure
   (tag, and the class the stamped ones share) are updates too, undated: an update posted
   in the minute of the one above often shows no stamp of its own. Where they are lines
   (a heading, a paragraph opening with a bold time), an update runs from its stamp to the
   next one: the page has no element per update.
4. A group counts when it gives at least ``MIN_BLOCKS`` updates, with stamps that differ,
   within ``MAX_SPAN_DAYS``, text that is mostly not links, most of them with a text
   beyond their headline and none with most of the text, and the page's main text in them
   (at least half of the paragraphs trafilatura finds), so a list of related stories or a
   comment thread is not taken for a live blog. The group with the most updates wins.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import lxml.html

from ..cleaning import clean_line
from ..times import parse_time, stamp_kind
from .markup import MarkupPost, Stamp, read_block

MIN_BLOCKS = 4
MAX_SPAN_DAYS = 7  # a live page follows an event; a list of articles spans longer
MAX_LINK_SHARE = 0.5  # of the updates' text: teasers are mostly links, updates are not
MIN_WITH_TEXT = 0.5  # the share of updates with a text beyond their headline
MAX_ONE_SHARE = 0.5  # the most of all the updates' text that one of them may hold
# the share of the main text's paragraphs that the updates must hold
MIN_MAIN_TEXT_SHARE = 0.5
_MIN_PARAGRAPH = 40  # characters: shorter lines of the main text are not weighed
_MAX_STAMP = 40  # characters of a stamp, spaces folded
_MAX_LINE = 300  # characters of a line that opens with a stamp
# a time of day, a word or two ("Uhr", "BST"), a separator, the rest: "12.31 Uhr: Text"
_LEADING = re.compile(r"^(\d{1,2}[.:h]\d{2}(?:\s?[A-Za-z]{1,5}\.?)?)\s*[:|\u2013\u2014-]\s*(\S.*)$")
# elements that make a stream child a container of its own update, not a line of one
_CONTAINS = frozenset({
    "article", "blockquote", "div", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ol", "p", "section", "table", "ul",
})  # fmt: skip
_LINES = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "span", "strong", "b", "em"})


@dataclass(frozen=True)
class _Update:
    """One update: the elements it spans (one container, or a line and what follows it
    up to the next stamp) and its stamp (None: an unstamped container)."""

    elements: tuple[Any, ...]
    stamp: Stamp | None


Relative = Callable[[str], datetime | None]  # "16 min ago" -> the time it names, or None


def stamped_blocks(tree: Any, main_text: str, relative: Relative | None = None) -> list[MarkupPost]:
    """The updates of a live page without schema markup, in page order (see module doc);
    [] when the page shows no such run. ``relative`` reads stamps relative to the page's
    save ("16 min ago"), where the page gives a time to count back from."""
    groups: dict[tuple[str, ...], list[Stamp]] = {}
    every: dict[Any, Stamp] = {}  # element -> the stamp it shows
    for stamp in _stamps(tree, relative):
        groups.setdefault(_signature(stamp.node), []).append(stamp)
        every[stamp.node] = stamp
    paragraphs = [p for p in (clean_line(x) for x in main_text.split("\n"))
                  if len(p) >= _MIN_PARAGRAPH]  # fmt: skip
    best: list[MarkupPost] = []
    for stamps in groups.values():
        updates = _updates(stamps, every)
        if len(updates) > len(best) and _is_a_stream(updates) and _holds(updates, paragraphs):
            posts = [_read(update) for update in updates]
            if _have_text(posts):
                best = posts
    return best


# --- stamps -----------------------------------------------------------------------------


def _stamps(tree: Any, relative: Relative | None) -> Iterator[Stamp]:
    """The innermost elements that show a stamp, as whole text or leading a line."""
    body = tree.find("body")
    for node in (body if body is not None else tree).iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style", "title"):
            continue
        text = _short_text(node, _MAX_LINE)
        if text is None:
            continue
        if node.tag == "time" and (node.get("datetime") or stamp_kind(text)):
            yield Stamp(node, text)
        elif len(text) <= _MAX_STAMP and stamp_kind(text):
            if not any(_short_text(child, _MAX_STAMP) == text for child in _elements(node)):
                yield Stamp(node, text)
        elif relative is not None and len(text) <= _MAX_STAMP and (at := relative(text)):
            if not any(_short_text(child, _MAX_STAMP) == text for child in _elements(node)):
                yield Stamp(node, text, at=at.isoformat())
        elif node.tag in _LINES:
            leading = _leading_stamp(text)
            if leading is not None and not any(
                _short_text(child, _MAX_LINE) == text for child in _elements(node)
            ):
                yield Stamp(node, *leading)


def first_stamp(element: Any) -> Stamp | None:
    """The first stamp an element shows ("12.50 BST" in an update's header), if any."""
    return next(_stamps(element, None), None)


def _leading_stamp(text: str) -> tuple[str, str] | None:
    """(stamp, rest) of a line that opens with a time of day and a separator."""
    match = _LEADING.match(text)
    if match is None or stamp_kind(match[1]) != "clock":
        return None
    return match[1], match[2]


def _short_text(node: Any, limit: int) -> str | None:
    """An element's text when it is at most ``limit`` characters (read no further)."""
    parts, size = [], 0
    for piece in node.itertext():
        size += len(piece)
        if size > 4 * limit:  # before spaces are folded
            return None
        parts.append(piece)
    text = clean_line("".join(parts))
    return text if len(text) <= limit else None


def _elements(node: Any) -> Iterator[Any]:
    return (child for child in node if isinstance(child.tag, str))


def _signature(node: Any) -> tuple[str, ...]:
    """A stamp's place in the page: its tag and class, and the tags of its ancestors (their
    classes vary from update to update: "coventry--highlight")."""
    own = f"{node.tag}.{'.'.join(sorted((node.get('class') or '').split()))}"
    return (own, *(n.tag for n in node.iterancestors()))


# --- updates ----------------------------------------------------------------------------


def _updates(stamps: list[Stamp], every: dict[Any, Stamp]) -> list[_Update]:
    """The updates a group of stamps marks (module doc, steps 2 and 3), in page order; []
    where the stamps do not mark runs of siblings of one tag."""
    if len(stamps) < MIN_BLOCKS:
        return []
    # lxml elements as keys (an element's id() changes when no reference keeps it alive)
    under: dict[Any, int] = {}  # element -> how many of the stamps it holds
    for stamp in stamps:
        for node in (stamp.node, *stamp.node.iterancestors()):
            under[node] = under.get(node, 0) + 1
    streams: dict[Any, list[tuple[Any, Stamp]]] = {}  # a page may split its run
    for stamp in stamps:
        start = stamp.node
        while start.getparent() is not None and under[start.getparent()] == 1:
            start = start.getparent()
        stream = start.getparent()
        if stream is None:
            return []
        streams.setdefault(stream, []).append((start, stamp))
    found: list[_Update] = []
    for stream, pairs in streams.items():
        starts = [start for start, _ in pairs]
        if len({s.tag for s in starts}) > 1:
            return []
        shape = _containers if any(_is_container(s) for s in starts) else _lines
        found.extend(shape(stream, starts, [stamp for _, stamp in pairs], every))
    return found


def _containers(
    stream: Any, starts: list[Any], stamps: list[Stamp], every: dict[Any, Stamp]
) -> list[_Update]:
    """Each stamped child is an update, and so is each other child of its kind, with the
    stamp it shows in another form (an `<h3>` where the others have a `<strong>`), if any."""
    stamped = dict(zip(starts, stamps, strict=True))
    tag = starts[0].tag
    shared = set.intersection(*(set((s.get("class") or "").split()) for s in starts))
    found = []
    for child in _elements(stream):
        if child in stamped:
            found.append(_Update((child,), stamped[child]))
        elif child.tag == tag and _same_kind(child, shared) and clean_line(child.text_content()):
            shown = next((every[n] for n in child.iterdescendants() if n in every), None)
            found.append(_Update((child,), shown))
    return found


def _lines(
    stream: Any, starts: list[Any], stamps: list[Stamp], every: dict[Any, Stamp]
) -> list[_Update]:
    """Each update runs from its stamped line to the next stamped line; a line that opens
    with a stamp in another form (an `<h3>` among bold times) starts an update too."""
    stamped = dict(zip(starts, stamps, strict=True))
    found: list[_Update] = []
    for child in _elements(stream):
        opening = stamped.get(child) or _opening_stamp(child, every)
        if opening is not None:
            found.append(_Update((child,), opening))
        elif found:
            found[-1] = replace(found[-1], elements=(*found[-1].elements, child))
    return found


def _opening_stamp(line: Any, every: dict[Any, Stamp]) -> Stamp | None:
    """The stamp a line opens with, if any."""
    text = clean_line(line.text_content())
    for node in (line, *line.iterdescendants()):
        stamp = every.get(node)
        if stamp is not None and text.startswith(stamp.text):
            return stamp
    return None


def _is_container(element: Any) -> bool:
    return any(isinstance(n.tag, str) and n.tag in _CONTAINS for n in element.iterdescendants())


def _same_kind(element: Any, shared: set[str]) -> bool:
    classes = set((element.get("class") or "").split())
    return shared <= classes if shared else not classes


# --- the checks -------------------------------------------------------------------------


def _is_a_stream(updates: list[_Update]) -> bool:
    """Whether updates read as a live page's rather than a list of teasers: their stamps
    differ (a list of articles often shows one time for all), they span at most
    ``MAX_SPAN_DAYS`` (an archive spans months), and their text is mostly not links."""
    stamps = [u.stamp for u in updates if u.stamp is not None]
    shown = [stamp.node.get("datetime") or stamp.text for stamp in stamps]
    if len(set(shown)) < max(MIN_BLOCKS, len(shown) // 2):
        return False
    times = sorted(t for t in map(_time_of, stamps) if t is not None)
    if times and (times[-1] - times[0]).total_seconds() > MAX_SPAN_DAYS * 86400:
        return False
    elements = [e for u in updates for e in u.elements]
    text = sum(len(clean_line(e.text_content())) for e in elements)
    links = sum(len(clean_line(a.text_content())) for e in elements for a in e.iter("a"))
    return links <= MAX_LINK_SHARE * text


def _have_text(posts: list[MarkupPost]) -> bool:
    """Whether most updates say something beyond a headline (a list of related articles
    shows a headline and a time each), and no one update holds most of the text (an
    article with its related articles around it)."""
    sizes = [len(post.body) for post in posts]
    with_text = sum(size >= _MIN_PARAGRAPH for size in sizes)
    return with_text >= MIN_WITH_TEXT * len(posts) and max(sizes) <= MAX_ONE_SHARE * sum(sizes)


def _time_of(stamp: Stamp) -> datetime | None:
    try:
        return parse_time(stamp.node.get("datetime") or stamp.at or stamp.text, foreign=False)
    except (ValueError, TypeError, OverflowError):
        return None


def _holds(updates: list[_Update], paragraphs: list[str]) -> bool:
    """Whether the updates hold the page's main text (``MIN_MAIN_TEXT_SHARE``)."""
    if not paragraphs:
        return True  # nothing to weigh them against: the run of stamped updates decides
    text = " ".join(clean_line(e.text_content()) for u in updates for e in u.elements)
    held = sum(1 for p in paragraphs if p in text)
    return held >= MIN_MAIN_TEXT_SHARE * len(paragraphs)


# --- reading ----------------------------------------------------------------------------


def _read(update: _Update) -> MarkupPost:
    """An update as a post; one spanning several elements is read from a copy of them."""
    first = update.elements[0]
    stamp = update.stamp
    dated = stamp.node if stamp is not None and stamp.node.get("datetime") else None
    if len(update.elements) == 1:
        return read_block(first, time=dated, stamp=None if dated is not None else stamp)
    wrapper = lxml.html.Element("div")
    for element in update.elements:
        wrapper.append(copy.deepcopy(element))
    if stamp is not None:  # the same stamp, in the copy
        stamp = replace(stamp, node=_follow(wrapper[0], _path(first, stamp.node)))
        dated = stamp.node if dated is not None else None
    post = read_block(wrapper, time=dated, stamp=None if dated is not None else stamp)
    return replace(post, line=first.sourceline, anchor=first.get("id"), element=first)


def _path(top: Any, node: Any) -> list[int]:
    """The child indexes from ``top`` down to ``node``."""
    steps = []
    while node is not top:
        parent = node.getparent()
        steps.append(parent.index(node))
        node = parent
    return steps[::-1]


def _follow(top: Any, steps: list[int]) -> Any:
    for step in steps:
        top = top[step]
    return top
