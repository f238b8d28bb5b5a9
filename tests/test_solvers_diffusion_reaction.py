"""Diffusion--reaction batch solver: second-order convergence to a manufactured solution, batch independence."""

from __future__ import annotations

import numpy as np
import pytest

from equations.errors import InvalidDataError, InvalidParameterError
from solvers.diffusion_reaction import diffusion_reaction

D, K = 0.1, 1.0  # stronger than the dataset's 0.01 so both terms matter in the error


def _exact(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x)[:, None] * np.sin(np.pi * t)[None, :]


def _source(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``f = s_t - D s_xx - K s^2`` for ``s = sin(pi x) sin(pi t)``, shape ``(len(t), len(x))``."""
    s = _exact(x, t)
    s_t = np.pi * np.sin(np.pi * x)[:, None] * np.cos(np.pi * t)[None, :]
    return (s_t + D * np.pi**2 * s - K * s**2).T


def test_second_order_convergence_to_a_manufactured_solution() -> None:
    errors = []
    for n in (16, 32, 64):
        x, t = np.linspace(0, 1, n + 1), np.linspace(0, 1, n + 1)
        s = diffusion_reaction(_source(x, t)[None], n, diffusion=D, reaction=K)[0]
        errors.append(np.max(np.abs(s - _exact(x, t))))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] < 1e-3
    assert np.all(orders > 1.9), (errors, orders)


def test_samples_do_not_depend_on_the_batch_and_save_every_subsamples() -> None:
    rng = np.random.default_rng(0)
    u = rng.standard_normal((3, 21))
    batch = diffusion_reaction(u, 40)
    assert batch.shape == (3, 21, 41)
    assert np.all(batch[:, :, 0] == 0) and np.all(batch[:, [0, -1], :] == 0)
    assert np.array_equal(batch[1:2], diffusion_reaction(u[1:2], 40))
    assert np.array_equal(batch[:, :, ::4], diffusion_reaction(u, 40, save_every=4))


def test_bad_input_raises_typed_errors() -> None:
    with pytest.raises(InvalidParameterError, match="nt"):
        diffusion_reaction(np.zeros((1, 5)), 0)
    with pytest.raises(InvalidParameterError, match="save_every"):
        diffusion_reaction(np.zeros((1, 5)), 10, save_every=3)
    with pytest.raises(InvalidParameterError, match="diffusion"):
        diffusion_reaction(np.zeros((1, 5)), 10, diffusion=0.0)
    with pytest.raises(InvalidDataError, match="NaN"):
        diffusion_reaction(np.full((1, 5), np.nan), 10)
    with pytest.raises(InvalidDataError, match="converge"):  # k s^2 blows up in finite time
        diffusion_reaction(np.full((1, 9), 50.0), 10, reaction=10.0, t_final=5.0)
