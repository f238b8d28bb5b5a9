r"""The Deep Ritz method (E & Yu 2018): a network that minimises the energy of a variational spec.

For a :class:`~equations.variational.VariationalEquation` with energy
``E(u) = int_Omega L(x, u, grad u) - f u dx``, the loss is the Monte-Carlo mean
of the energy density ``L - f u`` over the residual points (a fresh set every
step by default: an unbiased estimate of ``E / |Omega|``), plus the penalties
of the conditions the network does not meet exactly (Dirichlet data as
``mean (u - g)^2``, weighted by ``weights["boundary"]``), or none with an
ansatz ``u = g + d N`` (``constraints="hard"``). Only first derivatives are
taken, where a PINN on the Euler--Lagrange residual needs second ones; the
two learn the same spec side by side in ``compare``.

:class:`DeepRitz` is a :class:`~sciml.field.pinn.PINN` with that loss: the
same networks (two-layer wide networks included, ``hidden=(m,)``), embeddings,
Adam then L-BFGS, checkpoints and save/load.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from equations.core import Equation
from equations.errors import SpecMismatchError
from equations.variational import VariationalEquation, check_convex_in_gradient
from sciml.field.config import Collocation, Optimiser
from sciml.field.derivatives import DerivativePlan
from sciml.field.pinn import PINN
from sciml.field.pinn_objective import PINNObjective


class RitzObjective(PINNObjective):
    """The PINN objective with the mean energy density as the PDE's loss part (``"energy"``)."""

    def jet_keys(self) -> tuple[str, ...]:
        """The energy reads the value and the first derivatives only."""
        return tuple(self.eq.domain.space.names)

    def physics_parts(self, report: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{"energy": mean of L - f u}`` over the residual points."""
        u = self.u_jet(self.x["residual"], self.ansatz_jets)
        eq = self.eq
        assert isinstance(eq, VariationalEquation)  # DeepRitz checks
        return {"energy": eq.energy_density(self.coords, u).mean()}  # type: ignore[arg-type]

    def loss_names(self) -> list[str]:
        """``energy`` in place of the residual, then the conditions' parts."""
        return ["energy", *super().loss_names()[len(self.residual_names):]]

    def residual_at(self, points: np.ndarray) -> np.ndarray:
        """``|r|`` of the Euler--Lagrange residual at ``points`` (second derivatives taken here only)."""
        x = self._tensor(points)
        full = DerivativePlan(self.names, tuple(self.eq.derivatives))
        with torch.no_grad():
            jet = self.u_jet(x, plan=full)
            r = functools.reduce(operator.add, [r.abs() for r in self.residuals(self._coords(x), jet)])
            return r.double().cpu().numpy()


class DeepRitz(PINN):
    """Energy minimisation (Deep Ritz) for a variational spec; the parameters of :class:`~sciml.field.pinn.PINN`.

    The defaults differ where the energy asks for it: fresh Sobol residual
    points every Adam step (the Monte-Carlo quadrature is redrawn, no adaptive
    placement), 5000 Adam steps at 1e-3 decaying to 1e-5 and no L-BFGS, and a
    boundary penalty weight of 100 when the conditions are soft (the energy's
    scale is that of ``L``, not of a squared residual). L-BFGS on a fixed
    point set overfits the quadrature -- the network lowers the sampled energy
    between the points it is not asked about: on ``-Laplace(u) + u^3 = f``
    (hard constraints, 24 x 24 tanh) 500 and 1000 L-BFGS iterations after 1000
    and 3000 Adam steps left relative L2 errors of 0.36 and 0.99, 3000 Adam
    steps alone 4.7e-3 (``Optimiser(lbfgs_resample=True)`` redraws the points
    during L-BFGS too). The low final rate averages out the Monte-Carlo noise
    of the energy: on the p-Laplacian (p = 4, 3, 1.5; 32 x 32 x 32 tanh,
    3000 steps) decaying to 1e-5 instead of 1e-4 took the relative L2 error
    from 0.64, 0.25, 0.040 to 5.1e-3, 4.8e-3, 5.7e-3.

    Raises
    ------
    SpecMismatchError
        At ``fit``: the spec is not a :class:`~equations.variational.VariationalEquation`
        (a spec without an energy: use the PINN), it is a system, or its
        Lagrangian is not convex in ``grad u`` at a probe point
        (:func:`equations.variational.check_convex_in_gradient`).
    """

    name = "deep_ritz"
    fits_systems: ClassVar[bool] = False
    objective_class: ClassVar[type[PINNObjective]] = RitzObjective
    budgets: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"adam_steps": 1500},
    }
    configs: ClassVar[dict[str, Any]] = {
        **PINN.configs,
        "collocation": Collocation(n_residual=2048, n_boundary=256, n_initial=0, sampling="sobol", resample_every=1,
                                   adaptive=None, rar_points=None, aas_steps=50, aas_uniform=0.2, aas_beta=1.0),
        "optimiser": Optimiser(adam_steps=5000, lr=1e-3, final_lr=1e-5, warmup_steps=0, lbfgs_iter=0,
                               lbfgs_dtype="float64", lbfgs_resample=False, compile="auto", stall_rtol=None,
                               stall_window=1000),
    }
    #: the boundary penalty weight when ``weights`` does not give one
    BOUNDARY_WEIGHT = 100.0

    def _objective(self, equation: Equation, points: Mapping[str, np.ndarray] | None,
                   fitted: Mapping[str, Any] | None = None) -> PINNObjective:
        if not isinstance(equation, VariationalEquation):
            raise SpecMismatchError(f"{equation.label} states no energy (it is not a VariationalEquation): the Deep "
                                    "Ritz method minimises one; fit a PINN on its residual instead")
        if fitted is None:
            check_convex_in_gradient(equation, np.random.default_rng(0))
        objective = super()._objective(equation, points, fitted)
        if fitted is None:  # the conditions' penalties: BOUNDARY_WEIGHT unless the user weighs them
            given = dict(self.weights or {})
            objective.weights = {k: given.get(k, self.BOUNDARY_WEIGHT) for k in objective.loss_names()
                                 if k != "energy"} | {k: v for k, v in given.items() if k == "energy"}
        return objective
