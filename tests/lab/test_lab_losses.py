"""lab/losses: BCE vs MSE behind a sigmoid -- exact gradients, the race over seeds against
a control, and a conclusion that blames only what the numbers show."""
import copy
import json

import numpy as np
import pytest

from chainrule.lab import losses as exp


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


def _claims_match_the_numbers(r):
    """No false claim: the effect is claimed exactly when the ranges over seeds are apart
    by CAUSE_MARGIN, and the confidently wrong samples are blamed only when every seed's
    scaled start had at least MIN_WRONG of them."""
    n, text = r.numbers, r.conclusion
    shows = exp.effect_of(n) == "shows"
    assert ("slowed MSE beyond the seed spread" in text) == shows
    assert ("did not show" in text) == (not shows)
    race = n["race"]
    if shows:
        assert min(race["scaled"]["slowdown_per_seed"]) >= \
            exp.CAUSE_MARGIN * max(race["control"]["slowdown_per_seed"])
    enough = all(w >= exp.MIN_WRONG for w in race["scaled"]["confidently_wrong_per_seed"])
    assert ("consistent with its gradient vanishing on those samples" in text) == \
        (shows and enough)


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "losses"
    assert tiny.params == {"seed": 0, "seeds": 2, "logit_min": -10.0, "logit_max": 10.0,
                           "grid_points": 41, "init_scale": 10.0, "lr": 0.5, "steps": 150,
                           "target_accuracy": 0.95}
    json.dumps(tiny.to_dict())
    n = tiny.numbers
    assert {"gradient", "seeds", "training_per_seed", "race", "lr", "steps",
            "target_accuracy", "thresholds", "parameters"} <= set(n)
    assert n["seeds"] == [0, 1] and len(n["training_per_seed"]) == 2 and n["parameters"] == 31
    assert set(n["thresholds"]) == set(exp.THRESHOLDS)
    for race in n["training_per_seed"]:
        for start in ("scaled", "control"):
            for loss in ("bce", "mse"):
                r = race[start][loss]
                assert len(r["accuracy"]) == len(r["loss"]) == exp.TINY["steps"] + 1
    assert len(n["race"]["scaled"]["slowdown_per_seed"]) == 2
    assert set(n["race"]["scaled"]["slowdown"]) == {"mean", "min", "max"}
    assert tiny.conclusion and tiny.seconds > 0
    assert "Thresholds: MATCH_TOL = 1e-09" in tiny.conclusion


def test_tiny_race_shows_the_effect_with_its_numbers(tiny):
    # seeds 0 and 1: a third of the samples start confidently wrong; MSE needs ~4x BCE's
    # steps from there, ~1.8x from the unscaled start
    race = tiny.numbers["race"]
    assert race["scaled"]["slowdown_per_seed"] == pytest.approx([139 / 34, 136 / 34])
    assert race["control"]["slowdown_per_seed"] == pytest.approx([7 / 4, 9 / 5])
    assert exp.effect_of(tiny.numbers) == "shows"
    _claims_match_the_numbers(tiny)


def test_autograd_gradients_equal_the_formulas(tiny):
    g = tiny.numbers["gradient"]
    p = np.asarray(g["p"])
    np.testing.assert_allclose(g["bce_measured"], p - 1, atol=1e-12)
    np.testing.assert_allclose(g["mse_measured"], 2 * (p - 1) * p * (1 - p), atol=1e-12)
    assert g["bce_max_abs_error"] < 1e-12 and g["mse_max_abs_error"] < 1e-12


def test_mse_gradient_peaks_at_8_27_at_p_one_third():
    # -2 p (1 - p)^2 is extreme where (1 - p)(1 - 3p) = 0: p = 1/3, |gradient| = 8/27.
    z = np.log(0.5)                        # sigmoid(log(1/2)) = 1/3
    g = exp.gradient_curves(z, z + 1e-3, 2)
    assert g["p"][0] == pytest.approx(1 / 3, abs=1e-15)
    assert g["mse_measured"][0] == pytest.approx(-8 / 27, abs=1e-12)
    assert g["bce_measured"][0] == pytest.approx(-2 / 3, abs=1e-12)


def test_confident_mistakes_get_a_vanishing_mse_gradient(tiny):
    w = tiny.numbers["gradient"]["most_wrong"]
    assert w["bce"] == pytest.approx(-1, abs=1e-4)          # p = sigmoid(-10) = 4.5e-5
    assert abs(w["mse"]) < 1e-4


def test_same_start_for_both_losses(tiny):
    for race in tiny.numbers["training_per_seed"]:
        for start in ("scaled", "control"):
            t = race[start]
            assert t["bce"]["accuracy"][0] == t["mse"]["accuracy"][0] == t["accuracy"]
        assert race["scaled"]["confidently_wrong"] > 0.3
        assert race["control"]["confidently_wrong"] == 0.0


def test_slowdown_handles_targets_never_reached():
    race = {"bce": {"steps_to_target": 20}, "mse": {"steps_to_target": None}}
    assert exp.slowdown(race, 100) == (101 / 20, True)
    race["bce"]["steps_to_target"] = None
    assert exp.slowdown(race, 100) == (None, False)
    assert exp.slowdown({"bce": {"steps_to_target": 0}, "mse": {"steps_to_target": 0}},
                        10) == (1.0, False)


def _with(numbers, treated, control, wrong=(0.3, 0.3), bound=(False, False)):
    n = copy.deepcopy(numbers)
    race = n["race"]
    race["scaled"]["slowdown_per_seed"], race["control"]["slowdown_per_seed"] = \
        list(treated), list(control)
    race["scaled"]["slowdown_is_lower_bound_per_seed"] = list(bound)
    race["scaled"]["confidently_wrong_per_seed"] = list(wrong)
    for side in ("scaled", "control"):
        values = race[side]["slowdown_per_seed"]
        race[side]["slowdown"] = {"mean": None, "min": None, "max": None} if None in values \
            else {"mean": float(np.mean(values)), "min": min(values), "max": max(values)}
    return n


def test_effect_absent_when_the_ranges_over_seeds_meet(tiny):
    # the control's worst seed is as slow as the treated start's best: no claim
    n = _with(tiny.numbers, [4.0, 2.0], [1.0, 1.9])
    text = exp.conclude(n)
    assert exp.effect_of(n) == "absent"
    assert "did not show" in text and "beyond the seed spread:" not in text
    assert "consistent with its gradient vanishing" not in text


def test_effect_shows_and_blames_only_with_enough_confidently_wrong(tiny):
    shows = exp.conclude(_with(tiny.numbers, [4.0, 3.0], [1.8, 1.6]))
    assert "slowed MSE beyond the seed spread" in shows and "did not show" not in shows
    assert "consistent with its gradient vanishing on those samples" in shows
    few = exp.conclude(_with(tiny.numbers, [4.0, 3.0], [1.8, 1.6], wrong=(0.3, 0.01)))
    assert "consistent with its gradient vanishing" not in few
    assert "in 1 of 2 seeds fewer than 5% of the samples started confidently wrong" in few


def test_no_comparison_when_bce_never_gets_there(tiny):
    text = exp.conclude(_with(tiny.numbers, [None, 3.0], [1.8, 1.6]))
    assert "cannot compare" in text and "did not show" in text
    bound = _with(tiny.numbers, [2.0, 3.0], [1.8, 1.6])
    bound["race"]["control"]["slowdown_is_lower_bound_per_seed"] = [True, False]
    assert "no upper bound" in exp.conclude(bound)


def test_gradient_part_of_the_conclusion(tiny):
    broken = copy.deepcopy(tiny.numbers)
    broken["gradient"]["bce_max_abs_error"] = 0.1
    assert "does NOT match" in exp.conclude(broken)
    flat = copy.deepcopy(tiny.numbers)
    flat["gradient"]["most_wrong"] = {"p": 0.4, "bce": -0.6, "mse": -0.29}
    assert "saturation effect did not show" in exp.conclude(flat)


def test_issue_seed_3_does_not_blame_samples_that_are_1_percent():
    # `chainrule lab losses --seed 3`: seed 3's scaled start has 1% confidently wrong
    r = exp.run(seed=3, seeds=2, grid_points=41, steps=200)
    assert r.numbers["race"]["scaled"]["confidently_wrong_per_seed"][0] < exp.MIN_WRONG
    _claims_match_the_numbers(r)
    assert "consistent with its gradient vanishing" not in r.conclusion


def test_issue_init_scale_3_seed_2_shows_nothing_and_blames_nothing():
    # `chainrule lab losses --init-scale 3 --seed 2`: 0% confidently wrong, slowdowns
    # like the control's
    r = exp.run(init_scale=3.0, seed=2, seeds=2, grid_points=41, steps=100)
    _claims_match_the_numbers(r)
    assert exp.effect_of(r.numbers) == "absent"
    assert "did not show" in r.conclusion
    assert "says nothing about what such samples do to MSE" in r.conclusion


def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"gradient", "accuracy"}
    tiny.figures = figures
    written = tiny.save(tmp_path)
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == 2 and all(p.stat().st_size > 1000 for p in pngs)
    figures["accuracy"].savefig("/tmp/h34/losses-accuracy.png")
