"""lab/degradation: plain vs residual MLPs of growing depth -- result, model, conclusion."""
import copy
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.cli import main
from chainrule.lab import degradation as exp
from chainrule.lab import seeds as S
from chainrule.lab.harness import parameter_count, train
from chainrule.lab.result import Result
from chainrule.nn import functional as F


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


def _assert_matches(result: Result) -> dict:
    """The conclusion says what the numbers say: each verdict appears exactly when the
    per-seed flags it is computed from hold, the losses quoted are the numbers' own."""
    n, c = result.numbers, result.conclusion
    t = exp.trend(n)
    plain = t["plain"]["degrades_per_seed"]
    residual = [a or b for a, b in zip(t["residual"]["degrades_per_seed"],
                                       t["residual"]["failed_per_seed"])]
    verdict = {
        "shows": "degradation problem shows" in c,
        "not removed": "did not remove the degradation" in c,
        "partly": "showed only" in c,
        "absent": "did not show" in c,
    }
    assert verdict == {"shows": S.holds(plain) and not any(residual),
                       "not removed": S.holds(plain) and any(residual),
                       "partly": any(plain) and not S.holds(plain),
                       "absent": not any(plain)}
    unscaled_fails = (any(t["residual"]["failed_per_seed"]) and n["norm"] == "none"
                      and not n["scale_branches"])
    assert ("Without the 1/(number of blocks) scaling" in c) == unscaled_fails
    assert ("without that scaling (the default), skip connections do not remove" in c) == (
        unscaled_fails and S.holds(plain))
    for kind, label in (("plain", "Plain"), ("residual", "Residual")):
        assert (f"{label}: the final training loss is NaN or above chance" in c) == any(
            t[kind]["failed_per_seed"])
    assert ("The residual networks, however, degraded" in c) == (
        not any(plain) and any(t["residual"]["degrades_per_seed"]))
    for kind in exp.KINDS:
        for d in n["depths"]:
            assert S.spread_text(n["runs"][kind][str(d)]["final_train_loss"]) in c
    assert ("BatchNorm after each hidden Linear" in c) == (n["norm"] == "batch")
    assert S.thresholds_text(n["thresholds"]) in c
    assert f"{n['steps']} steps" in c
    return verdict


# ------------------------------------------------------------------ run and numbers
def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "degradation"
    assert tiny.params == {"seed": 0, "seeds": 2, "depths": [3, 6], "width": 16, "epochs": 2,
                           "batch_size": 256, "lr": 1e-3, "scale_branches": True,
                           "norm": "none"}
    json.dumps(tiny.to_dict())
    n = tiny.numbers
    assert n["seeds"] == [0, 1] and n["steps"] == 2 * 6 and n["train_size"] == 1437
    assert n["thresholds"] == {"RISE": exp.RISE, "MARGIN": exp.MARGIN, "SPIKE": exp.SPIKE,
                               "JUMP": exp.JUMP, "CHANCE": math.log(10)}
    # a shortcut has no parameters: plain and residual of one depth count the same
    assert n["parameters"]["plain"] == n["parameters"]["residual"] == {"3": 1754, "6": 2570}
    assert len(n["table"]) == 4
    for kind in exp.KINDS:
        for d in ("3", "6"):
            r = n["runs"][kind][d]
            assert len(r["curves"]) == 2 and all(len(c) == 2 for c in r["curves"])
            losses = r["final_train_loss_per_seed"]
            assert r["final_train_loss"] == S.spread(losses) and all(map(np.isfinite, losses))
            assert all(0 <= a <= 1 for a in r["test_accuracy_per_seed"])
    assert set(n["trend"]) == set(exp.KINDS)
    _assert_matches(tiny)


def test_plain_and_residual_start_from_the_same_weights():
    for norm in exp.NORMS:
        cr.manual_seed(3)
        plain = exp.build(4, 8, residual=False, scale_branches=False, norm=norm)
        cr.manual_seed(3)
        res = exp.build(4, 8, residual=True, scale_branches=False, norm=norm)
        p = [t.data for t in plain.parameters()]
        r = [t.data for t in res.parameters()]
        assert len(p) == len(r) and all(np.array_equal(a, b) for a, b in zip(p, r))
        assert parameter_count(plain) == parameter_count(res)


def test_batch_norm_follows_each_hidden_linear_before_its_relu():
    cr.manual_seed(0)
    model = exp.build(3, 8, residual=True, scale_branches=False, norm="batch")
    kinds = [type(m).__name__ for m in model.modules()
             if isinstance(m, (nn.Linear, nn.BatchNorm1d, nn.ReLU))]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU"] * 3 + ["Linear"]
    assert parameter_count(model) == (64 * 8 + 8) + 2 * (8 * 8 + 8) + 8 * 10 + 10 \
        + 3 * 2 * 8        # + a weight and a bias per BatchNorm feature


@pytest.mark.parametrize("norm, scaled", [("none", nn.Linear), ("batch", nn.BatchNorm1d)])
def test_branch_scaling_divides_each_block_by_the_number_of_blocks(norm, scaled):
    cr.manual_seed(0)
    raw = exp.build(5, 8, residual=True, scale_branches=False, norm=norm)
    cr.manual_seed(0)
    model = exp.build(5, 8, residual=True, scale_branches=True, norm=norm)
    blocks = [m for m in model.modules() if isinstance(m, nn.Residual)]
    assert len(blocks) == 4
    touched = {id(layer.weight) for b in blocks for layer in b.block.modules()
               if isinstance(layer, scaled)}
    assert len(touched) == 4
    for a, b in zip(raw.parameters(), model.parameters()):
        factor = np.float32(0.25) if id(b) in touched else np.float32(1)
        np.testing.assert_array_equal(b.data, a.data * factor)


def test_unscaled_residual_relu_mlp_explodes_at_init_unless_normalised():
    X = cr.datasets.digits(split=True)[0][:256]
    std = {}
    for norm in exp.NORMS:
        for scale in (False, True):
            cr.manual_seed(0)
            std[norm, scale] = exp._output_std(exp.build(20, 32, True, scale, norm), X)
    assert std["none", False] > 1e3 and std["none", True] < 10
    # BatchNorm: each block adds O(1) to the variance, no blow-up either way
    assert std["batch", False] < 20 and std["batch", True] < 10


def test_batch_norm_trains_through_the_harness_as_eagerly():
    """The harness replays steps where it can; BatchNorm's running statistics are updated
    outside the recorded ops, so they must still be updated at every step (today the step
    falls back to eager) and the training must be the eager one's."""
    X, _, y, _ = cr.datasets.digits(split=True)
    X, y = X[:300], y[:300]
    cr.manual_seed(0)
    model = exp.build(3, 8, residual=False, scale_branches=True, norm="batch")
    eager = copy.deepcopy(model)
    t = train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-2), (X, y), 2,
              batch_size=64, seed=0)
    history = cr.train.fit(eager, F.cross_entropy, optim.Adam(eager.parameters(), lr=1e-2),
                           cr.data.DataLoader(X, y, batch_size=64, seed=0), 2, progress=False)
    steps = 2 * 5
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(int(m.num_batches_tracked.data) == steps for m in norms)
    assert t.curve == [e["train_loss"] for e in history.epochs]
    eager_norms = [m for m in eager.modules() if isinstance(m, nn.BatchNorm1d)]
    for a, b in zip(norms, eager_norms):
        np.testing.assert_array_equal(a.running_mean.data, b.running_mean.data)


def test_bad_norm_and_a_batch_of_one_are_refused():
    with pytest.raises(ValueError, match="norm must be one of 'none', 'batch', got 'layer'"):
        exp.build(3, 8, False, True, norm="layer")
    with pytest.raises(ValueError, match="batch_size 2 leaves a batch of 1 of the 1437"):
        exp.run(depths=(2, 3), width=4, epochs=1, seeds=1, batch_size=2, norm="batch")


def test_spikes_need_a_relative_and_an_absolute_rise():
    assert exp.spikes([2.0, 1.0, 1.5, 0.5]) == 1          # +50% and +0.5
    assert exp.spikes([0.02, 0.01, 0.03, 0.001]) == 0     # +200%, but only +0.02
    assert exp.spikes([2.0, 2.1, 1.0]) == 0               # +0.1, but only +5%
    assert exp.spikes([1.0, 0.5, float("nan")]) == 1      # blew up


# ------------------------------------------------------------------ conclusions
def _numbers(plain, residual, depths=(20, 56), curves=None, norm="none", scale=True):
    """Hand-made numbers: plain and residual are per depth a list of per-seed losses."""
    seeds = len(plain[0])

    def entry(losses, curve):
        return {"final_train_loss": S.spread(losses), "test_accuracy": S.spread([0.9] * seeds),
                "final_train_loss_per_seed": list(losses),
                "test_accuracy_per_seed": [0.9] * seeds,
                "diverged_per_seed": [v != v for v in losses],
                "curves": [curve] * seeds, "init_output_std_per_seed": [1.0] * seeds,
                "seconds_per_seed": [0.1] * seeds}
    smooth = [2.0, 1.0, 0.5]
    curves = curves or {}
    runs = {kind: {str(d): entry(v, curves.get((kind, d), smooth))
                   for d, v in zip(depths, values)}
            for kind, values in (("plain", plain), ("residual", residual))}
    return {"dataset": "digits", "depths": list(depths), "width": 32, "epochs": 30,
            "batch_size": 64, "lr": 1e-3, "train_size": 1437, "steps": 690, "norm": norm,
            "scale_branches": scale, "seeds": list(range(seeds)),
            "thresholds": dict(exp.THRESHOLDS),
            "parameters": {k: {str(d): 1000 * d for d in depths} for k in exp.KINDS},
            "unscaled_residual_init_output_std": 1e12, "runs": runs, "table": []}


def _result(numbers):
    return Result(exp.NAME, numbers=numbers, conclusion=exp.conclude(numbers))


def test_conclusion_did_not_show_when_deep_plain_is_not_clearly_worse():
    r = _result(_numbers([[0.05] * 3, [0.06] * 3], [[0.01] * 3, [0.02] * 3]))
    assert _assert_matches(r)["absent"]
    assert "shows" not in r.conclusion and "over 2x that loss and more than 0.02" in r.conclusion
    assert "in none of the 3 seeds" in r.conclusion
    assert "Thresholds: RISE = 2, MARGIN = 0.02, SPIKE = 0.1, JUMP = 0.05" in r.conclusion
    # a big ratio near zero is not a clear rise (MARGIN)
    near_zero = _result(_numbers([[0.001] * 3, [0.01] * 3], [[0.01] * 3, [0.02] * 3]))
    assert _assert_matches(near_zero)["absent"]


def test_conclusion_shows_with_its_setting_budget_and_parameters():
    r = _result(_numbers([[0.05, 0.04, 0.06], [0.9, 0.8, 1.0]], [[0.01] * 3, [0.02] * 3]))
    assert _assert_matches(r)["shows"]
    c = r.conclusion
    low, high = (S.spread_text(S.spread(v)) for v in ([0.05, 0.04, 0.06], [0.9, 0.8, 1.0]))
    assert f"plain {low}, {high}; residual 0.01, 0.02" in c
    assert "shows in all 3 seeds" in c and "branches scaled by 1/(number of blocks)" in c
    assert "30 epochs of Adam (lr 0.001, batches of 64, 690 steps)" in c
    assert "(20,000 at depth 20, 56,000 at depth 56)" in c
    assert "output std of 1e+12 instead of 1" in c and "no normalisation" in c
    assert "curves are smooth" in c and "optimises slowly" in c


def test_conclusion_reads_the_trend_over_all_depths():
    """A fall from depth 2 to 8 then a clear rise to 20: the endpoints alone (0.03 vs
    0.045) would miss it; the lowest shallower loss (depth 8) does not."""
    r = _result(_numbers([[0.03] * 3, [0.008] * 3, [0.002] * 3, [0.045] * 3],
                         [[0.04] * 3, [0.01] * 3, [0.004] * 3, [0.001] * 3],
                         depths=(2, 4, 8, 20)))
    assert _assert_matches(r)["shows"]
    assert "lowest at depth 8, 8, 8, seed by seed" in r.conclusion


def test_a_deepest_network_stuck_at_chance_counts_as_higher():
    """Near chance (ln 10) a ratio cannot reach RISE: with BatchNorm, seed 1 ends at 1.24 at
    depth 20 and 2.43 at depth 56 (9.6% test accuracy), a degradation all the same."""
    r = _result(_numbers([[0.85, 1.24, 0.93], [2.32, 2.43, 2.41]], [[0.01] * 3, [0.004] * 3],
                         norm="batch"))
    assert _assert_matches(r)["shows"]
    assert "Plain: the final training loss is NaN or above chance" in r.conclusion
    assert exp._degrades([4.4, 1.7e8], 2, 0.02) and not exp._degrades([2.4, 2.5], 2, 0.02)


def test_conclusion_in_some_seeds_only_is_not_claimed():
    r = _result(_numbers([[0.05] * 3, [0.9, 0.06, 0.8]], [[0.01] * 3, [0.02] * 3]))
    assert _assert_matches(r)["partly"]
    assert "showed only in 2 of 3 seeds" in r.conclusion and "shows" not in r.conclusion


def test_conclusion_when_residual_networks_degrade_or_learn_nothing():
    both = _result(_numbers([[0.05] * 3, [0.9] * 3], [[0.01] * 3, [0.8] * 3]))
    assert _assert_matches(both)["not removed"]
    blown = _result(_numbers([[0.05] * 3, [0.9] * 3], [[4.4] * 3, [1.7e8] * 3], scale=False))
    assert _assert_matches(blown)["not removed"]
    c = blown.conclusion
    assert "--no-scale-branches" in c and "std up to 1 (the plain ones: 1)" in c
    assert "without that scaling (the default), skip connections do not remove" in c
    assert "Residual: the final training loss is NaN or above chance (2.3" in c
    assert "in all 3 seeds, at depth 20, 56" in c
    nan = _result(_numbers([[0.05] * 3, [float("nan")] * 3], [[0.01] * 3, [0.02] * 3]))
    assert _assert_matches(nan)["shows"]
    assert "NaN (a seed diverged)" in nan.conclusion
    assert "Plain: the final training loss is NaN or above chance" in nan.conclusion


def test_conclusion_names_the_phenomenon_of_each_setting():
    spiky = {("plain", 56): [2.0, 1.0, 1.5, 0.5]}
    unstable = _result(_numbers([[0.05] * 3, [0.9] * 3], [[0.01] * 3, [0.02] * 3],
                                curves=spiky))
    assert "training is unstable: its epoch loss jumped up" in unstable.conclusion
    assert "in all 3 seeds, 1.0 times in 30 epochs" in unstable.conclusion
    slow = _result(_numbers([[0.05] * 3, [0.9] * 3], [[0.01] * 3, [0.02] * 3], norm="batch"))
    assert _assert_matches(slow)["shows"]
    assert "BatchNorm weight is scaled" in slow.conclusion
    assert "smooth" in slow.conclusion and "He et al. describe" in slow.conclusion
    bn_spiky = _result(_numbers([[0.05] * 3, [0.9] * 3], [[0.01] * 3, [0.02] * 3],
                                curves=spiky, norm="batch"))
    assert "unstable even with BatchNorm" in bn_spiky.conclusion


# ------------------------------------------------------------ the issue's commands
def _cli(tmp_path, *argv) -> Result:
    code = main(["lab", "degradation", *argv, "--out", str(tmp_path)])
    assert code == 0
    d = json.loads((tmp_path / "degradation.json").read_text())
    return Result(exp.NAME, params=d["params"], numbers=d["numbers"],
                  conclusion=d["conclusion"])


def test_issue_no_scale_branches(tmp_path, capsys):
    r = _cli(tmp_path, "--no-scale-branches", "--depths", "2", "4", "8", "--width", "16",
             "--epochs", "3")
    capsys.readouterr()
    assert r.numbers["scale_branches"] is False and r.numbers["seeds"] == [0, 1, 2]
    _assert_matches(r)
    assert "unscaled residual branches (--no-scale-branches)" in r.conclusion


def test_issue_depths_2_4_8_20(tmp_path, capsys):
    r = _cli(tmp_path, "--depths", "2", "4", "8", "20", "--width", "16", "--epochs", "3")
    capsys.readouterr()
    assert r.numbers["depths"] == [2, 4, 8, 20]
    _assert_matches(r)
    for kind in exp.KINDS:
        best = r.numbers["trend"][kind]["best_shallower_depth_per_seed"]
        for i, depth in enumerate(best):
            losses = [r.numbers["runs"][kind][str(d)]["final_train_loss_per_seed"][i]
                      for d in (2, 4, 8)]
            assert depth == (2, 4, 8)[int(np.argmin(losses))]


def test_issue_norm_batch(tmp_path, capsys):
    r = _cli(tmp_path, "--norm", "batch", "--depths", "2", "4", "8", "--width", "16",
             "--epochs", "3", "--seeds", "2", "--batch-size", "128")
    capsys.readouterr()
    assert r.numbers["norm"] == "batch" and r.params["norm"] == "batch"
    _assert_matches(r)
    assert "BatchNorm weight is scaled by 1/(number of residual blocks)" in r.conclusion
    for kind in exp.KINDS:           # both kinds train with BatchNorm, through the harness
        for d in ("2", "4", "8"):
            assert all(map(np.isfinite, r.numbers["runs"][kind][d]["final_train_loss_per_seed"]))
    assert r.numbers["parameters"]["plain"]["2"] == 64 * 16 + 16 + 16 * 16 + 16 + 16 * 10 \
        + 10 + 2 * 2 * 16


# ------------------------------------------------------------------------ figures
def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"curves"}
    tiny.figures = figures
    pngs = [p for p in tiny.save(tmp_path) if p.suffix == ".png"]
    assert len(pngs) == 1 and pngs[0].stat().st_size > 1000


def test_plot_copes_with_a_diverged_run(tiny):
    n = copy.deepcopy(tiny.numbers)
    r = n["runs"]["residual"]["6"]
    r.update(final_train_loss=S.spread([float("nan"), 1.0]), diverged_per_seed=[True, False],
             curves=[[float("nan")], [2.0, 1.0]], final_train_loss_per_seed=[float("nan"), 1.0])
    result = _result(n)
    _assert_matches(result)
    assert "NaN (a seed diverged)" in result.conclusion
    assert set(exp.plot(result)) == {"curves"}
