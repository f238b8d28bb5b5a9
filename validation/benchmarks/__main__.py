"""Run every benchmark suite at its full budget (see BENCHMARKS.md)."""

import sys

from validation.benchmarks import burgers_pinn, lshape_pinn, poisson_solvers

if __name__ == "__main__":
    sys.exit(burgers_pinn.main([]) or lshape_pinn.main([]) or poisson_solvers.main([]))
