"""Print the parity of descent.optim with torch.optim: settings x max abs error.

Runs every case of ``tests/test_parity.py`` (500 steps, float64, a seeded
noisy quadratic) on one array with torch's for-loop and foreach paths, and on
a list of arrays, and prints the largest errors over all steps.

Usage: python benchmarks/parity_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_parity import ATOL, CASES, STEPS, run_case  # noqa: E402


def torch_settings(case) -> str:
    args = ", ".join(f"{k}={v}" for k, v in case.torch_kwargs.items())
    return f"{case.torch_class.__name__}({args})"


def main() -> None:
    print(f"{STEPS} steps, float64; max |θ_ours - θ_torch| over all steps")
    print(f"(test tolerance {ATOL:.0e}); state: max |ours - torch| / (1 + |torch|)")
    print()
    header = ("case", "torch.optim", "for-loop", "foreach", "list", "state")
    rows = []
    for case in CASES:
        loop = run_case(case)
        foreach = run_case(case, foreach=True)
        as_list = run_case(case, as_list=True)
        state = max(r["state_err"] for r in (loop, foreach, as_list))
        rows.append(
            (
                case.id,
                torch_settings(case),
                f"{loop['param_err']:.1e}",
                f"{foreach['param_err']:.1e}",
                f"{as_list['param_err']:.1e}",
                f"{state:.1e}",
            )
        )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return (
            "| "
            + " | ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    worst = max(float(r[c]) for r in rows for c in (2, 3, 4))
    print()
    print(f"largest parameter error: {worst:.1e}")


if __name__ == "__main__":
    main()
