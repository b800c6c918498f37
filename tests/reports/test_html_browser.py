"""report.html in a real browser (Debian's chromium through Playwright): it draws its plots
offline without console or CSP errors, the cards, map and filter work, and hostile post
text never runs. Skipped when the playwright package or /usr/bin/chromium is missing.

Leaves screenshots to look at in tests/artifacts/: seed-report.png (and -phone, -map) and
compare.png, the outlet comparison page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.browser import CHROMIUM

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from storythreads.analysis.ingest import read_posts
from storythreads.pipeline import analyze
from storythreads.reports.compare_report import build_comparison, write_comparison
from storythreads.reports.render import write_reports

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
XSS_TITLE = "<script>alert(1)</script>"
XSS_BODY = (
    "<img src=x onerror=alert(1)> Harbour fire at Port Elsmere grows tonight, say firefighters."
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


def _report(tmp: Path, paths, embedder) -> Path:
    result = read_posts([str(p) for p in paths])
    run = analyze(result.posts, embedder=embedder, problems=result.problems)
    write_reports(run, tmp, formats=("html",))
    return tmp / "report.html"


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory, real_embedder) -> Path:
    """The real packaged model: the fake one puts all 9 seed posts in one thread."""
    from conftest import SEED

    return _report(tmp_path_factory.mktemp("seed"), [SEED], real_embedder)


@pytest.fixture(scope="module")
def make_fake_embedder():
    from conftest import FakeEmbedder

    return FakeEmbedder


def _open(browser, path: Path, width=1280, height=900):
    page = browser.new_page(viewport={"width": width, "height": height})
    log = {"errors": [], "dialogs": [], "requests": []}
    page.on("console", lambda m: m.type in ("error", "warning") and log["errors"].append(m.text))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: r.url.startswith("file:") or log["requests"].append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, log


def test_seed_report_draws_without_errors(browser, seed_report):
    page, log = _open(browser, seed_report)
    page.wait_for_selector("#plot-map .main-svg")
    page.wait_for_selector("#plot-timeline .main-svg")
    assert page.locator("a.card").count() >= 3
    assert page.locator("#plot-map .scatterlayer .point").count() == 9  # every seed post
    assert page.locator("svg.spark rect").count() >= 1  # sparklines: inline SVG bars
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "seed-report.png"), full_page=False)
    page.locator("#plot-map").screenshot(path=str(ARTIFACTS / "seed-report-map.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(ARTIFACTS / "seed-report-phone.png"), full_page=False)
    assert log == {"errors": [], "dialogs": [], "requests": []}
    page.close()


def test_clicking_a_card_shows_its_thread(browser, seed_report):
    page, log = _open(browser, seed_report)
    card = page.locator("a.card").nth(1)
    anchor = card.get_attribute("data-thread")
    card.click()
    section = page.locator(f'[id="thread-{anchor}"]')
    page.wait_for_function(f"location.hash === '#thread-{anchor}'")
    sync_api.expect(section.locator("h2")).to_be_in_viewport()
    sync_api.expect(section.locator("ul.summary")).to_be_visible()
    assert log["errors"] == []
    page.close()


def test_clicking_the_map_opens_a_thread(browser, seed_report):
    page, log = _open(browser, seed_report)
    page.wait_for_selector("#plot-map .scatterlayer .point")
    point = page.locator("#plot-map .scatterlayer .point").first
    point.click(force=True)
    page.wait_for_function("location.hash.startsWith('#thread-')", timeout=5000)
    assert log["errors"] == []
    page.close()


def test_filter_hides_non_matching_cards(browser, seed_report):
    page, _ = _open(browser, seed_report)
    cards = page.locator("#contents .cards > li")
    total = cards.count()
    label = page.locator("a.card strong").first.inner_text()
    page.fill("#filter", label)
    visible = page.locator("#contents .cards > li:not(.hidden)").count()
    assert 1 <= visible < total
    assert page.locator("a.card").first.is_visible()
    page.fill("#filter", "zzzz-no-such-words-zzzz")
    assert page.locator("#contents .cards > li:not(.hidden)").count() == 0
    assert page.locator('main > section[id^="thread-"]:not(.hidden)').count() == 0
    page.fill("#filter", "")
    assert page.locator("#contents .cards > li:not(.hidden)").count() == total
    page.close()


def test_hostile_post_never_runs(browser, tmp_path, make_fake_embedder):
    posts = [
        {"id": "x1", "published": "2023-07-09T01:00:00Z", "title": XSS_TITLE, "text": XSS_BODY},
        {"id": "x2", "published": "2023-07-09T02:00:00Z", "title": f"{XSS_TITLE} fire update",
         "text": f"Firefighters at the Port Elsmere harbour {XSS_BODY}"},
        {"id": "x3", "published": "2023-07-09T04:00:00Z", "title": "Harbour fire out",
         "text": "The Port Elsmere harbour fire is out tonight, firefighters say."},
    ]  # fmt: skip
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    report = _report(tmp_path / "out", [data], make_fake_embedder())
    page, log = _open(browser, report)
    page.wait_for_selector("#plot-map .scatterlayer .point")
    page.locator("#plot-map .scatterlayer .point").first.hover(force=True)  # hover labels
    page.fill("#filter", "script")
    assert page.get_by_text(XSS_TITLE).first.is_visible()  # shown as text
    assert page.locator("main img, main script").count() == 0
    page.wait_for_timeout(300)
    assert log["dialogs"] == [] and log["errors"] == [] and log["requests"] == []
    page.close()


def test_the_map_draws_each_post_at_its_projected_place(browser, seed_report):
    """One point per seed post, at the run's layout positions (not a made-up arrangement)."""
    page, log = _open(browser, seed_report)
    page.wait_for_selector("#plot-map .scatterlayer .point")
    drawn = page.evaluate(
        "() => document.getElementById('plot-map').data.flatMap("
        "t => t.x.map((x, i) => [x, t.y[i]]))"
    )
    assert len(drawn) == 9
    assert len({tuple(p) for p in drawn}) == 9  # no two posts stacked on one place
    assert all(-1 <= x <= 1 and -1 <= y <= 1 for x, y in drawn)
    assert log["errors"] == []
    page.close()


def _compare_posts() -> list[dict]:
    quake = "earthquake Izmir rescuers rubble magnitude aftershock survivors"
    vote = "election Valdoria ballots turnout candidate parliament count"
    return [
        {"id": "a1", "source": "Alpha", "published": "2024-03-04T08:00:00Z",
         "title": f"{XSS_TITLE} Earthquake hits Izmir", "text": f"{quake}. At least 12 people were killed."},
        {"id": "a2", "source": "Alpha", "published": "2024-03-04T10:00:00Z",
         "title": "Valdoria election count", "text": f"{vote} ballots."},
        {"id": "b1", "source": "Beta", "published": "2024-03-04T08:30:00Z",
         "title": f"{XSS_TITLE} Izmir earthquake", "text": f"{quake} {XSS_BODY} 14 people were killed."},
        {"id": "b2", "source": "Beta", "published": "2024-03-04T09:00:00Z",
         "title": "Valdoria votes", "text": f"{vote} turnout, \"We will win\", said Mara Voss."},
    ]  # fmt: skip


def test_compare_page_loads_offline_and_hostile_text_never_runs(
    browser, tmp_path, make_fake_embedder
):
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in _compare_posts()), encoding="utf-8")
    result = read_posts([str(data)])
    run = analyze(result.posts, embedder=make_fake_embedder())
    write_comparison(build_comparison(run), tmp_path / "cmp")
    page, log = _open(browser, tmp_path / "cmp" / "compare.html")
    page.wait_for_selector("#plot-coverage .main-svg")
    assert page.locator("#plot-coverage .heatmaplayer image, #plot-coverage .hm").count() >= 1
    assert page.locator('main > section[id^="thread-"]').count() >= 1
    assert page.get_by_text(XSS_TITLE).first.is_visible()  # the headline, shown as text
    assert page.locator("main img, main script").count() == 0
    page.locator("#plot-coverage .nsewdrag").first.hover(force=True)  # hover labels
    box = page.locator("#plot-coverage .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.wait_for_function("location.hash.startsWith('#thread-')", timeout=5000)  # row 1
    page.fill("#filter", "izmir")
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    assert log == {"errors": [], "dialogs": [], "requests": []}
    page.close()


def test_a_thread_page_links_to_the_story_before_and_after(browser, tmp_path, make_fake_embedder):
    """A feed of several weeks: the Izmir quake is back four weeks on as a new thread; its
    page says what came before, the link opens the earlier thread, whose page links back."""
    from helpers.fixture_posts import WEEKS_FEED

    run = analyze(WEEKS_FEED, embedder=make_fake_embedder())
    write_reports(run, tmp_path, formats=("html",))
    thread_of = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    early, late = thread_of["quake-01"], thread_of["quakelater-00"]
    page, log = _open(browser, tmp_path / "report.html")
    chains = page.locator("#chains li")
    assert chains.count() == 2  # the quake and the election came back
    assert chains.locator(f'a[href="#thread-{early}"]').count() == 1
    before = page.locator(f'[id="thread-{late}"] ul.chain li.before a')
    assert before.count() == 1 and before.get_attribute("href") == f"#thread-{early}"
    before.click()
    page.wait_for_function(f"location.hash === '#thread-{early}'")
    sync_api.expect(page.locator(f'[id="thread-{early}"] h2')).to_be_in_viewport()
    after = page.locator(f'[id="thread-{early}"] ul.chain li.after a')
    assert after.get_attribute("href") == f"#thread-{late}"
    assert "after its last post" in page.locator(f'[id="thread-{early}"] ul.chain').inner_text()
    page.screenshot(path=str(ARTIFACTS / "chain-report.png"), full_page=False)
    assert log["errors"] == []
    page.close()


def test_a_report_with_plotly_in_its_assets_folder_draws_the_same(
    browser, tmp_path, make_fake_embedder
):
    """report.html of a scheduled folder loads plotly.js from assets/ (issue 26): the CSP
    lets that one local file in, nothing from the network, and the plots draw."""
    from conftest import SEED

    result = read_posts([str(SEED)])
    run = analyze(result.posts, embedder=make_fake_embedder(), problems=result.problems)
    write_reports(run, tmp_path, formats=("html",), single_file=False)
    path = tmp_path / "report.html"
    assert path.stat().st_size < 500_000
    page, log = _open(browser, path)
    page.wait_for_selector("#plot-map .main-svg")
    page.wait_for_selector("#plot-timeline .main-svg")
    assert log["errors"] == [] and log["requests"] == []
    page.close()


def test_a_comparison_of_many_outlets_is_drawn_by_group_at_both_widths(
    browser, tmp_path, make_fake_embedder
):
    from helpers.fixture_posts import many_outlets

    from storythreads.analysis.compare.groups import read_grouping

    rows = many_outlets()
    data, groups = tmp_path / "posts.jsonl", tmp_path / "side.csv"
    data.write_text("".join(json.dumps(p) + "\n" for p in rows), encoding="utf-8")
    outlets = sorted({r["source"] for r in rows})
    groups.write_text("outlet,group\n" + "".join(f"{o},{o.split('-')[0]}\n" for o in outlets))
    run = analyze(read_posts([str(data)]).posts, embedder=make_fake_embedder())
    write_comparison(build_comparison(run, groupings=[read_grouping(groups)]), tmp_path / "cmp")
    for width in (1400, 390):
        page, log = _open(browser, tmp_path / "cmp" / "compare.html", width=width)
        page.wait_for_selector("#plot-coverage .main-svg")
        columns = page.evaluate("() => document.getElementById('plot-coverage').data[0].x")
        assert columns == ["left", "right"]  # the groups, not 30 outlets
        assert page.locator("#findings h3").all_text_contents() == ["By side", "By outlet"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        rows_shown = page.locator("main > section[id^='thread-'] table").first.locator("tbody tr")
        assert rows_shown.count() == 20  # 30 outlets covered it; the rest are in the CSV
        assert page.get_by_text("10 more outlets in coverage.csv.").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / f"compare-many-{width}.png"), full_page=False)
        assert log == {"errors": [], "dialogs": [], "requests": []}
        page.close()
