"""Run every benchmark suite at its full budget (see BENCHMARKS.md); several hours on a 2-core CPU.

    python -m validation.benchmarks                    # all suites, one after the other
    python -m validation.benchmarks pig_problems mgno_darcy   # only these
"""

import importlib
import sys

SUITES = ("burgers_pinn", "lshape_pinn", "poisson_solvers", "pinn_hard_cases", "pig_problems",
          "deeponet_antiderivative", "deeponet_operators", "mgno_darcy", "neural_cg")


def main(argv: list[str]) -> int:
    unknown = [s for s in argv if s not in SUITES]
    if unknown:
        print(f"unknown suite(s) {unknown}; choose from {list(SUITES)}", file=sys.stderr)
        return 2
    for name in argv or SUITES:  # sequential: timings are never taken side by side
        status = importlib.import_module(f"validation.benchmarks.{name}").main([])
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
