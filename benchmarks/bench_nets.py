"""Training speed of descent.nets: a deep MLP trained with Adam in float32.

200 steps (forward, backward, Adam step) of a 20-layer, width-64 ReLU network on a
batch of 256 two-spiral points. Goal: at most 2 s in total on a 2-core machine.
Prints figures; asserts nothing about time. Checks that float32 stays float32.

Run: python benchmarks/bench_nets.py
"""

from __future__ import annotations

import time

import numpy as np

from descent.nets import MLP, train, two_spirals
from descent.optim import adam

DEPTH, WIDTH, BATCH, STEPS, REPEATS = 20, 64, 256, 200, 3
DTYPE = np.float32


def manual_loop(model, params, opt, X, y, steps):
    """The bare loop: loss_and_grads then opt.step, nothing recorded."""
    state = opt.init(params)
    for _ in range(steps):
        loss, grads = model.loss_and_grads(params, X, y)
        params, state = opt.step(params, grads, state)
    return loss, grads, params, state


def main() -> None:
    rng = np.random.default_rng(0)
    X, y = two_spirals(BATCH, 0.1, rng, dtype=DTYPE)
    model = MLP.deep(DEPTH, WIDTH, activation="relu", init="he")
    params = model.init_params(rng, dtype=DTYPE)
    opt = adam(lr=1e-3)
    n_params = sum(p.size for p in params)
    print(f"MLP {DEPTH} layers x {WIDTH} wide ({n_params} parameters), batch {BATCH},")
    print(f"{STEPS} steps of Adam, dtype {np.dtype(DTYPE).name}, best of {REPEATS}")

    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        loss, grads, new_params, state = manual_loop(model, params, opt, X, y, STEPS)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"bare loop      : {best:.3f} s total, {1e3 * best / STEPS:.2f} ms/step")

    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = train(model, params, opt, X, y, STEPS)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"descent.train  : {best:.3f} s total, {1e3 * best / STEPS:.2f} ms/step")
    print("goal           : <= 2 s total")
    print(f"loss           : {result.loss[0]:.4f} -> {result.final_loss:.4f}")

    dtypes = {a.dtype for a in [*grads, *new_params, *result.params]}
    dtypes |= {a.dtype for a in state.m + state.v}
    acts = model.forward(new_params, X)
    dtypes |= {a.dtype for a in acts}
    print(f"dtypes seen    : {sorted(d.name for d in dtypes)}")
    if dtypes != {np.dtype(DTYPE)}:
        raise SystemExit(f"float32 was not kept throughout: {dtypes}")


if __name__ == "__main__":
    main()
