"""Layout of report.html and compare.html in a real browser, at a desktop width (1,400 px)
and a phone width (390 px): the timeline's legend never sits on the axis labels, no word is
broken across two lines in a table (nor in a legend entry, card title or heading), the page
never scrolls sideways (only a table's own box may), and lags read as people write them.

Boxes come from the page itself (getBoundingClientRect, and Range.getClientRects per word).
Each page and width leaves a full-page screenshot and one of the part looked at (the plots,
the first thread's tables) in a temporary folder, and in $STORYTHREADS_SCREENSHOTS when set. Skipped, like test_html_browser.py, without playwright or
/usr/bin/chromium. One report and one comparison are built per module.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from helpers.browser import CHROMIUM

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from storythreads.analysis.compare.groups import read_grouping
from storythreads.analysis.ingest import read_posts
from storythreads.pipeline import analyze
from storythreads.reports.compare_report import build_comparison, write_comparison
from storythreads.reports.render import write_reports

WIDTHS = {"desktop": (1400, 900), "phone": (390, 844)}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="no /usr/bin/chromium (apt-get install chromium)"
)

# Every box of the selected elements, as [left, top, right, bottom] (visible ones only).
BOXES_JS = """sel => Array.from(document.querySelectorAll(sel)).flatMap(el => {
  const b = el.getBoundingClientRect();
  return b.width > 0 && b.height > 0 ? [[b.left, b.top, b.right, b.bottom]] : [];
})"""

# The words (runs of non-space) of the selected elements' text that the browser laid out
# over more than one line: a word whose range has client rects at two different heights.
BROKEN_WORDS_JS = """sel => {
  const broken = [];
  for (const el of document.querySelectorAll(sel)) {
    if (!el.getClientRects().length) continue;  // not displayed
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects())
          .filter(r => r.width > 0 && r.height > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(el.tagName.toLowerCase() + ": " + m[0]);
      }
    }
  }
  return broken;
}"""

# Elements wider than the viewport that are not inside a box that scrolls sideways.
OVERFLOW_JS = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || b.right <= innerWidth + 1) continue;
    let scroller = el.parentElement, inside = false;
    for (; scroller && scroller !== document.body; scroller = scroller.parentElement) {
      const s = getComputedStyle(scroller).overflowX;
      if (s === "auto" || s === "scroll" || s === "hidden") { inside = true; break; }
    }
    if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className);
  }
  return out.slice(0, 10);
}"""


def _intersect(a, b) -> bool:
    """Two [left, top, right, bottom] boxes share area (touching edges do not count)."""
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _inside(a, b) -> bool:
    """Box a lies within box b (to half a pixel)."""
    return a[0] >= b[0] - 0.5 and a[1] >= b[1] - 0.5 and a[2] <= b[2] + 0.5 and a[3] <= b[3] + 0.5


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> list[Path]:
    """Where screenshots go: a temporary folder, and $STORYTHREADS_SCREENSHOTS if set."""
    dirs = [tmp_path_factory.mktemp("screenshots")]
    if os.environ.get("STORYTHREADS_SCREENSHOTS"):
        dirs.append(Path(os.environ["STORYTHREADS_SCREENSHOTS"]))
        dirs[-1].mkdir(parents=True, exist_ok=True)
    return dirs


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory, real_embedder) -> Path:
    """The seed blog with the packaged model (the fake one makes a single thread)."""
    from conftest import SEED

    out = tmp_path_factory.mktemp("seed")
    result = read_posts([str(SEED)])
    run = analyze(result.posts, embedder=real_embedder, problems=result.problems)
    write_reports(run, out, formats=("html",))
    return out / "report.html"


QUAKE = "earthquake Izmir rescuers rubble magnitude aftershock survivors"
VOTE = "election Valdoria ballots turnout candidate parliament count"
# Three outlets, one with a long name; lags of 45 min, 2 h 30 min and a day.
COMPARE_POSTS = [
    {"id": "a1", "source": "Alpha", "published": "2024-03-04T08:00:00Z",
     "title": "Earthquake hits Izmir", "text": f"{QUAKE}. At least 12 people were killed."},
    {"id": "b1", "source": "Beta", "published": "2024-03-04T08:45:00Z",
     "title": "Izmir earthquake", "text": f"{QUAKE} rubble. 14 people were killed."},
    {"id": "c1", "source": "The Evening Chronicle", "published": "2024-03-05T08:00:00Z",
     "title": "Izmir earthquake rescuers", "text": f"{QUAKE} survivors, officials said."},
    {"id": "a2", "source": "Alpha", "published": "2024-03-04T10:00:00Z",
     "title": "Valdoria election count", "text": f"{VOTE} ballots."},
    {"id": "b2", "source": "Beta", "published": "2024-03-04T12:30:00Z",
     "title": "Valdoria votes", "text": f"{VOTE} turnout, \"We will win\", said Mara Voss."},
    {"id": "c2", "source": "The Evening Chronicle", "published": "2024-03-04T11:15:00Z",
     "title": "Valdoria election", "text": f"{VOTE} candidate, according to officials."},
]  # fmt: skip


@pytest.fixture(scope="module")
def compare_page(tmp_path_factory, make_fake_embedder) -> Path:
    out = tmp_path_factory.mktemp("cmp")
    data = out / "posts.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in COMPARE_POSTS), encoding="utf-8")
    run = analyze(read_posts([str(data)]).posts, embedder=make_fake_embedder())
    groups = out / "reach.csv"
    groups.write_text("outlet,group\nAlpha,national\nBeta,national\n"
                      "The Evening Chronicle,regional\n", encoding="utf-8")  # fmt: skip
    write_comparison(build_comparison(run, groupings=[read_grouping(groups)]), out)
    return out / "compare.html"


@pytest.fixture(scope="module")
def make_fake_embedder():
    from conftest import FakeEmbedder

    return FakeEmbedder


def _open(browser, path: Path, size: tuple[int, int], wait_for: str):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector(wait_for)
    # plotly redraws once more after growing a margin to fit its labels: let it settle
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(200)
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    return page, errors


def _screenshot(page, shots: list[Path], name: str, part: str) -> None:
    """The whole page as NAME.png, and the part a test looks at closely as NAME-part.png."""
    for folder in shots:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        page.locator(part).first.screenshot(
            path=str(folder / f"{name}-part.png"),
            style=".controls { position: static !important; }",  # not over the part
        )


def _assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1] + 1, f"the page scrolls sideways: {width}"
    assert page.evaluate(OVERFLOW_JS) == []


@pytest.mark.parametrize("screen", WIDTHS)
def test_report_layout(browser, seed_report, shots, screen):
    page, errors = _open(browser, seed_report, WIDTHS[screen], "#plot-timeline .xtick text")
    _screenshot(page, shots, f"report-{screen}", "#plots")
    legend = page.evaluate(BOXES_JS, "#timeline-legend, #plot-timeline g.legend")
    labels = page.evaluate(
        BOXES_JS,
        "#plot-timeline .xtick text, #plot-timeline .ytick text, "
        "#plot-timeline .g-xtitle text, #plot-timeline .g-ytitle text",
    )
    assert legend and len(labels) >= 4
    figure = page.evaluate(BOXES_JS, "#plot-timeline")[0]
    assert all(_inside(b, figure) for b in labels), (labels, figure)  # none cut off
    hits = [(a, b) for a in legend for b in labels if _intersect(a, b)]
    assert hits == [], f"the legend covers axis labels: {hits}"
    # every thread of the timeline is in its legend, a link to the thread
    entries = page.locator("#timeline-legend li")
    assert entries.count() == len(page.evaluate(
        "document.getElementById('plot-timeline').data.map(t => t.name)"))  # fmt: skip
    assert page.locator("#timeline-legend a[href^='#thread-']").count() == entries.count()
    broken = page.evaluate(BROKEN_WORDS_JS, "#timeline-legend li, a.card strong, h1, h2, th, td")
    assert broken == [], f"words broken across lines: {broken}"
    _assert_no_sideways_scroll(page)
    assert errors == []
    page.close()


@pytest.mark.parametrize("screen", WIDTHS)
def test_compare_layout(browser, compare_page, shots, screen):
    page, errors = _open(browser, compare_page, WIDTHS[screen], "#plot-coverage .main-svg")
    _screenshot(page, shots, f"compare-{screen}", "main > section")
    # the heatmap's outlet and thread names: inside the figure, none on another
    figure = page.evaluate(BOXES_JS, "#plot-coverage")[0]
    for axis in ("x", "y"):
        labels = page.evaluate(BOXES_JS, f"#plot-coverage .{axis}tick text")
        assert len(labels) >= 2
        assert all(_inside(b, figure) for b in labels), (axis, labels, figure)
        assert not any(_intersect(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :])
    headers = page.locator("th")
    assert headers.count() >= 10
    broken = page.evaluate(BROKEN_WORDS_JS, "th, td, h1, h2")
    assert broken == [], f"words broken across lines: {broken}"
    # on a phone a wide table scrolls sideways in its own box, never the page
    _assert_no_sideways_scroll(page)
    for wrap in page.locator(".table-wrap").all():
        assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    text = page.locator("main").inner_text() + page.locator("#lead").inner_text()
    assert "+45 min" in text and "+2 h 30 min" in text and "+1 day" in text
    assert not re.search(r"\d{3,} ?min", text)  # never '+1440 min'
    assert errors == []
    page.close()


@pytest.mark.parametrize("screen", WIDTHS)
def test_compare_attention_chart_and_group_table(browser, compare_page, shots, screen):
    """Issue 25: the attention chart (the quake story runs two days) and the table of each
    grouping, at both widths: drawn, labels inside the figure, nothing pushes the page
    sideways, no word broken."""
    page, errors = _open(browser, compare_page, WIDTHS[screen], "#plot-attention .main-svg")
    _screenshot(page, shots, f"compare-attention-{screen}", "#attention")
    traces = page.evaluate(
        "document.getElementById('plot-attention').data.map(t => [t.name, t.visible])"
    )
    assert {name for name, visible in traces if visible} == {
        "Alpha", "Beta", "The Evening Chronicle"}  # fmt: skip
    figure = page.evaluate(BOXES_JS, "#plot-attention")[0]
    labels = page.evaluate(BOXES_JS, "#plot-attention .xtick text, #plot-attention .ytick text")
    assert len(labels) >= 4 and all(_inside(b, figure) for b in labels), (labels, figure)
    days = page.evaluate(
        "Array.from(document.querySelectorAll('#plot-attention .xtick text'), t => t.textContent)"
    )
    assert days and not any(":" in d for d in days)  # whole days, never a clock time
    table = page.locator("section.grouping")
    assert table.locator("h2").inner_text() == "By reach"
    rows = table.locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[:2] for r in rows] == [
        ["national", "Alpha, Beta"], ["regional", "The Evening Chronicle"]]  # fmt: skip
    broken = page.evaluate(BROKEN_WORDS_JS, "section.grouping th, section.grouping td")
    assert broken == [], f"words broken across lines: {broken}"
    _assert_no_sideways_scroll(page)
    assert errors == []
    page.close()
