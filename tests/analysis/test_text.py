"""says_what: a headline that is only a dateline says nothing about the story."""

from __future__ import annotations

import pytest

from storythreads.analysis.language.text import says_what


@pytest.mark.parametrize(
    "line",
    [
        "DECEMBER 16, 2008",
        "Thursday, December 11, 2008",
        "September 18th, 2013, 05: 31 GMT",
        "12 / 16 / 08 1: 30 AM EST",
        "UPDATED 3: 09 AM EST Dec 19, 2008",
        "Posted on November 15, 2011 6: 07: 15 PM GMT+01: 00",
        "8: 24am:",
        "",
    ],
)
def test_datelines_say_nothing(line):
    assert not says_what(line)


@pytest.mark.parametrize(
    "line",
    [
        "Quake hits island off south Iran, five hurt",
        "Lindsay Lohan checks into Betty Ford Center",
        "9 September 2013 Jewels worth $2.5m stolen in Paris",
        "Biden will deliver remarks",
    ],
)
def test_headlines_say_what(line):
    assert says_what(line)
