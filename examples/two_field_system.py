"""A system of two PDEs stated in your script: classical reference, PINN, netCDF, VTU and a figure.

A catalytic plate the package has never seen: a reactant of concentration
``c`` enters through the left wall and burns where the plate is hot, releasing
heat ``T`` (an Arrhenius-type rate ``k c exp(T)``):

    -Laplace(T) = q k c exp(T),    -D Laplace(c) + k c exp(T) = 0   on the unit square,

with cold feed on the inlet ``x = 0`` (``T = 0``, ``c = 1``), the other walls
cooled (``dT/dn + Bi T = 0``, a Robin condition) and closed to the reactant
(``dc/dn = 0``). ``compare`` solves
it with the generic finite-difference reference (Newton on the two residuals
below, one block Jacobian) and fits one PINN with two outputs to the same
residuals; the dataset has one variable per field, so the netCDF and the VTU
hold ``T`` and ``c`` side by side.

    python examples/two_field_system.py            # about a minute
    python examples/two_field_system.py --quick    # a few seconds (what the tests run)
    sciml compare examples/two_field_system.py:CatalyticPlate --param heat=3   # the same from the command line
"""

import math
import sys
from dataclasses import dataclass

from equations import (
    Box,
    DirichletCondition,
    Domain,
    Equation,
    NeumannCondition,
    OnPlane,
    RobinCondition,
    Variable,
)
from equations.namespace import namespace
from sciml import PINN, Optimiser
from validation import compare, comparison_figure, save_figure, to_netcdf, to_vtu


@dataclass(frozen=True)
class CatalyticPlate(Equation):
    """Heat ``T`` released by a reactant ``c`` that burns at the rate ``rate * c * exp(T)``."""

    rate: float = 1.0
    heat: float = 2.0
    diffusivity: float = 0.5
    biot: float = 1.0

    fields = (Variable("T", "1", "temperature rise"), Variable("c", "1", "reactant concentration"))
    derivatives = ("xx", "yy")
    default_resolution = (65, 65)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False)))

    def residual(self, coords, f):
        T, c = f["T"], f["c"]
        burning = self.rate * c.value * namespace(T.value).exp(T.value)
        return (-(T["xx"] + T["yy"]) - self.heat * burning, -self.diffusivity * (c["xx"] + c["yy"]) + burning)

    def conditions(self):
        inlet, zero = OnPlane("x", 0.0), (lambda p: 0.0 * p["x"])
        # on the inlet the Dirichlet data win over the conditions stated for the whole boundary
        return (DirichletCondition(zero, where=inlet, field="T"), RobinCondition(zero, self.biot, 1.0, field="T"),
                DirichletCondition(lambda p: 1.0 + 0.0 * p["x"], where=inlet, field="c"),
                NeumannCondition(zero, field="c"))


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    steps = dict(adam_steps=40, lbfgs_iter=20) if quick else dict(adam_steps=2000, lbfgs_iter=2000)
    pinn = PINN(seed=0, hidden=(32, 32, 32), optimiser=Optimiser(**steps, compile=False))
    ds = compare(CatalyticPlate(), learners={"pinn": pinn})
    print(ds["metrics"].sel(learner="pinn").to_pandas())
    for name in ("T", "c"):
        ref = ds[f"reference_{name}"].attrs
        print(f"{name}: reference {ref['solver']}, estimated error {ref['error_estimate']:.2e}; PINN relative L2 "
              f"{float(ds['metrics'].sel(learner='pinn', field=name, metric='relative_l2')):.2e}")
    assert math.isfinite(float(ds["metrics"].sel(learner="pinn", field="T", metric="relative_l2")))
    to_netcdf(ds, "results/examples/two_field_system.nc")
    to_vtu(ds, "results/examples/two_field_system.vtu")
    save_figure(comparison_figure(ds), "results/examples/two_field_system.png")
