"""The plots of report.html: a map of posts, posts per thread per hour, one sparkline a card.

Each figure is built with plotly and handed to the template as plain JSON data (the
template embeds it with ``|tojson`` and draws it with the one inlined copy of plotly.js),
so the page needs no network and holds no random ids: the same Run gives the same bytes.
The cards' sparklines are only numbers, which the template draws as inline SVG bars.

Plotly reads a small set of HTML tags (``<a href>``, ``<b>``, ``<br>``) inside hover text,
legend names and tick labels, so every string from the outside world is HTML-escaped
before it reaches a figure; plotly shows the entities as the literal characters.

The map draws ``run.layout``: one point per threaded post at its 2-D UMAP projection
(cosine) of the post vectors the threads were built from, computed by the pipeline
(``analysis.layout``; PCA below 5 posts or with ``report.map = "pca"``) and kept in the
store, so ``storythreads report`` redraws the same map. Near points are posts the model
finds alike; the colours are the threads, so a thread whose posts scatter across the map
is one the clustering joined on names and words more than on meaning. Axes have no units.
A Run without a layout (``report.map = "none"``) has no map.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypedDict, cast

from ..types import Post, Run

if TYPE_CHECKING:
    from pathlib import Path

    from plotly.graph_objects import Figure

# A qualitative palette (plotly's D3 + Dark24 tones): colour i belongs to thread i of the
# report, the same in the map, the timeline, the cards and the sections.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#2e91e5", "#e15f99", "#1ca71c", "#fb0d0d", "#da16ff", "#b68100",
    "#750d86", "#eb663b", "#511cfb", "#00a08b",
)  # fmt: skip
TIMELINE_THREADS = (
    12  # the busiest threads get their own colour in the timeline; the rest are "other"
)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def plain_text(value: object) -> str:
    """Literal text for a plotly label: escape the markup plotly would otherwise read."""
    return html.escape(str(value), quote=False)


def _hour(dt: datetime) -> datetime:
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.replace(minute=0, second=0, microsecond=0)


def hours(run: Run) -> list[datetime]:
    """Every hour from the first dated post to the last (capped at 14 days of hours)."""
    dated = [_hour(p.published) for p in run.posts if p.published is not None]
    if not dated:
        return []
    first, last = min(dated), max(dated)
    n = min(int((last - first) / timedelta(hours=1)) + 1, 14 * 24)
    return [first + timedelta(hours=i) for i in range(n)]


def plain_json(fig: Figure) -> dict[str, Any]:
    """Plain JSON data (lists, not typed arrays) for ``|tojson``."""
    import plotly.io as pio

    data: dict[str, Any] = json.loads(
        pio.to_json(fig, validate=False, remove_uids=True, engine="json")
    )
    return data


def post_map(run: Run, anchors: dict[str, str]) -> dict[str, Any] | None:
    """Scatter of the posts at their ``run.layout`` places, one trace per thread in report
    order (colour i = thread i); hover: headline, time, thread; click data: thread anchor.

    Traces are written as plain data: a plotly ``go.Scatter`` each (validated, property by
    property) took 2 ms, minutes for a report of 10,000 threads.
    """
    import plotly.graph_objects as go

    place = {pid: (x, y) for pid, x, y in run.layout}
    posts = {p.id: p for p in run.posts}
    if not run.threads or not place:
        return None
    traces = []
    for i, t in enumerate(run.threads):
        members = sorted(
            (posts[p] for p in t.post_ids if p in posts and p in place), key=lambda p: p.sort_key
        )
        if not members:
            continue
        label = plain_text(t.label)
        hover = []
        for post in members:
            when = post.published.strftime("%Y-%m-%d %H:%M UTC") if post.published else "undated"
            hover.append(f"{plain_text(post.title or post.id)}<br>{when}<br><i>{label}</i>")
        traces.append(
            {
                "type": "scatter",
                "x": [place[p.id][0] for p in members],
                "y": [place[p.id][1] for p in members],
                "mode": "markers",
                "name": label,
                "marker": {"color": colour(i), "size": 9, "line": {"width": 0.5, "color": "#fff"}},
                "hovertext": hover,
                "hoverinfo": "text",
                "customdata": [anchors[t.id]] * len(members),
                "legendrank": i + 1,
            }
        )
    fig = go.Figure()
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=420,
        showlegend=False,
        hovermode="closest",
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        dragmode="pan",
    )
    return {**plain_json(fig), "data": traces}


# the run whose posts _posts_by_id indexed last, and its index
_LAST_RUN: list[Run | dict[str, Post] | None] = [None, {}]


def _posts_by_id(run: Run) -> dict[str, Post]:
    """Post id -> Post, built once per run: one sparkline per thread must not cost a pass
    over every post (threads x posts at 100k posts)."""
    if _LAST_RUN[0] is not run:
        _LAST_RUN[:] = [run, {p.id: p for p in run.posts}]
    return cast("dict[str, Post]", _LAST_RUN[1])


def _counts(run: Run, post_ids: Iterable[str], hour_list: list[datetime]) -> list[int]:
    posts = _posts_by_id(run)
    index = {h: i for i, h in enumerate(hour_list)}
    out = [0] * len(hour_list)
    for pid in post_ids:
        post = posts.get(pid)
        if post is not None and post.published is not None:
            i = index.get(_hour(post.published))
            if i is not None:
                out[i] += 1
    return out


def _others(n: int) -> str:
    return f"{n} other thread{'s' if n != 1 else ''}"


def timeline(run: Run) -> dict[str, Any] | None:
    """Stacked bars: posts per thread per hour, busiest threads first, the rest as 'other'.

    No plotly legend: one inside the figure takes room from the plot (or, placed below
    it, sits on the slanted hour labels), and at phone widths a dozen thread names fill
    the whole figure. The page lists the colours under the plot instead, from
    `timeline_legend`; hovering a bar names its thread too.
    """
    import plotly.graph_objects as go

    hour_list = hours(run)
    if not hour_list or not run.threads:
        return None
    x = [h.strftime("%Y-%m-%d %H:00") for h in hour_list]
    fig = go.Figure()
    for i, t in enumerate(run.threads[:TIMELINE_THREADS]):
        fig.add_trace(
            go.Bar(
                x=x,
                y=_counts(run, t.post_ids, hour_list),
                name=plain_text(t.label),
                marker={"color": colour(i)},
                hovertemplate="%{y} post(s) · %{x} UTC<extra>%{fullData.name}</extra>",
            )
        )
    rest = [pid for t in run.threads[TIMELINE_THREADS:] for pid in t.post_ids]
    if rest:
        fig.add_trace(
            go.Bar(
                x=x,
                y=_counts(run, rest, hour_list),
                name=_others(len(run.threads) - TIMELINE_THREADS),
                marker={"color": "#bbbbbb"},
                hovertemplate="%{y} post(s) · %{x} UTC<extra>other threads</extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        xaxis={"type": "category", "tickangle": -45, "nticks": 12, "automargin": True},
        yaxis={"title": {"text": "posts"}, "rangemode": "tozero", "automargin": True},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return plain_json(fig)


def timeline_legend(run: Run, anchors: dict[str, str]) -> list[dict[str, str | None]]:
    """The timeline's colours for the page to list under the plot, in the timeline's
    trace order: ``label``, ``colour`` and the thread's ``anchor`` (None for the 'other
    threads' entry). Plain text: the template escapes it."""
    if not hours(run) or not run.threads:
        return []
    out = [
        {"label": t.label, "colour": colour(i), "anchor": anchors.get(t.id)}
        for i, t in enumerate(run.threads[:TIMELINE_THREADS])
    ]
    if len(run.threads) > TIMELINE_THREADS:
        n = len(run.threads) - TIMELINE_THREADS
        out.append({"label": _others(n), "colour": "#bbbbbb", "anchor": None})
    return out


SPARK_HEIGHT = 36  # px, the card's sparkline box


class Sparkline(TypedDict):
    """A card's sparkline for the template: ``width`` (hours), one ``(x, y, height)`` a bar."""

    width: int
    bars: list[tuple[float, float, float]]


def sparkline(run: Run, post_ids: Iterable[str], hour_list: list[datetime]) -> Sparkline | None:
    """A tiny bar chart of one thread's posts per hour over the run's whole span, as the
    numbers of an inline SVG (the template draws it): ``width`` (hours) and one
    ``(x, y, height)`` per hour with posts. No plotly figure per card: a report of
    10,000 threads would spend minutes building them and the browser drawing them."""
    if len(hour_list) < 2:
        return None
    counts = _counts(run, post_ids, hour_list)
    top = max(counts) or 1
    bars = []
    for x, n in enumerate(counts):
        if n:
            h = max(2.0, round(SPARK_HEIGHT * n / top, 1))
            bars.append((round(x + 0.05, 2), round(SPARK_HEIGHT - h, 1), h))
    return {"width": len(hour_list), "bars": bars}


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The bundled plotly.js, inlined once per page. Checked so it cannot end its <script>."""
    from plotly.offline import get_plotlyjs

    js: str = get_plotlyjs()  # plotly has no type hints
    if "</script" in js.lower() or "<!--" in js:
        raise RuntimeError("plotly.js contains '</script' or '<!--'; it cannot be inlined")
    return js


ASSETS = "assets"


def plotly_asset(out_dir: str | Path) -> str:
    """Write the bundled plotly.js into ``out_dir/assets/`` once (named by its version, so
    a newer plotly gets a file of its own) and return its path relative to ``out_dir``:
    every report written to that folder loads the one copy."""
    from pathlib import Path

    from plotly.offline import get_plotlyjs_version

    from .files import write_atomic

    name = f"{ASSETS}/plotly-{get_plotlyjs_version()}.min.js"
    path = Path(out_dir) / name
    data = plotly_js().encode("utf-8")
    if not path.exists() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    return name
