"""What every input format shares: making ids and keeping posts (text cleaning lives in
``cleaning``, times in ``times``).

Each format module only knows its own syntax. It hands plain values to a `PostSink`, so the
rules for a valid post (a title or a text, a size limit, a UTC time, a stable id, one post
per id) live here once and every format applies them the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from ...config import LimitSettings
from ...errors import InputError
from ...types import Post, Problem, unique_posts
from .cleaning import clean_line, clean_text, decode_entities
from .outlets import outlet_from_url
from .times import Clock, clock_time, is_date_only, parse_time, stamp_kind

_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", re.IGNORECASE)


def make_id(source: str | None, published: datetime | None, title: str, body: str) -> str:
    """A content id for a record without one: the same post always gets the same id.

    Untitled posts add their text, so two different untitled posts do not collide.
    """
    parts = [source or "", published.isoformat() if published else "", title]
    if not title:
        parts.append(body)
    return "p-" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


class _BadField(ValueError):
    """A field whose value cannot be used as text (a list, an object, a boolean)."""


@dataclasses.dataclass(frozen=True)
class _Clock:
    """A record's time of day without a date, waiting for a date from its neighbours."""

    post_id: str
    line: int | None
    raw: str
    clock: Clock


@dataclasses.dataclass(frozen=True)
class PageDate:
    """A saved page's own dates, for the times of day of its posts: the day it was first
    published and the day of its last change, its UTC offset (None: unknown, times of day
    are UTC) and what to name as the dates' source."""

    first: date
    last: date
    offset: tzinfo | None
    source: str

    def days(self, clocks: list[Clock]) -> list[date]:
        """The day of each time of day, in page order. A live page lists its updates newest
        first (or oldest first: the order most steps go): the first update takes the day of
        the last change (or of the publication), and the day turns back (or on) where a
        time goes the wrong way by more than ``ROLLOVER_MINUTES``: midnight was crossed."""
        minutes = [c.hour * 60 + c.minute for c in clocks]
        steps = list(zip(minutes, minutes[1:], strict=False))
        newest_first = sum(b < a for a, b in steps) >= sum(b > a for a, b in steps)
        day = self.last if newest_first else self.first
        days = [day]
        for before, now in steps:
            if newest_first and now - before > ROLLOVER_MINUTES:
                day = day - timedelta(days=1)
            elif not newest_first and before - now > ROLLOVER_MINUTES:
                day = day + timedelta(days=1)
            days.append(day)
        return days


ROLLOVER_MINUTES = 60


class PostSink:
    """Collects one file's posts: builds them, applies the checks, keeps one post per id.

    Problems with single records are kept as `Problem`s so that one bad line does not
    cost the user the whole file; only the limit on the number of posts is fatal.

    Times that are no times are said, post by post (issue 24): a time of day without a
    date ("08:00") takes the date of the nearest dated post of the same blog (a record's
    ``blog_id``), or of the file when records name no blog, and is marked as inferred;
    without one the post is undated. A time before ``limits.earliest_year`` or more than
    a day after the run is taken for a placeholder and threaded as undated
    (``limits.odd_times``). A saved page gives its own dates and UTC offset (``page``, asked
    for only then) to the times of day of a page where no post is dated, said once. A match minute
    ("45'") is an order, not a time: the post is undated, said once for the file.

    HTML entities are decoded in every text field of every format ("Harry&#39;s").

    ``posts`` is where the posts are kept, by id in file order (default: a dict): an
    archive read without holding it (``archive``) keeps where each record lies instead.
    """

    def __init__(
        self,
        path: Path | str,
        limits: LimitSettings,
        source: str | None = None,
        page: Callable[[], PageDate | None] | None = None,
        posts: MutableMapping[str, Post] | None = None,
    ):
        self.path = str(path)
        self.limits = limits
        self.source = source
        self._page = page  # asked only when a time of day needs it (it may cost a search)
        self._minutes: list[int | None] = []  # lines of posts stamped with a match minute
        self._disagreements: list[tuple[int | None, str]] = []
        self._posts: MutableMapping[str, Post] = {} if posts is None else posts
        self.problems: list[Problem] = []
        self._group: dict[str, str | None] = {}  # post id -> its blog, in file order
        self._clocks: list[_Clock] = []
        self._latest = datetime.now(UTC) + timedelta(days=1)

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def disagreement(self, line: int | None, message: str) -> None:
        """Two sources of a page that disagree about a post's value; said once for the
        file, with the first case and the count (``result``)."""
        self._disagreements.append((line, message))

    def add_record(self, record: Mapping[str, object], line: int | None) -> None:
        """A JSONL object or CSV row; field names are matched without regard to case.

        Only the known fields are read, so labels such as gold_story_id never get in.
        """
        fields: dict[str, object] = {}
        for key, value in record.items():
            fields.setdefault(str(key).strip().lower(), value)
        try:
            values: dict[str, Any] = {
                "post_id": _first(fields, "id"),
                "source": _first(fields, "source"),
                "url": _first(fields, "url"),
                "title": _first(fields, "title"),
                "body": _first(fields, "text", "body"),
                "byline": _first(fields, "byline", "author", names_list=True),
                "group": _first(fields, "blog_id", "blog"),
                "outlet_group": _first(fields, "group"),
            }
        except _BadField as exc:
            self.problem(line, f"{exc}; record skipped")
            return
        values["key_event"] = _flag(fields.get("key_event")) or _flag(fields.get("pinned"))
        self.add(line, published=fields.get("published"), **values)

    def add(
        self,
        line: int | None,
        *,
        title: str | None,
        body: str | None,
        post_id: str | None = None,
        source: str | None = None,
        url: str | None = None,
        published: object = None,
        byline: str | None = None,
        captions: tuple[str, ...] = (),
        group: str | None = None,
        outlet_group: str | None = None,
        key_event: bool = False,
        inferred_from: str | None = None,
    ) -> None:
        """One record. ``group``: the blog or page it belongs to, where a time of day
        without a date looks for its date (default: the file). ``outlet_group``: the
        record's `group` field, its outlet's group for `compare`. ``inferred_from``: the
        time was worked out from this source (a page's save time for "16 min ago")."""
        title = clean_line(decode_entities(title or ""))
        body = clean_text(decode_entities(body or ""))
        byline = decode_entities(byline or "")
        captions = tuple(decode_entities(c) for c in captions)
        if not title and not body:
            self.problem(line, "record has neither a title nor a text; skipped")
            return
        captions = tuple(c for c in (clean_line(c) for c in captions) if c)
        size = len(title) + len(body) + sum(len(c) for c in captions)
        if size > self.limits.max_post_chars:
            self.problem(
                line,
                f"post has {size} characters, more than limits.max_post_chars "
                f"({self.limits.max_post_chars}); skipped",
            )
            return
        if isinstance(published, str) and stamp_kind(published) == "minute":
            self._minutes.append(line)
            published = None
        try:
            when = parse_time(published)
        except (ValueError, TypeError, OverflowError) as exc:
            self.problem(line, f"unparseable date: {exc}; kept the post without a time")
            when = None
        try:
            clock = clock_time(published)
        except ValueError:
            self.problem(line, f"unparseable time {published!r}; kept the post without a time")
            clock = None
        # a record that names no outlet (nor does the user) is attributed to its URL's host
        source = clean_line(source or "") or self.source or outlet_from_url(url)
        if source and _HOST.fullmatch(source):  # a bare host ("news.bbc.co.uk") -> "BBC"
            source = outlet_from_url(f"https://{source}") or source
        given_id = clean_line(post_id or "")
        post = Post(
            id=given_id or make_id(source, when, title, body),
            source=source,
            url=clean_line(url or "") or None,
            published=when,
            title=title,
            byline=clean_line(byline or "") or None,
            body=body,
            captions=captions,
            date_only=when is not None and is_date_only(published),
            group=clean_line(outlet_group or "") or None,
            key_event=key_event,
            time_inferred_from=inferred_from if when is not None else None,
        )
        if when is not None and (when.year < self.limits.earliest_year or when > self._latest):
            post = self._odd_time(post, line, published)
        if not self.keep(post, line, generated_id=not given_id):
            return
        self._group[post.id] = clean_line(group or "") or None
        if clock is not None:
            assert isinstance(published, str)  # clock_time reads a time of day from text only
            self._clocks.append(_Clock(post.id, line, clean_line(published), clock))

    def _odd_time(self, post: Post, line: int | None, raw: object) -> Post:
        """A placeholder time, said; undated unless ``limits.odd_times = "keep"``."""
        when = post.published
        assert when is not None  # called for dated posts only
        why = (
            f"before {self.limits.earliest_year} (a placeholder such as the Unix epoch?)"
            if when.year < self.limits.earliest_year
            else "more than a day after this run"
        )
        keep = self.limits.odd_times == "keep"
        action = "kept as given (limits.odd_times = keep)" if keep else "threaded as undated"
        self.problem(line, f"post {post.id}: time {raw!s} is {why}; {action}")
        return post if keep else dataclasses.replace(post, published=None, date_only=False)

    def keep(self, post: Post, line: int | None, generated_id: bool = False) -> bool:
        """Adds a built post unless its id is taken (False); a clash with other content is
        reported."""
        first = self._posts.get(post.id)
        if first is not None:
            if first != post:
                self.problem(line, duplicate_message(post.id, generated_id))
                self._posts[post.id] = unique_posts([first, post])[0]
            return False
        if len(self._posts) >= self.limits.max_posts:
            raise InputError(
                f"more than limits.max_posts ({self.limits.max_posts}) posts; "
                "raise the limit or split the input",
                path=self.path,
                line=line,
            )
        self._posts[post.id] = post
        return True

    def result(self) -> tuple[list[Post], list[Problem]]:
        """The file's posts in file order, and its problems (``finish`` first)."""
        self.finish()
        return list(self._posts.values()), list(self.problems)

    def finish(self) -> None:
        """The file is read: times of day get their dates, and what is said once for
        the file is said."""
        self._date_the_clocks()
        if self._disagreements:
            line, first = self._disagreements[0]
            self.problem(line, f"{len(self._disagreements)} posts: the page's structured data "
                         f"and its markup disagree; kept the structured value "
                         f"(first: {first})")  # fmt: skip
        if self._minutes:
            self.problem(self._minutes[0], f"{len(self._minutes)} posts are stamped with a "
                         "match minute, not a time; they are undated")  # fmt: skip

    def _date_the_clocks(self) -> None:
        """Each time of day without a date takes the date of the nearest dated post of its
        blog (or file) in file order, the earlier one on a tie; said either way."""
        if not self._clocks:
            return
        order = list(self._group)
        position = {pid: i for i, pid in enumerate(order)}
        dated: dict[str | None, list[int]] = {}
        for i, pid in enumerate(order):
            post = self._posts[pid]
            if post.published is not None and post.time_inferred_from is None:
                dated.setdefault(self._group[pid], []).append(i)
        from_page: list[_Clock] = []
        for clock in self._clocks:
            post = self._posts[clock.post_id]
            if post.published is not None:  # a duplicate id kept the other record
                continue
            here = position[clock.post_id]
            near = min(dated.get(self._group[clock.post_id], ()), default=None,
                       key=lambda i: (abs(i - here), i > here))  # fmt: skip
            if near is None and self._page is not None:
                from_page.append(clock)
                continue
            if near is None:
                self.problem(clock.line, f"post {post.id}: time {clock.raw} has no date, "
                             "and no dated post of its blog or file to take one from; "
                             "undated")  # fmt: skip
                continue
            source = self._posts[order[near]]
            assert source.published is not None  # `dated` holds dated posts only
            day = source.published.date()
            when = clock.clock.on(day)
            self._posts[post.id] = dataclasses.replace(
                post, published=when, time_inferred_from=source.id
            )
            self.problem(clock.line, f"post {post.id}: time {clock.raw} has no date; "
                         f"date {day.isoformat()} inferred from post {source.id}")  # fmt: skip
        page = self._page() if from_page and self._page is not None else None
        if page is not None:
            self._date_from_page(from_page, page)
        for clock in from_page if page is None else ():
            self.problem(clock.line, f"post {clock.post_id}: time {clock.raw} has no date, "
                         "and neither a dated post of its file nor the page gives one; "
                         "undated")  # fmt: skip

    def _date_from_page(self, clocks: list[_Clock], page: PageDate) -> None:
        days = page.days([c.clock for c in clocks])
        for clock, day in zip(clocks, days, strict=True):
            post = self._posts[clock.post_id]
            self._posts[post.id] = dataclasses.replace(
                post, published=clock.clock.on(day, page.offset), time_inferred_from=page.source
            )
        zone = "the page's UTC offset" if page.offset is not None else "UTC"
        span = days[0].isoformat() if min(days) == max(days) else (
            f"{min(days).isoformat()} to {max(days).isoformat()}")  # fmt: skip
        self.problem(clocks[0].line, f"{len(clocks)} posts give a time of day without a date "
                     f"({clocks[0].raw}, ...); took the page's dates ({span}), and {zone} "
                     "where they name no zone")  # fmt: skip


def duplicate_message(post_id: str, generated_id: bool = False) -> str:
    message = (
        f"duplicate id {post_id} with different content; kept the earlier post "
        "(at equal times, the one with the smaller content hash, so input order never matters)"
    )
    if generated_id:
        message += " (the id is made from source, time and title, which are the same)"
    return message


def _flag(value: object) -> bool:
    """A record's yes/no field: true, 1, "true", "yes", "1" (any case) are yes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "y")


def _first(fields: Mapping[str, object], *names: str, names_list: bool = False) -> str | None:
    """The first non-empty value among alias field names, as text.

    Numbers become text (ids are often numbers); a list of strings is accepted only where
    it is a list of names (bylines).
    """
    for name in names:
        value = fields.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise _BadField(f"field {name!r} is a boolean, not text")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        if names_list and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ", ".join(value)  # e.g. a list of author names
        raise _BadField(f"field {name!r} is a {type(value).__name__}, not text")
    return None
