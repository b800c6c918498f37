"""What a saved page says of itself: its address, outlet, headlines and times (``Page``),
its dates for times of day without one, and the small readers of structured values that
the page's parts share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from ....types import PAGE_SOURCE
from ..cleaning import clean_line
from ..common import PageDate
from ..times import parse_time
from .structured import Item

ARTICLE_TYPES = ("Article", "BlogPosting", "Report")  # NewsArticle, ReportageNewsArticle...


@dataclass(frozen=True)
class Page:
    """What the page says of itself: its address, outlet, headlines and times."""

    url: str | None
    publisher: str | None
    headlines: frozenset[str]  # casefolded: the blog's headline, og:title, <title>, <h1>
    times: frozenset[datetime]  # the page's own published and modified times
    published: str | None  # the page's publication time as written, for the article case
    modified: str | None  # the page's last change as written


def read_page(tree: Any, items: list[Item]) -> Page:
    headlines = {
        text_value(item.data.get(key))
        for item in items
        if item.is_a("LiveBlogPosting", *ARTICLE_TYPES, "WebPage")
        and not _is_update_of_a_blog(item, items)
        for key in ("headline", "name")
    }
    headlines |= {meta(tree, "og:title"), meta(tree, "twitter:title")}
    headlines |= {clean_line(node.text_content()) for node in tree.iter("title", "h1")}
    times = set()
    published = modified = None
    for item in items:
        if item.is_a("LiveBlogPosting", *ARTICLE_TYPES, "WebPage") and not _is_update_of_a_blog(
            item, items
        ):
            for key in ("datePublished", "dateModified"):
                times.add(time_or_none(item.data.get(key)))
            published = published or text_value(item.data.get("datePublished"))
            modified = modified or text_value(item.data.get("dateModified"))
    for key in ("article:published_time", "article:modified_time", "og:updated_time"):
        times.add(time_or_none(meta(tree, key)))
    return Page(
        url=_page_url(tree, items),
        publisher=_publisher(tree, items),
        headlines=frozenset(clean_line(h).casefold() for h in headlines if h),
        times=frozenset(t for t in times if t is not None),
        published=published or meta(tree, "article:published_time"),
        modified=modified or meta(tree, "article:modified_time"),
    )


def page_date(tree: Any, page: Page) -> PageDate | None:
    """The page's dates and UTC offset, for times of day without them: its publication and
    last change, else the date htmldate finds (in the URL, the markup...), no offset."""
    source = PAGE_SOURCE + (page.url or "the page")
    first = local_time(page.published)
    last = local_time(page.modified) or first
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


def local_time(value: str | None) -> datetime | None:
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
        for update in as_list(blog.data.get("liveBlogUpdate"))
    )


def _page_url(tree: Any, items: list[Item]) -> str | None:
    """The page's address: canonical link, else og:url, else the structured page's url."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return cast(str, link.get("href")).strip()
    og_url = meta(tree, "og:url")
    if og_url:
        return og_url
    for item in items:
        if item.is_a("LiveBlogPosting", *ARTICLE_TYPES, "WebPage"):
            url = text_value(item.data.get("url"))
            if url:
                return url.strip()
    return None


def _publisher(tree: Any, items: list[Item]) -> str | None:
    """The publisher's name from the structured data, else og:site_name."""
    for item in items:
        name = authors(item.data.get("publisher")) if "publisher" in item.data else None
        if name:
            return name
    return meta(tree, "og:site_name")


def meta(tree: Any, name: str) -> str | None:
    """The content of a `<meta property|name|itemprop=name>` tag."""
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if key.lower() == name.lower() and clean_line(meta.get("content") or ""):
            return clean_line(meta.get("content"))
    return None


def text_value(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def time_or_none(value: object) -> datetime | None:
    try:
        return parse_time(value)
    except (ValueError, TypeError, OverflowError):
        return None


def authors(value: object) -> str | None:
    """Author names from a string, a {"name": ...} object, or a list of either."""
    names = []
    for item in as_list(value):
        name = clean_line(text_value(item.get("name") if isinstance(item, dict) else item) or "")
        if name:
            names.append(name)
    return ", ".join(dict.fromkeys(names)) or None


def anchor_url(page_url: str | None, anchor: str | None) -> str | None:
    """An update's own address: absolute as given, else the page address + "#" + anchor."""
    if not anchor:
        return None
    if "://" in anchor or not page_url:
        return anchor
    return page_url.split("#")[0] + "#" + anchor.lstrip("#")
