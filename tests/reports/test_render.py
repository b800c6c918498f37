"""The report renderers: the JSON contract, escaping of hostile post text, atomic writes."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

import pytest

from storythreads.errors import ConfigError
from storythreads.reports import files, render, values
from storythreads.reports.render import (
    RENDERERS,
    render_html,
    render_json,
    render_markdown,
    report_dict,
    write_reports,
)
from storythreads.types import Assignment, Citation, Link, Post, Problem, Run, Thread

XSS_TITLE = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
LINK_TITLE = "[x](javascript:alert(1)) **bold** # not a heading"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 7, 8, hour, minute, tzinfo=UTC)


def make_run(p2_title: str = XSS_TITLE) -> Run:
    """3 posts, 2 threads (p2 also belongs to t-2), one link, one unthreaded post, a problem."""
    posts = (
        Post("p3", "wire", None, None, "", None, "", captions=()),  # undated, no text
        Post(
            "p2",
            "guardian",
            "javascript:alert(1)",
            at(17, 30),
            p2_title,
            "Jane Doe",
            "Body two.",
            captions=("A <b>caption</b>",),
        ),
        Post("p1", "bbc", "https://example.com/a_b?x=1&y=2", at(9), LINK_TITLE, "Ann", "Body one."),
    )
    t1 = Thread(
        id="t-000001",
        label="Heatwave & power cuts",
        keyphrases=("heatwave", "power cuts"),
        headline=LINK_TITLE,
        post_ids=("p1", "p2"),
        also_post_ids=(),
        first_seen=at(9),
        last_seen=at(17, 30),
        summary=(
            Citation("Temperatures hit 40C in <b>Madrid</b>.", "p2", at(17, 30), "Jane Doe", 0.9),
            Citation("Power was cut to 10,000 homes.", "p1", at(9), "Ann", 0.8),
        ),
    )
    t2 = Thread(
        id="t-000002",
        label="Wildfires",
        keyphrases=("wildfire",),
        headline="Fires spread",
        post_ids=(),
        also_post_ids=("p2",),
        first_seen=at(17, 30),
        last_seen=at(17, 30),
    )
    return Run(
        id="run-1",
        started=datetime(2023, 7, 9, 8, 0, 0, 123456, tzinfo=UTC),
        finished=datetime(2023, 7, 9, 8, 1, tzinfo=UTC),
        settings_digest="abc123",
        model="all-MiniLM-L6-v2",
        counts={"posts": 3, "threads": 2},
        posts=posts,
        threads=(t1, t2),
        assignments=(
            Assignment("p1", "t-000001", "primary", 0.9),
            Assignment("p2", "t-000001", "primary", 0.8),
            Assignment("p2", "t-000002", "also", 0.6, ("p2#1",)),
        ),
        links=(Link("t-000001", "t-000002", "shared-post", 0.612345, "both tell p2 <i>"),),
        unthreaded=("p3",),
        problems=(Problem("in.jsonl", 7, "not JSON"),),
        changes={"new_threads": ["t-000002"], "updated_threads": [], "note": "first run"},
    )


def test_json_contract_keys_and_values():
    data = json.loads(render_json(make_run()))
    assert data["schema"] == "storythreads.report/1"
    assert list(data) == [
        "schema",
        "run",
        "changes",
        "key_points",
        "posts",
        "threads",
        "unthreaded",
        "problems",
        "chains",
        "window",
        "languages",
    ]
    assert list(data["window"]) == [
        "kind", "from", "to", "days", "threads_shown", "threads_archived", "posts_shown",
        "run_posts", "rest",
    ]  # fmt: skip
    assert list(data["languages"]) == ["posts", "main", "models_read", "note"]
    assert data["languages"]["models_read"] == "en"
    assert list(data["run"]) == [
        "id", "started", "finished", "settings_digest", "model", "counts", "provenance"
    ]  # fmt: skip
    post_keys = ["id", "source", "url", "published", "title", "byline", "thread_id", "also",
                 "date_only", "time_source", "time_inferred_from", "key_event",
                 "language", "time_inferred_from_page"]  # fmt: skip
    assert all(list(p) == post_keys for p in data["posts"])
    assert [p["time_source"] for p in data["posts"]][-1] == "none"  # p3 is undated
    assert [p["id"] for p in data["posts"]] == ["p1", "p2", "p3"]  # by time, undated last
    p2 = data["posts"][1]
    assert (p2["thread_id"], p2["also"]) == ("t-000001", ["t-000002"])
    assert data["posts"][2]["thread_id"] is None and data["posts"][2]["published"] is None

    t1, t2 = data["threads"]
    assert list(t1) == [
        "id",
        "label",
        "headline",
        "keywords",
        "posts",
        "also_posts",
        "first_seen",
        "last_seen",
        "status",
        "summary",
        "links",
        "chain",
        "related",
    ]
    assert t1["summary"][0] == {
        "text": "Temperatures hit 40C in <b>Madrid</b>.",
        "post_id": "p2",
        "published": "2023-07-08T17:30:00Z",
        "byline": "Jane Doe",
    }
    assert t1["links"] == [
        {
            "thread_id": "t-000002",
            "kind": "shared-post",
            "score": 0.6123,
            "reason": "both tell p2 <i>",
        }
    ]
    assert t2["links"] == [] and t2["also_posts"] == ["p2"]
    assert data["unthreaded"] == ["p3"]
    assert data["problems"] == [{"path": "in.jsonl", "line": 7, "message": "not JSON"}]
    assert data["changes"]["new_threads"] == ["t-000002"]


def test_json_datetimes_are_utc_with_z():
    data = report_dict(make_run())
    stamps = [data["run"]["started"], data["run"]["finished"], data["posts"][0]["published"]]
    stamps += [t[k] for t in data["threads"] for k in ("first_seen", "last_seen")]
    assert all(s.endswith("Z") and "+" not in s for s in stamps)
    assert data["run"]["started"] == "2023-07-09T08:00:00.123456Z"
    assert data["posts"][0]["published"] == "2023-07-08T09:00:00Z"


def test_links_sorted_by_score_then_destination():
    run = make_run()
    extra = (
        Link("t-000001", "t-000009", "similar", 0.9, "close"),
        Link("t-000001", "t-000003", "similar", 0.6123, "tie"),
    )
    run = Run(**{**run.__dict__, "links": run.links + extra})
    links = report_dict(run)["threads"][0]["links"]
    assert [(k["thread_id"], k["score"]) for k in links] == [
        ("t-000009", 0.9),
        ("t-000002", 0.6123),
        ("t-000003", 0.6123),
    ]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_output_is_deterministic(fmt):
    assert RENDERERS[fmt](make_run()) == RENDERERS[fmt](make_run())


def test_markdown_content():
    md = render_markdown(make_run())
    assert md.startswith("# Story threads\n")
    assert (
        "2023-07-08 09:00 UTC – 2023-07-08 17:30 UTC · 3 posts · 2 threads (0 of a single post) · 1 unthreaded"
        in md
    )
    assert "## What changed" in md and "Wildfires (t-000002)" in md
    assert "Updated threads" not in md  # empty change lists are left out
    assert "## Heatwave \\& power cuts" in md
    assert "[p2 · 2023-07-08 17:30 UTC · Jane Doe](#post-p2)" in md
    assert '<a id="post-p2"></a>' in md and "(also)](#post-p2)" in md
    assert "→ [Wildfires](#thread-t-000002) (shared-post, 0.61): both tell p2 \\<i\\>" in md
    assert "## Unthreaded posts" in md and "## Skipped records" in md
    assert "in.jsonl:7: not JSON" in md
    assert "[original](https://example.com/a\\_b?x=1\\&y=2)" in md


def test_markdown_without_changes_has_no_section():
    run = make_run()
    run = Run(**{**run.__dict__, "changes": {}})
    assert "What changed" not in render_markdown(run)


def test_markdown_escapes_post_text():
    md = render_markdown(make_run())
    assert not re.search(r"(?<!\\)<(script|img)", md)  # only as escaped text
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "\\[x\\](javascript:alert(1))" in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)


def test_markdown_renders_hostile_text_as_text():
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").render(render_markdown(make_run()))
    assert "<script" not in html and "<img" not in html
    assert not re.search(r"href=\"\s*javascript:", html, re.IGNORECASE)
    assert '<a href="#post-p2">p2 · 2023-07-08 17:30 UTC · Jane Doe</a>' in html
    assert 'href="https://example.com/a_b?x=1&amp;y=2"' in html
    assert html.count("<h2>") == 5  # changes, 2 threads, unthreaded, skipped: no injected ones


def test_html_content():
    html = render_html(make_run())
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert '<section id="thread-t-000001">' in html
    assert 'id="post-p1"' in html and 'href="#post-p2"' in html
    assert 'href="#thread-t-000002"' in html and "both tell p2 &lt;i&gt;" in html
    assert "Temperatures hit 40C in &lt;b&gt;Madrid&lt;/b&gt;." in html
    assert "<details>" in html and "A &lt;b&gt;caption&lt;/b&gt;" in html
    assert "Skipped records" in html and "Unthreaded posts" in html
    assert html.count('id="post-p2"') == 1  # the `also` entry links to it instead
    # the only scripts are the template's own (checked in test_html_policy.py)
    assert not re.search(r"<(link|img|iframe)\b", html, re.IGNORECASE)
    assert not re.search(r"<script[^>]+src=", html, re.IGNORECASE)


def test_html_escapes_post_text():
    html = render_html(make_run())
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE)


def test_anchors_are_injective_and_inert():
    ids = ["a b", "a.20b", "a_b", "-x", "é", "x/y", "p2"]
    anchors = [values.anchor_id(i) for i in ids]
    assert len(set(anchors)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9.-]+", a) for a in anchors)
    assert all(values.md_escape(a) == a for a in anchors)


def test_write_reports_writes_all_files_atomically(tmp_path):
    out = tmp_path / "nested" / "out"
    paths = write_reports(make_run(), out)
    assert [p.name for p in paths] == ["report.md", "report.json", "report.html"]
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["schema"]
    assert (out / "report.md").read_text(encoding="utf-8") == render_markdown(make_run())


def test_write_reports_failure_leaves_old_reports(tmp_path, monkeypatch):
    write_reports(make_run(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(run, view=None):  # fails half-way through the page, after md and json were staged
        yield "<!doctype html><p>half a page"
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(render.STREAMS, "html", broken)
    with pytest.raises(RuntimeError, match="renderer bug"):
        write_reports(make_run(p2_title="changed"), tmp_path)
    # no report replaced, no temp file left
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.fixture
def forking(monkeypatch, tmp_path):
    """Large-run rendering on a small run: report.json and report.html in forked children.
    Each renderer leaves a file named after the process it ran in, in tmp_path/pids."""
    if not files.can_fork():
        pytest.skip("no fork here")
    monkeypatch.setattr(render, "FORK_FROM_POSTS", 0)
    pids = tmp_path / "pids"
    pids.mkdir()

    def recorded(name, renderer):
        def wrapper(*args):
            (pids / f"{name}-{os.getpid()}").write_text("")
            yield from renderer(*args)

        return wrapper

    monkeypatch.setattr(render, "stream_json", recorded("json", render.stream_json))
    for fmt in ("md", "html"):
        monkeypatch.setitem(render.STREAMS, fmt, recorded(fmt, render.STREAMS[fmt]))
    return pids


def test_forked_reports_equal_the_serial_ones(tmp_path, forking):
    run = make_run()
    out = tmp_path / "out"
    write_reports(run, out)
    ran_in = dict(p.name.split("-") for p in forking.iterdir())
    assert ran_in["md"] == str(os.getpid())
    assert len({ran_in["json"], ran_in["html"], ran_in["md"]}) == 3
    for fmt, name in render.FILE_NAMES.items():
        assert (out / name).read_text(encoding="utf-8") == RENDERERS[fmt](run)


def test_forked_renderer_failure_leaves_old_reports(tmp_path, monkeypatch, forking):
    out = tmp_path / "out"
    write_reports(make_run(), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(run, view=None):  # raises in the child, half-way through the page
        yield "<!doctype html><p>half a page"
        raise RuntimeError("renderer bug in a child")

    monkeypatch.setitem(render.STREAMS, "html", broken)
    with pytest.raises(RuntimeError, match="renderer bug in a child"):
        write_reports(make_run(p2_title="changed"), out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # nothing replaced, no temp file left (the child's included)


def test_forked_renderer_that_dies_is_an_error(tmp_path, monkeypatch, forking):
    def dies(run, view=None):  # e.g. killed for memory: no answer at all
        os._exit(9)
        yield ""

    monkeypatch.setitem(render.STREAMS, "html", dies)
    with pytest.raises(OSError, match="rendering report.html stopped"):
        write_reports(make_run(), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_failure_here_removes_what_the_children_staged(tmp_path, monkeypatch, forking):
    def broken(run, view=None):  # report.md fails in this process while the children render
        raise ValueError("markdown bug")
        yield ""

    monkeypatch.setitem(render.STREAMS, "md", broken)
    with pytest.raises(ValueError, match="markdown bug"):
        write_reports(make_run(), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_streamed_reports_equal_the_rendered_strings(tmp_path):
    run = make_run()
    write_reports(run, tmp_path)
    for fmt, name in render.FILE_NAMES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == RENDERERS[fmt](run)


def test_write_failure_removes_temp_file(tmp_path, monkeypatch):
    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_reports(make_run(), tmp_path, formats=("json",))
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="'pdf'"):
        write_reports(make_run(), tmp_path / "out", formats=("md", "pdf"))
    assert not (tmp_path / "out").exists()


def test_empty_run_renders():
    now = datetime(2023, 7, 9, tzinfo=UTC)
    run = Run("run-0", now, now, "d", "m", {}, (), (), (), ())
    assert json.loads(render_json(run))["posts"] == []
    md, html = render_markdown(run), render_html(run)
    assert "undated · 0 posts · 0 threads" in md and "Unthreaded" not in md
    assert "0 posts" in html and "Skipped records" not in html


def test_write_reports_removes_only_stale_temp_files(tmp_path):
    import os
    import time

    stale = tmp_path / ".report.md.abc123.tmp"  # left by a run killed long ago
    fresh = tmp_path / ".report.json.def456.tmp"  # another run may be writing it now
    stale.write_text("half")
    fresh.write_text("half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    write_reports(make_run(), tmp_path)
    assert not stale.exists()
    assert fresh.exists()
