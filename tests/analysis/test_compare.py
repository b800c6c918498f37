"""Outlet comparison: coverage shares, lead times, and the Fightin' Words log-odds."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from storythreads.analysis.compare.outlets import CoverageRow, coverage, framing, lead_times
from storythreads.analysis.compare.stats import benjamini_hochberg, log_odds_dirichlet
from storythreads.config import CompareSettings
from storythreads.errors import ConfigError
from storythreads.types import Assignment, Post, Run, Thread


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 7, 8, hour, minute, tzinfo=UTC)


def post(pid: str, source: str | None, when: datetime | None, title: str, body: str = "") -> Post:
    return Post(pid, source, None, when, title, None, body)


def thread(tid: str, post_ids: tuple[str, ...]) -> Thread:
    return Thread(tid, tid, (), tid, post_ids, (), None, None)


def make_run(posts, threads, assignments) -> Run:
    return Run(
        id="run-1",
        started=at(20),
        finished=at(21),
        settings_digest="x",
        model="fake",
        counts={},
        posts=tuple(posts),
        threads=tuple(threads),
        assignments=tuple(assignments),
        links=(),
    )


@pytest.fixture
def run() -> Run:
    """3 outlets; t1 covered by all three, t2 by the guardian only, t3 by bbc and cnn."""
    posts = [
        post("b1", "bbc", at(9), "Shelling hits Lyman", "Eight people were killed."),
        post("c1", "cnn", at(9, 30), "Lyman shelled", "Russian shelling hit the city."),
        post("g1", "guardian", at(10), "Lyman attack", "Officials said eight died."),
        post("c2", "cnn", at(11), "Lyman toll rises", "The toll rose."),
        post("g2", "guardian", None, "Lyman undated", "No time given."),
        post("g3", "guardian", at(12), "Cricket", "England won."),
        post("b2", "bbc", at(14), "NATO summit", "Leaders meet."),
        post("c3", "cnn", at(13), "NATO summit opens", "Leaders gather in Vilnius."),
        post("u1", None, at(15), "Unthreaded", "Never assigned."),
    ]
    threads = [
        thread("t1", ("b1", "c1", "g1", "c2", "g2")),
        thread("t2", ("g3",)),
        thread("t3", ("c3", "b2")),
    ]
    primary = {"b1": "t1", "c1": "t1", "g1": "t1", "c2": "t1", "g2": "t1", "g3": "t2"}
    primary |= {"b2": "t3", "c3": "t3"}
    assignments = [Assignment(p, t, "primary", 0.9) for p, t in primary.items()]
    assignments.append(Assignment("c2", "t2", "also", 0.5, ("c2#1",)))  # never counted
    return make_run(posts, threads, assignments)


def test_coverage_counts_words_and_shares(run):
    rows = coverage(run)
    assert [(r.thread_id, r.outlet) for r in rows] == [
        ("t1", "bbc"),
        ("t1", "cnn"),
        ("t1", "guardian"),
        ("t2", "guardian"),
        ("t3", "bbc"),
        ("t3", "cnn"),
    ]
    by_key = {(r.thread_id, r.outlet): r for r in rows}
    assert by_key["t1", "cnn"] == CoverageRow("t1", "cnn", 2, 13, 2 / 3, at(9, 30), at(11))
    assert by_key["t1", "bbc"].words == 7  # "Shelling hits Lyman" + "Eight people were killed."
    assert by_key["t1", "bbc"].share_of_outlet == 0.5
    assert by_key["t3", "cnn"].share_of_outlet == pytest.approx(1 / 3)
    # the undated guardian post counts as a post but not for first/last
    guardian = by_key["t1", "guardian"]
    assert (guardian.posts, guardian.first, guardian.last) == (2, at(10), at(10))
    assert by_key["t2", "guardian"].share_of_outlet == pytest.approx(1 / 3)
    for outlet in ("bbc", "cnn", "guardian"):
        assert sum(r.share_of_outlet for r in rows if r.outlet == outlet) == pytest.approx(1.0)


def test_unknown_outlet_and_only_primary_assignments_count():
    posts = [post("a", None, at(9), "A"), post("b", "bbc", at(10), "B")]
    run = make_run(
        posts,
        [thread("t1", ("a",)), thread("t2", ())],
        [Assignment("a", "t1", "primary", 1.0), Assignment("b", "t2", "also", 0.5)],
    )
    assert [(r.thread_id, r.outlet, r.posts) for r in coverage(run)] == [("t1", "unknown", 1)]


def test_lead_times_lags_medians_and_single_outlet_threads(run):
    lead = lead_times(run)
    assert [(r.thread_id, r.outlet, r.lag_minutes, r.is_first) for r in lead.rows] == [
        ("t1", "bbc", 0.0, True),
        ("t1", "cnn", 30.0, False),
        ("t1", "guardian", 60.0, False),
        ("t2", "guardian", 0.0, True),
        ("t3", "cnn", 0.0, True),
        ("t3", "bbc", 60.0, False),
    ]
    assert lead.rows[2].first == at(10)  # the undated guardian post is ignored
    # t2 has one outlet: it says nothing about who is faster
    assert lead.median_lag == {"bbc": 30.0, "cnn": 15.0, "guardian": 60.0}
    assert list(lead.median_lag) == ["bbc", "cnn", "guardian"]
    assert lead.single_outlet == ["t2"]


def test_lead_times_with_undated_outlet():
    posts = [post("a", "bbc", at(9), "A"), post("b", "cnn", None, "B")]
    run = make_run(
        posts,
        [thread("t1", ("a", "b"))],
        [Assignment("a", "t1", "primary", 1.0), Assignment("b", "t1", "primary", 1.0)],
    )
    lead = lead_times(run)
    assert [(r.outlet, r.lag_minutes, r.is_first) for r in lead.rows] == [
        ("bbc", 0.0, True),
        ("cnn", None, False),
    ]
    assert lead.median_lag == {} and lead.single_outlet == []


def days_later(days: float, hour: int = 9) -> datetime:
    return at(hour) + timedelta(days=days)


@pytest.fixture
def two_events() -> Run:
    """One thread that still joins two events: bbc and cnn on day 0, guardian 30 days on."""
    posts = [
        post("b1", "bbc", at(9), "Dam breaks"),
        post("c1", "cnn", at(10), "Dam burst"),
        post("g1", "guardian", days_later(30), "Dam inquiry opens"),
        post("g2", "guardian", days_later(31), "Dam inquiry hears engineers"),
    ]
    return make_run(
        posts,
        [thread("t1", ("b1", "c1", "g1", "g2"))],
        [Assignment(p.id, "t1", "primary", 1.0) for p in posts],
    )


def test_lead_times_read_no_lag_across_events(two_events):
    lead = lead_times(two_events)
    assert [(r.outlet, r.lag_minutes, r.is_first, r.beyond_window) for r in lead.rows] == [
        ("bbc", 0.0, True, False),
        ("cnn", 60.0, False, False),
        ("guardian", None, False, True),
    ]
    assert lead.rows[2].first == days_later(30)  # the time is kept, only the lag is not
    assert lead.median_lag == {"bbc": 0.0, "cnn": 60.0}  # the guardian is not counted


def test_lead_times_window_is_a_keyword_and_inclusive(two_events):
    lead = lead_times(two_events, max_lag_days=30)  # exactly 30 days behind: still a lag
    guardian = lead.rows[-1]
    assert (guardian.lag_minutes, guardian.beyond_window) == (30 * 24 * 60.0, False)
    assert lead.median_lag["guardian"] == 30 * 24 * 60.0
    assert lead_times(two_events, max_lag_days=29.9).rows[-1].beyond_window
    with pytest.raises(ValueError, match="max_lag_days"):
        lead_times(two_events, max_lag_days=0)


def test_a_thread_with_one_outlet_inside_the_window_gives_no_median():
    posts = [post("a", "bbc", at(9), "A"), post("b", "cnn", days_later(8), "B")]
    run = make_run(
        posts,
        [thread("t1", ("a", "b"))],
        [Assignment(p.id, "t1", "primary", 1.0) for p in posts],
    )
    lead = lead_times(run)
    assert [(r.outlet, r.lag_minutes, r.beyond_window) for r in lead.rows] == [
        ("bbc", 0.0, False),
        ("cnn", None, True),
    ]
    assert lead.median_lag == {}  # bbc was alone within the event: "first" says nothing


def test_rows_beyond_the_window_sort_before_undated_ones():
    posts = [
        post("a", "bbc", at(9), "A"),
        post("b", "cnn", None, "B"),
        post("c", "abc", days_later(20), "C"),
        post("d", "dw", days_later(10), "D"),
    ]
    run = make_run(
        posts,
        [thread("t1", ("a", "b", "c", "d"))],
        [Assignment(p.id, "t1", "primary", 1.0) for p in posts],
    )
    assert [r.outlet for r in lead_times(run).rows] == ["bbc", "dw", "abc", "cnn"]


def test_compare_pages_write_later_instead_of_a_lag_across_events(two_events):
    from storythreads.reports.compare_html import compare_view
    from storythreads.reports.compare_report import build_comparison, render_compare_markdown

    c = build_comparison(two_events)
    md = render_compare_markdown(c)
    assert "| guardian | 2 |" in md
    guardian_row = next(line for line in md.splitlines() if line.startswith("| guardian | 2 |"))
    assert guardian_row.endswith("| later (beyond 7 days) |")
    assert "| cnn | +1 h |" in md  # the median table: the guardian has no median lag
    assert "| guardian | +" not in md
    (view,) = compare_view(c)["threads"]
    lags = {r["outlet"]: r["lag"] for r in view["coverage"]}
    assert lags == {"bbc": "first", "cnn": "+1 h", "guardian": "later (beyond 7 days)"}
    wider = compare_view(build_comparison(two_events, max_lag_days=2.5))["threads"][0]
    assert wider["coverage"][2]["lag"] == "later (beyond 2 days 12 h)"


def _by_hand(y_i: int, y_j: int, n_i: int, n_j: int, a_w: float, a0: float) -> tuple:
    delta = math.log((y_i + a_w) / (n_i + a0 - y_i - a_w)) - math.log(
        (y_j + a_w) / (n_j + a0 - y_j - a_w)
    )
    return delta, delta / math.sqrt(1 / (y_i + a_w) + 1 / (y_j + a_w))


def test_log_odds_matches_the_formula_by_hand():
    i = Counter({"shelling": 3, "attack": 1})
    j = Counter({"shelling": 1, "attack": 2, "strike": 1})
    prior = Counter({"shelling": 4, "attack": 3, "strike": 1})  # α0 = 8
    scores = log_odds_dirichlet(i, j, prior)
    assert list(scores) == ["attack", "shelling", "strike"]
    # shelling: α = 4, n_i = n_j = 4 -> δ = log(7/5) - log(5/7), var = 1/7 + 1/5
    delta, z = scores["shelling"]
    assert delta == pytest.approx(2 * math.log(7 / 5), abs=1e-9)
    assert z == pytest.approx(2 * math.log(7 / 5) / math.sqrt(1 / 7 + 1 / 5), abs=1e-9)
    for term, (y_i, y_j) in {"attack": (1, 2), "strike": (0, 1)}.items():
        expected = _by_hand(y_i, y_j, 4, 4, prior[term], 8)
        assert scores[term] == pytest.approx(expected, abs=1e-9)
    ranking = sorted(scores, key=lambda w: -scores[w][1])
    # attack: z = (log(4/8) - log(5/7)) / √(1/4 + 1/5) ≈ -0.532
    # strike: z = (log(1/11) - log(2/10)) / √(1/1 + 1/2) ≈ -0.64
    assert ranking == ["shelling", "attack", "strike"]
    assert scores["attack"][1] == pytest.approx(-0.5317, abs=1e-4)
    assert scores["strike"][1] == pytest.approx(-0.6438, abs=1e-4)


def test_log_odds_prior_scale_rescales_alpha():
    i, j = Counter({"x": 5, "y": 1}), Counter({"x": 1, "y": 5})
    prior = Counter({"x": 1, "y": 1})
    scaled = log_odds_dirichlet(i, j, prior, prior_scale=100)
    assert scaled["x"] == pytest.approx(_by_hand(5, 1, 6, 6, 50, 100), abs=1e-9)
    # a stronger prior shrinks the estimate towards zero
    assert 0 < scaled["x"][0] < log_odds_dirichlet(i, j, prior)["x"][0]


def test_log_odds_rejects_bad_priors():
    with pytest.raises(ValueError, match="without a positive prior count"):
        log_odds_dirichlet(Counter(a=1), Counter(b=1), Counter(a=1))
    with pytest.raises(ValueError, match="positive total"):
        log_odds_dirichlet(Counter(a=1), Counter(a=1), Counter())
    with pytest.raises(ValueError, match="prior_scale"):
        log_odds_dirichlet(Counter(a=1), Counter(b=1), Counter(a=1, b=1), prior_scale=0)


def test_framing_finds_each_outlets_words_within_a_thread():
    posts = [
        post("b1", "bbc", at(9), "Shelling in Lyman", "Shelling killed civilians. Shelling."),
        post("b2", "bbc", at(10), "More shelling", "Civilians flee the shelling."),
        post("r1", "rt", at(9, 30), "Strike on Lyman", "A strike on militants. Strike."),
        post("r2", "rt", at(11), "Strike", "Militants hit in precision strike."),
        post("x1", "bbc", at(12), "Cricket", "Cricket cricket cricket."),  # alone in t2
    ]
    run = make_run(
        posts,
        [thread("t1", ("b1", "r1", "b2", "r2")), thread("t2", ("x1",))],
        [Assignment(p, "t1", "primary", 1.0) for p in ("b1", "b2", "r1", "r2")]
        + [Assignment("x1", "t2", "primary", 1.0)],
    )
    loose = CompareSettings(z_min=0.5, fdr="none", min_docs=2, min_words=1)  # 4 tiny posts
    rows = framing(run, top_n=2, rules=loose)
    assert {r.thread_id for r in rows} == {"t1"}  # t2 has a single outlet
    assert [(r.outlet, r.term) for r in rows] == [
        ("bbc", "shelling"),
        ("bbc", "civilians"),
        ("rt", "strike"),
        ("rt", "militants"),
    ]
    assert all(r.z >= 0.5 and r.docs >= 2 and r.q_value is None for r in rows)
    first = rows[0]
    assert (first.count, first.other_count, first.docs) == (5, 0, 2)
    assert (first.words, first.other_words) == (10, 10)  # tokens, stop words out
    # its 5 of the run's 24 words, weighing as much as the thread's 20 words
    assert first.prior == pytest.approx(5 / 24 * 20)
    assert first.p_value == pytest.approx(math.erfc(first.z / math.sqrt(2)))
    assert rows[0].z > rows[1].z
    assert "lyman" not in {r.term for r in rows}  # both outlets use it
    # the shipped rules: 4 short posts are too few words to call any word distinctive
    assert framing(run) == []
    with pytest.raises(ValueError, match="top_n"):
        framing(run, top_n=-1)
    with pytest.raises(ConfigError, match="fdr"):
        CompareSettings(fdr="bonferroni")


def test_benjamini_hochberg_by_hand():
    # m = 4: sorted p 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.04, 0.04, 0.5 (step-up minimum)
    assert benjamini_hochberg([0.03, 0.5, 0.01, 0.02]) == pytest.approx([0.04, 0.5, 0.04, 0.04])
    assert benjamini_hochberg([]) == []
    assert benjamini_hochberg([0.9, 0.95]) == pytest.approx([0.95, 0.95])


def test_only_significant_words_are_listed_after_the_correction():
    """Two outlets tell one story in the same words, one of them adds a word of its own
    often: only that word is distinctive; the noise words are tested and dropped."""
    rng = __import__("random").Random(0)
    common = [f"w{i}" for i in range(60)]
    posts = []
    for n in range(8):
        for outlet in ("left", "right"):
            words = rng.choices(common, k=80)
            if outlet == "left":
                words += ["regime"] * 6
            posts.append(post(f"{outlet}{n}", outlet, at(9 + n), "Story", " ".join(words)))
    ids = tuple(p.id for p in posts)
    run = make_run(posts, [thread("t1", ids)], [Assignment(i, "t1", "primary", 1.0) for i in ids])
    strict = framing(run)
    assert [(r.outlet, r.term) for r in strict] == [("left", "regime")]
    assert strict[0].z >= 1.96 and strict[0].q_value <= 0.05
    uncorrected = framing(run, rules=CompareSettings(fdr="none"))
    assert all(r.z >= 1.96 for r in uncorrected)
    assert len(uncorrected) >= len(strict)


def test_a_date_without_a_time_is_first_with_any_report_of_that_day():
    from datetime import UTC, datetime

    from storythreads.analysis.compare.outlets import lead_times
    from storythreads.types import Assignment, Post, Run, Thread

    day = datetime(2013, 1, 23, tzinfo=UTC)
    posts = (
        Post("a", "A", None, day, "t", None, "b", date_only=True),  # "2013-01-23"
        Post("b", "B", None, day.replace(hour=18), "t", None, "b"),
        Post("c", "C", None, day.replace(hour=8), "t", None, "b"),
    )
    thread = Thread("t1", "x", (), "", ("a", "b", "c"), (), None, None)
    run = Run("r", day, day, "x", "m", {}, posts, (thread,),
              tuple(Assignment(p.id, "t1", "primary", 1.0) for p in posts), ())  # fmt: skip
    rows = {r.outlet: r for r in lead_times(run).rows}
    assert rows["A"].is_first and rows["C"].is_first  # the day may have begun with A
    assert rows["B"].lag_minutes == 600  # 18:00 is 10 h behind C's 08:00, known to the minute


def test_lags_on_dates_are_whole_days_never_minutes():
    """Mixed precision is handled per pair: a date-only side makes the lag a day count."""
    from datetime import UTC, datetime

    from storythreads.analysis.compare.outlets import lead_times
    from storythreads.reports.compare_html import lag_text
    from storythreads.reports.comparison import day_lag
    from storythreads.types import Assignment, Post, Run, Thread

    day = datetime(2016, 9, 12, tzinfo=UTC)

    def dated(pid, outlet, days, date_only=True, hour=0):
        when = day.replace(hour=hour) + __import__("datetime").timedelta(days=days)
        return Post(pid, outlet, None, when, "t", None, "b", date_only=date_only)

    posts = (
        dated("f1", "Fox", 0),
        dated("n1", "NYT", 0),
        dated("h1", "HuffPost", 2),
        dated("f2", "Fox", 10),  # another thread: all dates
        dated("n2", "NYT", 11),
    )
    threads = (
        Thread("t1", "x", (), "", ("f1", "n1", "h1"), (), None, None),
        Thread("t2", "y", (), "", ("f2", "n2"), (), None, None),
    )
    of = {"f1": "t1", "n1": "t1", "h1": "t1", "f2": "t2", "n2": "t2"}
    run = Run("r", day, day, "x", "m", {}, posts, threads,
              tuple(Assignment(p.id, of[p.id], "primary", 1.0) for p in posts), ())  # fmt: skip
    lead = lead_times(run)
    rows = {(r.thread_id, r.outlet): r for r in lead.rows}
    assert all(r.resolution == "day" and r.lag_minutes is None for r in lead.rows)
    assert rows["t1", "Fox"].is_first and rows["t1", "NYT"].is_first  # the same day
    assert rows["t1", "HuffPost"].lag_days == 2 and not rows["t1", "HuffPost"].is_first
    assert rows["t2", "NYT"].lag_days == 1
    assert lead.median_lag == {}  # no minute-level lag on date-only data
    assert lead.median_lag_days == {"Fox": 0.0, "HuffPost": 2.0, "NYT": 0.5}
    assert lag_text(rows["t1", "Fox"], 7) == "first (same day)"
    assert lag_text(rows["t1", "HuffPost"], 7) == "+2 days"
    assert (day_lag(0), day_lag(1), day_lag(0.5)) == ("same day", "+1 day", "+0.5 days")


def test_attention_is_zero_filled_per_day_with_shares_and_the_lag_to_the_peak():
    from datetime import UTC, datetime, timedelta

    from storythreads.analysis.compare.outlets import attention
    from storythreads.types import Assignment, Post, Run, Thread

    day = datetime(2024, 3, 4, 9, tzinfo=UTC)

    def at_day(pid, outlet, days):
        return Post(pid, outlet, None, day + timedelta(days=days), "t", None, "b")

    posts = (
        at_day("a1", "A", 0), at_day("a2", "A", 2), at_day("a3", "A", 2),
        at_day("b1", "B", 2), at_day("b2", "B", 2),
        at_day("a9", "A", 2),  # A's post on another story that day
        at_day("c9", "C", 0),  # C never covers t1
    )  # fmt: skip
    threads = (
        Thread("t1", "x", (), "", ("a1", "a2", "a3", "b1", "b2"), (), None, None),
        Thread("t2", "y", (), "", ("a9", "c9"), (), None, None),
    )
    of = {"a9": "t2", "c9": "t2"}
    run = Run("r", day, day, "x", "m", {}, posts, threads,
              tuple(Assignment(p.id, of.get(p.id, "t1"), "primary", 1.0) for p in posts), ())  # fmt: skip
    rows = {(r.outlet, r.day): r for r in attention(run) if r.thread_id == "t1"}
    assert sorted({d for _, d in rows}) == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert {o for o, _ in rows} == {"A", "B", "C"}  # every outlet, zero-filled
    assert rows["A", "2024-03-05"].posts == 0 and rows["A", "2024-03-05"].share == 0.0
    assert (rows["A", "2024-03-06"].posts, rows["A", "2024-03-06"].outlet_posts) == (2, 3)
    assert rows["A", "2024-03-06"].share == pytest.approx(2 / 3)
    assert rows["A", "2024-03-04"].share == 1.0
    assert {r.peak_day for r in rows.values()} == {"2024-03-06"}  # 4 posts that day
    assert rows["A", "2024-03-04"].lag_to_peak_days == -2  # A reported two days before it
    assert rows["B", "2024-03-04"].lag_to_peak_days == 0
    assert rows["C", "2024-03-04"].lag_to_peak_days is None  # never covered it
