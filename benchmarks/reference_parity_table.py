"""Print the parity of Lion, Adafactor, Muon and Schedule-Free with their references.

Runs every case of ``tests/test_reference_parity.py`` (500 steps, float64, a
seeded noisy quadratic on a list of matrices and vectors; Muon with torch's
Newton–Schulz replaced by ours) and prints the largest errors. Then, for
Muon's Newton–Schulz in bfloat16 (torch) against float64 (ours), the relative
error and the tolerance the rounding model of ``tests/test_newton_schulz.py``
derives, on that file's test matrices.

Usage: python benchmarks/reference_parity_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch.optim._muon as torch_muon

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_newton_schulz as ns  # noqa: E402
import test_reference_parity as parity  # noqa: E402


def main() -> None:
    print(f"{parity.STEPS} steps, float64; params: max |ours - reference| over all "
          f"steps (tolerance {parity.ATOL:.0e}); state and evaluation point likewise")
    print()
    original = torch_muon._zeropower_via_newtonschulz
    torch_muon._zeropower_via_newtonschulz = parity._ns_float64
    try:
        rows = [(case.id, parity.run_case(case)) for case in parity.CASES]
    finally:
        torch_muon._zeropower_via_newtonschulz = original
    width = max(len(name) for name, _ in rows)
    print(f"| {'case':<{width}} | params  | state   | eval point |")
    print(f"|{'-' * (width + 2)}|---------|---------|------------|")
    for name, e in rows:
        print(f"| {name:<{width}} | {e['param_err']:.1e} | {e['state_err']:.1e} | "
              f"{e['eval_err']:.1e}    |")
    worst = max(e["param_err"] for _, e in rows)
    print(f"\nlargest parameter error: {worst:.1e}")

    print("\nMuon's Newton-Schulz: torch (bfloat16) against ours (float64),")
    print(f"relative Frobenius error; tolerance = {ns.SAFETY:g} x the largest error of "
          f"{ns.DRAWS} draws of the rounding model (u = 2^-8)")
    print("| matrix | error | tolerance | error / tolerance |")
    print("|---|---|---|---|")
    ratios = []
    for seed in (6, 7):
        for i, G in enumerate(ns.random_matrices(np.random.default_rng(seed))):
            err, tol = ns.relative_error(G), ns.bf16_tolerance(G)
            ratios.append(err / tol)
            kind = "sigma 1..1e-2" if i % 2 else "gaussian"
            print(f"| {G.shape[0]}x{G.shape[1]} {kind} | {err:.4f} | {tol:.4f} | "
                  f"{err / tol:.2f} |")
    print(f"\nlargest error / tolerance: {max(ratios):.2f}")


if __name__ == "__main__":
    main()
