"""Outward unit normals of boundary points (``Geometry.normals``): boxes and polygons."""

import numpy as np
import pytest

from equations import InvalidParameterError
from equations.geometry import Box, Geometry, Polygon

L_SHAPE = [(-1.0, -1.0), (1.0, -1.0), (1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (-1.0, 1.0)]


def test_interval_normals_point_out_of_both_ends():
    box = Box(("x",), (0.0,), (2.0,), (False,))
    np.testing.assert_array_equal(box.normals(np.array([[0.0], [2.0], [1e-12], [2.0 - 1e-12]])),
                                  [[-1.0], [1.0], [-1.0], [1.0]])
    np.testing.assert_array_equal(box.normals(np.array([0.0, 2.0])), [[-1.0], [1.0]])  # 1D: a vector of x is fine


def test_box_normals_faces_and_corners():
    box = Box(("x", "y"), (0.0, -1.0), (2.0, 1.0), (False, False))
    faces = np.array([[0.0, 0.3], [2.0, -0.2], [1.1, -1.0], [0.7, 1.0], [1.999, 0.9999]])
    np.testing.assert_array_equal(box.normals(faces), [[-1, 0], [1, 0], [0, -1], [0, 1], [0, 1]])
    # corners: the first of the equally near faces in the order x-lower, x-upper, y-lower, y-upper
    corners = np.array([[0.0, -1.0], [2.0, -1.0], [2.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(box.normals(corners), [[-1, 0], [1, 0], [1, 0], [-1, 0]])


def test_box_normals_of_sampled_boundary_are_unit_outward():
    box = Box(("x", "y", "z"), (0.0, 0.0, 0.0), (1.0, 2.0, 3.0), (False, False, False))
    rng = np.random.default_rng(0)
    pts = rng.uniform(box.lower, box.upper, (200, 3))
    axis = rng.integers(0, 3, 200)
    upper = rng.random(200) < 0.5
    pts[np.arange(200), axis] = np.where(upper, np.asarray(box.upper)[axis], np.asarray(box.lower)[axis])
    n = box.normals(pts)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0)
    # a small step along the normal leaves the box, a step against it enters
    assert not box.contains(pts + 1e-3 * n).any()
    assert box.contains(pts - 1e-3 * n).all()


@pytest.mark.parametrize("orientation", [1, -1], ids=["counter-clockwise", "clockwise"])
def test_polygon_normals_are_outward_for_either_orientation(orientation):
    poly = Polygon.from_vertices(L_SHAPE[::orientation])
    pts = np.array([[0.0, -1.0], [1.0, -0.5], [0.5, 0.0], [0.0, 0.5], [-0.5, 1.0], [-1.0, 0.0]])
    np.testing.assert_array_equal(poly.normals(pts), [[0, -1], [1, 0], [0, 1], [1, 0], [0, 1], [-1, 0]])
    # boundary points from the sampler: unit length, and outward (a step along n leaves the L)
    b = poly.boundary_from_unit(np.random.default_rng(1).random(300))
    n = poly.normals(b)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0)
    assert not poly.contains(b + 1e-3 * n).any()
    assert poly.contains(b - 1e-3 * n).all()


def test_polygon_slanted_edge_and_vertex_rule():
    tri = Polygon.from_vertices([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)])
    np.testing.assert_allclose(tri.normals(np.array([[0.5, 0.5]])), [[np.sqrt(0.5), np.sqrt(0.5)]])
    # at a vertex the lower edge index wins: vertex 1 ends edge 0 (y = 0), vertex 0 starts edge 0
    np.testing.assert_array_equal(tri.normals(np.array([[1.0, 0.0], [0.0, 0.0]])), [[0, -1], [0, -1]])


def test_normals_bad_input():
    box = Box(("x", "y"), (0.0, 0.0), (1.0, 1.0), (False, False))
    with pytest.raises(InvalidParameterError, match=r"shape \(n, 2\)"):
        box.normals(np.zeros((3, 3)))
    with pytest.raises(NotImplementedError, match="no boundary normals"):
        Geometry(("x",), (0.0,), (1.0,), (False,)).normals(np.zeros((1, 1)))
