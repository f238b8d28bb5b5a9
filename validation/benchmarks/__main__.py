"""Run every benchmark suite at its full budget (see BENCHMARKS.md); several hours on a 2-core CPU.

    python -m validation.benchmarks                    # all registered suites, one after the other
    python -m validation.benchmarks pig_problems mgno_darcy   # only these

The suites are those registered in :data:`validation.benchmarks.suite.SUITES`.
"""

import importlib
import sys

from validation.benchmarks.suite import SUITES


def main(argv: list[str]) -> int:
    unknown = [s for s in argv if s not in SUITES]
    if unknown:
        print(f"unknown suite(s) {unknown}; choose from {list(SUITES.names())}", file=sys.stderr)
        return 2
    for name in argv or SUITES.names():  # sequential: timings are never taken side by side
        status = importlib.import_module(SUITES.get(name).module).main([])
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
