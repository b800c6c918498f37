"""The plots of report.html: a map of posts, posts per thread per hour, one sparkline a card.

Each figure is built with plotly and handed to the template as plain JSON data (the
template embeds it with ``|tojson`` and draws it with the one inlined copy of plotly.js),
so the page needs no network and holds no random ids: the same Run gives the same bytes.

Plotly reads a small set of HTML tags (``<a href>``, ``<b>``, ``<br>``) inside hover text,
legend names and tick labels, so every string from the outside world is HTML-escaped
before it reaches a figure; plotly shows the entities as the literal characters.

The map is a layout, not a measurement: the Run keeps thread centroids but not post
vectors, so threads are placed by a PCA of their centroids and each thread's posts sit
around it on a fixed spiral, in time order.
"""

from __future__ import annotations

import html
import json
import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from ..types import Run

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
_GOLDEN = math.pi * (3 - math.sqrt(5))


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _text(value: object) -> str:
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


def _as_json(fig) -> dict:
    """Plain JSON data (lists, not typed arrays) for ``|tojson``; no layout template."""
    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False, remove_uids=True, engine="json"))


def _thread_positions(run: Run) -> np.ndarray:
    """2-D places for the threads: PCA of the centroids, scaled to about [-1, 1].

    Without usable centroids (or fewer than 3 threads) the threads go round a circle in
    report order, which is as honest as a layout without vectors can be.
    """
    n = len(run.threads)
    cents = [t.centroid for t in run.threads]
    if n >= 3 and all(c is not None for c in cents):
        from sklearn.decomposition import PCA

        X = np.asarray(np.vstack([np.asarray(c, dtype=np.float64).ravel() for c in cents]))
        xy = PCA(n_components=2, svd_solver="full").fit_transform(X)
        # PCA's signs are arbitrary; fix them so the first thread lies in x>=0, y>=0
        xy *= np.where(xy[0] < 0, -1.0, 1.0)
        scale = np.abs(xy).max() or 1.0
        return xy / scale
    angles = [2 * math.pi * i / max(n, 1) for i in range(n)]
    return np.array([[math.cos(a), math.sin(a)] for a in angles]).reshape(n, 2)


def post_map(run: Run, anchors: dict[str, str]) -> dict | None:
    """Scatter of posts coloured by their primary thread; click data is the thread anchor."""
    import plotly.graph_objects as go

    posts = {p.id: p for p in run.posts}
    if not run.threads:
        return None
    centres = _thread_positions(run)
    spacing = 0.6 / math.sqrt(max(len(run.posts), 1))
    fig = go.Figure()
    for i, t in enumerate(run.threads):
        members = [posts[p] for p in t.post_ids if p in posts]
        if not members:
            continue
        xs, ys, hover = [], [], []
        for k, post in enumerate(sorted(members, key=lambda p: p.sort_key)):
            r = spacing * math.sqrt(k)  # a sunflower spiral: even spacing, no randomness
            xs.append(round(float(centres[i, 0]) + r * math.cos(k * _GOLDEN), 4))
            ys.append(round(float(centres[i, 1]) + r * math.sin(k * _GOLDEN), 4))
            when = post.published.strftime("%Y-%m-%d %H:%M UTC") if post.published else "undated"
            hover.append(f"{_text(post.title or post.id)}<br>{when}<br><i>{_text(t.label)}</i>")
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name=_text(t.label),
                marker={"color": colour(i), "size": 9, "line": {"width": 0.5, "color": "#fff"}},
                hovertext=hover,
                hoverinfo="text",
                customdata=[anchors[t.id]] * len(xs),
                legendrank=i + 1,
            )
        )
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
    return _as_json(fig)


def _counts(run: Run, post_ids, hour_list: list[datetime]) -> list[int]:
    posts = {p.id: p for p in run.posts}
    index = {h: i for i, h in enumerate(hour_list)}
    out = [0] * len(hour_list)
    for pid in post_ids:
        post = posts.get(pid)
        if post is not None and post.published is not None:
            i = index.get(_hour(post.published))
            if i is not None:
                out[i] += 1
    return out


def timeline(run: Run) -> dict | None:
    """Stacked bars: posts per thread per hour, busiest threads first, the rest as 'other'."""
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
                name=_text(t.label),
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
                name=f"{len(run.threads) - TIMELINE_THREADS} other threads",
                marker={"color": "#bbbbbb"},
                hovertemplate="%{y} post(s) · %{x} UTC<extra>other threads</extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.25, "font": {"size": 11}},
        xaxis={"type": "category", "tickangle": -45, "nticks": 12},
        yaxis={"title": {"text": "posts"}, "rangemode": "tozero"},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return _as_json(fig)


def sparkline(run: Run, post_ids, index: int, hour_list: list[datetime]) -> dict | None:
    """A tiny static bar chart of one thread's posts per hour over the run's whole span."""
    import plotly.graph_objects as go

    if len(hour_list) < 2:
        return None
    fig = go.Figure(
        go.Bar(
            x=list(range(len(hour_list))),
            y=_counts(run, post_ids, hour_list),
            marker={"color": colour(index)},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        height=36,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        bargap=0.1,
        showlegend=False,
        xaxis={"visible": False, "range": [-0.5, len(hour_list) - 0.5]},
        yaxis={"visible": False, "rangemode": "tozero"},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return _as_json(fig)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The bundled plotly.js, inlined once per page. Checked so it cannot end its <script>."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    if "</script" in js.lower() or "<!--" in js:
        raise RuntimeError("plotly.js contains '</script' or '<!--'; it cannot be inlined")
    return js
