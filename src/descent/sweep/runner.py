"""Train one network per (optimizer, schedule, learning rate, seed) and record it.

:func:`run_one` trains the :class:`Task`'s network with one optimizer and
records what the comparison needs: the training loss and validation accuracy
every ``eval_every`` steps, the final validation and test accuracy, whether and
when it diverged, and how long its steps took. :func:`sweep` does that over the
product of candidates, schedules, learning rates and seeds and returns plain
data (a dict) that :func:`save` writes as JSON.

Every run with the same seed starts from the same weights and sees the same
minibatches in the same order, whatever the optimizer (common random numbers),
so the differences between optimizers are not differences of luck.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .. import data, nets, optim
from .candidates import (
    GRID_POINTS,
    POINTS_PER_DECADE,
    SCHEDULES,
    WARMUP_FRACTION,
    Candidate,
    candidates,
)

#: The results file the book loads: written by ``make sweep``.
RESULTS = Path(__file__).with_name("digits_sweep.json")
COMMAND = "make sweep"


@dataclass(frozen=True)
class Task:
    """The training problem every optimizer gets: data, network, budget.

    The digits (:func:`descent.data.digits`, split with ``data_seed``), an MLP
    with ``hidden`` ReLU layers (He initialisation) and a softmax output,
    ``steps`` steps on minibatches of ``batch_size`` (each epoch a new random
    order, the last incomplete batch dropped), evaluated every ``eval_every``
    steps.
    """

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    init: str = "he"
    steps: int = 500
    batch_size: int = 32
    eval_every: int = 25
    data_seed: int = 0
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "fractions", tuple(self.fractions))
        for name in ("steps", "batch_size", "eval_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")

    @cached_property
    def split(self) -> data.Split:
        """The data, split and standardised (loaded once)."""
        return data.digits(np.random.default_rng(self.data_seed), self.fractions)

    @cached_property
    def model(self) -> nets.MLP:
        """The network."""
        d = self.split
        return nets.MLP((d.n_features, *self.hidden, d.n_classes),
                        activation=self.activation, init=self.init, loss="ce")

    @property
    def checkpoints(self) -> list[int]:
        """The steps after which the run is evaluated: 0, eval_every, …, steps."""
        points = list(range(0, self.steps + 1, self.eval_every))
        return points if points[-1] == self.steps else [*points, self.steps]


@dataclass(frozen=True)
class Run:
    """What one training run left: see :func:`run_one`."""

    optimizer: str
    schedule: str
    lr: float
    seed: int
    diverged_at: int | None
    val_correct: int | None
    test_correct: int | None
    train_loss: float | None
    val_loss: float | None
    curve_loss: list[float] = field(repr=False)
    curve_val: list[int] = field(repr=False)


def _sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def _finite(arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


def evaluation_point(opt: optim.Optimizer, params, state):
    """Where to evaluate the model: ``params``, or what ``opt.eval_params`` says.

    Schedule-free optimizers take their gradients at one point and keep the one
    to evaluate in their state (``Optimizer.eval_params``).
    """
    eval_params = getattr(opt, "eval_params", None)
    return params if eval_params is None else eval_params(params, state)


def run_one(task: Task, candidate: Candidate, lr: float, schedule: str,
            seed: int) -> Run:
    """Train ``task``'s network with ``candidate`` at peak rate ``lr``.

    ``seed`` draws the initial weights and then the order of the minibatches. At
    every checkpoint the model (at the optimizer's evaluation point) gets its
    loss on the whole training set and its number of correct validation answers.
    A run whose loss, gradients or parameters stop being finite stops there:
    ``diverged_at`` is the step that failed and the final fields are None.
    """
    d, model, steps, B = task.split, task.model, task.steps, task.batch_size
    rng = np.random.default_rng(seed)
    params = model.init_params(rng)
    opt = candidate.build(lr, schedule, steps, params)
    state = opt.init(params)
    n = len(d.y_train)
    per_epoch = n // B
    checkpoints = set(task.checkpoints)
    curve_loss: list[float] = []
    curve_val: list[int] = []
    diverged_at = None
    order = None
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            if k in checkpoints:
                point = evaluation_point(opt, params, state)
                curve_loss.append(_sig(model.loss_at(point, d.X_train, d.y_train), 4))
                curve_val.append(_correct(model, point, d.X_val, d.y_val))
            if k == steps:
                break
            if k % per_epoch == 0:
                order = rng.permutation(n)
            idx = order[(k % per_epoch) * B:(k % per_epoch + 1) * B]
            loss, grads = model.loss_and_grads(params, d.X_train[idx], d.y_train[idx])
            if not (np.isfinite(loss) and _finite(grads)):
                diverged_at = k + 1
                break
            new, state = opt.step(params, grads, state)
            if not _finite(new):
                diverged_at = k + 1
                break
            params = new
        final: dict[str, Any] = dict.fromkeys(
            ("val_correct", "test_correct", "train_loss", "val_loss"))
        if diverged_at is None:
            point = evaluation_point(opt, params, state)
            train_loss = model.loss_at(point, d.X_train, d.y_train)
            val_loss = model.loss_at(point, d.X_val, d.y_val)
            if np.isfinite(train_loss) and np.isfinite(val_loss):
                final = {
                    "val_correct": _correct(model, point, d.X_val, d.y_val),
                    "test_correct": _correct(model, point, d.X_test, d.y_test),
                    "train_loss": _sig(train_loss, 6),
                    "val_loss": _sig(val_loss, 6),
                }
            else:
                diverged_at = steps
    curve_loss = [x if np.isfinite(x) else None for x in curve_loss]
    return Run(candidate.name, schedule, float(lr), int(seed), diverged_at,
               curve_loss=curve_loss, curve_val=curve_val, **final)


def time_steps(task: Task, candidate: Candidate, repeats: int = 30,
               steps: int = 20) -> dict[str, float]:
    """Microseconds per step of ``candidate`` on ``task``'s network (its usual rate).

    Two loops of ``steps`` steps on one minibatch, each timed ``repeats`` times;
    the fastest repetition counts (what the machine can do when nothing else
    runs, as ``timeit`` reports): ``update_us`` is the optimizer's update alone
    (a fixed gradient), ``step_us`` a whole step (forward and backward pass, then
    the update). Wall-clock times: they change from machine to machine and with
    the load, so they are stored, never recomputed by the book.
    """
    d, model = task.split, task.model
    params = model.init_params(np.random.default_rng(0))
    opt = candidate.build(candidate.centre, "constant", task.steps, params)
    state = opt.init(params)
    X, y = d.X_train[:task.batch_size], d.y_train[:task.batch_size]
    _, grads = model.loss_and_grads(params, X, y)
    update = step = math.inf
    with np.errstate(all="ignore"):
        for _ in range(repeats):
            p, s = params, state
            t0 = time.perf_counter()
            for _ in range(steps):
                p, s = opt.step(p, grads, s)
            t1 = time.perf_counter()
            p, s = params, state
            for _ in range(steps):
                _, g = model.loss_and_grads(p, X, y)
                p, s = opt.step(p, g, s)
            t2 = time.perf_counter()
            update, step = min(update, t1 - t0), min(step, t2 - t1)
    return {"step_us": round(1e6 * step / steps, 1),
            "update_us": round(1e6 * update / steps, 1)}


def _correct(model: nets.MLP, params, X, y) -> int:
    """The number of rows of X whose largest logit is at their label."""
    z = model.forward(params, X)[-1]
    return int(np.sum(np.argmax(z, axis=1) == y))


@dataclass(frozen=True)
class SweepConfig:
    """What a sweep runs: the task, the seeds, the grid, the schedules."""

    task: Task = field(default_factory=Task)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    grid_points: int = GRID_POINTS
    points_per_decade: int = POINTS_PER_DECADE
    schedules: tuple[str, ...] = SCHEDULES
    warmup_fraction: float = WARMUP_FRACTION

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["task"] = {k: (list(v) if isinstance(v, tuple) else v)
                       for k, v in out["task"].items()}
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}


def sweep(
    config: SweepConfig | None = None,
    *,
    optimizers: Sequence[str] | None = None,
    lr_indices: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    schedules: Sequence[str] | None = None,
    timing: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every (optimizer, schedule, learning rate, seed) of ``config``.

    The keyword arguments select a part of it (names of optimizers, positions on
    the rate grid, seeds, schedules), for a quick check: the runs of a part are
    the same runs as in the whole sweep. ``timing`` measures the time per step
    of each optimizer (:func:`time_steps`); ``progress`` gets one line per
    optimizer and schedule.

    Returns plain data: ``{"command", "versions", "machine", "config",
    "candidates": [...], "runs": [...]}``, which :func:`save` writes as JSON.
    """
    config = config or SweepConfig()
    task = config.task
    chosen = candidates(None if optimizers is None else list(optimizers))
    scheds = list(config.schedules if schedules is None else schedules)
    seeds = list(config.seeds if seeds is None else seeds)
    params = task.model.init_params(np.random.default_rng(0))
    cands, runs = [], []
    for cand in chosen:
        lrs = cand.lrs(config.grid_points, config.points_per_decade)
        positions = range(len(lrs)) if lr_indices is None else lr_indices
        entry = {"name": cand.name, "label": cand.label, "factory": cand.factory,
                 "kwargs": dict(cand.kwargs), "centre_lr": cand.centre,
                 "centre_source": cand.source, "lrs": lrs.tolist()}
        try:
            opt = cand.build(float(lrs[len(lrs) // 2]), "constant", task.steps, params)
        except ValueError as err:  # e.g. an optimizer for matrices only
            entry["skipped"] = str(err)
            cands.append(entry)
            continue
        entry["state_bytes"] = optim.state_bytes(opt, params)
        entry["param_bytes"] = optim.param_bytes(params)
        mine: list[Run] = []
        for schedule in scheds:
            if progress:
                progress(f"{cand.name} {schedule}")
            for i in positions:
                for seed in seeds:
                    mine.append(run_one(task, cand, float(lrs[i]), schedule, seed))
        if timing:
            entry.update(time_steps(task, cand))
        cands.append(entry)
        runs += [asdict(r) for r in mine]
    return {
        "command": COMMAND,
        "versions": versions(),
        "machine": machine(),
        "config": config.as_dict(),
        "data": {"name": task.split.name, "sizes": task.split.sizes,
                 "n_features": task.split.n_features,
                 "n_classes": task.split.n_classes},
        "candidates": cands,
        "runs": runs,
    }


def versions() -> dict[str, str]:
    """Versions of Python, numpy, scikit-learn and the commit of the source tree."""
    import sklearn

    out = {"python": platform.python_version(), "numpy": np.__version__,
           "scikit-learn": sklearn.__version__}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
            cwd=Path(__file__).parent, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], capture_output=True,
            text=True, cwd=Path(__file__).parents[1], check=True, timeout=10).stdout
        out["descent"] = commit + ("+changes" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        out["descent"] = "unknown"
    return out


def machine() -> dict[str, Any]:
    """Where the times were measured (they are only comparable on one machine)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith(
                "model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpu": cpu,
            "cores": os.cpu_count(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            "numpy_cpu_features_disabled": os.environ.get(
                "NPY_DISABLE_CPU_FEATURES", "")}


def save(results: dict[str, Any], path: str | Path = RESULTS) -> Path:
    """Write ``results`` as JSON: one run per line, so diffs stay readable."""
    path = Path(path)
    head = {k: v for k, v in results.items() if k != "runs"}
    lines = [json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "runs": [']
    runs = [json.dumps(r, ensure_ascii=False, separators=(",", ":"))
            for r in results["runs"]]
    lines.append(",\n".join("  " + r for r in runs))
    lines.append(" ]\n}\n")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def load(path: str | Path = RESULTS) -> dict[str, Any]:
    """The results written by :func:`save` (by default the committed sweep)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m descent.sweep [--out PATH] [--optimizers a,b] [--seeds 0,1]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m descent.sweep", description=(
        "Learning-rate sweep of every registered optimizer on the digits."))
    p.add_argument("--out", default=str(RESULTS), help="the JSON file to write")
    p.add_argument("--optimizers", default=None, help="comma-separated names")
    p.add_argument("--seeds", default=None, help="comma-separated seeds")
    args = p.parse_args(argv)
    names = args.optimizers.split(",") if args.optimizers else None
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    start = time.perf_counter()

    def progress(line: str) -> None:
        print(f"[{time.perf_counter() - start:6.0f} s] {line}", flush=True)

    results = sweep(optimizers=names, seeds=seeds, progress=progress)
    args_text = " ".join(argv if argv is not None else sys.argv[1:])
    results["command"] = f"{COMMAND} (python -m descent.sweep {args_text})".replace(
        " )", ")")
    results["seconds"] = round(time.perf_counter() - start)
    print(f"wrote {save(results, args.out)} ({results['seconds']} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
