"""lab.seeds: the seeds a run uses, spreads over them, and the phrases conclusions use."""
import math

import pytest

from chainrule.lab.seeds import (count, holds, in_seeds, seed_list, spread, spread_text,
                                 threshold, thresholds, thresholds_text)


def test_seed_list_starts_at_the_seed():
    assert seed_list(0, 3) == [0, 1, 2]
    assert seed_list(5, 1) == [5]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_seed_list_refuses_a_count_that_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match="seeds must be an int >= 1"):
        seed_list(0, bad)


def test_spread_mean_min_max():
    assert spread([1, 2, 6]) == {"mean": 3.0, "min": 1.0, "max": 6.0}
    assert spread([0.5]) == {"mean": 0.5, "min": 0.5, "max": 0.5}


def test_a_diverged_seed_makes_the_spread_nan_and_a_missing_one_none():
    assert all(math.isnan(v) for v in spread([1.0, float("nan")]).values())
    assert spread([3, None]) == {"mean": None, "min": None, "max": None}
    assert spread([1.0, math.inf]) == {"mean": math.inf, "min": 1.0, "max": math.inf}
    with pytest.raises(ValueError, match="at least one value"):
        spread([])


def test_spread_text_shows_the_range_only_when_seeds_differ():
    assert spread_text(spread([0.1, 0.2, 0.3])) == "0.2 (0.1 to 0.3)"
    assert spread_text(spread([0.25, 0.25])) == "0.25"
    assert spread_text(spread([12.0, 16.0]), ".0f", " s") == "14 s (12 s to 16 s)"
    assert spread_text(spread([1.0, float("nan")])) == "NaN (a seed diverged)"
    assert spread_text(spread([None, 2])) == "never (in some seed)"


def test_counting_claims_over_seeds():
    assert count([True, False, True]) == (2, 3)
    assert holds([True, True]) and not holds([True, False]) and not holds([])
    assert in_seeds([True, True, True]) == "in all 3 seeds"
    assert in_seeds([True, False, True]) == "in 2 of 3 seeds"
    assert in_seeds([False, False, False]) == "in none of the 3 seeds"
    assert in_seeds([True, True]) == "in both seeds"
    assert in_seeds([False, False]) == "in neither seed"
    assert in_seeds([True]) == "in this seed"
    assert in_seeds([False]) == "not in this seed"


def test_thresholds_are_read_from_the_numbers_and_printed_by_name():
    assert threshold({"thresholds": {"RISE": 3.0}}, "RISE", 2.0) == 3.0
    assert threshold({}, "RISE", 2.0) == 2.0
    assert thresholds({"thresholds": {"RISE": 3.0}}, {"RISE": 2.0, "MARGIN": 0.05}) == \
        {"RISE": 3.0, "MARGIN": 0.05}
    assert thresholds(None, {"RISE": 2.0}) == {"RISE": 2.0}
    assert thresholds_text({"RISE": 2.0, "MARGIN": 0.05, "KIND": "relative"}) == \
        "Thresholds: RISE = 2, MARGIN = 0.05, KIND = relative."


def test_the_phrases_in_vietnamese(monkeypatch):
    monkeypatch.setenv("CHAINRULE_LANG", "vi")
    assert in_seeds([True, False, True]) == "ở 2 trên 3 seed"
    assert thresholds_text({"RISE": 2.0}) == "Ngưỡng: RISE = 2."
