"""Equation specs: registry, validation, domains, geometry, and residuals of closed forms."""

import math

import numpy as np
import pytest
import torch

import equations
from equations import (
    Box,
    Burgers,
    Convection,
    InvalidParameterError,
    Jet,
    LShapePoisson,
    PeakPoisson,
    Poisson2D,
    Polygon,
    Reaction,
    UnknownNameError,
    create,
)
from sciml.field.derivatives import DerivativePlan, autodiff_jet


def test_registry_round_trip():
    assert {"burgers", "convection", "poisson", "poisson_lshape"} <= set(equations.available())
    eq = create("convection", beta=50.0, nu=0.01)
    assert eq == Convection(beta=50.0, nu=0.01) and eq.parameters() == {"beta": 50.0, "nu": 0.01}
    with pytest.raises(UnknownNameError, match="registered equations: allen_cahn, antiderivative, burgers"):
        create("navier")
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        create("burgers", viscosity=0.1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Burgers(nu=0.0), "nu must be a positive"),
        (lambda: Burgers(nu=math.nan), "nu must be a positive"),
        (lambda: Convection(nu=-1.0), "nu must be >= 0"),
        (lambda: Convection(beta=math.inf), "beta must be a finite"),
        (lambda: Poisson2D(kx=0), "kx must be an integer >= 1"),
        (lambda: LShapePoisson(f=math.nan), "f must be a finite"),
        (lambda: PeakPoisson(k=2.0), "k must be a finite number >= 16"),
        (lambda: Reaction(rho=math.nan).exact({}), "rho"),
        (lambda: Reaction(nu=0.1).exact({"x": 0.0, "t": 0.0}), "closed form holds for nu = 0"),
        (lambda: Box(("x",), (1.0,), (1.0,), (False,)), "empty"),
        (lambda: Polygon.from_vertices([(0, 0), (1, 1)]), "at least 3 vertices"),
        (lambda: Burgers().domain.grid((10,)), "resolution needs 2 entries"),
        (lambda: Burgers().domain.grid((10, 1)), "integer >= 2"),
    ],
)
def test_invalid_parameters_name_the_problem(make, message):
    with pytest.raises(InvalidParameterError, match=message):
        make()


def test_grids_include_ends_except_periodic():
    g = Convection().domain.grid((8, 5))
    assert g["x"][0] == 0 and g["x"][-1] < 2 * np.pi and len(g["x"]) == 8
    assert g["t"][0] == 0 and g["t"][-1] == 1
    b = Burgers().domain.grid((5, 3))
    np.testing.assert_array_equal(b["x"], [-1, -0.5, 0, 0.5, 1])


def test_lshape_geometry():
    space = LShapePoisson().domain.space
    pts = np.array([[0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [0.0, 0.5], [1.0, -1.0], [1.1, 0.0]])
    np.testing.assert_array_equal(space.contains(pts), [False, True, True, True, True, False])
    b = space.boundary_from_unit(np.linspace(0, 1, 200, endpoint=False))
    assert space.contains(b).all()
    # every boundary point lies on one of the six edges
    on_edge = (np.isclose(np.abs(b[:, 0]), 1) | np.isclose(np.abs(b[:, 1]), 1)
               | (np.isclose(b[:, 0], 0) & (b[:, 1] >= 0)) | (np.isclose(b[:, 1], 0) & (b[:, 0] >= 0)))
    assert on_edge.all()


def test_jet_keys_are_order_free():
    jet = Jet(np.zeros(2), {"tx": np.ones(2)})
    np.testing.assert_array_equal(jet["xt"], np.ones(2))
    with pytest.raises(KeyError, match="'xx' was not computed"):
        jet["xx"]


@pytest.mark.parametrize(
    "eq", [Convection(beta=30.0, nu=0.05), Poisson2D(kx=2, ky=3), Reaction(rho=5.0), PeakPoisson(k=100.0)]
)
def test_exact_solutions_satisfy_the_residual(eq):
    """The residual written once in the spec vanishes on the closed form (torch autodiff, float64)."""
    names = eq.domain.names
    lo, hi = np.array(eq.domain.bounds).T
    x = torch.as_tensor(np.random.default_rng(0).uniform(lo, hi, (64, len(names))))
    plan = DerivativePlan(names, eq.derivatives)
    jet = autodiff_jet(lambda p: eq.exact(dict(zip(names, p))), x, plan)
    r = eq.residual({n: x[:, k] for k, n in enumerate(names)}, jet)
    assert torch.abs(r).max() < 1e-9


def test_specs_work_on_numpy_and_torch_alike():
    eq = Convection(beta=5.0)
    c = {"x": np.linspace(0, 6, 7), "t": np.full(7, 0.3)}
    ct = {k: torch.as_tensor(v) for k, v in c.items()}
    np.testing.assert_allclose(eq.exact(c), eq.exact(ct).numpy())
