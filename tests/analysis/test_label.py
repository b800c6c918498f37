"""Labels: c-TF-IDF keyphrases without stop words or numbers, headline fallback, centrality."""

from __future__ import annotations

import re

import numpy as np
import pytest

from storythreads.analysis.describe.label import central_index, keyphrases, make_label
from storythreads.analysis.language.text import STOP_WORDS

MUNITIONS = (
    "The US said on Saturday it will send cluster munitions to Ukraine. Cluster munitions are "
    "banned by 120 countries. Russia said the munitions decision was an act of desperation. "
    "In 2023 the Pentagon said it had 1,000 munitions ready."
)
EARTHQUAKE = (
    "An earthquake struck Anatolia on Saturday, officials said. Rescuers searched the rubble "
    "after the earthquake. The earthquake killed 8 people and the earthquake left 3,000 homeless."
)
ELECTION = (
    "Voters in Thailand went to the polls on Saturday in a general election. The election saw "
    "record turnout, officials said. Election results are due in 2 days, the election body said."
)


@pytest.fixture(scope="module")
def phrases():
    return keyphrases([MUNITIONS, EARTHQUAKE, ELECTION], top_n=6)


def test_one_list_per_thread_of_at_most_top_n(phrases):
    assert len(phrases) == 3
    assert all(0 < len(p) <= 6 for p in phrases)


def test_no_stop_words_and_no_bare_numbers(phrases):
    for thread in phrases:
        for phrase in thread:
            for word in phrase.lower().split():
                assert word not in {"said", "the", "saturday"}
                assert word not in STOP_WORDS, phrase
                assert not re.fullmatch(r"[\d,.]+", word), phrase


def test_distinct_threads_put_their_distinctive_word_first(phrases):
    firsts = [p[0].lower() for p in phrases]
    assert "munitions" in firsts[0].split()
    assert "earthquake" in firsts[1].split()
    assert "election" in firsts[2].split()


def test_a_word_is_not_repeated_across_chosen_phrases(phrases):
    for thread in phrases:
        words = [w.lower() for phrase in thread for w in phrase.split()]
        assert len(words) == len(set(words)), thread


def test_keyphrases_edge_cases():
    assert keyphrases([]) == []
    assert keyphrases(["", "the said saturday"]) == [[], []]


def test_make_label_uses_top_phrases_capitalised():
    label = make_label(["cluster munitions", "Pentagon", "Ukraine", "Russia"], "Headline")
    assert label.startswith("Cluster munitions")
    assert "Pentagon" in label and "Ukraine" in label
    assert "Russia" not in label  # n=3 phrases by default
    assert "Headline" not in label


def test_make_label_falls_back_to_the_headline():
    assert make_label([], "Biden heads to Vilnius for the NATO summit") == (
        "Biden heads to Vilnius for the NATO summit"
    )
    assert len(make_label([], "x" * 200)) <= 80
    assert make_label([], "") == "(untitled)"


def test_central_index_picks_the_row_nearest_the_mean():
    rng = np.random.default_rng(7)
    centre = np.zeros(8)
    centre[0] = 1.0
    rows = centre + np.array([0.9, 0.5, 0.05, 0.7])[:, None] * rng.normal(size=(4, 8))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    mean = rows.mean(axis=0)
    expected = int(np.argmax(rows @ mean / np.linalg.norm(mean)))
    assert central_index(rows) == expected
    # and it is stable under row order: the same row wins after a permutation
    order = np.array([3, 1, 0, 2])
    assert order[central_index(rows[order])] == expected


def test_central_index_simple_case():
    rows = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype=np.float32)
    assert central_index(rows) == 1
