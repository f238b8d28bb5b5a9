r"""2D and 3D Poisson solvers: the toolkit's multigrid against PyAMG and SciPy, in one run.

Problem: ``-Laplacian(u) = f`` on the unit square, zero Dirichlet data, the
5-point stencil on an ``(n + 1) x (n + 1)`` grid (``h = 1/n``, ``(n - 1)^2``
unknowns; ``--sizes`` gives ``n``). ``f`` comes from the manufactured solution
``u = x (1 - x) e^x sin(pi y)`` (not a discrete eigenvector, so CG cannot
finish early). Every method solves to relative residual ``1e-8`` and is timed
as setup + solve (median of ``--repeats``; a run over ``--max-repeat-s`` is
timed once); numba methods get an untimed warm-up call first. The final
relative residual ``||b - A u|| / ||b||`` is recomputed with the sparse matrix
of :func:`solvers.fd.laplacian_matrix`.

Methods: the toolkit multigrid as a solver (V(2,2), red--black Gauss--Seidel);
the toolkit CG (:func:`solvers.cg`) preconditioned by one symmetric V(2,2)
cycle (:func:`solvers.preconditioner`); SciPy CG with the sparse matrix (skipped
above ``n = 1024`` when its estimate -- the last measured time times 8 per
doubling, iterations growing like ``n`` -- exceeds 60 s); SciPy ``splu`` (up to
``n = 1024``); PyAMG smoothed aggregation as a CG preconditioner (SciPy CG,
setup + solve), when pyamg is installed.

Also measured: the copy and triad bandwidth (numba, parallel, 256 MiB arrays,
median of 5; the larger one is the bandwidth below) and the multigrid's
bandwidth floor. Bytes model for one V(2,2) cycle, per fine-grid point ``N``
(float64 = 8 B, mask = 1 B):

* smoothing sweep: read ``u``, ``f``, ``mask``, write ``u``: 25 B; 4 sweeps: 100 B
  (an ideal fused red--black sweep; the kernels make one pass per colour, which
  would double this term);
* residual: read ``u``, ``f``, ``mask``, write ``r``: 25 B;
* restriction: read ``r`` (8 B), coarse ``mask`` and write coarse ``f`` (2.25 B): 10.25 B;
* zeroing the coarse guess: 2 B;
* prolongation: read coarse ``u`` (2 B), ``mask`` (1 B), read and write ``u`` (16 B): 19 B;

156.25 B per point on a level, times 4/3 for the level hierarchy (208.3 B),
plus the fine-grid residual norm after each cycle (read ``u``, ``f``, ``mask``:
17 B): 225.3 B per fine point per cycle. The floor is that times the cycles
used divided by the bandwidth; the toolkit's (setup + solve) time is reported
over it.

Finally, numba compilation: the first multigrid call in a fresh subprocess with
an empty ``NUMBA_CACHE_DIR``, and again in a second fresh subprocess with that
cache warm (``cache=True`` keeps compilation out of later processes).

3D (``--sizes3d``, default 64 and 128): the 7-point stencil on an
``(n + 1)^3`` grid, ``u = x (1 - x) e^x sin(pi y) sin(pi z)``, the same
methods with :func:`solvers.multigrid3d_solve` and
:func:`solvers.preconditioner3d` (V(2,2), red--black SOR) and the 7-point
matrix of :func:`solvers.laplacian_matrix3d`. SciPy ``splu`` is skipped in 3D:
nested-dissection fill-in grows like ``N^(4/3)`` (64^3 needs about 938 M
nonzeros, 7.6 GB, 747 s on this machine kind). The 3D bytes model per fine
point and V(2,2) cycle: smoothing 4 x 25 B, residual 25 B, restriction
8 + 1/8 + 1 B, zeroing the coarse guess 1 B, prolongation 1 + 1 + 16 B:
153.1 B on a level, times 8/7 for the hierarchy (175.0 B), plus the residual
norm (17 B): 192.0 B. ``--dims 2`` or ``--dims 3`` runs one dimension only.

SciPy and PyAMG run with ``OPENBLAS_NUM_THREADS=1`` (the script re-runs itself
in a subprocess with it set when it is not, since numpy is loaded before
``main`` runs)::

    python -m validation.benchmarks.poisson_solvers [--sizes 256 512 1024 2048] [--sizes3d 64 128]
        [--dims 2 3] [--repeats 3] [--out benchmarks/results/poisson_solvers.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

TOL = 1e-8
BYTES_PER_POINT_PER_CYCLE = (4 * 25 + 25 + 10.25 + 2 + 19) * 4 / 3 + 17
BYTES_PER_POINT_PER_CYCLE_3D = (4 * 25 + 25 + (8 + 1 / 8 + 1) + 1 + (1 + 1 + 16)) * 8 / 7 + 17
DIRECT_SKIPPED_3D = "skipped in 3D (fill-in: 64³ needs ~938 M nonzeros, 7.6 GB)"
DIRECT_MAX = 1024
SCIPY_CG_BUDGET_S = 60.0
BANDWIDTH_MIB = 256

_COMPILE_PROBE = """
import json, time
t0 = time.perf_counter()
import numpy as np
from solvers.multigrid import multigrid_solve
t1 = time.perf_counter()
f = np.ones((65, 65))
multigrid_solve(f, 1 / 64, 1 / 64, tol=1e-8)
t2 = time.perf_counter()
multigrid_solve(f, 1 / 64, 1 / 64, tol=1e-8)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1, "second_call_s": t3 - t2}))
"""

_COMPILE_PROBE_3D = """
import json, time
t0 = time.perf_counter()
import numpy as np
from solvers.multigrid import multigrid3d_solve
t1 = time.perf_counter()
f = np.ones((17, 17, 17))
multigrid3d_solve(f, 1 / 16, 1 / 16, 1 / 16, tol=1e-8)
t2 = time.perf_counter()
multigrid3d_solve(f, 1 / 16, 1 / 16, 1 / 16, tol=1e-8)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1, "second_call_s": t3 - t2}))
"""


def problem(n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Right-hand side and exact solution on the ``(n + 1)^2`` grid, and ``h``."""
    h = 1.0 / n
    x = np.linspace(0.0, 1.0, n + 1)[:, None]
    y = np.linspace(0.0, 1.0, n + 1)[None, :]
    u = x * (1 - x) * np.exp(x) * np.sin(np.pi * y)
    f = np.exp(x) * np.sin(np.pi * y) * (x * (x + 3) + np.pi**2 * x * (1 - x))
    return np.ascontiguousarray(f), u, h


def problem3d(n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Right-hand side and exact solution on the ``(n + 1)^3`` grid, and ``h``."""
    h = 1.0 / n
    t = np.linspace(0.0, 1.0, n + 1)
    x, y, z = t[:, None, None], t[None, :, None], t[None, None, :]
    s = np.sin(np.pi * y) * np.sin(np.pi * z)
    u = x * (1 - x) * np.exp(x) * s
    f = np.exp(x) * s * (x * (x + 3) + 2 * np.pi**2 * x * (1 - x))
    return np.ascontiguousarray(f), u, h


def _timed(run: Callable[[], tuple[np.ndarray, int]], repeats: int, max_repeat_s: float) -> dict[str, Any]:
    times: list[float] = []
    out: tuple[np.ndarray, int] | None = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
        if times[-1] > max_repeat_s:
            break
    assert out is not None
    return {"time_s": float(np.median(times)), "times_s": times, "iterations": int(out[1]), "_u": out[0]}


def bandwidth(repeats: int = 5) -> dict[str, float]:
    """Copy (2 arrays) and triad (3 arrays) bandwidth in GB/s, numba parallel, median of ``repeats``."""
    from numba import njit, prange

    @njit(parallel=True, fastmath=True)
    def copy(a: np.ndarray, b: np.ndarray) -> None:  # pragma: no cover - numba
        for i in prange(a.size):
            b[i] = a[i]

    @njit(parallel=True, fastmath=True)
    def triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:  # pragma: no cover - numba
        for i in prange(a.size):
            a[i] = b[i] + s * c[i]

    n = BANDWIDTH_MIB * 2**20 // 8
    a, b, c = np.ones(n), np.ones(n), np.ones(n)
    copy(a, b)
    triad(a, b, c, 0.5)
    tc, tt = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        copy(a, b)
        tc.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        triad(a, b, c, 0.5)
        tt.append(time.perf_counter() - t0)
    nbytes = 8 * n
    result = {"copy_gb_s": 2 * nbytes / float(np.median(tc)) / 1e9,
              "triad_gb_s": 3 * nbytes / float(np.median(tt)) / 1e9}
    result["used_gb_s"] = max(result["copy_gb_s"], result["triad_gb_s"])
    return result


def compile_times(probe: str = _COMPILE_PROBE) -> dict[str, Any]:
    """First multigrid call in a fresh process with an empty numba cache, then with it warm."""
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = {}
        for name in ("cold", "warm"):
            proc = subprocess.run([sys.executable, "-c", probe], env=env, cwd=root, capture_output=True,
                                  text=True, check=True)
            runs[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    return runs


def run_size(n: int, repeats: int, max_repeat_s: float, previous: dict[str, Any] | None) -> dict[str, Any]:
    import scipy.sparse.linalg as spla

    import solvers
    from solvers.fd import laplacian_matrix
    from solvers.multigrid import Hierarchy

    f, exact, h = problem(n)
    mask = np.ones(f.shape, dtype=bool)
    a, index = laplacian_matrix(mask, h, h)
    b = f.ravel()[index]
    b_norm = float(np.linalg.norm(b))

    def residual(u_full: np.ndarray) -> float:
        u = u_full.ravel()[index] if u_full.size != b.size else u_full
        return float(np.linalg.norm(b - a @ u)) / b_norm

    methods: dict[str, dict[str, Any]] = {}

    def mg() -> tuple[np.ndarray, int]:
        u, info = solvers.multigrid_solve(f, h, h, tol=TOL, pre=2, post=2)
        return u, info.cycles

    def mg_cg() -> tuple[np.ndarray, int]:
        m = np.zeros(f.shape, dtype=bool)
        m[1:-1, 1:-1] = True
        rhs = np.where(m, f, 0.0).ravel()
        x, info = solvers.cg(solvers.poisson_operator(m, h, h), rhs, rtol=TOL,
                             M=solvers.preconditioner(Hierarchy(m, h, h), 2))
        return x, info.iterations

    def scipy_cg() -> tuple[np.ndarray, int]:
        count = [0]

        def cb(_: np.ndarray) -> None:
            count[0] += 1

        x, _ = spla.cg(a, b, rtol=TOL, atol=0.0, maxiter=20 * b.size, callback=cb)
        return x, count[0]

    def direct() -> tuple[np.ndarray, int]:
        lu = spla.splu(a.tocsc())
        return lu.solve(b), 0

    for name, fn in (("toolkit_mg", mg), ("toolkit_mg_pcg", mg_cg)):
        fn()  # warm-up: compiles the numba kernels, faults in the memory
        methods[name] = _timed(fn, repeats, max_repeat_s)

    prev_cg = (previous or {}).get("methods", {}).get("scipy_cg", {})
    if n > 1024 and "time_s" in prev_cg:
        est = prev_cg["time_s"] * (n / previous["n"]) ** 3  # type: ignore[index]
        if est > SCIPY_CG_BUDGET_S:
            methods["scipy_cg"] = {"skipped": f"skipped (est. {est:.0f} s)", "estimate_s": est}
    if "scipy_cg" not in methods:
        methods["scipy_cg"] = _timed(scipy_cg, repeats, max_repeat_s)

    if n <= DIRECT_MAX:
        methods["scipy_splu"] = _timed(direct, repeats, max_repeat_s)
    else:
        methods["scipy_splu"] = {"skipped": f"skipped (n > {DIRECT_MAX})"}

    try:
        import pyamg
    except ImportError:
        methods["pyamg_sa_pcg"] = {"skipped": "not installed"}
    else:
        def amg() -> tuple[np.ndarray, int]:
            ml = pyamg.smoothed_aggregation_solver(a)
            count = [0]

            def cb(_: np.ndarray) -> None:
                count[0] += 1

            x, _ = spla.cg(a, b, rtol=TOL, atol=0.0, M=ml.aspreconditioner(), callback=cb)
            return x, count[0]

        methods["pyamg_sa_pcg"] = _timed(amg, repeats, max_repeat_s)

    base = methods["toolkit_mg"]["time_s"]
    for m in methods.values():
        if "_u" in m:
            m["rel_residual"] = residual(m.pop("_u"))
            m["ratio_to_toolkit_mg"] = m["time_s"] / base
    u_mg = solvers.multigrid_solve(f, h, h, tol=TOL)[0]
    return {"n": n, "unknowns": b.size, "max_error_vs_exact": float(np.max(np.abs(u_mg - exact))),
            "toolkit_ns_per_unknown": base / b.size * 1e9, "methods": methods}


def _counted_cg(a: Any, b: np.ndarray, m: Any = None) -> tuple[np.ndarray, int]:
    import scipy.sparse.linalg as spla

    count = [0]

    def cb(_: np.ndarray) -> None:
        count[0] += 1

    x, _ = spla.cg(a, b, rtol=TOL, atol=0.0, maxiter=20 * b.size, M=m, callback=cb)
    return x, count[0]


def run_size3d(n: int, repeats: int, max_repeat_s: float, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The 3D methods on the ``(n + 1)^3`` grid (``--sizes3d``)."""
    import solvers
    from solvers.fd import laplacian_matrix3d
    from solvers.multigrid import Hierarchy3D

    f, exact, h = problem3d(n)
    mask = np.ones(f.shape, dtype=bool)
    a, index = laplacian_matrix3d(mask, h, h, h)
    b = f.ravel()[index]
    b_norm = float(np.linalg.norm(b))

    def residual(u_full: np.ndarray) -> float:
        u = u_full.ravel()[index] if u_full.size != b.size else u_full
        return float(np.linalg.norm(b - a @ u)) / b_norm

    def mg() -> tuple[np.ndarray, int]:
        u, info = solvers.multigrid3d_solve(f, h, h, h, tol=TOL, pre=2, post=2)
        return u, info.cycles

    def mg_cg() -> tuple[np.ndarray, int]:
        m = np.zeros(f.shape, dtype=bool)
        m[1:-1, 1:-1, 1:-1] = True
        rhs = np.where(m, f, 0.0).ravel()
        x, info = solvers.cg(solvers.poisson_operator(m, h, h, h), rhs, rtol=TOL,
                             M=solvers.preconditioner3d(Hierarchy3D(m, h, h, h), 2))
        return x, info.iterations

    methods: dict[str, dict[str, Any]] = {}
    for name, fn in (("toolkit_mg", mg), ("toolkit_mg_pcg", mg_cg)):
        fn()  # warm-up: compiles the numba kernels, faults in the memory
        methods[name] = _timed(fn, repeats, max_repeat_s)

    prev_cg = (previous or {}).get("methods", {}).get("scipy_cg", {})
    if previous is not None and "time_s" in prev_cg:
        # iterations grow like n and each costs like n^3
        est = prev_cg["time_s"] * (n / previous["n"]) ** 4
        if est > SCIPY_CG_BUDGET_S:
            methods["scipy_cg"] = {"skipped": f"skipped (est. {est:.0f} s)", "estimate_s": est}
    if "scipy_cg" not in methods:
        methods["scipy_cg"] = _timed(lambda: _counted_cg(a, b), repeats, max_repeat_s)
    methods["scipy_splu"] = {"skipped": DIRECT_SKIPPED_3D}
    try:
        import pyamg
    except ImportError:
        methods["pyamg_sa_pcg"] = {"skipped": "not installed"}
    else:
        def amg() -> tuple[np.ndarray, int]:
            return _counted_cg(a, b, pyamg.smoothed_aggregation_solver(a).aspreconditioner())

        methods["pyamg_sa_pcg"] = _timed(amg, repeats, max_repeat_s)

    base = methods["toolkit_mg"]["time_s"]
    for m in methods.values():
        if "_u" in m:
            m["rel_residual"] = residual(m.pop("_u"))
            m["ratio_to_toolkit_mg"] = m["time_s"] / base
    u_mg = solvers.multigrid3d_solve(f, h, h, h, tol=TOL)[0]
    return {"n": n, "unknowns": b.size, "max_error_vs_exact": float(np.max(np.abs(u_mg - exact))),
            "toolkit_ns_per_unknown": base / b.size * 1e9, "methods": methods}


def add_floor(s: dict[str, Any], points: int, bytes_per_point: float, bw: dict[str, float]) -> None:
    """The bandwidth floor of the toolkit MG's cycles and its time over that floor, into ``s``."""
    cycles = s["methods"]["toolkit_mg"]["iterations"]
    floor = points * bytes_per_point * cycles / (bw["used_gb_s"] * 1e9)
    s["floor"] = {"bytes_per_point_per_cycle": bytes_per_point, "floor_s": floor,
                  "toolkit_over_floor": s["methods"]["toolkit_mg"]["time_s"] / floor}


LABELS = {"toolkit_mg": "toolkit MG V(2,2)", "toolkit_mg_pcg": "toolkit CG + MG V-cycle",
          "scipy_cg": "SciPy CG (sparse)", "scipy_splu": "SciPy splu", "pyamg_sa_pcg": "PyAMG SA-PCG"}


def _size_tables(sizes: list[dict[str, Any]], dims: int) -> list[str]:
    sup = "²" if dims == 2 else "³"
    lines = [f"{dims}D, (n + 1){sup} grid points:", "",
             "| n | unknowns | method | it/cycles | setup+solve (s) | × toolkit MG | rel. residual |",
             "|---|---|---|---|---|---|---|"]
    for s in sizes:
        for key, m in s["methods"].items():
            if "skipped" in m:
                lines.append(f"| {s['n']} | {s['unknowns']} | {LABELS[key]} | | {m['skipped']} | | |")
                continue
            it = "—" if key == "scipy_splu" else str(m["iterations"])
            lines.append(f"| {s['n']} | {s['unknowns']} | {LABELS[key]} | {it} | {m['time_s']:.3f} | "
                         f"{m['ratio_to_toolkit_mg']:.1f} | {m['rel_residual']:.1e} |")
    lines += ["", "| n | toolkit ns/unknown | cycles | floor (s) | toolkit / floor | max error vs exact |",
              "|---|---|---|---|---|---|"]
    for s in sizes:
        fl = s["floor"]
        lines.append(f"| {s['n']} | {s['toolkit_ns_per_unknown']:.0f} | {s['methods']['toolkit_mg']['iterations']} | "
                     f"{fl['floor_s']:.4f} | {fl['toolkit_over_floor']:.1f} | {s['max_error_vs_exact']:.2e} |")
    return [*lines, ""]


def _compile_line(name: str, c: dict[str, Any]) -> str:
    return (f"numba: first {name} call in a fresh process, empty cache {c['cold']['first_call_s']:.2f} s; "
            f"cache warm {c['warm']['first_call_s']:.3f} s (second call {c['warm']['second_call_s']:.4f} s; "
            f"import {c['cold']['import_s']:.2f} s / {c['warm']['import_s']:.2f} s).")


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if results["sizes"]:
        lines += _size_tables(results["sizes"], 2)
    if results.get("sizes3d"):
        lines += _size_tables(results["sizes3d"], 3)
    bw = results["bandwidth"]
    lines += [f"Bandwidth (numba, {BANDWIDTH_MIB} MiB arrays, median of 5): copy {bw['copy_gb_s']:.1f} GB/s, "
              f"triad {bw['triad_gb_s']:.1f} GB/s; floor model {BYTES_PER_POINT_PER_CYCLE:.1f} B (2D) and "
              f"{BYTES_PER_POINT_PER_CYCLE_3D:.1f} B (3D) per fine point per V(2,2) cycle."]
    if "compile" in results:
        lines += ["", _compile_line("2D multigrid", results["compile"])]
    if "compile3d" in results:
        lines += ["", _compile_line("3D multigrid", results["compile3d"])]
    return "\n".join(lines) + "\n"


def targets(results: dict[str, Any]) -> list[str]:
    by_n = {s["n"]: s for s in results["sizes"]}
    out = []
    s = by_n.get(1024)
    if s is None:
        out.append("1024² targets: not measured (no n=1024 in --sizes)")
    else:
        t = s["methods"]["toolkit_mg"]["time_s"]
        out.append(f"1024² toolkit ≤ 0.3 s: {t:.3f} s -> {'PASS' if t <= 0.3 else 'FAIL'}")
        amg = s["methods"]["pyamg_sa_pcg"]
        if "time_s" in amg:
            r = amg["time_s"] / t
            out.append(f"≥ 5× faster than PyAMG SA-PCG: {r:.1f}× -> {'PASS' if r >= 5 else 'FAIL'}")
        else:
            out.append(f"≥ 5× faster than PyAMG SA-PCG: {amg['skipped']}")
        q = s["floor"]["toolkit_over_floor"]
        out.append(f"within 3× of the bandwidth floor: {q:.1f}× -> {'PASS' if q <= 3 else 'FAIL'}")
    if not results["sizes"]:
        return out
    big = [s for s in results["sizes"] if s["n"] >= 512] or results["sizes"]
    per = [s["toolkit_ns_per_unknown"] for s in big]
    spread = max(per) / min(per)
    desc = ", ".join(f"{s['n']}: {s['toolkit_ns_per_unknown']:.0f} ns" for s in results["sizes"])
    out.append(f"time linear in N (time/unknown within 1.5× over n ≥ 512): {desc}; spread {spread:.2f}× -> "
               f"{'PASS' if spread <= 1.5 else 'FAIL'}")
    return out


def _print_size(s: dict[str, Any]) -> None:
    print(json.dumps({k: v for k, v in s.items() if k != "methods"}), flush=True)
    for key, m in s["methods"].items():
        print(f"  {key}: {json.dumps(m)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        # numpy (and OpenBLAS) is already loaded: re-run with one BLAS thread
        forwarded = sys.argv[1:] if argv is None else argv
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        return subprocess.run([sys.executable, "-m", "validation.benchmarks.poisson_solvers", *forwarded],
                              env=env, cwd=Path(__file__).resolve().parents[2]).returncode

    from validation.benchmarks.report import machine, write_results

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048], help="2D n (grid (n+1)^2)")
    p.add_argument("--sizes3d", type=int, nargs="+", default=[64, 128], help="3D n (grid (n+1)^3)")
    p.add_argument("--dims", type=int, nargs="+", choices=(2, 3), default=[2, 3], help="dimensions to run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--max-repeat-s", type=float, default=10.0, help="time a run longer than this only once")
    p.add_argument("--out", default="benchmarks/results/poisson_solvers.json")
    args = p.parse_args(argv)

    bw = bandwidth()
    print(f"bandwidth: {bw}", flush=True)
    extra: dict[str, Any] = {}
    sizes: list[dict[str, Any]] = []
    if 2 in args.dims:
        extra["compile"] = compile_times()
        print(f"compile: {extra['compile']}", flush=True)
        for n in sorted(args.sizes):
            s = run_size(n, args.repeats, args.max_repeat_s, sizes[-1] if sizes else None)
            add_floor(s, (n + 1) ** 2, BYTES_PER_POINT_PER_CYCLE, bw)
            sizes.append(s)
            _print_size(s)
    sizes3d: list[dict[str, Any]] = []
    if 3 in args.dims:
        extra["compile3d"] = compile_times(_COMPILE_PROBE_3D)
        print(f"compile 3D: {extra['compile3d']}", flush=True)
        for n in sorted(args.sizes3d):
            s = run_size3d(n, args.repeats, args.max_repeat_s, sizes3d[-1] if sizes3d else None)
            add_floor(s, (n + 1) ** 3, BYTES_PER_POINT_PER_CYCLE_3D, bw)
            sizes3d.append(s)
            _print_size(s)

    try:
        from importlib import metadata
        amg_version: str | None = metadata.version("pyamg")
    except Exception:
        amg_version = None
    results = {"benchmark": "poisson_solvers", "machine": machine(), "pyamg": amg_version, "tol": TOL,
               "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
               "repeats": args.repeats, "max_repeat_s": args.max_repeat_s, "bandwidth": bw, **extra,
               "sizes": sizes, "sizes3d": sizes3d}
    results["targets"] = targets(results)
    out = write_results(args.out, results,
                        table(results) + "\nTargets:\n\n" + "".join(f"- {t}\n" for t in results["targets"]))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


SUITES.register("poisson_solvers", Suite(
    "poisson_solvers", "Poisson 2D and 3D: multigrid vs SciPy and PyAMG", summary.summarise_poisson,
    quick=("--sizes", "64", "128", "--sizes3d", "16", "32", "--repeats", "1"),
))


if __name__ == "__main__":
    sys.exit(main())
