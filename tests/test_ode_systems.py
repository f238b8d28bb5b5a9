"""ODE system families (random parameters, training and extrapolation ranges) and their DOP853 reference."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from equations.errors import ConvergenceError, InvalidDataError, InvalidParameterError, UnknownNameError
from equations.ode_systems import HORIZON, MAX_PARAMETERS, ODE_SYSTEMS, OdeSystemFamily, create
from equations.symbolic import Exp, System, Var, evaluate, quantize_system
from solvers.ode_systems import trajectories, trajectory

u1 = Var(0)

# the right-hand sides written by hand, f(p, u) with u of shape (..., d)
HAND: dict[str, Callable[[dict[str, float], np.ndarray], list[np.ndarray]]] = {
    "logistic": lambda p, u: [p["r"] * u[..., 0] * (1 - u[..., 0] / p["K"])],
    "lotka_volterra": lambda p, u: [p["a"] * u[..., 0] - p["b"] * u[..., 0] * u[..., 1],
                                    p["d"] * u[..., 0] * u[..., 1] - p["c"] * u[..., 1]],
    "damped_oscillator": lambda p, u: [u[..., 1], -p["w"] ** 2 * u[..., 0] - 2 * p["z"] * p["w"] * u[..., 1]],
    "van_der_pol": lambda p, u: [u[..., 1], p["mu"] * (1 - u[..., 0] ** 2) * u[..., 1] - u[..., 0]],
    "duffing": lambda p, u: [u[..., 1], -p["delta"] * u[..., 1] - p["alpha"] * u[..., 0] - p["beta"] * u[..., 0] ** 3],
    "damped_pendulum": lambda p, u: [u[..., 1], -p["k"] * np.sin(u[..., 0]) - p["b"] * u[..., 1]],
    "fitzhugh_nagumo": lambda p, u: [u[..., 0] - u[..., 0] ** 3 / 3 - u[..., 1] + p["I"],
                                     p["eps"] * (u[..., 0] + p["a"] - p["b"] * u[..., 1])],
    "lorenz": lambda p, u: [p["sigma"] * (u[..., 1] - u[..., 0]), u[..., 0] * (p["rho"] - u[..., 2]) - u[..., 1],
                            u[..., 0] * u[..., 1] - p["beta"] * u[..., 2]],
}


def _hand(name: str, family: OdeSystemFamily, values: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.stack(HAND[name](dict(zip(family.parameter_names, values)), u), axis=-1)


def test_the_families_are_registered_with_their_ranges() -> None:
    assert set(ODE_SYSTEMS.names()) == set(HAND)
    for name in ODE_SYSTEMS.names():
        family = create(name)
        assert family.horizon == HORIZON and 1 <= family.dim <= 3 and len(family.initial) == family.dim
        assert 1 <= len(family.parameters) <= MAX_PARAMETERS
        assert all(0 < p.low < p.high and p.long_name for p in family.parameters)
    with pytest.raises(UnknownNameError, match="registered ode_systems: damped_oscillator"):
        create("rossler")
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        create("lorenz", rho=28.0)
    with pytest.raises(InvalidParameterError, match="spread"):
        create("lorenz", spread=-1.0)
    with pytest.raises(InvalidParameterError, match="extrapolate"):
        create("lorenz", extrapolate="yes")


@pytest.mark.parametrize("name", sorted(HAND))
def test_the_symbolic_system_is_the_hand_written_right_hand_side(name: str) -> None:
    family = create(name)
    rng = np.random.default_rng(0)
    for _ in range(5):
        values = family.draw_parameters(rng)
        u = rng.uniform(-3, 3, size=(7, family.dim))
        np.testing.assert_allclose(evaluate(family.system(values), u), _hand(name, family, values, u),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(HAND))
def test_draws_stay_in_their_ranges_and_extrapolation_lies_beyond(name: str) -> None:
    train, beyond = create(name), create(name, extrapolate=True, spread=0.5)
    low, high = train.bounds().T
    np.testing.assert_array_equal(beyond.bounds(), np.stack([high, high + 0.5 * (high - low)], axis=-1))
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b = train.sample(rng), beyond.sample(rng)
        assert np.all((low <= a.parameters) & (a.parameters <= high)) and train.distance(a.parameters) == 0
        assert 0 < beyond.distance(b.parameters) <= 0.5 and np.all(b.parameters > high)
        box = np.array(train.initial)
        assert np.all((box[:, 0] <= a.initial) & (a.initial <= box[:, 1]))
        assert a.system == quantize_system(train.system(a.parameters))  # the rounded system of the draw
    same = train.sample(7)
    assert np.array_equal(same.parameters, train.sample(np.random.default_rng(7)).parameters)


def test_parameter_values_are_validated() -> None:
    family = create("lotka_volterra")
    with pytest.raises(InvalidParameterError, match=r"expected 4 parameters \(a, b, c, d\)"):
        family.system([1.0, 1.0])
    with pytest.raises(InvalidParameterError, match=r"c .*predator death rate.* positive"):
        family.system([1.0, 1.0, -1.0, 1.0])
    with pytest.raises(InvalidParameterError, match="positive finite"):
        family.system([1.0, np.nan, 1.0, 1.0])


@pytest.mark.parametrize("name", sorted(HAND))
def test_members_integrate_like_an_independent_integration_of_the_hand_written_system(name: str) -> None:
    """DOP853 on the tree against scipy's RK45 on the hand-written NumPy right-hand side, both tight."""
    family = create(name, extrapolate=True)
    sample = family.sample(2)
    t = np.linspace(0.0, HORIZON, 31)
    got = trajectory(family.system(sample.parameters), sample.initial, t)
    ref = solve_ivp(lambda _, y: _hand(name, family, sample.parameters, y), (0.0, HORIZON), sample.initial,
                    t_eval=t, rtol=1e-11, atol=1e-11).y.T
    assert np.max(np.abs(got - ref)) < 1e-6 * max(1.0, np.max(np.abs(ref)))


# -- the integrator -----------------------------------------------------------------------------------------------
def test_logistic_matches_its_closed_form() -> None:
    r, k, u0 = 1.3, 2.5, 0.2
    system = create("logistic").system([r, k])
    t = np.linspace(0.0, 6.0, 61)
    exact = k / (1 + (k / u0 - 1) * np.exp(-r * t))
    got = trajectory(system, [u0], t)
    assert got.shape == (61, 1) and got[0, 0] == u0
    assert np.max(np.abs(got[:, 0] - exact)) < 1e-7


def _oscillator(w: float, z: float, x0: float, v0: float, t: np.ndarray) -> np.ndarray:
    wd = w * np.sqrt(1 - z * z)
    a, b = x0, (v0 + z * w * x0) / wd
    decay = np.exp(-z * w * t)
    x = decay * (a * np.cos(wd * t) + b * np.sin(wd * t))
    v = decay * ((-z * w * a + wd * b) * np.cos(wd * t) + (-z * w * b - wd * a) * np.sin(wd * t))
    return np.stack([x, v], axis=-1)


def test_damped_oscillator_matches_its_closed_form_and_honours_rtol() -> None:
    w, z, x0, v0 = 2.2, 0.15, 0.7, -0.4
    system = create("damped_oscillator").system([w, z])
    t = np.linspace(0.0, 6.0, 61)
    exact = _oscillator(w, z, x0, v0, t)
    assert np.max(np.abs(trajectory(system, [x0, v0], t) - exact)) < 1e-7
    errors = []
    for rtol in (1e-4, 1e-6, 1e-8):
        got = trajectory(system, [x0, v0], t, rtol=rtol, atol=rtol * 1e-3)
        errors.append(np.max(np.abs(got - exact)))
        assert errors[-1] < 3 * rtol * np.max(np.abs(exact))  # measured: 0.8, 1.0, 1.0 times rtol
    assert errors[0] > errors[1] > errors[2]


def test_a_batch_is_each_sample_solved_on_its_own() -> None:
    systems = [create(name).sample(i).system for i, name in enumerate(["logistic", "lorenz", "duffing"])]
    starts = [np.array([0.5]), np.array([1.0, -2.0, 5.0]), np.array([0.3, 0.1])]
    t = np.linspace(0.0, 2.0, 9)
    out = trajectories(systems, starts, t, pad_to=3)
    assert out.shape == (3, 9, 3)
    for i, (system, y0) in enumerate(zip(systems, starts)):
        np.testing.assert_array_equal(out[i, :, : system.dim], trajectory(system, y0, t))
        assert np.all(out[i, :, system.dim:] == 0)
    same = trajectories(systems[2], [starts[2], starts[2] * 2], t)
    assert same.shape == (2, 9, 2)
    with pytest.raises(InvalidDataError, match="give pad_to"):
        trajectories(systems, starts, t)
    with pytest.raises(InvalidParameterError, match="unknown option"):
        trajectories(systems[2], [starts[2]], t, method="RK45")


def test_failures_raise_typed_errors_never_a_wrong_array() -> None:
    t = np.linspace(0.0, 2.0, 5)
    blowup = System((u1**2,))  # u = 1 / (1 - t)
    with pytest.raises(ConvergenceError, match=r"exceeded the bound 1000 at t = 0\.999"):
        trajectory(blowup, [1.0], t, bound=1e3)
    with pytest.raises(ConvergenceError, match="more than 1000 evaluations"):
        trajectory(System((-1e7 * (u1 - 1.0),)), [0.0], t, max_evaluations=1000)  # stiff for an explicit method
    with pytest.raises(ConvergenceError, match="overflow"):
        trajectory(System((Exp(Exp(u1)),)), [7.0], t)
    out = trajectories(blowup, [[1.0], [0.1]], t, on_failure="nan", bound=1e3)
    assert np.all(np.isnan(out[0])) and np.allclose(out[1, :, 0], 0.1 / (1 - 0.1 * t), rtol=1e-8)
    with pytest.raises(ConvergenceError, match="sample 0"):
        trajectories(blowup, [[1.0], [0.1]], t, bound=1e3)
    with pytest.raises(InvalidDataError, match="increasing"):
        trajectory(blowup, [0.1], t[::-1])
    with pytest.raises(InvalidDataError, match="initial must be 1 finite"):
        trajectory(blowup, [0.1, 0.2], t)
    with pytest.raises(InvalidParameterError, match="rtol"):
        trajectory(blowup, [0.1], t, rtol=1.0)
    np.testing.assert_array_equal(trajectory(blowup, [0.1], [0.0]), [[0.1]])


def test_every_family_stays_bounded_and_cheap_in_both_modes() -> None:
    """A small version of the sweep behind the ranges (1000 members per family and mode: max |u| 32.6)."""
    t = np.linspace(0.0, HORIZON, 13)
    for name in ODE_SYSTEMS.names():
        for extrapolate in (False, True):
            family = create(name, extrapolate=extrapolate)
            rng = np.random.default_rng(3)
            for _ in range(8):
                sample = family.sample(rng)
                u = trajectory(sample.system, sample.initial, t, bound=40.0, max_evaluations=4000)
                assert np.all(np.isfinite(u))
