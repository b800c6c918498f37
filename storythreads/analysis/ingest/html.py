"""Saved web pages: live blogs from their JSON-LD or post markup, other pages as one article.

A saved page can hold its story in three ways; the reader takes the first that gives posts:

1. JSON-LD `LiveBlogPosting`, which news sites publish for search engines: each update has
   its headline, body, ISO time with its UTC offset, and authors, so nothing is guessed.
2. Post markup, for live blogs without JSON-LD (the heuristic: `html_markup.markup_posts`).
3. Otherwise the page is one article: trafilatura tells its text from the page furniture,
   and a JSON-LD NewsArticle, when there is one, gives the exact title, time and authors.

Updates keep their own ids (the page address plus the update's anchor), so a page saved
twice, or a blog read again later, gives the same posts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import lxml.html
from lxml import etree

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem
from .cleaning import clean_line
from .common import PostSink
from .html_markup import html_to_text, markup_posts
from .outlets import outlet_from_url

if TYPE_CHECKING:
    from trafilatura.metadata import Document

_ARTICLE_TYPES = ("Article", "BlogPosting", "Report")  # NewsArticle, ReportageNewsArticle...
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
    objects, bad_blocks = _json_ld(tree)
    page_url = _page_url(tree, objects)
    publisher = _publisher(tree, objects)
    outlet = outlet_from_url(page_url, known_only=True) or publisher or outlet_from_url(page_url)
    sink = PostSink(path, limits, source or outlet)
    for line, message in bad_blocks:
        sink.problem(line, message)
    blogs = [(obj, line) for obj, line in objects if _is_type(obj, ("LiveBlogPosting",))]
    if not _add_updates(blogs, page_url, sink) and not _add_markup_posts(tree, page_url, sink):
        _add_article(text, tree, objects, page_url, sink)
    posts, problems = sink.result()
    if not posts:
        reason = f"; {len(problems)} records skipped, first: {problems[0]}" if problems else ""
        raise InputError(
            f"nothing to read: no live-blog updates, post markup or article text found{reason}",
            path=str(path),
        )
    return posts, problems


# --- JSON-LD ----------------------------------------------------------------------------


def _json_ld(tree) -> tuple[list[tuple[dict, int | None]], list[tuple[int | None, str]]]:
    """Every JSON object in the page's JSON-LD blocks (lists and @graph opened), with its line."""
    objects: list[tuple[dict, int | None]] = []
    bad: list[tuple[int | None, str]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError) as exc:
            bad.append((script.sourceline, f"JSON-LD block is not valid JSON ({exc}); skipped"))
            continue
        objects.extend((obj, script.sourceline) for obj in _dicts(data))
    return objects, bad


def _dicts(data: object) -> Iterator[dict]:
    """Every object nested in a JSON value, outermost first."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield value
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))


def _is_type(obj: dict, names: tuple[str, ...]) -> bool:
    """Whether @type (a name or a list, maybe "schema:X" or a schema.org URL) ends in a name."""
    types = obj.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t.endswith(names) for t in types)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _authors(value: object) -> str | None:
    """Author names from a string, a {"name": ...} object, or a list of either."""
    names = []
    for item in value if isinstance(value, list) else [value]:
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


def _add_updates(blogs: list[tuple[dict, int | None]], page_url: str | None, sink) -> bool:
    """One post per liveBlogUpdate entry; False when the blogs list no updates at all."""
    found = False
    for blog, line in blogs:
        updates = blog.get("liveBlogUpdate") or []
        for update in updates if isinstance(updates, list) else [updates]:
            found = True
            if not isinstance(update, dict):
                sink.problem(line, "a liveBlogUpdate entry is not an object; skipped")
                continue
            own_url = _text(update.get("url"))
            anchor = _anchor_url(page_url, _text(update.get("@id")))
            sink.add(
                line,
                title=_text(update.get("headline")),
                body=html_to_text(_text(update.get("articleBody"))),
                published=update.get("datePublished"),
                byline=_authors(update.get("author")),
                url=own_url or anchor or page_url,
                post_id=anchor or own_url,
            )
    return found


# --- the page as a whole ----------------------------------------------------------------


def _page_url(tree, objects: list[tuple[dict, int | None]]) -> str | None:
    """The page's address: canonical link, else og:url, else the JSON-LD page's url."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return link.get("href").strip()
    og_url = _meta(tree, "og:url")
    if og_url:
        return og_url
    for obj, _line in objects:
        if _is_type(obj, ("LiveBlogPosting", *_ARTICLE_TYPES, "WebPage")):
            url = _text(obj.get("url"))
            if url:
                return url.strip()
    return None


def _publisher(tree, objects: list[tuple[dict, int | None]]) -> str | None:
    """The publisher's name from JSON-LD, else og:site_name."""
    for obj, _line in objects:
        name = _authors(obj.get("publisher")) if "publisher" in obj else None
        if name:
            return name
    return _meta(tree, "og:site_name")


def _meta(tree, name: str) -> str | None:
    """The content of a `<meta property|name|itemprop=name>` tag."""
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if key.lower() == name.lower() and clean_line(meta.get("content") or ""):
            return clean_line(meta.get("content"))
    return None


# --- post markup and articles -----------------------------------------------------------


def _add_markup_posts(tree, page_url: str | None, sink) -> bool:
    posts = markup_posts(tree)
    for post in posts:
        # without the page's address an element id is not unique: the hash rule gives the id
        anchor = _anchor_url(page_url, post.anchor) if page_url else None
        sink.add(
            post.line,
            title=post.title,
            body=post.body,
            published=post.published,
            byline=post.byline,
            url=anchor or page_url,
            post_id=anchor,
            captions=post.captions,
            key_event=post.key_event,
        )
    return bool(posts)


def _add_article(text: str, tree, objects: list[tuple[dict, int | None]], page_url, sink):
    """The page as one post; JSON-LD gives title, time and authors where it has them.

    The time: JSON-LD's, else the article:published_time meta tag, else trafilatura's
    (which may know only the day, e.g. from a date in the URL).

    Only a page with article text counts: a headline alone is page furniture, not news.
    """
    import trafilatura  # imported here: it pulls in dateparser and more (~0.3 s)

    article, line = next(((o, n) for o, n in objects if _is_type(o, _ARTICLE_TYPES)), ({}, None))
    # a dict only with as_dict=True, which is not asked for
    found = cast(
        "Document | None",
        trafilatura.bare_extraction(
            text,
            url=page_url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params=_DATE_SEARCH,
        ),
    )
    extracted = (found.text or "") if found is not None else ""
    title = _text(article.get("headline")) or (found.title if found is not None else None)
    kept = [p.strip() for p in extracted.split("\n") if p.strip()]
    if kept and title and clean_line(kept[0]).lower() == clean_line(title).lower():
        kept = kept[1:]  # the headline, printed again above the text
    body = "\n\n".join(kept)
    body = body or html_to_text(_text(article.get("articleBody")))
    if not body:
        return
    by_extraction = (found.author or "").replace("; ", ", ") if found is not None else ""
    sink.add(
        line,
        title=title,
        body=body,
        published=article.get("datePublished")
        or _meta(tree, "article:published_time")
        or (found.date if found is not None else None),
        byline=_authors(article.get("author")) or by_extraction,
        url=page_url,
        post_id=page_url or _text(article.get("@id")),
    )
