"""Your own PDE: state it in your script, get a classical reference and a PINN, with no solver written.

A nonlinear heat conduction problem the package has never seen,
``-div((1 + u^2) grad u) = f`` on the unit square, held at ``u = 0`` on the
left and bottom, insulated on the top (``du/dn = 0``), with a convective
(Robin) right side ``u + du/dn = 1/2``. No module of the package knows it:
``compare`` solves it with the generic finite-difference reference (Newton on
the residual written below) and fits a PINN to the same residual.

    python examples/own_pde.py            # the quick budget (about a minute)
    python examples/own_pde.py --quick    # a few seconds (what the tests run)
    sciml compare examples/own_pde.py:NonlinearHeat --param source=5  # the same from the command line
"""

import sys
from dataclasses import dataclass

from equations import Box, DirichletCondition, Domain, Equation, NeumannCondition, OnPlane, RobinCondition, Variable
from sciml import PINN, Optimiser
from validation import compare, comparison_figure, save_figure, to_netcdf, to_vtu


@dataclass(frozen=True)
class NonlinearHeat(Equation):
    """-div((1 + u^2) grad u) = source on the unit square."""

    source: float = 10.0

    field = Variable("u", "K", "temperature")
    derivatives = ("x", "y", "xx", "yy")
    default_resolution = (65, 65)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def residual(self, coords, u):
        k, dk = 1.0 + u.value**2, 2.0 * u.value  # conductivity and its derivative in u
        return k * (u["xx"] + u["yy"]) + dk * (u["x"] ** 2 + u["y"] ** 2) + self.source

    def conditions(self):
        zero = lambda c: 0.0 * c["x"]  # noqa: E731
        return (DirichletCondition(zero, where=OnPlane("x", 0.0)), DirichletCondition(zero, where=OnPlane("y", 0.0)),
                NeumannCondition(zero, where=OnPlane("y", 1.0)),
                RobinCondition(lambda c: 0.5 + 0.0 * c["x"], alpha=1.0, beta=1.0, where=OnPlane("x", 1.0)))


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    steps = dict(adam_steps=40, lbfgs_iter=20) if quick else dict(adam_steps=2000, lbfgs_iter=1500)
    pinn = PINN(seed=0, hidden=(32, 32, 32), optimiser=Optimiser(**steps, compile=False))
    ds = compare(NonlinearHeat(), learners={"pinn": pinn})
    reference = ds["reference"].attrs
    print(ds["metrics"].to_pandas())
    print(f"reference: {reference['solver']}, Newton {reference['newton_iterations']} iterations, "
          f"estimated error {reference['error_estimate']:.2e} (observed order {reference['observed_order']:.2f})")
    to_netcdf(ds, "results/examples/own_pde.nc")
    to_vtu(ds, "results/examples/own_pde.vtu")
    save_figure(comparison_figure(ds), "results/examples/own_pde.png")
