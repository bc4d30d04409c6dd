"""lab/losses: BCE vs MSE behind a sigmoid -- exact gradients, the race, the conclusion."""
import copy
import json

import numpy as np
import pytest

from chainrule.lab import losses as exp


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "losses"
    assert tiny.params == {"seed": 0, "logit_min": -10.0, "logit_max": 10.0,
                           "grid_points": 41, "init_scale": 10.0, "lr": 0.5, "steps": 60,
                           "target_accuracy": 0.95}
    json.dumps(tiny.to_dict())
    assert {"gradient", "training", "lr", "steps", "target_accuracy"} <= set(tiny.numbers)
    for race in ("scaled", "control"):
        for loss in ("bce", "mse"):
            r = tiny.numbers["training"][race][loss]
            assert len(r["accuracy"]) == len(r["loss"]) == exp.TINY["steps"] + 1
    assert tiny.conclusion and tiny.seconds > 0


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
    for race in ("scaled", "control"):
        t = tiny.numbers["training"][race]
        assert t["bce"]["accuracy"][0] == t["mse"]["accuracy"][0] == t["accuracy"]
    assert tiny.numbers["training"]["scaled"]["confidently_wrong"] > 0.1
    assert tiny.numbers["training"]["control"]["confidently_wrong"] == 0.0


def _with(numbers, bce_steps, mse_steps):
    n = copy.deepcopy(numbers)
    n["training"]["scaled"]["bce"]["steps_to_target"] = bce_steps
    n["training"]["scaled"]["mse"]["steps_to_target"] = mse_steps
    return n


def test_conclusion_follows_the_numbers(tiny):
    shows = exp.conclude(_with(tiny.numbers, 30, 140))
    assert "4.7x as many for MSE" in shows and "did not show" not in shows
    never = exp.conclude(_with(tiny.numbers, 30, None))
    assert "MSE never" in never and "did not show" not in never
    absent = exp.conclude(_with(tiny.numbers, 30, 31))
    assert "did not show" in absent
    neither = exp.conclude(_with(tiny.numbers, None, None))
    assert "neither got there" in neither and "did not show" in neither
    broken = copy.deepcopy(tiny.numbers)
    broken["gradient"]["bce_max_abs_error"] = 0.1
    assert "does NOT match" in exp.conclude(broken)
    flat = copy.deepcopy(tiny.numbers)
    flat["gradient"]["most_wrong"] = {"p": 0.4, "bce": -0.6, "mse": -0.29}
    assert "saturation effect did not show" in exp.conclude(flat)


def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"gradient", "accuracy"}
    tiny.figures = figures
    written = tiny.save(tmp_path)
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == 2 and all(p.stat().st_size > 1000 for p in pngs)
