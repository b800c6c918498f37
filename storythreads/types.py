"""The values that flow between stages: frozen dataclasses, no behaviour beyond helpers.

ingest -> Post; segment -> Segment; cluster + label -> Thread and Assignment;
summarize -> Citation; crossref -> Link; the pipeline gathers everything in a Run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .analysis.threading.identity import LineageEvent

SegmentKind = Literal["title", "paragraph", "bullet"]
Role = Literal["primary", "also"]
LinkKind = Literal["similar", "shared-entity", "shared-post", "follows", "followed-by"]


def sha256_text(text: str) -> str:
    """Hex digest of a text; the content key for segments and the embedding cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


PAGE_SOURCE = "page:"  # Post.time_inferred_from names a page, not a post


@dataclass(frozen=True)
class Post:
    """One live-blog post or one article, as read from the input."""

    id: str
    source: str | None
    url: str | None
    published: datetime | None  # timezone-aware UTC, or None when the input gives no time
    title: str
    byline: str | None
    body: str
    captions: tuple[str, ...] = ()
    # the input gave a date without a time ("2013-01-23"): ``published`` is that day's
    # 00:00 UTC and the post covers the whole day (analysis.timeline)
    date_only: bool = False
    # the input gave a time of day without a date ("08:00"): its date was taken from this
    # post of the same blog or file (ingest), and the report says so; or, written
    # "page:<address>" (PAGE_SOURCE), from the saved page itself (its date, or its last
    # change for "16 min ago")
    time_inferred_from: str | None = None
    # the record's own `group` field (compare: outlets gathered as left/right, country...)
    group: str | None = None
    # the page or record marks the post as a key event (the Guardian's "Key event" label,
    # a pinned post, a `key_event` field): the report's key points take it first
    key_event: bool = False

    @property
    def inferred_from_post(self) -> str | None:
        """The post whose date this post's time took, if any (not a page)."""
        source = self.time_inferred_from
        return None if source is None or source.startswith(PAGE_SOURCE) else source

    @property
    def inferred_from_page(self) -> str | None:
        """The page (its address, or "the page") whose date this post's time took, if any."""
        source = self.time_inferred_from
        if source is None or not source.startswith(PAGE_SOURCE):
            return None
        return source.removeprefix(PAGE_SOURCE)

    @property
    def time_source(self) -> str:
        """Where ``published`` came from: "given", "date only", "inferred" or "none"."""
        if self.published is None:
            return "none"
        if self.time_inferred_from is not None:
            return "inferred"
        return "date only" if self.date_only else "given"

    @property
    def sort_key(self) -> tuple[float, str]:
        """Order used everywhere a stable order matters: time (undated last), then id."""
        ts = self.published.timestamp() if self.published else float("inf")
        return (ts, self.id)

    @property
    def content_sha(self) -> str:
        """Hash of what the post says; an edit changes it, the id stays."""
        return sha256_text("\x1f".join([self.title, self.body, *self.captions]))


def unique_posts(posts: Iterable[Post]) -> list[Post]:
    """One post per id, in (time, id) order, whatever order the posts came in.

    When two different posts share an id, the earlier one wins (ties: the smaller content
    hash), so the choice never depends on input order.
    """
    kept: dict[str, Post] = {}
    for post in sorted(
        posts,
        key=lambda p: (p.sort_key, p.content_sha, p.source or "", p.url or "", p.byline or ""),
    ):
        kept.setdefault(post.id, post)
    return sorted(kept.values(), key=lambda p: p.sort_key)


@dataclass(frozen=True)
class Segment:
    """A unit of a post that can belong to a thread of its own: title, paragraph, bullet."""

    id: str  # f"{post_id}#{ordinal}"
    post_id: str
    ordinal: int
    kind: SegmentKind
    text: str
    sha: str


@dataclass(frozen=True)
class Problem:
    """A record that was skipped or repaired while reading input."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Assignment:
    """A post's membership in a thread. Every threaded post has exactly one primary."""

    post_id: str
    thread_id: str
    role: Role
    score: float  # cosine similarity of the post (or its segment) to the thread centroid
    segment_ids: tuple[str, ...] = ()  # for `also`: the segments that carry the story


@dataclass(frozen=True)
class Citation:
    """One extractive summary sentence and where it comes from."""

    text: str
    post_id: str
    published: datetime | None
    byline: str | None
    score: float


@dataclass(frozen=True)
class Link:
    """A typed, explained relation between two threads."""

    src: str
    dst: str
    kind: LinkKind
    score: float
    reason: str


@dataclass(frozen=True)
class Thread:
    """A story: the posts that tell it, how it is labelled, and when it was active."""

    id: str
    label: str
    keyphrases: tuple[str, ...]
    headline: str  # the most central post title
    post_ids: tuple[str, ...]  # primary members, in time order
    also_post_ids: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    summary: tuple[Citation, ...] = ()
    status: str = "active"
    centroid: object = field(default=None, compare=False, repr=False)  # np.ndarray


@dataclass(frozen=True)
class Run:
    """Everything one analysis produced; what the renderers and the store consume."""

    id: str
    started: datetime
    finished: datetime
    settings_digest: str
    model: str
    counts: dict[str, Any]
    posts: tuple[Post, ...]
    threads: tuple[Thread, ...]
    assignments: tuple[Assignment, ...]
    links: tuple[Link, ...]
    unthreaded: tuple[str, ...] = ()  # post ids with no text to thread on
    problems: tuple[Problem, ...] = ()
    changes: dict[str, Any] = field(default_factory=dict)
    segments: tuple[Segment, ...] = field(default=(), repr=False)
    lineage: tuple[LineageEvent, ...] = ()  # LineageEvent values of this run (analysis.thread_identity)
    next_thread_number: int = 1  # the first id number no thread has used yet
    # the report's map: (post_id, x, y) per threaded post in (time, id) order, x and y in
    # [-1, 1] (analysis.layout); empty when report.map = "none" or html is not written
    layout: tuple[tuple[str, float, float], ...] = field(default=(), repr=False)
    # the report's key points across threads, newest first (reports.key_points)
    key_points: tuple[Citation, ...] = ()
    # how the run was made: versions, model and its files' sha256, backend, settings
    # (storythreads.provenance); report.json's and compare.json's run.provenance
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)
    # seconds per stage (storythreads.timing); never written to the reports or the store
    timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def primary_thread(self, post_id: str) -> str | None:
        for a in self.assignments:
            if a.post_id == post_id and a.role == "primary":
                return a.thread_id
        return None
