"""Time one step of each optimizer at 10^6 float64 parameters, against torch.optim.

The reference code (numpy, a new array per operation, nothing in place) should
stay within 3x of torch.optim's foreach path on the same size. Prints the
median of repeated single steps and the ratio for each setting. numpy's
element-wise operations run on one thread, so torch is timed on one thread
too; the last column gives torch with its default thread count for reference.

Usage: python benchmarks/bench_optim.py [--size N] [--repeats R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from descent.optim import (
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    momentum,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
)

SGD, Adagrad, RMSprop = torch.optim.SGD, torch.optim.Adagrad, torch.optim.RMSprop
Adam, AdamW = torch.optim.Adam, torch.optim.AdamW

SETTINGS = [
    # name, ours, torch class, torch kwargs (same arithmetic cost)
    ("sgd", sgd(lr=0.01), SGD, dict(lr=0.01)),
    ("sgd-wd", sgd(lr=0.01, weight_decay=0.1), SGD, dict(lr=0.01, weight_decay=0.1)),
    (
        "momentum-ema",
        momentum(lr=0.01),
        SGD,
        dict(lr=0.01, momentum=0.9, dampening=0.9),
    ),
    (
        "heavy-ball",
        momentum(lr=0.01, form="heavy_ball"),
        SGD,
        dict(lr=0.01, momentum=0.9),
    ),
    (
        "nesterov",
        momentum(lr=0.01, form="heavy_ball", nesterov=True),
        SGD,
        dict(lr=0.01, momentum=0.9, nesterov=True),
    ),
    ("adagrad", adagrad(lr=0.01), Adagrad, dict(lr=0.01)),
    ("rmsprop", rmsprop(lr=0.01), RMSprop, dict(lr=0.01, alpha=0.9)),
    (
        "rmsprop-centered-momentum",
        rmsprop(lr=0.01, momentum=0.9, centered=True),
        RMSprop,
        dict(lr=0.01, alpha=0.9, momentum=0.9, centered=True),
    ),
    ("adam", adam(lr=0.01), Adam, dict(lr=0.01)),
    ("adam-amsgrad", adam(lr=0.01, amsgrad=True), Adam, dict(lr=0.01, amsgrad=True)),
    ("adamw", adamw(lr=0.01), AdamW, dict(lr=0.01)),
    ("rprop", rprop(lr=0.01), torch.optim.Rprop, dict(lr=0.01)),
    ("adadelta", adadelta(), torch.optim.Adadelta, dict()),
    ("adamax", adamax(), torch.optim.Adamax, dict()),
    ("nadam", nadam(), torch.optim.NAdam, dict()),
    ("radam", radam(), torch.optim.RAdam, dict()),
]


def time_pair(opt, torch_class, kwargs, params, grads, repeats, threads):
    """Median seconds of one step, ours and torch's, timed alternately.

    Alternating the two keeps a busy machine's load from favouring either side.
    """
    state = opt.init(params)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        tensor = torch.tensor(params)
        tensor.grad = torch.tensor(grads)
        torch_opt = torch_class([tensor], foreach=True, **kwargs)
        ours, theirs = [], []
        for i in range(repeats + 3):  # the first 3 rounds warm up
            start = time.perf_counter()
            params, state = opt.step(params, grads, state)
            middle = time.perf_counter()
            torch_opt.step()
            end = time.perf_counter()
            if i >= 3:
                ours.append(middle - start)
                theirs.append(end - middle)
        return float(np.median(ours)), float(np.median(theirs))
    finally:
        torch.set_num_threads(previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    repeats = args.repeats
    rng = np.random.default_rng(0)
    params = rng.standard_normal(args.size)
    grads = rng.standard_normal(args.size)
    default_threads = torch.get_num_threads()
    print(
        f"one step at {args.size:,} float64 parameters, median of {repeats}; "
        f"torch {torch.__version__}, numpy {np.__version__}"
    )
    header = (
        "setting",
        "ours ms",
        "torch ms (1 thread)",
        "ratio",
        f"torch ms ({default_threads} threads)",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    worst = 0.0
    for name, opt, torch_class, kwargs in SETTINGS:
        ours, theirs = time_pair(opt, torch_class, kwargs, params, grads, repeats, 1)
        _, theirs_mt = time_pair(
            opt, torch_class, kwargs, params, grads, repeats, default_threads
        )
        worst = max(worst, ours / theirs)
        print(
            f"| {name} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | "
            f"{ours / theirs:.2f}x | {theirs_mt * 1e3:.2f} |"
        )
    print(f"\nlargest ratio: {worst:.2f}x (goal: <= 3x)")


if __name__ == "__main__":
    main()
