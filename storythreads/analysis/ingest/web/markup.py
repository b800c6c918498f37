"""What a page's markup says on its own: the text of HTML, and live-blog posts found by tags.

Kept apart from `html` (which reads JSON-LD and decides how to read a page) because feeds
need the same text rules: one paragraph per block element, bullets for list items, and
no text from scripts, styles, buttons or navigation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from ..cleaning import clean_line

# Elements that start a new paragraph, and elements whose text is never story text.
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
    "pre", "section", "table", "tr", "ul",
})  # fmt: skip
_NOT_TEXT = frozenset({
    "button", "form", "iframe", "nav", "noscript", "script", "select", "style", "svg", "template",
})  # fmt: skip
# Inside a post: parts that are not its body (title, time and byline are read on their own).
_POST_CHROME = frozenset({"aside", "figure", "footer", "header", "nav", "time"})
_POST_CLASS = re.compile(r"block|post|liveblog|update|entry", re.IGNORECASE)
_LIVE = re.compile(r"(?<![a-z])live", re.IGNORECASE)  # "live-blog", not "delivery"
_COMMENT = re.compile(r"comment", re.IGNORECASE)
_BYLINE_CLASS = re.compile(r"byline|author|contributor", re.IGNORECASE)
_BY = re.compile(r"^(?:by|from)\s+", re.IGNORECASE)
_MARKUP = re.compile(r"<[a-zA-Z!/]")
_KEY_EVENT = re.compile(r"key-?event|pinned", re.IGNORECASE)


def html_to_text(markup: str | None) -> str:
    """The text of an HTML fragment: one paragraph per block element, blank lines between.

    Text without tags keeps its line breaks as paragraph breaks; entities are decoded either
    way. List items become "• " bullets, as in the plain-text live-blog reader.
    """
    markup = markup or ""
    if not _MARKUP.search(markup):
        markup = "".join(f"<p>{line}</p>" for line in markup.split("\n"))
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_line(markup)
    return "\n\n".join(paragraphs(root))


def paragraphs(root: Any, skip: Callable[[etree._Element], bool] | None = None) -> list[str]:
    """Text runs of `root` split at block elements; a walk, not recursion, for deep pages."""
    parts: list[list[str]] = [[]]
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _BLOCK:
            parts.append([])
        if event in ("end", "comment", "pi"):  # a comment's text is not shown, its tail is
            if element is not root:
                parts[-1].append(element.tail or "")
        elif tag in _NOT_TEXT or (skip is not None and skip(element)):
            walker.skip_subtree()  # its "end" event still comes, with the tail
        else:
            parts[-1].append(("• " if tag == "li" else "") + (element.text or ""))
    texts = (clean_line("".join(part)) for part in parts)
    return [text for text in texts if text and text != "•"]


@dataclass(frozen=True)
class MarkupPost:
    """One post as its markup shows it; `anchor` is the element's id attribute, `published`
    its time as written ("" when it shows none)."""

    line: int | None
    anchor: str | None
    published: str
    title: str
    byline: str | None
    body: str
    captions: tuple[str, ...]
    key_event: bool = False  # the post's markup marks it ("Key event" label, pinned)
    element: Any = field(default=None, compare=False, repr=False)  # the lxml element
    relative: bool = False  # `published` was counted back from a stamp ("16 min ago")


def markup_posts(tree: Any) -> list[MarkupPost]:
    """The posts of a live blog that has no JSON-LD, in page order.

    The heuristic: every post carries one `<time datetime=...>`. From each such time, the
    post is the outermost ancestor that still holds no other dated time and is an
    `<article>` or has a post-like class ("block", "post", "live-post", "update", "entry").
    Posts count only where the page says it is live ("live" in the class or id of a post or
    of one of its ancestors) and there are at least two of them, so that an ordinary
    article, or its list of related stories, is read as an article and not as a live blog.
    In a post, the first h2-h4 is the title, an element classed "byline"/"author" (or an
    `<address>`) the byline, figcaptions the captions, and the rest, less header, footer,
    figures and share buttons, the body.
    """
    times = [time for time in tree.iter("time") if time.get("datetime")]
    dated: dict[Any, int] = {}  # element -> number of dated times inside it
    for time in times:
        for ancestor in time.iterancestors():
            dated[ancestor] = dated.get(ancestor, 0) + 1
    found = []
    for time in times:
        post = None
        for ancestor in time.iterancestors():
            if dated[ancestor] > 1 or ancestor.tag in ("body", "html"):
                break
            if ancestor.tag == "article" or _POST_CLASS.search(ancestor.get("class") or ""):
                post = ancestor
        if post is not None and _is_live(post):
            found.append(read_block(post, time))
    return found if len(found) >= 2 else []


def _is_live(element: Any) -> bool:
    """Whether a post element is in a live stream: "live" in its or an ancestor's class or
    id, and no "comment" (a comment list is not the story, whatever the page's class)."""
    live = False
    for node in (element, *element.iterancestors()):
        marks = f"{node.get('class') or ''} {node.get('id') or ''}"
        if _COMMENT.search(marks):
            return False
        live = live or bool(_LIVE.search(marks))
    return live


@dataclass(frozen=True)
class Stamp:
    """How a block shows its time when it has no dated `<time>`: the element, the stamp's
    text ("12.31 Uhr", "45'") and, where the stamp leads a heading ("12.31 Uhr: EU agrees
    sanctions"), the rest of it, which is the update's title."""

    node: Any
    text: str
    headline: str = ""
    at: str = ""  # ISO time of a stamp relative to the page's save ("16 min ago"), if one


def read_block(post: Any, time: Any = None, stamp: Stamp | None = None) -> MarkupPost:
    """A post element as a post: its time (`time`, else its first dated `<time>`, else the
    `stamp`'s text), its title (the stamp's headline, else its first h2-h4), a byline,
    captions, and the rest, less the stamp, as the body."""
    if time is None:
        time = next((node for node in post.iter("time") if node.get("datetime")), None)
    heading = (
        None if stamp is not None and stamp.headline else next(post.iter("h2", "h3", "h4"), None)
    )
    byline = next((node for node in post.iterdescendants() if _is_byline(node)), None)
    shown = stamp.node if stamp is not None else None
    body = paragraphs(post, lambda node: node in (heading, byline, shown)
                      or node.tag in _POST_CHROME)  # fmt: skip
    title = clean_line(heading.text_content()) if heading is not None else ""
    return MarkupPost(
        line=post.sourceline,
        anchor=post.get("id"),
        published=time.get("datetime") if time is not None else _stamp_time(stamp),
        title=stamp.headline if stamp is not None and stamp.headline else title,
        byline=_BY.sub("", clean_line(byline.text_content())) if byline is not None else None,
        body="\n\n".join(body),
        captions=tuple(node.text_content() for node in post.iter("figcaption")),
        key_event=_is_key_event(post),
        element=post,
        relative=time is None and stamp is not None and bool(stamp.at),
    )


def _stamp_time(stamp: Stamp | None) -> str:
    return "" if stamp is None else (stamp.at or stamp.text)


def _is_key_event(post: Any) -> bool:
    """The editors' mark on a post: a class or data attribute naming a key event or a
    pinned post (the Guardian's `is-key-event`), or a short label reading "Key event"."""
    for node in (post, *post.iterdescendants()):
        if not isinstance(node.tag, str):
            continue
        marks = " ".join(f"{k}={v}" for k, v in node.attrib.items() if k == "class" or
                         k.startswith("data-"))  # fmt: skip
        if _KEY_EVENT.search(marks):
            return True
        text = (node.text or "").strip().lower()
        if text in ("key event", "key events", "pinned post") and len(node) == 0:
            return True
    return False


def _is_byline(node: Any) -> bool:
    if not isinstance(node.tag, str):
        return False
    return (
        node.tag == "address"
        or node.get("rel") == "author"
        or bool(_BYLINE_CLASS.search(node.get("class") or ""))
    )
