"""Time one step of Lion, Adafactor, Muon and Schedule-Free against their references.

10^6 float64 parameters: a vector for Lion and Schedule-Free, a 1000 x 1000
matrix for Adafactor (factored) and Muon (torch runs its Newton–Schulz in
bfloat16, ours in float64, so that row compares different arithmetic).
References: torch.optim.Adafactor and Muon (torch 2.13), lion_pytorch.Lion,
schedulefree's reference classes and its memory-lean ones. Torch runs on one
thread, like numpy's element-wise operations; the median of repeated steps.

Usage: python benchmarks/bench_references.py [--repeats R]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import lion_pytorch
import numpy as np
import schedulefree
import torch

from descent.optim import adafactor, lion, muon, schedule_free_adamw, schedule_free_sgd

SETTINGS = [
    # name, ours, reference class, its kwargs, shape
    ("lion", lion(lr=1e-4), lion_pytorch.Lion, dict(lr=1e-4), (10**6,)),
    ("adafactor (1000x1000)", adafactor(), torch.optim.Adafactor, {}, (1000, 1000)),
    ("adafactor (vector)", adafactor(), torch.optim.Adafactor, {}, (10**6,)),
    ("muon (1000x1000)", muon(lr=0.02), torch.optim.Muon, dict(lr=0.02), (1000, 1000)),
    ("schedule-free sgd vs reference", schedule_free_sgd(lr=0.1),
     schedulefree.SGDScheduleFreeReference, dict(lr=0.1), (10**6,)),
    ("schedule-free sgd vs lean", schedule_free_sgd(lr=0.1),
     schedulefree.SGDScheduleFree, dict(lr=0.1, foreach=False), (10**6,)),
    ("schedule-free adamw vs reference", schedule_free_adamw(),
     schedulefree.AdamWScheduleFreeReference, {}, (10**6,)),
    ("schedule-free adamw vs lean", schedule_free_adamw(),
     schedulefree.AdamWScheduleFree, dict(foreach=False), (10**6,)),
]


def time_pair(opt, reference, kwargs, shape, repeats):
    """Median seconds of one step, ours and the reference's, timed alternately."""
    rng = np.random.default_rng(0)
    params, grads = rng.standard_normal(shape), rng.standard_normal(shape)
    state = opt.init(params)
    tensor = torch.tensor(params)
    tensor.grad = torch.tensor(grads)
    theirs = reference([tensor], **kwargs)
    if hasattr(theirs, "train"):
        with contextlib.redirect_stdout(io.StringIO()):
            theirs.train()
    ours, ref = [], []
    for i in range(repeats + 2):  # the first 2 rounds warm up
        start = time.perf_counter()
        params, state = opt.step(params, grads, state)
        middle = time.perf_counter()
        theirs.step()
        end = time.perf_counter()
        if i >= 2:
            ours.append(middle - start)
            ref.append(end - middle)
    return float(np.median(ours)), float(np.median(ref))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"one step at 10^6 float64 parameters, median of {args.repeats}; "
          f"torch {torch.__version__} (1 thread), numpy {np.__version__}")
    print("| setting | ours ms | reference ms | ratio |")
    print("|---|---|---|---|")
    for name, opt, reference, kwargs, shape in SETTINGS:
        ours, ref = time_pair(opt, reference, kwargs, shape, args.repeats)
        print(f"| {name} | {ours * 1e3:.2f} | {ref * 1e3:.2f} | {ours / ref:.2f}x |")


if __name__ == "__main__":
    main()
