"""A user's own PDE, end to end: stated in a script, solved by the generic reference and a PINN (Python and CLI).

None of the specs here is known to the package; each has a closed form, so
both the generic reference and the PINN are checked against the truth.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from equations import (
    Box,
    DirichletCondition,
    Domain,
    Equation,
    InitialCondition,
    NeumannCondition,
    OnPlane,
    Polygon,
    TimeInterval,
)
from equations.errors import InvalidParameterError, UnknownNameError
from equations.loading import load_spec, spec_class
from equations.namespace import namespace
from sciml import PINN, Collocation, Optimiser
from validation import compare
from validation.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own_pde.py"


@dataclass(frozen=True)
class HeatSource(Equation):
    """u_t = 0.2 u_xx + f on [0, 1] x [0, 1], u = e^-t sin(pi x) + x; u_x = 1 + pi e^-t cos(pi) ... at x = 1."""

    derivatives = ("t", "xx")
    default_resolution = (33, 11)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)), TimeInterval(0.0, 1.0))

    @staticmethod
    def exact(c):
        return namespace(c["x"]).exp(-c["t"]) * namespace(c["x"]).sin(math.pi * c["x"]) + c["x"]

    def residual(self, c, u):
        xp = namespace(c["x"])
        f = xp.exp(-c["t"]) * xp.sin(math.pi * c["x"]) * (0.2 * math.pi**2 - 1.0)
        return u["t"] - 0.2 * u["xx"] - f

    def conditions(self):
        return (InitialCondition(self.exact), DirichletCondition(self.exact, where=OnPlane("x", 0.0)),
                NeumannCondition(lambda c: 1.0 - math.pi * namespace(c["t"]).exp(-c["t"]), where=OnPlane("x", 1.0)))


@dataclass(frozen=True)
class Bratu1D(Equation):
    """u'' + e^u = f with u = sin(pi x) / 2 + x / 4 (a nonlinear steady problem), Dirichlet at both ends."""

    derivatives = ("xx",)
    default_resolution = (65,)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    @staticmethod
    def exact(c):
        return 0.5 * namespace(c["x"]).sin(math.pi * c["x"]) + 0.25 * c["x"]

    def residual(self, c, u):
        xp = namespace(c["x"])
        u_star = self.exact(c)
        return u["xx"] + xp.exp(u.value) - (-0.5 * math.pi**2 * xp.sin(math.pi * c["x"]) + xp.exp(u_star))

    def conditions(self):
        return (DirichletCondition(self.exact),)


@dataclass(frozen=True)
class TrianglePoisson(Equation):
    """Laplace u = 0 on a right triangle with u = x^2 - y^2 + x on its boundary (grid-aligned legs)."""

    derivatives = ("xx", "yy")
    default_resolution = (33, 33)

    @property
    def domain(self) -> Domain:
        return Domain(Polygon.from_vertices([(0, 0), (1, 0), (1, 1)]))

    @staticmethod
    def exact(c):
        return c["x"] ** 2 - c["y"] ** 2 + c["x"]

    def residual(self, c, u):
        return u["xx"] + u["yy"]

    def conditions(self):
        return (DirichletCondition(self.exact),)


def _pinn(adam: int, lbfgs: int) -> PINN:
    return PINN(seed=0, hidden=(16, 16), dtype="float64",
                optimiser=Optimiser(adam_steps=adam, lbfgs_iter=lbfgs, compile=False),
                collocation=Collocation(n_residual=128, n_boundary=32, n_initial=32))


@pytest.mark.parametrize("spec, budget, pinn_target", [
    (HeatSource(), (100, 100), 2e-2),  # measured 2.0e-3
    (Bratu1D(), (100, 100), 1e-2),  # measured 8.4e-4
    (TrianglePoisson(), (100, 100), 5e-2),  # measured 8.2e-3
])
def test_a_new_equation_gets_the_generic_reference_and_a_pinn_end_to_end(spec, budget, pinn_target):
    ds = compare(spec, {"pinn": _pinn(*budget)})
    ref = ds["reference"]
    assert ref.attrs["solver"] == "fd" and ds.attrs["equation"] == type(spec).__name__
    mesh = dict(zip(ref.dims, np.meshgrid(*(ref[d].values for d in ref.dims), indexing="ij")))
    truth = np.asarray(np.broadcast_to(spec.exact(mesh), ref.shape), dtype=float)
    inside = np.isfinite(ref.values)
    ref_error = float(np.abs(ref.values - truth)[inside].max())
    assert ref_error < 3e-3  # the generic reference is right...
    assert ref.attrs["error_estimate"] < 10 * ref_error + 1e-8  # ...and says about how right
    rel = float(ds["metrics"].sel(learner="pinn", metric="relative_l2"))
    assert rel < pinn_target, rel  # the PINN learns the same problem the reference solved


def test_spec_references_resolve_names_modules_and_files(tmp_path, monkeypatch):
    assert spec_class("burgers").name == "burgers"
    assert spec_class(f"{EXAMPLE}:NonlinearHeat").__name__ == "NonlinearHeat"
    assert spec_class(str(EXAMPLE)).__name__ == "NonlinearHeat"  # the only spec in the file
    (tmp_path / "my_pdes.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from equations import Box, DirichletCondition, Domain, Equation

        @dataclass(frozen=True)
        class Decay(Equation):
            rate: float = 1.0
            derivatives = ("xx",)

            @property
            def domain(self):
                return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

            def residual(self, c, u):
                return u["xx"] - self.rate * u.value

            def conditions(self):
                return (DirichletCondition(lambda c: 1.0 + 0.0 * c["x"]),)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    eq = load_spec("my_pdes:Decay", rate=4.0)
    assert eq.rate == 4.0 and eq.label == "Decay"
    with pytest.raises(InvalidParameterError, match=r"unknown parameter.*speed"):
        load_spec("my_pdes:Decay", speed=1.0)
    with pytest.raises(UnknownNameError, match="no Equation subclass 'Nope'"):
        spec_class("my_pdes:Nope")
    with pytest.raises(UnknownNameError, match="no file"):
        spec_class("missing_file.py:Decay")
    with pytest.raises(UnknownNameError, match="cannot import module"):
        spec_class("no_such_module_here:Decay")


def test_cli_runs_a_users_spec_file_with_parameters(tmp_path, capsys):
    code = main(["compare", f"{EXAMPLE}:NonlinearHeat", "--param", "source=5", "--resolution", "17", "17",
                 "--set", "adam_steps=5", "--set", "lbfgs_iter=0", "--set", "compile=false", "--no-progress",
                 "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "reference: fd" in out and "estimated error" in out
    ds = xr.load_dataset(tmp_path / "NonlinearHeat.nc", engine="h5netcdf")
    assert ds.attrs["equation"] == "NonlinearHeat" and ds["reference"].attrs["solver"] == "fd"
    assert (tmp_path / "NonlinearHeat.vtu").is_file() and (tmp_path / "NonlinearHeat.png").is_file()
    assert main(["compare", f"{EXAMPLE}:Missing", "--out", str(tmp_path)]) == 2
    assert "no Equation subclass 'Missing'" in capsys.readouterr().err
