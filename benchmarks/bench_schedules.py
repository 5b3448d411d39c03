"""Print the parity of descent.schedules with torch and the cost of a scheduled step.

1. Every case of ``tests/test_schedules.py``: the largest |ours − torch| of the
   rates over ≥ 1000 steps (schedule × setting), then of the parameters of
   optimizers driven by a schedule against torch's optimizer + scheduler.
2. The time of one optimizer step with ``lr`` a number against the same step with
   ``lr`` a schedule (cosine annealing, warmup-stable-decay), for a tiny array, a
   large one and a network's list of arrays. A schedule adds one Python call per
   array per step (a few hundred nanoseconds): noise next to the array arithmetic,
   visible only on a 2-element array.

Usage: python benchmarks/bench_schedules.py [--repeats R]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_schedules import (  # noqa: E402
    RATE_ATOL,
    RATE_CASES,
    TRAJ_ATOL,
    TRAJ_CASES,
    TRAJ_STEPS,
    rate_error,
    run_trajectory,
)

from descent import schedules  # noqa: E402
from descent.optim import adam, momentum, sgd  # noqa: E402


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(f"{c:<{w}}" for c, w in
                                 zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def parity() -> None:
    print(f"rates: max |schedule(t) - torch lr| over t (tolerance {RATE_ATOL:.0e})")
    rows = [(c.ours.name, c.id, c.steps, f"{rate_error(c):.1e}") for c in RATE_CASES]
    table(("schedule", "setting", "steps", "max error"), rows)
    print()
    print(f"trajectories: max |θ_ours - θ_torch| over {TRAJ_STEPS} steps "
          f"(tolerance {TRAJ_ATOL:.0e})")
    rows = [(c.id, repr(c.ours.hyper["lr"]), f"{run_trajectory(c):.1e}")
            for c in TRAJ_CASES]
    table(("optimizer + schedule", "schedule", "max error"), rows)
    print()


def _run(opt, params, grads, steps: int) -> float:
    theta, state = params, opt.init(params)
    start = time.perf_counter()
    for _ in range(steps):
        theta, state = opt.step(theta, grads, state)
    return (time.perf_counter() - start) / steps


def _call(rate, steps: int) -> float:
    start = time.perf_counter()
    for t in range(steps):
        rate(t)
    return (time.perf_counter() - start) / steps


def cost(repeats: int) -> None:
    rng = np.random.default_rng(1)
    shapes = {
        "2 params": ([(2,)], 20000),
        "10^4 params": ([(10_000,)], 2000),
        "10^6 params": ([(1_000_000,)], 10),
        "net, 6 arrays": ([(64, 2), (64,), (64, 64), (64,), (1, 64), (1,)], 5000),
    }
    rates = {
        "number": 0.01,
        "cosine": schedules.cosine_annealing_lr(0.01, T_max=10_000),
        "wsd": schedules.warmup_stable_decay(0.01, 10_000, 100, 2000),
    }
    factories = {"sgd": sgd, "momentum": lambda lr: momentum(lr, 0.9),
                 "adam": adam}
    print(f"cost of one step: lr a number vs a schedule (best of {repeats} "
          "interleaved runs: on a shared machine the minimum is the least noisy)")
    rows = []
    for size, (shape_list, steps) in shapes.items():
        params = [rng.standard_normal(s) for s in shape_list]
        grads = [rng.standard_normal(s) for s in shape_list]
        if len(params) == 1:
            params, grads = params[0], grads[0]
        for name, factory in factories.items():
            opts = {k: factory(v) for k, v in rates.items()}
            best = {k: min(_run(opts[k], params, grads, steps) for _ in range(1))
                    for k in opts}
            for _ in range(repeats - 1):
                for k in opts:  # interleaved, so load changes hit all alike
                    best[k] = min(best[k], _run(opts[k], params, grads, steps))
            base = best["number"]
            cells = [size, name, f"{base * 1e6:.2f} µs"]
            for key in ("cosine", "wsd"):
                cells.append(f"{best[key] * 1e6:.2f} µs ({best[key] / base:.2f}x)")
            rows.append(tuple(cells))
    table(("size", "optimizer", "lr = number", "cosine schedule", "wsd schedule"),
          rows)
    print()
    from descent.optim._base import as_schedule

    calls = {"number (constant function)": as_schedule(0.01), **{
        k: v for k, v in rates.items() if k != "number"}}
    timed = {k: min(_call(f, 100_000) for _ in range(repeats))
             for k, f in calls.items()}
    print("one call of lr(t): " + ", ".join(f"{k} {v * 1e9:.0f} ns"
                                            for k, v in timed.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    parity()
    cost(args.repeats)


if __name__ == "__main__":
    main()
