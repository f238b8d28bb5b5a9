r"""The generic reference ``fd`` against the specialised solvers and py-pde, in one run.

Two parts:

* **Convergence** on every shipped equation with a closed form or a
  specialised solver: ``fd`` on a grid and on the grid refined twice in space
  (same time levels), its max error against the closed form (or against the
  specialised solver on the same grid), the observed order, its own
  Richardson estimate next to the true error, and the time ratio to the
  specialised solver on the fine grid.
* **Speed** on Poisson 2D (513^2), Burgers (nu = 0.01/pi), Allen--Cahn and the
  2D nonlinear diffusion: ``fd`` (without its refinement estimate), the
  specialised solver and py-pde (``pip install py-pde``, the bench extra) on
  the same problem and grid size, each timed as the median of ``--repeats``
  warm runs (numba compilation excluded), each max error against one accurate
  reference at the final time (py-pde returns the final state only). py-pde
  uses cell-centred grids, so its error is measured at its own cell centres;
  it integrates time with SciPy's ``solve_ivp`` (RK45, its ``scipy`` solver)
  at the tolerances of ``fd``'s BDF (rtol 1e-8, atol 1e-10).

Threads: ``NUMBA_NUM_THREADS`` and ``OMP_NUM_THREADS`` as set by the caller
(the committed run: 2 each; SciPy's SuperLU is single-threaded)::

    python -m validation.benchmarks.generic_reference [--repeats 3] [--smoke]
        [--out benchmarks/results/generic_reference.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

COMMAND = "python -m validation.benchmarks.generic_reference"
# (equation, coarse resolution, fine resolution, what limits the order; "" where the solution is smooth and the
# spatial error dominates): the fine grid halves the spacing in space
SINGULAR = "re-entrant corner: u ~ r^(2/3), order 4/3 at best (and the multigrid reference's own error)"
FLOOR = "error at the time integrator's tolerance (no spatial error to measure)"
EXACT = "the discrete solution is exact to round-off (polynomial in space)"
CONVERGENCE = [
    ("poisson", (33, 33), (65, 65), ""),
    ("poisson3d", (9, 9, 9), (17, 17, 17), ""),
    ("poisson_peak", (65, 65), (129, 129), ""),
    ("poisson_lshape", (33, 33), (65, 65), SINGULAR),
    ("helmholtz", (65, 65), (129, 129), ""),
    ("darcy", (33, 33), (65, 65), ""),
    ("heat", (64, 11), (128, 11), ""),
    ("reaction", (64, 11), (128, 11), FLOOR + "; no spatial derivative"),
    ("reaction_diffusion", (64, 11), (128, 11), ""),
    ("allen_cahn", (256, 11), (512, 11), "interfaces of width ~0.01: not yet asymptotic at 512 points"),
    ("burgers", (513, 11), (1025, 11), ""),
    ("periodic_burgers", (128, 11), (256, 11), ""),
    ("convection", (128, 11), (256, 11), ""),
    ("wave", (65, 11), (129, 11), ""),
    ("klein_gordon", (17, 17, 11), (33, 33, 11), FLOOR),
    ("flow_mixing", (33, 33, 11), (65, 65, 11), "a steep rotating front: not yet asymptotic at 65^2 (upwinded)"),
    ("nonlinear_diffusion", (33, 33, 11), (65, 65, 11), ""),
    ("diffusion_reaction", (51, 11), (101, 11), EXACT),
    ("legendre", (51,), (101,), ""),
    ("hypergeometric", (51,), (101,), EXACT),
    ("antiderivative", (51,), (101,), "refused: its left-end condition lives in the ansatz only"),
    ("pendulum", (51,), (101,), "refused: its initial conditions live in the ansatz only"),
]


def _median_time(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    run()  # warm-up: numba compilation and caches stay out of the timing
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def _max_error(values: np.ndarray, truth: np.ndarray) -> float:
    diff = np.abs(np.asarray(values, float) - np.asarray(truth, float))
    return float(np.nanmax(diff))


def convergence(rows: list[tuple[str, tuple[int, ...], tuple[int, ...], str]]) -> list[dict[str, Any]]:
    """The convergence table (see the module docstring)."""
    import equations
    import solvers

    out = []
    for name, coarse, fine, limit in rows:
        eq = equations.create(name)
        row: dict[str, Any] = {"equation": name, "coarse": list(coarse), "fine": list(fine), "limited_by": limit}
        specialised = [m for m in solvers.available(eq) if m not in ("fd", "exact")]
        row["specialised"] = specialised[0] if specialised else None
        against = "exact" if eq.has_exact else row["specialised"]
        row["against"] = against
        errors = []
        try:
            for res in (coarse, fine):
                start = time.perf_counter()
                u = solvers.solve(eq, res, method="fd")
                fd_s = time.perf_counter() - start
                ref = solvers.solve(eq, res, method=against)
                errors.append(_max_error(u.values, ref.values))
            row.update(error_coarse=errors[0], error_fine=errors[1], fd_with_estimate_s=fd_s,
                       error_estimate=float(u.attrs["error_estimate"]),
                       estimate_order=str(u.attrs["estimate_order"]),
                       observed_order_fd=float(u.attrs["observed_order"]),
                       scale=float(np.nanmax(np.abs(ref.values))))
            row["order"] = math.log2(errors[0] / errors[1]) if errors[1] > 0 and errors[0] > 0 else math.nan
            if row["specialised"]:
                t_fd, _ = _median_time(partial(solvers.solve, eq, fine, method="fd", refine=False), 1)
                t_sp, _ = _median_time(partial(solvers.solve, eq, fine, method=row["specialised"]), 1)
                row.update(fd_s=t_fd, specialised_s=t_sp, time_ratio=t_fd / t_sp)
        except Exception as exc:  # a refusal is a result: say which and why
            row["refused"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps({k: v for k, v in row.items() if k != "refused"} | (
            {"refused": row["refused"][:120]} if "refused" in row else {})), flush=True)
        out.append(row)
    return out


# -- speed: the four problems of the issue, fd vs specialised vs py-pde ------------------------------
def _pypde_poisson(n: int) -> tuple[Callable[[], Any], Callable[[Any], float]]:
    import pde

    grid = pde.CartesianGrid([(0.0, 1.0), (0.0, 1.0)], [n, n])
    xy = grid.cell_coords
    exact = np.sin(np.pi * xy[..., 0]) * np.sin(np.pi * xy[..., 1])
    rhs = pde.ScalarField(grid, -2 * np.pi**2 * exact)  # py-pde solves Laplace u = rhs
    return (lambda: pde.solve_poisson_equation(rhs, bc={"value": 0.0}),
            lambda field: _max_error(field.data, exact))


def _pypde_evolution(rhs: str, bounds: list[tuple[float, float]], cells: list[int], periodic: list[bool],
                     initial: Callable[[np.ndarray], np.ndarray], t_end: float,
                     reference: Callable[[np.ndarray], np.ndarray], bc: Any) -> tuple[Callable[[], Any],
                                                                                      Callable[[Any], float]]:
    import pde

    grid = pde.CartesianGrid(bounds, cells, periodic=periodic)
    state = pde.ScalarField(grid, initial(grid.cell_coords))
    problem = pde.PDE({"u": rhs}, bc=bc)
    truth = reference(grid.cell_coords)

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the tolerances of fd's BDF, so both integrate time equally accurately
            return problem.solve(state, t_range=t_end, dt=1e-3, tracker=None, solver="scipy", rtol=1e-8, atol=1e-10)

    return run, lambda field: _max_error(field.data, truth)


def _at(eq: Any, method: str, axes: dict[str, np.ndarray]) -> np.ndarray:
    """A registered solver's values on given axes (a final time only)."""
    from solvers.registry import lookup

    return lookup(eq, method)[1](eq, axes, **({"modes": 8192} if method == "etdrk4" else {})).values


def speed(repeats: int, smoke: bool) -> list[dict[str, Any]]:
    """The speed table (see the module docstring)."""
    import equations
    import solvers

    cases: list[dict[str, Any]] = []
    n = 65 if smoke else 513
    eq: Any = equations.Poisson2D()
    mesh = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n), indexing="ij")
    exact = np.sin(np.pi * mesh[0]) * np.sin(np.pi * mesh[1])
    cases.append({"problem": f"Poisson 2D {n}x{n}", "equation": eq, "resolution": (n, n), "specialised": "multigrid",
                  "truth": exact, "pypde": _pypde_poisson(n - 1)})

    nx = 257 if smoke else 1025
    eq = equations.Burgers()
    times = np.linspace(0.0, 1.0, 11)
    fine_ref = solvers.solve(eq, (nx, 11))  # Cole--Hopf quadrature: ~1e-10

    def burgers_truth(c: np.ndarray) -> np.ndarray:
        return _at(eq, "cole_hopf", {"x": c[:, 0], "t": np.array([0.0, 1.0])})[:, -1]

    cases.append({"problem": f"Burgers nu=0.01/pi, {nx} points, t in [0, 1]", "equation": eq,
                  "resolution": (nx, 11), "specialised": "cole_hopf", "truth": fine_ref.values,
                  "pypde": _pypde_evolution(f"-u * d_dx(u) + {eq.nu!r} * laplace(u)", [(-1.0, 1.0)], [nx - 1],
                                            [False], lambda c: -np.sin(np.pi * c[:, 0]), 1.0, burgers_truth,
                                            {"value": 0.0})})

    na = 256 if smoke else 1024
    eq = equations.AllenCahn()
    lo, hi = eq.domain.bounds[0]
    x = lo + (hi - lo) * np.arange(na) / na
    truth = _at(eq, "etdrk4", {"x": x, "t": times})

    def allen_truth(c: np.ndarray) -> np.ndarray:
        return _at(eq, "etdrk4", {"x": c[:, 0], "t": np.array([0.0, 1.0])})[:, -1]

    x0 = eq.initial_value
    cases.append({"problem": f"Allen-Cahn, {na} points, t in [0, 1]", "equation": eq, "resolution": (na, 11),
                  "specialised": "etdrk4", "truth": truth,
                  "pypde": _pypde_evolution(f"{eq.d!r} * laplace(u) + {eq.a!r} * (u - u**3)", [(lo, hi)], [na],
                                            [True], lambda c: np.asarray(x0({"x": c[:, 0]}), float), 1.0,
                                            allen_truth, "periodic")})

    m = 33 if smoke else 129
    eq = equations.NonlinearDiffusion()
    ref_fine = solvers.solve(eq, (2 * m - 1, 2 * m - 1, 11), method="fd_rk4")
    truth = ref_fine.values[::2, ::2, :]

    def diffusion_truth(c: np.ndarray) -> np.ndarray:
        from scipy.interpolate import RegularGridInterpolator

        interp = RegularGridInterpolator((ref_fine["x"].values, ref_fine["y"].values), ref_fine.values[..., -1],
                                         method="cubic")
        return interp(c.reshape(-1, 2)).reshape(c.shape[:-1])

    def bumps(c: np.ndarray) -> np.ndarray:
        return np.asarray(eq.initial_value({"x": c[..., 0], "y": c[..., 1]}), float)

    cases.append({"problem": f"2D nonlinear diffusion, {m}x{m}, t in [0, 1]", "equation": eq,
                  "resolution": (m, m, 11), "specialised": "fd_rk4", "truth": truth,
                  "pypde": _pypde_evolution(f"{eq.alpha!r} * (gradient_squared(u) + u * laplace(u))",
                                            [(-1.0, 1.0), (-1.0, 1.0)], [m - 1, m - 1], [False, False], bumps,
                                            eq.t_max, diffusion_truth, {"value": 0.0})})
    out = []
    for case in cases:
        eq, res = case["equation"], case["resolution"]
        t_fd, u_fd = _median_time(partial(solvers.solve, eq, res, method="fd", refine=False), repeats)
        t_sp, u_sp = _median_time(partial(solvers.solve, eq, res, method=case["specialised"]), repeats)
        last = (Ellipsis, -1) if "t" in u_fd.dims else (Ellipsis,)  # py-pde returns the final state only
        row = {"problem": case["problem"], "specialised": case["specialised"], "fd_s": t_fd, "specialised_s": t_sp,
               "fd_error": _max_error(u_fd.values[last], case["truth"][last]),
               "specialised_error": _max_error(u_sp.values[last], case["truth"][last]),
               "ratio_fd_to_specialised": t_fd / t_sp}
        try:
            run, error = case["pypde"]
            t_pp, field = _median_time(run, repeats)
            row.update(pypde_s=t_pp, pypde_error=error(field), ratio_fd_to_pypde=t_fd / t_pp)
        except ImportError:
            row["pypde"] = "not installed (pip install py-pde)"
        except Exception as exc:  # the peer's own failure is a result too
            row["pypde"] = f"failed: {type(exc).__name__}: {exc}"
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def _targets(speed_rows: list[dict[str, Any]], conv: list[dict[str, Any]]) -> list[dict[str, Any]]:
    targets = []
    for r in speed_rows:
        targets.append({"name": f"{r['problem']}: fd time / specialised time", "measured": r["ratio_fd_to_specialised"],
                        "target": "<= 20", "met": bool(r["ratio_fd_to_specialised"] <= 20), "command": COMMAND})
        if "ratio_fd_to_pypde" in r:
            targets.append({"name": f"{r['problem']}: fd time / py-pde time", "measured": r["ratio_fd_to_pypde"],
                            "target": "< 1 (ahead of py-pde)", "met": bool(r["ratio_fd_to_pypde"] < 1),
                            "command": COMMAND})
    smooth = [r for r in conv if "order" in r and not r["limited_by"]]
    order_ok = [r for r in smooth if r["order"] >= 1.8]
    targets.append({"name": "observed order >= 1.8 on the shipped equations with smooth solutions",
                    "measured": f"{len(order_ok)} of {len(smooth)}", "target": "order ~2 in smooth cases",
                    "met": len(order_ok) == len(smooth), "command": COMMAND})
    return targets


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="small grids (checks the pipeline)")
    parser.add_argument("--out", default="benchmarks/results/generic_reference.json")
    args = parser.parse_args(argv)
    conv = convergence(CONVERGENCE[:3] if args.smoke else CONVERGENCE)
    rows = speed(args.repeats, args.smoke)
    result = {
        "benchmark": "generic_reference",
        "command": COMMAND + (" --smoke" if args.smoke else ""),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "numba_threads": os.environ.get("NUMBA_NUM_THREADS", "default"),
                    "omp_threads": os.environ.get("OMP_NUM_THREADS", "default")},
        "convergence": conv,
        "speed": rows,
        "targets": _targets(rows, conv),
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, default=float))
    tmp.replace(path)  # atomic: a killed run never leaves half a file
    print(f"wrote {path}")


def _fmt(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.2e}"


def summarise_generic_reference(d: dict[str, Any], s: summary.Summary) -> None:
    """Tables of the convergence and speed parts, and the targets."""
    e = _fmt
    rows: list[tuple[str, ...]] = []
    for r in d.get("convergence", []):
        if "refused" in r:
            rows.append((r["equation"], "refused", r["refused"][:80], "", "", "", ""))
            continue
        rows.append((r["equation"], str(r["against"]), f"{e(r['error_coarse'])} -> {e(r['error_fine'])}",
                     f"{r['order']:.2f}" if math.isfinite(r["order"]) else "-", e(r["error_estimate"]),
                     f"{r['time_ratio']:.1f}" if "time_ratio" in r else "-", r.get("limited_by") or "smooth"))
    s.tables.append(("fd: max error on two grids, observed order, own estimate, time vs specialised",
                     summary.Table(("equation", "against", "max error", "order", "fd estimate", "fd / spec. time",
                                    "order limited by"), rows)))
    rows = [(str(r["problem"]), f"{r['fd_s']:.3f} ({e(r['fd_error'])})",
             f"{r['specialised_s']:.3f} ({e(r['specialised_error'])})",
             f"{r['pypde_s']:.3f} ({e(r['pypde_error'])})" if "pypde_s" in r else "-",
             f"{r['ratio_fd_to_specialised']:.1f}", f"{r['ratio_fd_to_pypde']:.2f}" if "pypde_s" in r else "-")
            for r in d.get("speed", [])]
    s.tables.append(("Speed, median wall time in s (max error)", summary.Table(
        ("problem", "fd", "specialised", "py-pde", "fd / spec.", "fd / py-pde"), rows)))
    summary.add_targets(d, s, "{:.2f}")


SUITES.register("generic_reference", Suite(
    "generic_reference", "The generic finite-difference reference vs the specialised solvers and py-pde",
    summarise_generic_reference, quick=("--smoke", "--repeats", "1"),
))

if __name__ == "__main__":
    main()
