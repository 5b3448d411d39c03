"""How fast explorers are built and how fast the live mode answers.

Prints figures; asserts nothing. Goals (issue "Explorers"), on a 2-core machine:

- precompute of an explorer of 30 frames: <= 3 s;
- live mode, 6 optimizers x 300 steps on a 2-D landscape, compute + redraw of the
  persistent figure: median <= 100 ms.

Run: ``.venv/bin/python benchmarks/bench_explore.py``
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from descent import explore, landscapes, optim, plots, run

LANDSCAPE = landscapes.LANDSCAPES["rosenbrock"]
LRS = np.geomspace(1e-3, 0.3, 30)


def six(lr: float) -> dict[str, optim.Optimizer]:
    return {
        "sgd": optim.sgd(lr * 0.1),
        "momentum": optim.momentum(lr * 0.1, beta=0.9),
        "adagrad": optim.adagrad(lr * 10),
        "rmsprop": optim.rmsprop(lr),
        "adam": optim.adam(lr),
        "adamw": optim.adamw(lr),
    }


def kb(n: float) -> str:
    return f"{n / 1000:.1f} KB"


def sizes(ex: explore.Explorer) -> str:
    frames = [f.nbytes for f in ex.frames]
    return (f"{len(frames)} frames, base {kb(len(ex.base_style))}, frame mean "
            f"{kb(np.mean(frames))} (max {kb(max(frames))}), all {kb(ex.nbytes)}, "
            f"per frame incl. base {kb(ex.nbytes / len(frames))}")


def bench_trajectory_explorer(steps: int) -> None:
    t0 = time.perf_counter()
    for lr in LRS:
        run.race(six(lr), LANDSCAPE, steps=steps)
    t_race = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex = explore.trajectory_explorer(LANDSCAPE, six, {"lr": LRS}, steps=steps)
    total = time.perf_counter() - t0
    w, h = ex.frames[0].width, ex.frames[0].height
    print(f"trajectory_explorer, 30 lr x 6 optimizers x {steps} steps, {w}x{h} px:")
    print(f"  precompute {total:.2f} s (races alone {t_race:.2f} s)  [goal <= 3 s]")
    print(f"  {sizes(ex)}")


def bench_plain_explorer() -> None:
    trajs = {lr: run.race(six(lr), LANDSCAPE, steps=200) for lr in LRS[:30]}

    def draw(axes, lr):
        plots.plot_trajectories(axes[0], LANDSCAPE, trajs[lr], legend=False)
        plots.plot_losses(axes[1], trajs[lr])

    t0 = time.perf_counter()
    # Autoscaled axes change most pixels between frames: a lower density keeps
    # this explorer inside the size budget.
    ex = explore.explorer(draw, {"lr": list(trajs)}, subplots=(1, 2),
                          figsize=(7.2, 3.2), dpi=96)
    total = time.perf_counter() - t0
    print("explorer with a plain draw function (full redraw a frame), 30 frames, "
          "dpi 96:")
    print(f"  precompute {total:.2f} s")
    print(f"  {sizes(ex)}")


def bench_live(steps: int, moves: int = 30) -> None:
    lv = explore.trajectory_live(LANDSCAPE, six, {"lr": (1e-3, 0.3)}, log=["lr"],
                                 steps=steps)
    rng = np.random.default_rng(0)
    values = 10 ** rng.uniform(-3, np.log10(0.3), moves)
    latencies, races = [], []
    for lr in values:
        t0 = time.perf_counter()
        run.race(six(float(lr)), LANDSCAPE, steps=steps)
        races.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        lv.set(lr=float(lr))
        latencies.append(time.perf_counter() - t0)
    print(f"live mode, 6 optimizers x {steps} steps, {moves} slider moves:")
    print(f"  compute + redraw median {1e3 * statistics.median(latencies):.0f} ms "
          f"(p90 {1e3 * np.percentile(latencies, 90):.0f} ms)  [goal <= 100 ms]")
    print(f"  of which the races: median {1e3 * statistics.median(races):.0f} ms")

    # For comparison: redrawing the same figure from scratch at each move.
    fig = Figure(figsize=(7.2, 3.2), dpi=96, layout="constrained")
    FigureCanvasAgg(fig)
    full = []
    for lr in values[:10]:
        t0 = time.perf_counter()
        trajs = run.race(six(float(lr)), LANDSCAPE, steps=steps)
        fig.clear()
        a, b = fig.subplots(1, 2)
        plots.plot_trajectories(a, LANDSCAPE, trajs)
        plots.plot_losses(b, trajs)
        fig.canvas.draw()
        full.append(time.perf_counter() - t0)
    print(f"  full replot instead (no blitting): median "
          f"{1e3 * statistics.median(full):.0f} ms")


if __name__ == "__main__":
    bench_trajectory_explorer(steps=200)
    bench_trajectory_explorer(steps=300)
    bench_plain_explorer()
    bench_live(steps=300)
