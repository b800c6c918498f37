"""compare.html: the outlet comparison as one self-contained page, beside compare.md.

The same rules as report.html (see render.py): Jinja2 autoescape on every value, the same
head (strict CSP, shared styles, ``_head.html.j2``), plotly.js inlined once, figure data only
through ``|tojson``, and every outside string HTML-escaped before it reaches a plot label.

The page shows a heatmap of posts per outlet per thread (click a row to open the thread),
the median lag per outlet, and per thread: coverage and lag side by side, each outlet's
distinctive words, its voices and hedges, and the figures it reported (differences flagged).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..timefmt import duration
from . import figures_html
from .comparison import (
    MAX_TABLE_ROWS,
    Comparison,
    busiest,
    day_lag,
    drawn_sides,
    findings,
    not_speakers_text,
    terms_rule_text,
)
from .values import anchor_id, safe_url, when_text

if TYPE_CHECKING:
    from ..analysis.compare.groups import Grouping
    from ..analysis.compare.outlets import AttentionRow, CoverageRow, LeadRow, TermRow
    from ..analysis.compare.voices import HedgeRow, SourceRow, VoiceRow
    from ..analysis.language.figures import FigureRow, Revision
    from ..types import Post, Thread
    from .comparison import ThreadRowT

HEATMAP_THREADS = 40  # the busiest threads get a heatmap row; every thread gets a section
LABEL_CHARS = 48
LINE_CHARS = 12  # an outlet's name over its heatmap column: lines of about this many
OUTLETS_LEVEL = 5  # up to this many outlets the names sit level; more stand upright


def _grouped(rows: Iterable[ThreadRowT]) -> dict[str, list[ThreadRowT]]:
    out: dict[str, list[ThreadRowT]] = {}
    for row in rows:
        out.setdefault(row.thread_id, []).append(row)
    return out


def lag_text(row: LeadRow | None, window_days: float) -> str:
    """A lead row's lag for a reader; shared with compare.md so both pages say the same.

    A first post beyond the window is another event, so it gets words, not a lag.
    """
    if row is not None and row.beyond_window:
        return f"later (beyond {duration(window_days * 24 * 60).lstrip('+')})"
    if row is not None and row.lag_days is not None:  # timed to the day
        return "first (same day)" if row.is_first else day_lag(row.lag_days)
    if row is None or row.lag_minutes is None:
        return "—"
    return "first" if row.is_first else duration(row.lag_minutes)


def median_lags(c: Comparison) -> list[tuple[str, str]]:
    """(outlet, its median lag for a reader), fastest first: in minutes over threads timed
    to the minute, else in days over threads timed to the day; shared with compare.md."""
    rows = [(o, lag, duration(lag)) for o, lag in c.median_lag.items()]
    rows += [
        (o, days * 24 * 60, day_lag(days))
        for o, days in c.median_lag_days.items()
        if o not in c.median_lag
    ]
    return [(o, text) for o, _, text in sorted(rows, key=lambda r: (r[1], r[0]))]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


ATTENTION_THREADS = 8  # the busiest threads spanning two days or more, one menu entry each
DAY_MS = 86_400_000  # plotly's date axis counts milliseconds


def attention_chart(
    c: Comparison, sides: list[str] | None = None, by: str = "outlet"
) -> dict[str, Any] | None:
    """Each outlet's daily share of its posts given to a story, for the busiest threads
    that span two days or more; a menu picks the thread (attention.csv has them all).
    Only ``sides`` (default: every outlet) are drawn, each a ``by`` (an outlet, a group).
    None when no thread spans two days."""
    import plotly.graph_objects as go

    series: dict[str, dict[str, list[AttentionRow]]] = {}
    for r in c.attention:
        series.setdefault(r.thread_id, {}).setdefault(r.outlet, []).append(r)
    threads = [
        t for t in c.run.threads
        if t.id in series and len(next(iter(series[t.id].values()))) >= 2
    ][:ATTENTION_THREADS]  # fmt: skip
    if not threads:
        return None
    days = max(len(next(iter(series[t.id].values()))) for t in threads)
    fig = go.Figure()
    owner: list[int] = []
    for i, t in enumerate(threads):
        for outlet, rows in sorted(series[t.id].items()):
            if not any(r.posts for r in rows) or (sides is not None and outlet not in sides):
                continue  # an outlet that never covered this story, or one not drawn
            fig.add_trace(
                go.Scatter(
                    x=[r.day for r in rows],
                    y=[100 * r.share for r in rows],
                    mode="lines+markers",
                    name=figures_html.plain_text(outlet),
                    visible=i == 0,
                    hovertemplate=f"{figures_html.plain_text(outlet)}: %{{y:.0f}}% of its posts "
                    "on %{x}<extra></extra>",
                )
            )
            owner.append(i)
    buttons = [
        {
            "label": figures_html.plain_text(_short(t.label)),
            "method": "update",
            "args": [{"visible": [o == i for o in owner]}],
        }
        for i, t in enumerate(threads)
    ]
    fig.update_layout(
        updatemenus=[{"buttons": buttons, "x": 0, "xanchor": "left", "y": 1.18, "yanchor": "top"}],
        margin={"l": 50, "r": 10, "t": 60, "b": 40},
        height=360,
        yaxis={"title": {"text": f"% of the {by}'s posts that day"}, "rangemode": "tozero"},
        # whole days only: a tick at least a day apart, never a clock time
        xaxis={"type": "date", "tickformat": "%b %-d, %Y", "dtick": DAY_MS * max(1, days // 8)},
        legend={"orientation": "h", "y": -0.2},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return figures_html.plain_json(fig)


def coverage_heatmap(
    c: Comparison, outlets: list[str], anchors: dict[str, str]
) -> dict[str, Any] | None:
    """Posts per (thread, outlet) for the busiest threads; row i's anchor is anchors[i]."""
    import plotly.graph_objects as go

    cov = _grouped(c.coverage)
    threads = [t for t in c.run.threads if t.id in cov][:HEATMAP_THREADS]
    if not threads or not outlets:
        return None
    z, hover = [], []
    for t in threads:
        posts = {r.outlet: r.posts for r in cov[t.id]}
        z.append([posts.get(o, 0) for o in outlets])
        hover.append(
            [
                f"{figures_html.plain_text(t.label)}<br>{figures_html.plain_text(o)}: {posts.get(o, 0)} post(s)"
                for o in outlets
            ]
        )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[figures_html.plain_text(o) for o in outlets],
            y=list(range(len(threads))),
            text=hover,
            texttemplate="%{z}",
            hovertemplate="%{text}<extra></extra>",
            colorscale="Blues",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        height=80 + 26 * len(threads),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={
            "side": "top",
            "type": "category",
            "tickmode": "array",
            "tickvals": [figures_html.plain_text(o) for o in outlets],
            # a set angle: plotly's own choice flips between two drawings on a phone
            **(
                {"ticktext": [_stacked(o) for o in outlets], "tickangle": 0}
                if len(outlets) <= OUTLETS_LEVEL
                else {"ticktext": [figures_html.plain_text(o) for o in outlets], "tickangle": -90}
            ),
            "automargin": True,
        },
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(threads))),
            "ticktext": [figures_html.plain_text(_short(t.label)) for t in threads],
            "autorange": "reversed",
            "automargin": True,
        },
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    data = figures_html.plain_json(fig)
    data["anchors"] = [anchors[t.id] for t in threads]
    return data


def _stacked(name: str) -> str:
    """An outlet's column label, its words on lines of about `LINE_CHARS` (plotly's <br>),
    so a few outlets' names fit over their columns at a phone width without slanting."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LINE_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(figures_html.plain_text(line) for line in lines)


def clip(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters, cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _thread_view(
    t: Thread,
    cov: list[CoverageRow],
    lead: Iterable[LeadRow],
    terms: Iterable[TermRow],
    speak: Iterable[VoiceRow],
    hedge: Iterable[HedgeRow],
    figs: Sequence[FigureRow],
    revs: Iterable[Revision],
    posts: dict[str, Post],
    window: float,
    mix: Iterable[SourceRow] = (),
) -> dict[str, Any]:
    lags = {r.outlet: r for r in lead}
    by_outlet: dict[str, list[str]] = {}
    for r in terms:
        by_outlet.setdefault(r.outlet, []).append(f"{r.term} ({r.z:.1f})")
    hedges: dict[str, list[str]] = {}
    for h in hedge:
        hedges.setdefault(h.outlet, []).append(f"{h.phrase} ×{h.count}")
    return {
        "id": t.id,
        "anchor": anchor_id(t.id),
        "label": t.label,
        "headline": t.headline,
        "coverage_more": max(0, len(cov) - MAX_TABLE_ROWS),
        "coverage": [
            {
                "outlet": r.outlet,
                "posts": r.posts,
                "words": r.words,
                "share": f"{r.share_of_outlet:.0%}",
                "first": when_text(r.first),
                "last": when_text(r.last),
                "lag": lag_text(lags.get(r.outlet), window),
            }
            for r in busiest(cov)
        ],
        "terms": sorted(by_outlet.items()),
        "voices": [
            {
                "outlet": r.outlet,
                "speaker": r.speaker,
                "kind": r.speaker_kind,
                "quotes": r.quotes,
                "attr": r.attributions,
                "example": clip(r.example),
                "post_id": r.example_post,
                "url": safe_url(posts[r.example_post].url) if r.example_post in posts else None,
            }
            for r in sorted(speak, key=lambda r: (-(r.quotes + r.attributions), r.outlet))[:15]
        ],
        "sources": [
            {"outlet": m.outlet, "n": m.attributions, "anonymous": f"{m.anonymous_share:.0%}"}
            for m in mix
        ],
        "hedges": sorted(hedges.items()),
        "figures": [
            {
                "subject": r.subject,
                "value": f"{r.qualifier + ' ' if r.qualifier else ''}{r.value:g}"
                + (f" {r.unit}" if r.unit else ""),
                "outlet": r.outlet,
                "time": when_text(r.published),
                "earlier": r.earlier,
                "text": r.text,
                "url": safe_url(posts[r.post_id].url) if r.post_id in posts else None,
                "post_id": r.post_id,
            }
            for r in figs[:MAX_TABLE_ROWS]
        ],
        "figures_more": max(0, len(figs) - MAX_TABLE_ROWS),
        "revisions": [r.note for r in revs],
    }


def compare_view(c: Comparison) -> dict[str, Any]:
    """What compare.html shows, ordered and formatted, not yet escaped."""
    run = c.run
    posts = {p.id: p for p in run.posts}
    outlets = sorted({p.source or "unknown" for p in run.posts})
    cov, lead, terms = _grouped(c.coverage), _grouped(c.lead), _grouped(c.terms)
    speak, hedge, mix = _grouped(c.voices), _grouped(c.hedges), _grouped(c.sources)
    figs, revs = _grouped(c.figures), _grouped(c.revisions)
    labels = {t.id: t.label for t in run.threads}
    threads = [
        _thread_view(
            t,
            cov[t.id],
            lead.get(t.id, []),
            terms.get(t.id, []),
            speak.get(t.id, []),
            hedge.get(t.id, []),
            figs.get(t.id, []),
            revs.get(t.id, []),
            posts,
            c.lead_window_days,
            mix.get(t.id, []),
        )
        for t in run.threads
        if t.id in cov
    ]
    firsts: dict[str, int] = {}
    for r in c.lead:
        if r.is_first and r.thread_id not in c.single_outlet:
            firsts[r.outlet] = firsts.get(r.outlet, 0) + 1
    lags = [{"outlet": o, "lag": text, "first": firsts.get(o, 0)} for o, text in median_lags(c)]
    return {
        "run_id": run.id,
        "model": run.model,
        "n_posts": len(run.posts),
        "n_threads": len(run.threads),
        "outlets": outlets,
        "median_lag": lags[:MAX_TABLE_ROWS],
        "median_lag_more": max(0, len(lags) - MAX_TABLE_ROWS),
        "median_lag_none": len(outlets) - len(lags),
        "findings": [
            {"title": f"By {g.name}", "paragraphs": findings(grouped, "groups")}
            for g, grouped in c.groups
        ]
        + [{"title": "By outlet", "paragraphs": findings(c, "outlets")}],
        "single_outlet": [
            {"anchor": anchor_id(tid), "label": labels.get(tid, tid), "id": tid}
            for tid in c.single_outlet
        ],
        "threads": threads,
        "terms_rule": terms_rule_text(c.rules),
        "not_speakers": not_speakers_text(c) if c.not_speakers() else "",
        "groupings": [_grouping_view(g, grouped) for g, grouped in c.groups],
    }


def _grouping_view(grouping: Grouping, grouped: Comparison) -> dict[str, Any]:
    """A grouping's table: each group's outlets, posts, threads and median lag."""
    lags = dict(median_lags(grouped))
    posts: dict[str, int] = {}
    threads: dict[str, set[str]] = {}
    for r in grouped.coverage:
        posts[r.outlet] = posts.get(r.outlet, 0) + r.posts
        threads.setdefault(r.outlet, set()).add(r.thread_id)
    members: dict[str, list[str]] = {}
    for outlet, group in sorted(grouping.mapping.items()):
        members.setdefault(group, []).append(outlet)
    return {
        "name": grouping.name,
        "file": grouping.path,
        "sha256": grouping.sha256,
        "rows": [
            {
                "group": g,
                "outlets": ", ".join(members.get(g, ["(outlets not in the file)"])),
                "posts": posts[g],
                "threads": len(threads[g]),
                "lag": lags.get(g, "—"),
            }
            for g in sorted(posts)
        ],
    }


def render_compare_html(c: Comparison, plotly_src: str | None = None) -> str:
    """One page, plotly.js inlined or, given ``plotly_src``, loaded from that file beside
    it (``figures_html.plotly_asset``); the plot reaches it only as ``|tojson`` data."""
    from .render import environment

    v = compare_view(c)
    anchors = {t["id"]: t["anchor"] for t in v["threads"]}
    shown, sides, v["drawn"] = drawn_sides(c)
    heatmap = coverage_heatmap(shown, sides, anchors)
    figs = {"coverage": heatmap, "attention": attention_chart(shown, sides, v["drawn"]["by"])}
    drawn = any(figs.values())
    plotly_js = Markup(figures_html.plotly_js()) if drawn and not plotly_src else ""
    return (
        environment("html")
        .get_template("compare.html.j2")
        .render(v=v, figs=figs, plotly_js=plotly_js, plotly_src=plotly_src if drawn else None)
    )
