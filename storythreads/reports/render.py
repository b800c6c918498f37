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
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..errors import ConfigError
from ..types import Citation, Post, Run
from . import figures_html
from .files import remove_stale_temp_files, write_all_atomic
from .graph import Graph, chain_paths, links_graph
from .values import (
    anchor_id,
    iso_time,
    jsonable,
    md_escape,
    round_score,
    safe_url,
    time_span,
    when_text,
)

SCHEMA = "storythreads.report/1"
FILE_NAMES = {"md": "report.md", "json": "report.json", "html": "report.html"}
# From this many posts on, report.html and report.json are rendered in forked children
# while this process writes report.md (files.write_all_atomic). Below it, a fork costs
# more than the rendering.
FORK_FROM_POSTS = 500
FORKED = ("json", "html")
_TEMPLATES = Path(__file__).parent / "templates"


# -- small formatting helpers ----------------------------------------------------------


def _related_dict(entry: dict) -> dict:
    reasons = [{**r, "score": round_score(r["score"])} for r in entry["reasons"]]
    return {**entry, "score": round_score(entry["score"]), "reasons": reasons}


def _citation_dict(c: Citation, **extra) -> dict:
    return {
        "text": c.text,
        "post_id": c.post_id,
        "published": iso_time(c.published),
        "byline": c.byline,
        **extra,
    }


def _citation_view(c: Citation, date_only: bool = False, **extra) -> dict:
    return {
        "text": c.text,
        "anchor": anchor_id(c.post_id),
        "cite": " · ".join(
            x for x in (c.post_id, when_text(c.published, date_only), c.byline) if x
        ),
        **extra,
    }


def report_dict(run: Run, graph: Graph | None = None) -> dict:
    """The report as plain data: the ``storythreads.report/1`` contract (additive changes
    only); ``graph`` is ``links_graph(run)`` when the caller has it already."""
    primary: dict[str, str] = {}
    also: dict[str, set[str]] = {}
    for a in run.assignments:
        if a.role == "primary":
            primary.setdefault(a.post_id, a.thread_id)
        else:
            also.setdefault(a.post_id, set()).add(a.thread_id)
    posts = [
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
            # in time_inferred_from: the input gave a time of day only), none
            "time_source": p.time_source,
            "time_inferred_from": p.time_inferred_from,
            "key_event": p.key_event,  # the page marked it as a key event
        }
        for p in sorted(run.posts, key=lambda p: p.sort_key)
    ]
    links, root, chains, related = graph or links_graph(run)
    threads = []
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


# -- the view shared by Markdown and HTML ----------------------------------------------


def _entry(post: Post, *, anchored: bool, also: bool = False) -> dict:
    return {
        "anchor": anchor_id(post.id),
        "anchored": anchored,  # only a post's primary entry carries its id (ids are unique)
        "also": also,
        "time": when_text(post.published, post.date_only)
        + (" (date inferred)" if post.time_inferred_from else ""),
        "title": post.title or post.id,
        "key_event": post.key_event,
        "byline": post.byline,
        "url": safe_url(post.url),
        "captions": list(post.captions),
    }


def _view(run: Run, graph: Graph | None = None) -> dict:
    """What the human-readable reports show, already ordered and formatted, not yet escaped."""
    posts = {p.id: p for p in run.posts}
    labels = {t.id: t.label for t in run.threads}
    # a thread (or the run) whose dated posts all give a date only is shown by dates
    day = {t.id: _dates_only(posts[i] for i in t.post_ids if i in posts) for t in run.threads}
    firsts = {t.id: when_text(t.first_seen, day[t.id]) for t in run.threads}
    dates_only = {p.id for p in run.posts if p.date_only}
    dated = sorted(p.published for p in run.posts if p.published is not None)
    thread_of = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    links, _root, chains, related = graph or links_graph(run)
    threads = []
    for t in run.threads:
        members = [(posts[i], False) for i in t.post_ids if i in posts]
        members += [(posts[i], True) for i in t.also_post_ids if i in posts]
        members.sort(key=lambda m: (m[0].sort_key, m[1]))
        threads.append(
            {
                "id": t.id,
                "anchor": anchor_id(t.id),
                "label": t.label,
                "keywords": list(t.keyphrases),
                "headline": t.headline,
                "n_posts": len(t.post_ids),
                "n_also": len(t.also_post_ids),
                "span": time_span(t.first_seen, t.last_seen, day[t.id]),
                "first": when_text(t.first_seen, day[t.id]),
                "last": when_text(t.last_seen, day[t.id]),
                "outlets": _outlets(posts[i] for i in t.post_ids if i in posts),
                "summary": [_citation_view(c, c.post_id in dates_only) for c in t.summary],
                "timeline": [_entry(p, anchored=not also, also=also) for p, also in members],
                # the story chain around it: what came before, what came after
                "before": _chain_view(links.get(t.id, ()), "follows", labels),
                "after": _chain_view(links.get(t.id, ()), "followed-by", labels),
                "links": [
                    {
                        "anchor": anchor_id(e["thread_id"]),
                        "label": labels.get(e["thread_id"], e["thread_id"]),
                        "kind": ", ".join(dict.fromkeys(r["kind"] for r in e["reasons"])),
                        "score": f"{e['score']:.2f}",
                        "reason": "; ".join(dict.fromkeys(r["reason"] for r in e["reasons"])),
                    }
                    for e in related.get(t.id, ())
                ],
            }
        )
    return {
        "run_id": run.id,
        # set by reports.window.recent_window when older threads were left to the archive
        "window": (
            {
                "days": f"{run.counts['window_days']:g}",
                "archived": run.counts["archived_threads"],
            }
            if "archived_threads" in run.counts
            else None
        ),
        "model": run.model,
        "span": time_span(dated[0], dated[-1], _dates_only(run.posts)) if dated else "undated",
        "n_posts": len(run.posts),
        "n_threads": len(run.threads),
        "n_single": sum(1 for t in run.threads if len(t.post_ids) == 1),
        "n_unthreaded": len(run.unthreaded),
        "n_outlets": len({p.source for p in run.posts if p.source}),
        "changes": _changes(run.changes, labels),
        "key_points": [
            _citation_view(
                c,
                c.post_id in dates_only,
                thread_anchor=anchor_id(thread_of.get(c.post_id, "")),
                thread_label=labels.get(thread_of.get(c.post_id, ""), ""),
            )
            for c in run.key_points
        ],
        "threads": threads,
        "chains": [
            [
                {"anchor": anchor_id(tid), "label": labels[tid], "id": tid, "first": firsts[tid]}
                for tid in path
            ]
            for path in chain_paths(run, chains)
        ],
        "unthreaded": [_entry(posts[i], anchored=True) for i in run.unthreaded if i in posts],
        "problems": [str(p) for p in run.problems],
    }


def _dates_only(posts) -> bool:
    """Whether every dated post of ``posts`` gives a date only (and one does)."""
    flags = [p.date_only for p in posts if p.published is not None]
    return bool(flags) and all(flags)


def _chain_view(links, kind: str, labels: dict) -> list[dict]:
    """A thread's ``follows`` (before) or ``followed-by`` (after) links, for a reader."""
    return [
        {"anchor": anchor_id(k.dst), "label": labels.get(k.dst, k.dst), "id": k.dst,
         "reason": k.reason}
        for k in links
        if k.kind == kind
    ]  # fmt: skip


def _outlets(posts) -> list[tuple[str, int]]:
    """(outlet, posts) pairs, most posts first, ties by name; posts without a source skipped."""
    counts: dict[str, int] = {}
    for p in posts:
        if p.source:
            counts[p.source] = counts.get(p.source, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _changes(changes: dict, labels: dict) -> list[tuple[str, list[str]]]:
    """run.changes is free-form: each key becomes a heading, each value a list of lines.

    A bare thread id is shown with its label; anything structured is shown as JSON.
    Empty values are dropped so 'What changed' only lists what did change.
    """
    out = []
    for key, value in jsonable(changes).items():
        if isinstance(value, dict):
            value = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
        items = value if isinstance(value, list) else [] if value is None else [value]
        lines = [_change_line(i, labels) for i in items]
        if lines:
            out.append((key.replace("_", " ").capitalize(), lines))
    return out


def _change_line(item, labels: dict) -> str:
    """One change as a sentence; the pipeline's known shapes get words, others JSON."""

    def name(tid):
        return f"{labels[tid]} ({tid})" if tid in labels else str(tid)

    if isinstance(item, str):
        return name(item)
    if isinstance(item, dict) and {"id", "new_posts"} <= item.keys():
        newest = item.get("newest_headline")
        return f"{name(item['id'])}: +{item['new_posts']} post(s)" + (
            f", newest “{newest}”" if newest else ""
        )
    if isinstance(item, dict) and {"id", "into"} <= item.keys():
        return f"{item['id']} merged into {name(item['into'])}"
    if isinstance(item, dict) and {"id", "from"} <= item.keys():
        return f"{name(item['id'])} split from {item['from']}"
    return json.dumps(item, ensure_ascii=False)


# -- Markdown and HTML: Jinja2 templates ----------------------------------------------


class _ViewEnvironment(jinja2.Environment):
    """The templates read views made of dicts: ``t.label`` is the key ``label``. Jinja2 tries
    an attribute first and the key only after that fails; keys first halves the cost of
    the half-million lookups of a 10k-post report (no view key is a dict method's name)."""

    def getattr(self, obj, attribute):
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


def stream_markdown(run: Run, view: dict | None = None) -> Iterator[str]:
    """report.md; ``view`` is ``_view(run)`` when the caller has it already."""
    view = view if view is not None else _view(run)
    return environment("md").get_template("report.md.j2").generate(v=view)


def render_markdown(run: Run) -> str:
    return "".join(stream_markdown(run))


def stream_html(run: Run, view: dict | None = None, plotly_src: str | None = None) -> Iterator[str]:
    """One page: the view, plus plot data and plotly.js, inlined once, or, given
    ``plotly_src``, loaded from that file beside the page (``figures_html.plotly_asset``).

    Plot data reaches the page only through ``|tojson`` (which escapes <, >, & and ');
    the only unescaped insert is the bundled plotly.js itself, never post text. ``view``
    is ``_view(run)`` when the caller has it already (colours and sparklines are added).
    """
    v = view if view is not None else _view(run)
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
    run: Run, out_dir: str | Path, formats=("md", "json", "html"), single_file: bool = True
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
    view = _view(run, graph) if {"md", "html"} & set(formats) else None

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
