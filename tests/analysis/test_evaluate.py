"""Scores against gold labels: BCubed by hand, perfect and degenerate cases."""

from __future__ import annotations

import pytest

from storythreads.analysis.evaluate.threads import bcubed, pairwise_f1, scores


def test_bcubed_hand_computed():
    # predicted clusters: {a, b} {c, d};  gold clusters: {a, b, c} {d}
    # precision per item = share of its predicted cluster with its gold label:
    #   a: 2/2, b: 2/2, c: 1/2 (d is gold 1), d: 1/2  -> (1 + 1 + 0.5 + 0.5) / 4 = 3/4
    # recall per item = share of its gold cluster in its predicted cluster:
    #   a: 2/3, b: 2/3, c: 1/3, d: 1/1                -> (2/3 + 2/3 + 1/3 + 1) / 4 = 2/3
    # F1 = 2 * 3/4 * 2/3 / (3/4 + 2/3) = 1 / (17/12) = 12/17
    precision, recall, f1 = bcubed([0, 0, 1, 1], [0, 0, 0, 1])
    assert precision == pytest.approx(3 / 4)
    assert recall == pytest.approx(2 / 3)
    assert f1 == pytest.approx(12 / 17)


def test_bcubed_is_asymmetric_in_the_expected_way():
    # swapping predicted and gold swaps precision and recall
    p, r, _ = bcubed([0, 0, 0, 1], [0, 0, 1, 1])
    assert (p, r) == pytest.approx((2 / 3, 3 / 4))


def test_bcubed_perfect_whatever_the_label_values():
    assert bcubed(["x", "x", "y"], [7, 7, 3]) == pytest.approx((1.0, 1.0, 1.0))


def test_bcubed_all_in_one_and_all_apart():
    gold = [0, 0, 1, 1]
    assert bcubed([0, 0, 0, 0], gold)[:2] == pytest.approx((0.5, 1.0))
    assert bcubed([0, 1, 2, 3], gold)[:2] == pytest.approx((1.0, 0.5))


def test_bcubed_mismatched_lengths():
    with pytest.raises(ValueError, match="3 items.*2"):
        bcubed([0, 1, 2], [0, 1])


def test_bcubed_empty():
    assert bcubed([], []) == (0.0, 0.0, 0.0)


def test_pairwise_f1_hand_computed():
    # predicted pairs {ab, cd}; gold pairs {ab, ac, bc}; shared {ab}: P = 1/2, R = 1/3
    assert pairwise_f1([0, 0, 1, 1], [0, 0, 0, 1]) == pytest.approx(2 * (1 / 2) * (1 / 3) / (5 / 6))


def test_scores_perfect():
    result = scores(["a", "a", "b", "c"], [1, 1, 2, 3])
    assert result["bcubed_f1"] == pytest.approx(1.0)
    assert result["pairwise_f1"] == pytest.approx(1.0)
    assert result["ari"] == pytest.approx(1.0)
    assert result["ami"] == pytest.approx(1.0)
    assert (result["n_predicted"], result["n_gold"]) == (3, 3)


def test_worst_errors_names_merges_and_splits_with_examples():
    from storythreads.analysis.evaluate.threads import worst_errors

    predicted = ["t1", "t1", "t1", "t2", "t3"]
    gold = ["a", "a", "b", "c", "c"]
    titles = ["A one", "A two", "B one", "C one", "C two"]
    errors = worst_errors(predicted, gold, titles)
    (merge,) = errors["merges"]
    assert merge["id"] == "t1" and merge["stray_items"] == 1
    assert [p["gold"] for p in merge["parts"]] == ["a", "b"]
    assert merge["parts"][1]["example"] == "B one"
    (split,) = errors["splits"]
    assert split["id"] == "c" and {p["thread"] for p in split["parts"]} == {"t2", "t3"}


def test_worst_errors_gives_each_merge_the_time_its_thread_spans():
    from datetime import UTC, datetime, timedelta, timezone

    from storythreads.analysis.evaluate.threads import worst_errors

    start = datetime(2010, 12, 1, 9, tzinfo=UTC)
    predicted = ["t1", "t1", "t1", "t2", "t2", "t3", "t3"]
    gold = ["a", "a", "b", "c", "d", "e", "e"]
    times = [
        start + timedelta(days=2),
        start,
        start.replace(year=2012, month=12, day=13, tzinfo=timezone(timedelta(hours=2))),
        None,  # t2: nothing dated
        None,
        datetime(2011, 1, 1),  # naive: taken as UTC
        None,
    ]
    titles = [f"title {i}" for i in range(7)]
    merges = {m["id"]: m for m in worst_errors(predicted, gold, titles, times=times)["merges"]}
    assert merges["t1"]["first"] == "2010-12-01T09:00:00Z"
    assert merges["t1"]["last"] == "2012-12-13T07:00:00Z"  # converted to UTC
    assert merges["t1"]["span_days"] == pytest.approx(743 - 2 / 24, abs=1e-4)
    assert merges["t2"] | {"parts": None} == {
        "id": "t2", "stray_items": 1, "parts": None,
        "first": None, "last": None, "span_days": None,
    }  # fmt: skip
    assert "t3" not in merges  # one gold story: not a merge
    errors = worst_errors(predicted, gold, titles)  # without times the keys are still there
    assert all(m["span_days"] is None for m in errors["merges"])
    assert all("span_days" not in s for s in errors["splits"])


def test_worst_errors_span_of_one_dated_item_is_zero_and_times_must_match():
    from datetime import UTC, datetime

    from storythreads.analysis.evaluate.threads import worst_errors

    when = datetime(2023, 7, 8, 12, tzinfo=UTC)
    (merge,) = worst_errors(["t", "t"], ["a", "b"], ["A", "B"], times=[when, None])["merges"]
    assert (merge["first"], merge["last"], merge["span_days"]) == (
        "2023-07-08T12:00:00Z",
        "2023-07-08T12:00:00Z",
        0.0,
    )
    with pytest.raises(ValueError, match="times has 1 items"):
        worst_errors(["t", "t"], ["a", "b"], ["A", "B"], times=[when])
