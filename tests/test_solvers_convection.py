"""Exact Fourier solution of periodic convection-diffusion."""

import math

import numpy as np
import pytest

from equations import Convection, InvalidDataError, InvalidParameterError
from solvers import convection_diffusion_periodic, solve


@pytest.mark.parametrize("beta, nu", [(30.0, 0.0), (5.0, 0.2), (-2.0, 1.0)])
def test_matches_closed_form(beta, nu):
    eq = Convection(beta=beta, nu=nu)
    u = solve(eq, (64, 21))
    x, t = np.meshgrid(u.x.values, u.t.values, indexing="ij")
    np.testing.assert_allclose(u.values, eq.exact({"x": x, "t": t}), atol=1e-13)
    assert u.attrs["solver"] == "fourier" and u.x.attrs["periodic"] == "true"


def test_general_data_is_shifted_and_damped():
    n = 128
    x = 2 * math.pi * np.arange(n) / n
    u0 = np.exp(np.cos(x))  # smooth periodic data with many modes
    # pure transport by an integer number of cells is a roll
    shift = 5 * 2 * math.pi / n
    u = convection_diffusion_periodic(u0, 3.0, 0.0, np.array([shift / 3.0]))
    np.testing.assert_allclose(u[:, 0], np.roll(u0, 5), atol=1e-12)
    # diffusion alone damps mode k by exp(-nu k^2 t)
    v = convection_diffusion_periodic(np.cos(4 * x), 0.0, 0.1, np.array([0.0, 0.5]))
    np.testing.assert_allclose(v[:, 1], np.exp(-0.1 * 16 * 0.5) * np.cos(4 * x), atol=1e-14)


def test_bad_input():
    with pytest.raises(InvalidDataError):
        convection_diffusion_periodic(np.array([1.0, np.nan]), 1.0, 0.0, np.array([0.0]))
    with pytest.raises(InvalidParameterError):
        convection_diffusion_periodic(np.ones(8), 1.0, -0.1, np.array([0.0]))
    with pytest.raises(InvalidDataError):
        convection_diffusion_periodic(np.ones(8), 1.0, 0.1, np.array([-1.0]))
