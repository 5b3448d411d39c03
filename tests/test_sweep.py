"""``descent.sweep``: the optimizer comparison of the digits and its results file.

The committed results (``make sweep``) must describe the current code: the same
configuration, every registered optimizer, and runs that a reduced sweep
reproduces exactly (everything but the measured times, which are not compared).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

from descent import optim, sweep
from descent.sweep import analysis

# ------------------------------------------------------------- the results file


@pytest.fixture(scope="module")
def committed():
    return sweep.load()


def test_committed_results_use_the_current_configuration(committed):
    assert committed["config"] == sweep.SweepConfig().as_dict()
    task = sweep.Task()
    assert committed["data"]["sizes"] == task.split.sizes
    assert committed["data"]["n_classes"] == 10
    assert committed["command"].startswith("make sweep")
    for key in ("python", "numpy", "scikit-learn", "descent"):
        assert committed["versions"][key]


def test_committed_results_hold_every_registered_optimizer_and_every_run(committed):
    # An optimizer joins by being registered: after registering one, `make sweep`.
    names = [c.name for c in sweep.candidates()]
    assert [c["name"] for c in committed["candidates"]] == names, (
        "the results file is stale: run `make sweep` after registering optimizers")
    config = sweep.SweepConfig()
    for cand, entry in zip(sweep.candidates(), committed["candidates"], strict=True):
        assert entry["lrs"] == cand.lrs().tolist()
        assert entry["kwargs"] == dict(cand.kwargs)
        keys = {(r["schedule"], r["lr"], r["seed"]) for r in committed["runs"]
                if r["optimizer"] == cand.name}
        assert keys == {(s, lr, seed) for s in config.schedules
                        for lr in entry["lrs"] for seed in config.seeds}


def test_every_optimizer_starts_from_the_same_weights_for_a_seed(committed):
    # common random numbers: checkpoint 0 is the initial network, whatever the rule
    starts = {}
    for r in committed["runs"]:
        starts.setdefault(r["seed"], set()).add((r["curve_loss"][0], r["curve_val"][0]))
    assert all(len(s) == 1 for s in starts.values())
    assert len(starts) == len(sweep.SweepConfig().seeds)


def test_a_reduced_sweep_reproduces_the_committed_runs(committed):
    names = ["sgd", "nesterov", "adam"]
    fresh = sweep.sweep(optimizers=names, lr_indices=[2, 6], seeds=[3], timing=False)
    assert len(fresh["runs"]) == 3 * 2 * 2
    index = {(r["optimizer"], r["schedule"], r["lr"], r["seed"]): r
             for r in committed["runs"]}
    for run in fresh["runs"]:
        key = (run["optimizer"], run["schedule"], run["lr"], run["seed"])
        assert run == index[key], key
    for entry in fresh["candidates"]:
        old = next(c for c in committed["candidates"] if c["name"] == entry["name"])
        for k in ("lrs", "state_bytes", "param_bytes", "centre_lr", "kwargs"):
            assert entry[k] == old[k], (entry["name"], k)


# ----------------------------------------------------------------- candidates


def test_candidates_are_the_registered_optimizers_with_nesterov_after_momentum():
    names = [c.name for c in sweep.candidates()]
    registered = list(optim.OPTIMIZERS)
    assert [n for n in names if n != "nesterov"] == registered
    assert names[names.index("momentum") + 1] == "nesterov"
    nesterov = sweep.candidates(["nesterov"])[0]
    assert nesterov.factory == "momentum" and nesterov.kwargs["nesterov"] is True
    assert nesterov.build(0.01).hyper["form"] == "heavy_ball"


def test_a_newly_registered_optimizer_joins_centred_on_its_default_rate(monkeypatch):
    def fancy(lr=0.05, beta=0.5):
        return optim.sgd(lr)

    monkeypatch.setitem(optim.OPTIMIZERS, "fancy", fancy)
    found = {c.name: c for c in sweep.candidates()}
    assert found["fancy"].centre == 0.05
    assert found["fancy"].source == "factory default"
    assert found["fancy"].lrs()[sweep.GRID_POINTS // 2] == 0.05
    with pytest.raises(ValueError, match=r"unknown optimizers \['nope'\]"):
        sweep.candidates(["nope"])


def test_the_grid_has_the_same_width_and_density_for_every_optimizer():
    for cand in sweep.candidates():
        lrs = cand.lrs()
        steps = np.diff(np.log10(lrs))
        np.testing.assert_allclose(steps, 1 / sweep.POINTS_PER_DECADE, atol=1e-10)
        assert len(lrs) == sweep.GRID_POINTS
        assert math.isclose(lrs[len(lrs) // 2], cand.centre)


def test_warmup_cosine_warms_up_linearly_then_anneals_to_zero():
    s = sweep.schedule_for("warmup_cosine", 0.2, 100)
    warm = round(sweep.WARMUP_FRACTION * 100)
    assert s(0) == pytest.approx(0.2 / warm)
    assert s(warm - 1) == pytest.approx(0.2)
    assert s(warm) == pytest.approx(0.2)
    assert s(100) == pytest.approx(0.0, abs=1e-15)
    rates = [s(t) for t in range(warm, 101)]
    assert all(a >= b for a, b in zip(rates, rates[1:], strict=False))
    assert sweep.schedule_for("constant", 0.2, 100) == 0.2
    with pytest.raises(ValueError, match="schedule must be one of"):
        sweep.schedule_for("cyclic", 0.2, 100)


@pytest.mark.parametrize(("args", "match"), [
    ((0.0,), "centre must be a finite number > 0"),
    ((1.0, 4), "points must be an odd integer >= 1"),
    ((1.0, 5, 0), "per_decade must be an integer >= 1"),
])
def test_bad_grids_raise_naming_the_argument(args, match):
    with pytest.raises(ValueError, match=match):
        sweep.lr_grid(*args)


def matrix_only_sgd(lr=0.1):
    """An optimizer whose init refuses vectors, as Muon's does."""
    inner = optim.sgd(lr)

    def init(params):
        if any(np.ndim(p) != 2 for p in params):
            raise ValueError("matrix_only_sgd only supports 2-D parameters")
        return inner.init(params)

    return optim.Optimizer("matrix_only_sgd", init, inner.step, {"lr": lr})


def test_an_optimizer_for_matrices_only_is_skipped_without_partition(monkeypatch):
    monkeypatch.setitem(optim.OPTIMIZERS, "matrix_only_sgd", matrix_only_sgd)
    monkeypatch.delattr(optim, "partition", raising=False)
    config = sweep.SweepConfig(task=sweep.Task(steps=2, eval_every=1), seeds=(0,))
    out = sweep.sweep(config, optimizers=["matrix_only_sgd"])
    assert "only supports 2-D" in out["candidates"][0]["skipped"]
    assert out["runs"] == []


def test_an_optimizer_for_matrices_only_gets_adamw_for_the_rest(monkeypatch):
    calls = {}

    def partition(opts, labels):  # records what build asks of optim.partition
        calls["labels"] = list(labels)
        calls["names"] = [o.name for o in opts.values()]
        return optim.sgd(0.1)

    monkeypatch.setitem(optim.OPTIMIZERS, "matrix_only_sgd", matrix_only_sgd)
    monkeypatch.setattr(optim, "partition", partition, raising=False)
    task = sweep.Task()
    cand = sweep.candidates(["matrix_only_sgd"])[0]
    cand.build(0.1, "constant", 10, task.model.init_params(np.random.default_rng(0)))
    # hidden weight matrices to the optimizer, biases and the output layer to AdamW
    assert calls["labels"] == ["main", "partner", "main", "partner", "partner",
                               "partner"]
    assert calls["names"] == ["matrix_only_sgd", "adamw"]


# ------------------------------------------------------------------------ runs


def test_a_run_that_diverges_stops_and_records_no_final_accuracy():
    task = sweep.Task(steps=40, eval_every=10)
    cand = sweep.candidates(["sgd"])[0]
    run = sweep.run_one(task, cand, 1e6, "constant", 0)
    assert run.diverged_at is not None and 1 <= run.diverged_at <= 40
    assert run.val_correct is None and run.test_correct is None
    assert len(run.curve_val) <= len(task.checkpoints)


class AveragingOptimizer(NamedTuple):
    """An Optimizer with ``eval_params``, as schedule-free optimizers have."""

    name: str
    init: Callable
    step: Callable
    hyper: dict
    eval_params: Callable


def test_the_model_is_evaluated_where_the_optimizer_says(monkeypatch):
    def averaged_sgd(lr=0.1):  # evaluates at zero weights: logits 0, loss log 10
        inner = optim.sgd(lr)
        return AveragingOptimizer("averaged_sgd", inner.init, inner.step,
                                  {"lr": lr}, lambda params, state: [
                                      np.zeros_like(p) for p in params])

    monkeypatch.setitem(optim.OPTIMIZERS, "averaged_sgd", averaged_sgd)
    task = sweep.Task(steps=4, eval_every=2)
    run = sweep.run_one(task, sweep.candidates(["averaged_sgd"])[0], 0.1,
                        "constant", 0)
    assert run.curve_loss == [pytest.approx(math.log(10), rel=1e-3)] * 3
    assert sweep.evaluation_point(averaged_sgd(), [np.ones(2)], None)[0].tolist() == [
        0, 0]


def test_evaluation_point_is_the_parameters_for_ordinary_optimizers():
    params = [np.ones(2)]
    assert sweep.evaluation_point(optim.adam(), params, None) is params


# -------------------------------------------------------------------- analysis


def test_good_range_interpolates_its_ends_in_log_rate():
    r = analysis.good_range([1e-3, 1e-2, 1e-1, 1.0], [0.5, 0.95, 0.96, 0.7],
                            delta=0.02)
    # best 0.96 at 0.1, level 0.94: 0.95 is inside, 0.5 and 0.7 are not
    assert math.log10(r.low) == pytest.approx(-2 - 0.01 / 0.45)
    assert math.log10(r.high) == pytest.approx(-1 + 0.02 / 0.26)
    assert r.width == pytest.approx(math.log10(r.high / r.low))
    assert not r.open_low and not r.open_high


def test_good_range_is_open_where_the_grid_ends_inside_it():
    r = analysis.good_range([0.1, 1.0, 10.0], [0.9, 0.9, 0.9])
    assert (r.low, r.high, r.width, r.open_low, r.open_high) == (
        0.1, 10.0, 2.0, True, True)
    single = analysis.good_range([0.1, 1.0, 10.0], [0.1, 0.9, 0.1], delta=0.0)
    assert single.width == 0 and single.low == single.high == pytest.approx(1.0)


def synthetic_results():
    """Two optimizers, three rates, two seeds, one schedule: hand-made numbers."""
    cands = [
        {"name": "a", "label": "A", "centre_lr": 0.1, "lrs": [0.01, 0.1, 1.0],
         "state_bytes": 0, "param_bytes": 80, "step_us": 10.0, "update_us": 1.0},
        {"name": "b", "label": "B", "centre_lr": 0.1, "lrs": [0.01, 0.1, 1.0],
         "state_bytes": 160, "param_bytes": 80, "step_us": 12.0, "update_us": 3.0},
    ]
    correct = {("a", 0.01): (60, 62), ("a", 0.1): (90, 92), ("a", 1.0): (None, None),
               ("b", 0.01): (88, 90), ("b", 0.1): (90, 92), ("b", 1.0): (89, 91)}
    runs = []
    for (name, lr), pair in correct.items():
        for seed, c in enumerate(pair):
            runs.append({"optimizer": name, "schedule": "constant", "lr": lr,
                         "seed": seed, "diverged_at": 3 if c is None else None,
                         "val_correct": c, "test_correct": c,
                         "val_loss": None if c is None else 1 - c / 100,
                         "curve_loss": [2.3, 1.0], "curve_val": [10, c or 10]})
    return {"config": {"task": {"steps": 10, "eval_every": 10}},
            "data": {"sizes": {"val": 100, "test": 100}, "n_classes": 10},
            "candidates": cands, "runs": runs}


def test_sensitivity_counts_a_diverged_run_as_guessing():
    s = analysis.sensitivity(synthetic_results(), "a", "constant")
    np.testing.assert_allclose(s.mean, [0.61, 0.91, 0.1])
    np.testing.assert_allclose(s.std, [np.sqrt(2) / 100, np.sqrt(2) / 100, 0],
                               atol=1e-15)
    assert s.diverged.tolist() == [0, 0, 2]
    assert s.seeds == 2


def test_summary_rows_choose_by_validation_and_break_ties_by_loss():
    res = synthetic_results()
    rows = {r.name: r for r in analysis.summary_rows(res, "constant")}
    assert rows["a"].best_lr == 0.1 and not rows["a"].at_edge
    assert rows["b"].best_lr == 0.1
    assert rows["b"].val_mean == pytest.approx(0.91)
    assert rows["b"].good.open_low and rows["b"].good.open_high
    assert rows["b"].good.width == pytest.approx(2.0)
    assert rows["a"].good.width < 1
    assert rows["b"].state_bytes == 160 and rows["a"].step_us == 10.0
    # a tie in accuracy goes to the lower validation loss
    for r in res["runs"]:
        if r["optimizer"] == "b" and r["lr"] == 1.0:
            r["val_correct"] = r["test_correct"] = r["val_correct"] + 1
            r["val_loss"] = 0.01
    rows = {r.name: r for r in analysis.summary_rows(res, "constant")}
    assert rows["b"].best_lr == 1.0 and rows["b"].at_edge


def test_accuracies_list_every_seed_at_one_rate():
    acc = analysis.accuracies(synthetic_results(), "a", "constant", 1.0)
    np.testing.assert_allclose(acc["val"], [0.1, 0.1])  # both diverged: guessing
    acc = analysis.accuracies(synthetic_results(), "b", "constant", 0.01)
    np.testing.assert_allclose(acc["test"], [0.88, 0.90])
    with pytest.raises(ValueError, match="lr must be a rate"):
        analysis.accuracies(synthetic_results(), "a", "constant", 0.3)


def test_curves_give_every_seed_at_one_rate_and_pad_after_divergence():
    c = analysis.curves(synthetic_results(), "a", "constant", 0.1)
    assert c["steps"].tolist() == [0, 10]
    np.testing.assert_allclose(c["val"], [[0.1, 0.9], [0.1, 0.92]])
    with pytest.raises(ValueError, match="lr must be a rate"):
        analysis.curves(synthetic_results(), "a", "constant", 0.5)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        analysis.sensitivity(synthetic_results(), "zzz", "constant")

