"""Time a race of six optimizers over 300 steps on Rosenbrock; print the figures.

Run with ``python benchmarks/bench_run.py [repeats]``. The goal is a median well
under 20 ms for the whole race on a 2-core machine. Besides the race, the script
prints where the time goes: the optimizers' own ``step`` calls, the landscape's
``value`` and ``grad``, and what :func:`descent.run.run` adds per step.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from descent.landscapes import LANDSCAPES
from descent.optim import adagrad, adam, adamw, momentum, rmsprop, sgd
from descent.run import race

STEPS = 300
OPTS = {
    "sgd": sgd(lr=1e-3),
    "momentum": momentum(lr=1e-3, beta=0.9),
    "adagrad": adagrad(lr=0.1),
    "rmsprop": rmsprop(lr=1e-2),
    "adam": adam(lr=2e-2),
    "adamw": adamw(lr=2e-2),
}


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def optimizer_steps(opts, theta, g):
    """STEPS calls of each optimizer's step on a fixed point and gradient."""
    for opt in opts.values():
        state = opt.init(theta)
        for _ in range(STEPS):
            _, state = opt.step(theta, g, state)


class _Bare:
    """The cheapest optimizer run() can drive: θ ← θ − 10⁻³ g, no checks, no state."""

    name = "bare"

    def init(self, params):
        return None

    def step(self, params, grads, state):
        return params - 1e-3 * grads, state


def landscape_calls(landscape, theta, calls):
    for _ in range(calls):
        landscape.value(theta)
        landscape.grad(theta)


def main(repeats: int = 30) -> None:
    landscape = LANDSCAPES["rosenbrock"]
    theta = np.array(landscape.start)
    g = landscape.grad(theta)
    calls = len(OPTS) * STEPS

    race_ms = median_ms(lambda: race(OPTS, landscape, steps=STEPS), repeats)
    step_ms = median_ms(lambda: optimizer_steps(OPTS, theta, g), repeats)
    land_ms = median_ms(lambda: landscape_calls(landscape, theta, calls), repeats)
    bare = {f"bare{i}": _Bare() for i in range(len(OPTS))}
    bare_ms = median_ms(lambda: race(bare, landscape, steps=STEPS), repeats)
    rest_ms = bare_ms - land_ms - median_ms(
        lambda: optimizer_steps(bare, theta, g), repeats
    )

    def per_step(ms):
        return f"{ms:7.2f} ms  ({1e3 * ms / calls:5.2f} us per step)"

    print(f"race of {len(OPTS)} optimizers x {STEPS} steps on Rosenbrock "
          f"(median of {repeats})")
    print(f"  total                    {race_ms:7.2f} ms  (goal: well under 20 ms)")
    print(f"  optimizer steps alone    {per_step(step_ms)}")
    print(f"  landscape value + grad   {per_step(land_ms)}")
    print(f"  run() bookkeeping        {per_step(rest_ms)}")
    print(f"  race with a bare step    {per_step(bare_ms)}")
    for name, opt in OPTS.items():
        ms = median_ms(lambda o=opt: optimizer_steps({"o": o}, theta, g), repeats)
        print(f"    {name:<10} step {1e3 * ms / STEPS:6.2f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
