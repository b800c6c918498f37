"""Saved web pages: live blogs post by post, other pages as one article.

A saved page can tell its updates in four ways; the reader takes the first that gives posts:

1. Structured data (JSON-LD or microdata, read by extruct in ``structured``): a
   ``LiveBlogPosting`` lists its updates with headline, body, time and authors. Each update
   is then looked up in the page's own markup (by its anchor, else by its place among the
   page's post elements), and the update's own markup wins over structured values that
   only repeat the page's: some outlets give every ``liveBlogUpdate`` the page's headline
   and one ``datePublished`` (the page's last change), while each update's block carries
   its real ``<time>`` and its own heading. Disagreements are listed in ``problems``.
2. Post markup, for live blogs without structured data (``html_markup.markup_posts``).
3. Repeated blocks with a time stamp, for live pages with no schema markup at all
   (``html_blocks.stamped_blocks``); a time of day takes the page's date, marked inferred.
4. Otherwise the page is one article: trafilatura tells its text from the page furniture,
   and a structured NewsArticle, when there is one, gives the exact title, time and authors.

Updates keep their own ids (the page address plus the update's anchor), so a page saved
twice, or a blog read again later, gives the same posts.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import lxml.html
from lxml import etree

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem
from .cleaning import clean_line
from .common import PageDate, PostSink
from .html_blocks import stamped_blocks
from .html_markup import MarkupPost, html_to_text, markup_posts, read_block
from .outlets import outlet_from_url
from .structured import Item, page_items
from .times import parse_time

if TYPE_CHECKING:
    from trafilatura.metadata import Document

_ARTICLE_TYPES = ("Article", "BlogPosting", "Report")  # NewsArticle, ReportageNewsArticle...
# trafilatura's date search (htmldate) gives a day by default; ask for the time and offset too.
_DATE_SEARCH = {
    "original_date": True,
    "extensive_search": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
# two times of one update that differ by less than this are the same time written twice
_SAME_TIME_S = 60
_ID_TAIL = re.compile(r"[-_:]")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    """What the page says of itself: its address, outlet, headlines and times."""

    url: str | None
    publisher: str | None
    headlines: frozenset[str]  # casefolded: the blog's headline, og:title, <title>, <h1>
    times: frozenset[datetime]  # the page's own published and modified times
    published: str | None  # the page's publication time as written, for the article case
    modified: str | None  # the page's last change as written


def read(
    path: Path, text: str, limits: LimitSettings, source: str | None = None
) -> tuple[list[Post], list[Problem]]:
    """Posts from a saved page; the outlet is `source`, else the page's own (see module doc)."""
    try:
        utf8 = lxml.html.HTMLParser(encoding="utf-8")  # the text is decoded already
        tree = lxml.html.document_fromstring(text.encode("utf-8"), parser=utf8)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"not a readable HTML page ({exc})", path=str(path)) from exc
    items, bad_blocks = page_items(tree, None)
    page = _page(tree, items)
    outlet = outlet_from_url(page.url, known_only=True) or page.publisher
    sink = PostSink(path, limits, source or outlet or outlet_from_url(page.url),
                    page=lambda: _page_day(tree, page))  # fmt: skip
    for line, message in bad_blocks:
        sink.problem(line, message)
    blogs = [item for item in items if item.is_a("LiveBlogPosting")]
    if not (
        _add_updates(blogs, tree, page, sink)
        or _add_markup_posts(markup_posts(tree), page, sink)
        or _add_markup_posts(stamped_blocks(tree, _main_text(text, page)), page, sink)
    ):
        _add_article(text, tree, items, page, sink)
    posts, problems = sink.result()
    if not posts:
        reason = f"; {len(problems)} records skipped, first: {problems[0]}" if problems else ""
        raise InputError(
            f"nothing to read: no live-blog updates, post markup or article text found{reason}",
            path=str(path),
        )
    return posts, problems


# --- the page as a whole ----------------------------------------------------------------


def _page(tree: Any, items: list[Item]) -> Page:
    headlines = {
        _text(item.data.get(key))
        for item in items
        if item.is_a("LiveBlogPosting", *_ARTICLE_TYPES, "WebPage")
        and not _is_update_of_a_blog(item, items)
        for key in ("headline", "name")
    }
    headlines |= {_meta(tree, "og:title"), _meta(tree, "twitter:title")}
    headlines |= {clean_line(node.text_content()) for node in tree.iter("title", "h1")}
    times = set()
    published = modified = None
    for item in items:
        if item.is_a("LiveBlogPosting", *_ARTICLE_TYPES, "WebPage") and not _is_update_of_a_blog(
            item, items
        ):
            for key in ("datePublished", "dateModified"):
                times.add(_time_or_none(item.data.get(key)))
            published = published or _text(item.data.get("datePublished"))
            modified = modified or _text(item.data.get("dateModified"))
    for key in ("article:published_time", "article:modified_time", "og:updated_time"):
        times.add(_time_or_none(_meta(tree, key)))
    return Page(
        url=_page_url(tree, items),
        publisher=_publisher(tree, items),
        headlines=frozenset(clean_line(h).casefold() for h in headlines if h),
        times=frozenset(t for t in times if t is not None),
        published=published or _meta(tree, "article:published_time"),
        modified=modified or _meta(tree, "article:modified_time"),
    )


def _page_day(tree: Any, page: Page) -> PageDate | None:
    """The page's dates and UTC offset, for times of day without them: its publication and
    last change, else the date htmldate finds (in the URL, the markup...), no offset."""
    source = page.url or "the page"
    first = _local_time(page.published)
    last = _local_time(page.modified) or first
    if first is not None and last is not None:
        return PageDate(first.date(), last.date(), first.tzinfo, source)
    if page.times:
        return PageDate(min(page.times).date(), max(page.times).date(), None, source)
    from htmldate import find_date  # with trafilatura

    found = find_date(tree, url=page.url, extensive_search=True)
    if not found:
        return None
    day = date.fromisoformat(found)
    return PageDate(day, day, None, source)


def _local_time(value: str | None) -> datetime | None:
    """An ISO time as written, in its own offset (None without one, or unreadable)."""
    try:
        when = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _is_update_of_a_blog(item: Item, items: list[Item]) -> bool:
    return any(
        item.data is update
        for blog in items
        if blog.is_a("LiveBlogPosting")
        for update in _as_list(blog.data.get("liveBlogUpdate"))
    )


def _page_url(tree: Any, items: list[Item]) -> str | None:
    """The page's address: canonical link, else og:url, else the structured page's url."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return cast(str, link.get("href")).strip()
    og_url = _meta(tree, "og:url")
    if og_url:
        return og_url
    for item in items:
        if item.is_a("LiveBlogPosting", *_ARTICLE_TYPES, "WebPage"):
            url = _text(item.data.get("url"))
            if url:
                return url.strip()
    return None


def _publisher(tree: Any, items: list[Item]) -> str | None:
    """The publisher's name from the structured data, else og:site_name."""
    for item in items:
        name = _authors(item.data.get("publisher")) if "publisher" in item.data else None
        if name:
            return name
    return _meta(tree, "og:site_name")


def _meta(tree: Any, name: str) -> str | None:
    """The content of a `<meta property|name|itemprop=name>` tag."""
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if key.lower() == name.lower() and clean_line(meta.get("content") or ""):
            return clean_line(meta.get("content"))
    return None


# --- structured live blogs --------------------------------------------------------------


@dataclass(frozen=True)
class _Update:
    """One liveBlogUpdate as the structured data gives it, and its element in the page."""

    data: dict[str, Any]
    line: int | None
    element: Any  # an lxml element, or None where the page's markup has no such update
    is_object: bool = True  # False: the entry is no JSON object (and is skipped)


def _add_updates(blogs: list[Item], tree: Any, page: Page, sink: PostSink) -> bool:
    """One post per liveBlogUpdate entry; False when the blogs list no updates at all."""
    updates: list[_Update] = []
    seen: set[int] = set()
    for blog in blogs:
        for entry in _as_list(blog.data.get("liveBlogUpdate")):
            if id(entry) in seen:
                continue
            seen.add(id(entry))
            if not isinstance(entry, dict):  # said in its place, below
                updates.append(_Update({}, blog.line, None, is_object=False))
                continue
            updates.append(_Update(entry, blog.line, entry.get("htmlNode")))
    if not updates and not any("liveBlogUpdate" in blog.data for blog in blogs):
        return False
    updates = _find_elements(updates, tree, page)
    # a headline most updates share is the page's label ("Women's World Cup"), not theirs
    labels = Counter(clean_line(_text(u.data.get("headline")) or "").casefold() for u in updates)
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
    own = read_block(update.element) if update.element is not None else None
    url = _text(data.get("url"))
    anchor = _anchor_url(page.url, _text(data.get("@id"))) or _anchor_url(
        page.url, own.anchor if own is not None else None
    )
    headline = _text(data.get("headline"))
    body = html_to_text(_text(data.get("articleBody"))) or (own.body if own else "")
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
        byline=_authors(data.get("author")) or (own.byline if own is not None else None),
        url=(url if url and "#" in url else None) or anchor or url or page.url,
        post_id=anchor or url,
        captions=own.captions if own is not None else (),
        key_event=own.key_event if own is not None else False,
    )


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
    structured, markup = _time_or_none(given), _time_or_none(own.published)
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
    local = _local_time(written) is None
    return local and apart <= 14 * 3600 and apart % 900 < _SAME_TIME_S


def _repeated_time(updates: list[_Update], page: Page) -> str | None:
    """The one time that every update of several gives, where it is the page's own time or
    the markup shows other times: it is not the updates' time."""
    given = {str(u.data.get("datePublished")) for u in updates if u.data.get("datePublished")}
    if len(updates) < 2 or len(given) != 1:
        return None
    (value,) = given
    when = _time_or_none(value)
    own_times = {read_block(u.element).published for u in updates if u.element is not None}
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
            value = _text(update.data.get(key)) or ""
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


# --- post markup and articles -----------------------------------------------------------


def _add_markup_posts(posts: list[MarkupPost], page: Page, sink: PostSink) -> bool:
    for post in posts:
        # without the page's address an element id is not unique: the hash rule gives the id
        anchor = _anchor_url(page.url, post.anchor) if page.url else None
        title = post.title if clean_line(post.title).casefold() not in page.headlines else ""
        sink.add(
            post.line,
            title=title,
            body=post.body,
            published=post.published or None,
            byline=post.byline,
            url=anchor or page.url,
            post_id=anchor,
            captions=post.captions,
            key_event=post.key_event,
        )
    return bool(posts)


def _main_text(text: str, page: Page) -> str:
    """The page's main text as trafilatura finds it (no menus, teasers or comments)."""
    import trafilatura  # imported here: it pulls in dateparser and more (~0.3 s)

    return trafilatura.extract(text, url=page.url, include_comments=False) or ""


def _add_article(text: str, tree: Any, items: list[Item], page: Page, sink: PostSink) -> None:
    """The page as one post; structured data gives title, time and authors where it has
    them.

    The time: the structured data's, else the article:published_time meta tag, else
    trafilatura's (which may know only the day, e.g. from a date in the URL).

    Only a page with article text counts: a headline alone is page furniture, not news.
    """
    import trafilatura

    article = next((item for item in items if item.is_a(*_ARTICLE_TYPES)), None)
    data = article.data if article is not None else {}
    # a dict only with as_dict=True, which is not asked for
    found = cast(
        "Document | None",
        trafilatura.bare_extraction(
            text,
            url=page.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params=_DATE_SEARCH,
        ),
    )
    extracted = (found.text or "") if found is not None else ""
    title = _text(data.get("headline")) or (found.title if found is not None else None)
    kept = [p.strip() for p in extracted.split("\n") if p.strip()]
    if kept and title and clean_line(kept[0]).lower() == clean_line(title).lower():
        kept = kept[1:]  # the headline, printed again above the text
    body = "\n\n".join(kept)
    body = body or html_to_text(_text(data.get("articleBody")))
    if not body:
        return
    by_extraction = (found.author or "").replace("; ", ", ") if found is not None else ""
    sink.add(
        article.line if article is not None else None,
        title=title,
        body=body,
        published=data.get("datePublished")
        or page.published
        or (found.date if found is not None else None),
        byline=_authors(data.get("author")) or by_extraction,
        url=page.url,
        post_id=page.url or _text(data.get("@id")),
    )


# --- small readers ----------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _time_or_none(value: object) -> datetime | None:
    try:
        return parse_time(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _authors(value: object) -> str | None:
    """Author names from a string, a {"name": ...} object, or a list of either."""
    names = []
    for item in _as_list(value):
        name = clean_line(_text(item.get("name") if isinstance(item, dict) else item) or "")
        if name:
            names.append(name)
    return ", ".join(dict.fromkeys(names)) or None


def _anchor_url(page_url: str | None, anchor: str | None) -> str | None:
    """An update's own address: absolute as given, else the page address + "#" + anchor."""
    if not anchor:
        return None
    if "://" in anchor or not page_url:
        return anchor
    return page_url.split("#")[0] + "#" + anchor.lstrip("#")
