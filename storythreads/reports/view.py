"""The view report.md and report.html share: what a person reads of a Run, already
ordered and formatted, not yet escaped (the templates escape it). One view for both, so
the two pages cannot disagree about what a thread contains."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..analysis.language.detect import language_note, languages, post_language
from ..types import Citation, Link, Post, Run
from .graph import Graph, chain_paths, links_graph
from .values import anchor_id, jsonable, safe_url, time_span, when_text


def _citation_view(c: Citation, date_only: bool = False, **extra: object) -> dict[str, Any]:
    return {
        "text": c.text,
        "anchor": anchor_id(c.post_id),
        "cite": " · ".join(
            x for x in (c.post_id, when_text(c.published, date_only), c.byline) if x
        ),
        **extra,
    }


def _entry(post: Post, *, anchored: bool, also: bool = False) -> dict[str, Any]:
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


def report_view(run: Run, graph: Graph | None = None) -> dict[str, Any]:
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
        # said when most posts are in a language the default models do not read
        "language_note": language_note(
            languages(post_language(p) for p in run.posts), len(run.posts)
        ),
        # set by reports.publish.recent_window when older threads were left to the archive
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


def _dates_only(posts: Iterable[Post]) -> bool:
    """Whether every dated post of ``posts`` gives a date only (and one does)."""
    flags = [p.date_only for p in posts if p.published is not None]
    return bool(flags) and all(flags)


def _chain_view(links: Iterable[Link], kind: str, labels: dict[str, str]) -> list[dict[str, str]]:
    """A thread's ``follows`` (before) or ``followed-by`` (after) links, for a reader."""
    return [
        {"anchor": anchor_id(k.dst), "label": labels.get(k.dst, k.dst), "id": k.dst,
         "reason": k.reason}
        for k in links
        if k.kind == kind
    ]  # fmt: skip


def _outlets(posts: Iterable[Post]) -> list[tuple[str, int]]:
    """(outlet, posts) pairs, most posts first, ties by name; posts without a source skipped."""
    counts: dict[str, int] = {}
    for p in posts:
        if p.source:
            counts[p.source] = counts.get(p.source, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _changes(changes: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, list[str]]]:
    """run.changes is free-form: each key becomes a heading, each value a list of lines.

    A bare thread id is shown with its label; anything structured is shown as JSON.
    Empty values are dropped so 'What changed' only lists what did change.
    """
    out: list[tuple[str, list[str]]] = []
    for key, value in jsonable(changes).items():
        if isinstance(value, dict):
            value = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
        items = value if isinstance(value, list) else [] if value is None else [value]
        lines = [_change_line(i, labels) for i in items]
        if lines:
            out.append((key.replace("_", " ").capitalize(), lines))
    return out


def _change_line(item: object, labels: dict[str, str]) -> str:
    """One change as a sentence; the pipeline's known shapes get words, others JSON."""

    def name(tid: str) -> str:
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
