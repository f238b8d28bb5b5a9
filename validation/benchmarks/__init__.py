"""Benchmark suites that reproduce the papers' tables against the peers, in one run each.

    python -m validation.benchmarks            # every suite at its full budget
    python -m validation.benchmarks.burgers_pinn --seeds 0 1 2
"""
