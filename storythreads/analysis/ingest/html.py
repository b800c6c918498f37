"""Saved web pages: live blogs post by post, other pages as one article.

A saved page can tell its updates in four ways; the reader takes the first that gives posts:

1. Structured data (JSON-LD or microdata, read by extruct in ``web.structured``): a
   ``LiveBlogPosting`` lists its updates, each checked against its own block in the page
   (``web.updates``): the update's markup wins over values that only repeat the page's.
2. Post markup, for live blogs without structured data (``web.markup.markup_posts``).
3. Repeated blocks with a time stamp, for live pages with no schema markup at all
   (``web.blocks.stamped_blocks``); a time of day takes the page's date, marked inferred.
4. Otherwise the page is one article: trafilatura tells its text from the page furniture,
   and a structured NewsArticle, when there is one, gives the exact title, time and authors.

Updates keep their own ids (the page address plus the update's anchor), so a page saved
twice, or a blog read again later, gives the same posts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import lxml.html
from lxml import etree

from ...config import LimitSettings
from ...errors import InputError
from ...types import PAGE_SOURCE, Post, Problem
from .cleaning import clean_line
from .common import PostSink
from .outlets import outlet_from_url
from .times import relative_time
from .web.blocks import Relative, stamped_blocks
from .web.markup import MarkupPost, html_to_text, markup_posts
from .web.page import (
    ARTICLE_TYPES,
    Page,
    anchor_url,
    authors,
    page_date,
    read_page,
    text_value,
    time_or_none,
)
from .web.structured import Item, page_items
from .web.updates import add_updates

if TYPE_CHECKING:
    from trafilatura.metadata import Document

# trafilatura's date search (htmldate) gives a day by default; ask for the time and offset too.
_DATE_SEARCH = {
    "original_date": True,
    "extensive_search": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


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
    page = read_page(tree, items)
    outlet = outlet_from_url(page.url, known_only=True) or page.publisher
    sink = PostSink(path, limits, source or outlet or outlet_from_url(page.url),
                    page=lambda: page_date(tree, page))  # fmt: skip
    for line, message in bad_blocks:
        sink.problem(line, message)
    blogs = [item for item in items if item.is_a("LiveBlogPosting")]
    if not (
        add_updates(blogs, tree, page, sink)
        or _add_markup_posts(markup_posts(tree), page, sink)
        or _add_markup_posts(
            stamped_blocks(tree, _main_text(text, page), _relative(tree, page)), page, sink
        )
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


# --- post markup and articles -----------------------------------------------------------


def _relative(tree: Any, page: Page) -> Relative | None:
    """Reads stamps relative to the page's save ("16 min ago") in the page's language
    (``<html lang>``), counted back from its last change; None where the page gives no
    language or no time."""
    language = re.split(r"[-_]", (tree.get("lang") or "").strip().lower())[0]
    base = time_or_none(page.modified) or time_or_none(page.published)
    if not language or base is None:
        return None
    try:
        relative_time("1", base, [language])  # dateparser refuses a language it lacks
    except ValueError:
        return None
    return lambda text: relative_time(text, base, [language])


def _add_markup_posts(posts: list[MarkupPost], page: Page, sink: PostSink) -> bool:
    relative = [post for post in posts if post.relative]
    if relative:
        sink.problem(relative[0].line, f"{len(relative)} posts give a time relative to when "
                     "the page was saved (\"16 min ago\"); counted back from the page's last "
                     f"change, {page.modified or page.published} (maybe earlier than "
                     "the save)")  # fmt: skip
    for post in posts:
        # without the page's address an element id is not unique: the hash rule gives the id
        anchor = anchor_url(page.url, post.anchor) if page.url else None
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
            inferred_from=PAGE_SOURCE + (page.url or "the page") if post.relative else None,
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

    article = next((item for item in items if item.is_a(*ARTICLE_TYPES)), None)
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
    title = text_value(data.get("headline")) or (found.title if found is not None else None)
    kept = [p.strip() for p in extracted.split("\n") if p.strip()]
    if kept and title and clean_line(kept[0]).lower() == clean_line(title).lower():
        kept = kept[1:]  # the headline, printed again above the text
    body = "\n\n".join(kept)
    body = body or html_to_text(text_value(data.get("articleBody")))
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
        byline=authors(data.get("author")) or by_extraction,
        url=page.url,
        post_id=page.url or text_value(data.get("@id")),
    )


