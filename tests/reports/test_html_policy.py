"""The script policy of the interactive report.html: the only scripts are the template's
own (figure data as JSON, plotly.js, the page script), the CSP allows inline script but
never eval or any network source, and no post text reaches a script unescaped."""

from __future__ import annotations

import dataclasses
import json
import re

from test_render import XSS_TITLE, make_run

from storythreads.reports.render import render_html

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def test_csp_is_strict():
    html = render_html(make_run())
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert csp and csp[1] == CSP


def test_only_the_templates_scripts():
    html = render_html(make_run())
    opens = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
    assert opens == ['<script type="application/json" id="figures">', "<script>", "<script>"]
    assert html.lower().count("</script") == 3
    assert not re.search(r"<script[^>]+src=", html, re.IGNORECASE)


def _with_layout(run):
    """make_run() has no map positions (the pipeline computes them); give every post one."""
    return dataclasses.replace(
        run, layout=tuple((p.id, round(i / 10, 4), 0.0) for i, p in enumerate(run.posts))
    )


def test_figure_data_is_escaped_json():
    html = render_html(_with_layout(make_run()))
    raw = re.search(
        r'<script type="application/json" id="figures">(.*?)</script>', html, re.DOTALL
    )[1]
    assert "<" not in raw and ">" not in raw and "&" not in raw
    figs = json.loads(raw)
    hover = [h for trace in figs["map"]["data"] for h in trace["hovertext"]]
    # html-escaped for plotly, which reads <a>, <b>, <br> in labels; it shows the literal text
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in h for h in hover)
    assert not any(XSS_TITLE in h for h in hover)


def test_no_post_text_in_the_page_scripts():
    html = render_html(make_run())
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert "alert(1)" not in scripts[-1] and "Heatwave" not in scripts[-1]


def test_the_timeline_legend_is_a_list_under_the_plot_not_inside_it():
    """Inside the figure plotly's legend sat on the hour labels; the page lists it instead,
    one escaped entry per timeline trace, each a link to its thread."""
    html = render_html(make_run())
    raw = re.search(
        r'<script type="application/json" id="figures">(.*?)</script>', html, re.DOTALL
    )[1]
    timeline = json.loads(raw)["timeline"]
    assert timeline["layout"]["showlegend"] is False
    legend = re.search(r'<ul class="legend" id="timeline-legend"[^>]*>(.*?)</ul>', html, re.DOTALL)
    assert legend, "no legend list under the timeline"
    entries = re.findall(r"<li>.*?</li>", legend[1], re.DOTALL)
    assert len(entries) == len(timeline["data"])
    assert all('href="#thread-' in e for e in entries)
    assert "<script>" not in legend[1]
