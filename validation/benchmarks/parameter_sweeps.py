r"""Do the default recipes hold up when the equation's parameter changes? Error vs parameter per learner.

Each benchmark equation's main parameter is swept over a factor of 5 either
side of its benchmark value, and each learner runs with its *default*
recipe (``create_learner(name, seed=s)``, nothing tuned) against the
toolkit's classical reference (``validation.compare``):

==================  ================  ===========================  =====================
equation            parameter         values                       learners
==================  ================  ===========================  =====================
convection          ``beta``          6, 30, 150                   pinn, lpinn
Helmholtz           ``a1`` (a2 = 1)   1, 4, 20                     pinn, pig
Burgers             ``nu``            0.01/pi x (1/5, 1, 5)        pinn
reaction            ``rho``           1, 5, 25                     pinn
Allen--Cahn         ``d``             2e-5, 1e-4, 5e-4             pinn
==================  ================  ===========================  =====================

Cells are resumable (:mod:`validation.benchmarks.learner_table`); the plot
``benchmarks/results/parameter_sweeps.png`` shows the error against the
parameter, one panel per equation, one line per learner::

    python -m validation.benchmarks.parameter_sweeps --seeds 0
    python -m validation.benchmarks.parameter_sweeps --plot-only
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validation.benchmarks import learner_table, summary
from validation.benchmarks.learner_table import Row
from validation.benchmarks.suite import SUITES, Suite

NAME = "parameter_sweeps"
FACTOR = 5.0


@dataclass(frozen=True)
class Sweep:
    """One equation's parameter sweep: the spec's name and parameter, its benchmark value, the learners."""

    key: str
    label: str
    equation: str
    parameter: str
    benchmark: float
    learners: tuple[str, ...]
    fixed: tuple[tuple[str, Any], ...] = ()
    integer: bool = False

    def values(self) -> list[float]:
        values = [self.benchmark / FACTOR, self.benchmark, self.benchmark * FACTOR]
        return [float(round(v)) if self.integer else v for v in values]


SWEEPS = (
    Sweep("convection", "convection", "Convection", "beta", 30.0, ("pinn", "lpinn")),
    Sweep("helmholtz", "Helmholtz (a1, 1)", "Helmholtz", "a1", 4.0, ("pinn", "pig"), integer=True),
    Sweep("burgers", "Burgers", "Burgers", "nu", 0.01 / math.pi, ("pinn",)),
    Sweep("reaction", "reaction", "Reaction", "rho", 5.0, ("pinn",)),
    Sweep("allen_cahn", "Allen–Cahn", "AllenCahn", "d", 1e-4, ("pinn",)),
)


def _builder(sweep: Sweep, value: float) -> Callable[[], Any]:
    def build() -> Any:
        import equations

        cls = getattr(equations, sweep.equation)
        return cls(**{sweep.parameter: int(value) if sweep.integer else value, **dict(sweep.fixed)})

    return build


def row_key(sweep: Sweep, value: float) -> str:
    return f"{sweep.key}:{sweep.parameter}={value:.6g}"


def _rows() -> list[Row]:
    return [Row(row_key(s, v), f"{s.label}, {s.parameter} = {v:.3g}", _builder(s, v),
                {name: ({} if name == "pinn" else {"learner": name}) for name in s.learners})
            for s in SWEEPS for v in s.values()]


def plot(results_path: str | Path) -> Path | None:
    """Error vs parameter, one panel per sweep, one line (median over seeds) per learner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from sciml.core.atomic import atomic_write

    path = Path(results_path)
    if not path.exists():
        return None
    runs = json.loads(path.read_text())["runs"]
    fig, axes = plt.subplots(1, len(SWEEPS), figsize=(3.2 * len(SWEEPS), 3.0), squeeze=False)
    for ax, sweep in zip(axes[0], SWEEPS):
        for learner in sweep.learners:
            xs, ys = [], []
            for v in sweep.values():
                errs = [r["rel_l2"] for r in runs if r["row"] == row_key(sweep, v) and r["column"] == learner
                        and math.isfinite(r["rel_l2"])]
                if errs:
                    xs.append(v)
                    ys.append(float(np.median(errs)))
            if xs:
                ax.loglog(xs, ys, "o-", label=learner)
        ax.axvline(sweep.benchmark, color="0.6", lw=0.8, ls=":")
        ax.set_title(sweep.label, fontsize=9)
        ax.set_xlabel(sweep.parameter)
        ax.grid(True, which="both", lw=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    axes[0][0].set_ylabel("relative L2 (median over seeds)")
    fig.tight_layout()
    out = path.with_suffix(".png")
    atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = "benchmarks/results/parameter_sweeps.json"
    if "--out" in args:
        out = args[args.index("--out") + 1]
    if "--plot-only" in args:
        print(plot(out))
        return 0
    # the cells are learners at their defaults, not tuned recipes: stored as such
    code = learner_table.main(args, _rows, NAME, __doc__ or "", recipes_key="default_learners")
    print(plot(out))
    return code


SUITES.register(NAME, Suite(
    NAME, "Default recipes over a factor of 5 of each equation's parameter", summary.summarise_learner_table,
    quick=("--smoke", "--seeds", "0", "--fresh", "--rows", "reaction:rho=5"),
))


if __name__ == "__main__":
    sys.exit(main())
