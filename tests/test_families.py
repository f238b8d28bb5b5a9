"""Equation families: the shipped datasets are families solved by ``solvers.solve``, and a user's family gets a dataset.

The pinned fingerprints were computed by the dataset code as it was before the
families (each dataset restating its PDE and calling its solver directly):
the family path must reproduce those files to 1e-6 relative. On the machine
that pinned them: bit for bit for every dataset but diffusion-reaction (3e-16
relative, the rounding of its piecewise-linear interpolation formula). On
another CPU of the same kind (AMD EPYC, same wheels) the GRF inputs differ by
up to 8e-8 relative: the RBF covariance's factorisation is ill-conditioned and
BLAS picks its kernels by CPU, so rounding is amplified; any change of what is
computed would show far above 1e-6.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import solvers
from equations.core import Coords, DirichletCondition, Domain, Equation, Jet, Variable
from equations.errors import InvalidDataError, InvalidParameterError, UnknownNameError
from equations.families import FAMILIES, Family, Member
from equations.geometry import Box
from equations.odes import Antiderivative, interpolate_sensors
from equations.random_fields import rbf_grf_1d, spectral_grf
from validation import datasets
from validation.datasets import build
from validation.datasets.families import family_dataset
from validation.datasets.registry import DATASETS

SHIPPED = ("antiderivative", "burgers", "darcy", "diffusion_reaction", "pendulum")

# (resolution, parameters) of the requests pinned below; n = 3, seed = 0
REQUESTS: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {
    ("antiderivative", 0): (11, {"sensors": 21, "refine": 4}),
    ("antiderivative", 1): (37, {"refine": 3}),
    ("pendulum", 0): (11, {"sensors": 21}),
    ("pendulum", 1): (20, {}),
    ("diffusion_reaction", 0): (9, {"sensors": 21, "refine": 1}),
    ("diffusion_reaction", 1): (17, {"refine": 2}),
    ("burgers", 0): (16, {"refine": 2}),
    ("burgers", 1): (64, {}),
    ("darcy", 0): (9, {}),
    ("darcy", 1): (17, {"refine": 2}),
}
# (sum x^2, sum x w) of the input and of the output, w = sin(1 + k) over the flattened array: made by the
# pre-family code (commit b5b51c7) with the same requests
BEFORE: dict[tuple[str, int], tuple[tuple[float, float], tuple[float, float]]] = {
    ("antiderivative", 0): ((60.53647598053873, -0.6693029404791702), (4.06955340320481, -1.106912299791597)),
    ("antiderivative", 1): ((159.19181347845327, -0.2829222861609528), (12.00206166302918, 0.5894354183536222)),
    ("pendulum", 0): ((30.95243251650573, 0.6789910563690473), (0.6676817687144876, 0.0560242299180686)),
    ("pendulum", 1): ((339.3846456609658, 3.479151799048667), (11.987705944114843, 0.9065223898822136)),
    ("diffusion_reaction", 0): ((30.95243251650573, 0.6789910563690473),
                                (20.167746651853456, -0.2020756277914652)),
    ("diffusion_reaction", 1): ((339.3846456609658, 3.479151799048667), (192.56221052161385, -0.8036827705672378)),
    ("burgers", 0): ((14.671331858489381, 0.7283050191525837), (0.0035843617071588743, 0.0301515611399163)),
    ("burgers", 1): ((44.79730105534445, 0.8705877521329319), (0.013386692683018205, 0.01003418910665909)),
    ("darcy", 0): ((18792.0, 1.2880106338760768), (0.009149001272460223, 0.0028163399797801495)),
    ("darcy", 1): ((66258.0, -38.023877669393016), (0.037730241850435824, 0.0034689269786727936)),
}


def _fingerprint(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sum x^2, sum x w)`` and the scales they are compared at (``sum x^2``, ``sum |x w|``)."""
    a = np.asarray(values, dtype=np.float64).ravel()
    w = np.sin(1.0 + np.arange(a.size))
    return np.array([np.sum(a * a), np.sum(a * w)]), np.array([np.sum(a * a), np.sum(np.abs(a * w))])


@pytest.mark.parametrize("key", sorted(REQUESTS))
def test_shipped_datasets_reproduce_the_data_made_before_the_families(key: tuple[str, int]) -> None:
    name, _ = key
    resolution, params = REQUESTS[key]
    ds = datasets.make(name, 3, resolution=resolution, seed=0, **params)
    assert DATASETS.get(name).family == name
    for var, before in zip(("input", "output"), BEFORE[key]):
        now, scale = _fingerprint(ds[var].values)
        assert np.all(np.abs(now - np.array(before)) <= 1e-6 * scale), (name, var, now, before)


def test_the_shipped_families_are_registered() -> None:
    assert set(SHIPPED) <= set(FAMILIES.names())
    with pytest.raises(UnknownNameError, match="registered families: antiderivative"):
        FAMILIES.get("no_such_family")
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        FAMILIES.create("darcy", nu=1.0)
    with pytest.raises(InvalidParameterError, match="a_plus"):
        FAMILIES.create("darcy", a_plus=-1.0)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_family_draws_members_of_its_spec_from_a_seed(name: str) -> None:
    family = FAMILIES.create(name)
    points = 9
    member = family.sample(3, points)
    again = family.sample(np.random.default_rng(3), points)
    assert isinstance(member, Member) and type(member.equation) is family.equation
    assert member.equation == again.equation and np.array_equal(member.input, again.input)
    grid = family.input_grid(points)
    assert tuple(grid) == family.input_dims and member.input.shape == tuple(len(v) for v in grid.values())
    assert not np.array_equal(family.sample(4, points).input, member.input)
    with pytest.raises(InvalidParameterError, match="rng"):
        family.sample(-1, points)


def test_a_dataset_sample_is_its_family_member_solved_by_solvers_solve() -> None:
    ds = datasets.make("darcy", 2, resolution=9, seed=5)
    family = FAMILIES.create("darcy")
    for i in range(2):
        member = family.sample(build.sample_rng(5, i), 9)
        assert np.array_equal(ds["input"].values[i], member.input)
        reference = solvers.solve(member.equation, 9, tol=1e-10)
        assert reference.attrs["solver"] == "multigrid"
        assert np.array_equal(ds["output"].values[i], reference.values)


def test_specs_hold_the_sampled_inputs() -> None:
    """The new spec parameters: validated, and the inputs are what the solver reads."""
    from equations.darcy import Darcy
    from equations.periodic_burgers import PeriodicBurgers

    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    eq = Darcy(permeability=a)
    assert eq.permeability == ((1.0, 2.0, 3.0), (4.0, 5.0, 6.0))
    x, y = np.array([0.0, 0.24, 0.6, 1.0]), np.array([0.0, 0.5, 0.76, 1.0])  # nodes x: 0, 1; y: 0, 0.5, 1
    np.testing.assert_array_equal(eq.coefficient({"x": x, "y": y}), [1.0, 2.0, 6.0, 6.0])
    for bad in ([[1.0, 2.0], [3.0]], [[1.0, -2.0], [3.0, 4.0]], [1.0, 2.0], "ab"):
        with pytest.raises(InvalidParameterError, match="permeability"):
            Darcy(permeability=bad)
    with pytest.raises(InvalidParameterError, match="interpolation"):
        Antiderivative(forcing=(0.0, 1.0), interpolation="quadratic")
    # cubic sensor input: the spline is exact for cubics, and the solver integrates it to 4th order
    sensors = np.linspace(0.0, 1.0, 41)
    cubic = Antiderivative(forcing=1 + sensors - 3 * sensors**3, interpolation="cubic")
    xs = np.linspace(0.0, 1.0, 7)
    np.testing.assert_allclose(cubic.source({"x": xs}), 1 + xs - 3 * xs**3, rtol=0, atol=1e-13)
    s = solvers.solve(cubic, 7).values
    np.testing.assert_allclose(s, xs + xs**2 / 2 - 3 * xs**4 / 4, rtol=0, atol=1e-6)
    # periodic Burgers: the initial values define a band-limited function, read back at its own nodes
    values = np.sin(2 * np.pi * np.arange(8) / 8) + 0.5 * np.cos(4 * np.pi * np.arange(8) / 8)
    burgers = PeriodicBurgers(initial=values)
    xm = np.array([0.1, 0.3, 0.77])
    np.testing.assert_allclose(burgers.initial_value({"x": xm}),
                               np.sin(2 * np.pi * xm) + 0.5 * np.cos(4 * np.pi * xm), rtol=0, atol=1e-13)
    u = solvers.solve(burgers, (8, 3))
    np.testing.assert_array_equal(u.values[:, 0], values)


def test_the_new_specs_state_the_problems_their_solvers_solve() -> None:
    """The generic reference discretises the residual itself: it agrees with the registered solvers."""
    from equations.diffusion_reaction import DiffusionReaction

    if "fd" not in solvers.available(DiffusionReaction()):
        pytest.skip("needs the generic finite-difference fallback solver")
    members = [DiffusionReaction(), FAMILIES.create("diffusion_reaction").sample(0, 21).equation,
               FAMILIES.create("burgers", nu=0.05).sample(1, 64).equation]
    for eq, resolution, tolerance in zip(members, [(33, 33), (33, 33), (64, 11)], [1e-12, 5e-4, 2e-3]):
        fd = solvers.solve(eq, resolution, method="fd", refine=False).values
        reference = solvers.solve(eq, resolution)
        assert reference.attrs["solver"] != "fd"
        assert np.max(np.abs(fd - reference.values)) < tolerance * np.max(np.abs(reference.values)), eq


def test_the_sampled_inputs_evaluate_on_torch_like_on_numpy() -> None:
    """The members' inputs are functions for the learners too: torch tensors, same values, differentiable."""
    torch = pytest.importorskip("torch")
    members = {name: FAMILIES.create(name).sample(0, 9).equation for name in SHIPPED}
    x = np.linspace(0.0, 1.0, 13)
    mesh = dict(zip("xy", np.meshgrid(x, x[::-1], indexing="ij")))
    calls = {
        "antiderivative": lambda c: members["antiderivative"].source(c),
        "pendulum": lambda c: members["pendulum"].source(c),
        "diffusion_reaction": lambda c: members["diffusion_reaction"].source(c),
        "burgers": lambda c: members["burgers"].initial_value(c),
        "darcy": lambda c: members["darcy"].coefficient(c),
    }
    for name, call in calls.items():
        coords = mesh if name == "darcy" else {"x": x}
        tensors = {k: torch.tensor(v, requires_grad=True) for k, v in coords.items()}
        value = call(tensors)
        np.testing.assert_allclose(value.detach().numpy(), call(coords), rtol=0, atol=1e-12, err_msg=name)
        if name == "darcy":  # piecewise constant: no dependence on the points to differentiate
            continue
        value.sum().backward()
        assert tensors["x"].grad is not None and torch.all(torch.isfinite(tensors["x"].grad)), name


# -- a user's families -----------------------------------------------------------------------------------------
@pytest.fixture
def registries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FAMILIES and DATASETS as copies: what a test registers is gone afterwards."""
    for registry in (FAMILIES, DATASETS):
        registry.discover()
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    yield


def test_a_users_family_of_a_shipped_spec_gets_a_dataset(registries: None) -> None:
    """Antiderivatives of a Neumann GRF on the nodes: every default of the generic path, checked exactly."""

    @dataclass(frozen=True)
    class RoughInputs(Family):
        alpha: float = 1.5
        tau: float = 2.0

        name = "test_rough_antiderivative"
        title = "antiderivatives of rough Neumann fields"
        equation = Antiderivative
        input = Variable("u", "1", "integrand u")

        def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
            return spectral_grf(points, 1, rng, alpha=self.alpha, tau=self.tau, boundary="neumann")[0]

        def member(self, values: np.ndarray) -> Equation:
            return Antiderivative(forcing=values)

    spec = family_dataset("test_rough_antiderivative")
    DATASETS.register(spec.name, spec)
    ds = datasets.make("test_rough_antiderivative", 4, resolution=17, seed=1, alpha=2.0)
    assert ds["input"].dims == ("sample", "x") and ds["output"].dims == ("sample", "x")
    assert json.loads(ds.attrs["manifest"])["parameters"] == {"alpha": 2.0, "tau": 2.0}
    x = ds["x"].values
    u, s = ds["input"].values, ds["output"].values
    # the input is piecewise linear between the nodes: its antiderivative is the cumulative trapezoid, exactly
    exact = np.concatenate([np.zeros((4, 1)), np.cumsum(0.5 * (u[:, 1:] + u[:, :-1]) * np.diff(x), axis=1)], axis=1)
    np.testing.assert_allclose(s, exact, rtol=0, atol=1e-14)
    datasets.validate(ds)


@dataclass(frozen=True)
class Screened(Equation):
    r"""``-u'' + u = f`` on ``[0, 1]``, ``u = 0`` at both ends, ``f`` piecewise linear through sensor values.

    Defined here only: no module of the package knows it and no solver is registered for it.
    """

    forcing: tuple[float, ...] = (1.0, 1.0)

    field = Variable("u", "1", "screened potential")
    derivatives = ("xx",)
    default_resolution = (65,)

    @property
    def domain(self) -> Domain:
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def source(self, coords: Coords) -> Any:
        return interpolate_sensors(self.forcing, coords["x"])

    def residual(self, coords: Coords, u: Jet) -> Any:
        return -u["xx"] + u.value - self.source(coords)

    def conditions(self) -> tuple:
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)


@pytest.fixture
def screened_family(registries: None) -> str:
    @dataclass(frozen=True)
    class ScreenedFamily(Family):
        length_scale: float = 0.2

        name = "test_screened"
        title = "-u'' + u = f, f ~ GRF (RBF kernel) at the nodes"
        equation = Screened
        input = Variable("f", "1", "forcing f")

        def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
            return rbf_grf_1d(self.input_grid(points)["x"], 1, self.length_scale, rng)[0]

        def member(self, values: np.ndarray) -> Equation:
            return Screened(forcing=tuple(values))

    spec = family_dataset("test_screened", positive=("length_scale",))
    DATASETS.register(spec.name, spec)
    return spec.name


def test_a_users_family_with_no_solver_written_gets_a_dataset(screened_family: str) -> None:
    if "fd" not in solvers.available(Screened()):
        pytest.skip("needs the generic finite-difference fallback solver ('fd' in solvers.available(spec))")
    n, res = 3, 65
    ds = datasets.make(screened_family, n, resolution=res, seed=2)
    datasets.validate(ds)
    assert ds["output"].attrs["long_name"] == "screened potential" and ds["input"].attrs["long_name"] == "forcing f"
    x, f, u = ds["x"].values, ds["input"].values, ds["output"].values
    h = x[1] - x[0]
    assert np.all(np.isfinite(u)) and np.all(u[:, [0, -1]] == 0.0)
    # the stored output solves the problem: the 3-point residual is O(h^2) against |f| ...
    residual = -(u[:, 2:] - 2 * u[:, 1:-1] + u[:, :-2]) / h**2 + u[:, 1:-1] - f[:, 1:-1]
    assert np.max(np.abs(residual)) < 2e-2 * np.max(np.abs(f))
    # ... and it is the discrete solution of -u'' + u = f to the second-order truncation error
    m = res - 2
    matrix = (np.diag(np.full(m, 2 / h**2 + 1)) - np.diag(np.full(m - 1, 1 / h**2), 1)
              - np.diag(np.full(m - 1, 1 / h**2), -1))
    for i in range(n):
        reference = np.linalg.solve(matrix, f[i, 1:-1])
        assert np.max(np.abs(u[i, 1:-1] - reference)) < 1e-3 * np.max(np.abs(reference)), i
    # the same samples again through the user's own inputs (from_inputs): the generic path from the member on
    mine = datasets.from_inputs(screened_family, f)
    np.testing.assert_allclose(mine["output"].values, u, rtol=0, atol=1e-12)


def test_a_family_that_draws_the_wrong_shape_is_refused(registries: None) -> None:
    @dataclass(frozen=True)
    class Broken(Family):
        name = "test_broken"
        equation = Screened

        def draw(self, rng: np.random.Generator, points: int) -> np.ndarray:
            return np.zeros(points + 1)

        def member(self, values: np.ndarray) -> Equation:
            return Screened(forcing=tuple(values))

    with pytest.raises(InvalidDataError, match=r"input grid's shape \(9,\), got shape \(10,\)"):
        Broken().sample(0, 9)
    spec = family_dataset("test_broken")
    DATASETS.register(spec.name, spec)
    with pytest.raises(InvalidDataError, match="test_broken"):
        datasets.make("test_broken", 1, resolution=9)
