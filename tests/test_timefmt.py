"""Durations as a person writes them: at most two units, largest first, no weeks."""

from __future__ import annotations

import math

import pytest

from storythreads.timefmt import duration


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "+0 min"),
        (0.4, "+0 min"),  # rounded to whole minutes
        (0.5, "+1 min"),  # halves round up, not to even
        (12, "+12 min"),
        (59, "+59 min"),
        (59.6, "+1 h"),  # rounds up into the next unit
        (60, "+1 h"),  # a zero second unit is left out
        (61, "+1 h 1 min"),
        (125, "+2 h 5 min"),
        (200, "+3 h 20 min"),
        (1439, "+23 h 59 min"),
        (1440, "+1 day"),
        (1441, "+1 day"),  # over a day the second unit is hours
        (1441 + 120, "+1 day 2 h"),
        (1440 + 23 * 60 + 31, "+2 days"),  # 1 d 23.5 h rounds to 2 days, not '1 day 24 h'
        (605 * 1440, "+605 days"),  # never weeks or years
        (743 * 1440 + 90, "+743 days 2 h"),
        (-45, "-45 min"),
    ],
)
def test_duration(minutes, text):
    assert duration(minutes) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_duration_refuses_non_finite_minutes(bad):
    with pytest.raises(ValueError, match="finite"):
        duration(bad)


def test_reports_and_links_write_durations_with_the_same_function():
    from storythreads.analysis.describe import crossref
    from storythreads.reports import compare_html

    assert compare_html.duration is duration and crossref.duration is duration
