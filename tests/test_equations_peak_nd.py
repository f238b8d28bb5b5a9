"""The d-dimensional Gaussian-peak Poisson spec (poisson_peak_nd) and boundary sampling of boxes in 3D and up."""

import numpy as np
import pytest
import torch

from equations import Box, InvalidParameterError, Jet, PeakPoissonND, create
from sciml.field.sampling import PointCounts, collocation_points


@pytest.mark.parametrize("d", [2, 5, 10])
def test_exact_solution_satisfies_the_residual_and_the_boundary_data(d):
    eq = PeakPoissonND(d=d)
    assert eq.domain.names == tuple("xyzabcdefg"[:d]) and eq.domain.bounds == ((-1.0, 1.0),) * d
    # random points, most of them near the peak where the source is large (uniform points in 10D see ~0)
    rng = np.random.default_rng(d)
    x = torch.tensor(np.concatenate([rng.uniform(-1, 1, (20, d)), 0.1 * rng.standard_normal((20, d))]),
                     dtype=torch.float64, requires_grad=True)

    def coords(t):
        return {a: t[:, k] for k, a in enumerate(eq.domain.names)}

    u = eq.exact(coords(x))
    (grad,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    second = {a + a: torch.autograd.grad(grad[:, k].sum(), x, retain_graph=True)[0][:, k]
              for k, a in enumerate(eq.domain.names)}
    r = eq.residual(coords(x), Jet(u, second))
    f = eq.source(coords(x))
    assert float(f.detach().abs().max()) > 1.0  # the check is not trivially on a vanishing source
    torch.testing.assert_close(r, torch.zeros_like(r), atol=1e-10, rtol=0)
    (dirichlet,) = eq.conditions()
    b = collocation_points(eq, PointCounts(4, 64, 0), "sobol", np.random.default_rng(0))["boundary"]
    np.testing.assert_allclose(dirichlet.value({a: b[:, k] for k, a in enumerate(eq.domain.names)}),
                               np.exp(-10.0 * (b**2).sum(1)), rtol=1e-12, atol=0)
    assert (np.abs(b).max(1) == 1.0).all()  # on the faces of [-1, 1]^d


def test_registered_and_bad_dimensions_raise():
    assert create("poisson_peak_nd", d=7).derivatives == ("xx", "yy", "zz", "aa", "bb", "cc", "dd")
    for d in (1, 11, 0, -3, 2.0, 2.5, True, "5", None):
        with pytest.raises(InvalidParameterError, match="d must be an integer from 2 to 10"):
            PeakPoissonND(d=d)


@pytest.mark.parametrize("d", [3, 6])
def test_box_boundary_points_are_uniform_over_the_faces(d):
    lower, upper = (0.0,) * (d - 1) + (-2.0,), (1.0,) * (d - 1) + (2.0,)  # the last axis 4 times longer
    box = Box(tuple("xyzabcdefg"[:d]), lower, upper, (False,) * d)
    b = box.boundary_from_unit(np.random.default_rng(0).random((40000, d - 1)))
    lo, hi = np.array(lower), np.array(upper)
    assert box.contains(b).all()
    on_face = (b == lo) | (b == hi)
    assert (on_face.sum(1) == 1).all()  # on exactly one face (corners have measure zero)
    # faces of axis k have area prod_{j != k} width_j: the last axis's two faces are the smallest
    width = hi - lo
    share = np.repeat(np.prod(width) / width, 2) / (2 * np.sum(np.prod(width) / width))
    counts = np.stack([b == lo, b == hi], axis=2).reshape(len(b), 2 * d).mean(0)
    np.testing.assert_allclose(counts, share, atol=0.01)
    free = b[b[:, 0] == lo[0], 1:]  # uniform along the lower face of axis 0
    np.testing.assert_allclose(free.mean(0), (lo[1:] + hi[1:]) / 2, atol=0.03 * width[1:].max())
    with pytest.raises(InvalidParameterError, match=f"maps \\(n, {d - 1}\\) unit samples"):
        box.boundary_from_unit(np.zeros(5))
