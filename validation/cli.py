"""The ``sciml`` command line: one entry point for the whole toolkit.

    sciml list
    sciml compare burgers --learner pinn --out results/            # quick budget: about a minute
    sciml compare burgers --budget full                             # the benchmarked recipe: ~10 minutes
    sciml compare burgers --param nu=0.005 --set adam_steps=2000 --resolution 256 100
    sciml compare examples/own_pde.py:HeatWithSource --param kappa=0.05  # your own spec, no solver written
    sciml data darcy --n 1000 --resolution 85 --seed 0 --out data/generated/darcy_85.nc --workers 4
    sciml linsys --n 256 --obstacles circles --method cg --method ic0 --method neural --out results/
    sciml report --from-results benchmarks/results --format html --out report.html
    sciml run study.toml --workers 2                                # a sweep from a study file, resumable
    sciml report --study results/burgers_nu/burgers_nu.nc           # its error-vs-parameter page

Bad input (unknown names, invalid parameters) prints one line and exits 2; a
file-system or network failure (an --out path that cannot be written) prints
one line and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

import equations
import solvers
from equations.errors import InvalidParameterError, ToolkitError
from equations.families import FAMILIES
from equations.loading import load_spec
from sciml import LEARNERS, create_learner
from sciml.core.base import BUDGETS, KINDS
from validation import datasets, report
from validation.compare import compare
from validation.export import to_netcdf, to_vtu
from validation.fields import comparison_fields, field_label, field_selection, reference_name
from validation.plots import comparison_figure, save_figure


def _key_values(items: Sequence[str], what: str) -> dict[str, Any]:
    """``["nu=0.01", "hidden=[32,32]"]`` -> dict; values are JSON literals or plain strings."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidParameterError(f"{what} must look like key=value, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw  # a bare word such as sobol
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sciml", description="Physics-informed learners vs classical solvers")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="registered equations, learners and solvers")
    cmp = sub.add_parser("compare", help="fit learners on an equation and compare with the classical reference")
    cmp.add_argument("equation", help="equation name (see `sciml list`), or your own spec as module:Class "
                     "or path/to/file.py[:Class]")
    cmp.add_argument("--learner", action="append", default=None, help="learner name (repeatable; default pinn)")
    cmp.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="equation parameter")
    cmp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="learner hyperparameter, applied to every learner (JSON value)")
    cmp.add_argument("--budget", choices=BUDGETS, default="quick",
                     help="training budget: quick (about a minute on 2 cores, the default) or full (the "
                          "benchmarked recipe, minutes to tens of minutes); --set overrides either")
    cmp.add_argument("--resolution", type=int, nargs="+", default=None, help="grid points per coordinate")
    cmp.add_argument("--seed", type=int, default=None, help="learner seed")
    cmp.add_argument("--out", default="results", help="output folder (default: results/)")
    cmp.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    data = sub.add_parser("data", help="generate an operator-learning dataset (resumable netCDF with a manifest)")
    data.add_argument("dataset", help="dataset name (see `sciml list`)")
    data.add_argument("--n", type=int, required=True, help="number of samples")
    data.add_argument("--resolution", type=int, default=None, help="grid points per output axis")
    data.add_argument("--seed", type=int, default=0, help="seed (sample i depends on (seed, i) only)")
    data.add_argument("--out", default=None, help="netCDF file (default: data/generated/<dataset>.nc)")
    data.add_argument("--workers", type=int, default=None, help="Dask LocalCluster workers (default: serial)")
    data.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    data.add_argument("--chunk", type=int, default=100, help="samples per part file (unit of resumption)")
    data.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="generator parameter")
    data.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _linsys_parser(sub)
    study = sub.add_parser("run", help="run a study file (TOML): equation, learners, seeds and sweep, resumable")
    study.add_argument("study", help="the study file (see validation.studies.config)")
    study.add_argument("--workers", type=int, default=None,
                       help="Dask LocalCluster workers (default: the file's [run] workers; 0: serially here)")
    study.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    study.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    report.add_parser(sub)
    return parser


def _linsys_parser(sub: Any) -> None:
    from validation.linear_systems import METHODS

    ls = sub.add_parser("linsys", help="Krylov methods on one pressure-Poisson or high-contrast Darcy system")
    ls.add_argument("--n", type=int, default=128, help="cells per side (grid of (n+1)^2 nodes)")
    ls.add_argument("--boundary", default="dirichlet", help="dirichlet or neumann box")
    ls.add_argument("--obstacles", default="circles", help="none, circles, boxes or blobs")
    ls.add_argument("--count", type=int, default=4, help="number of circles or boxes")
    ls.add_argument("--medium", default="none",
                    help="none (pressure Poisson), or a Darcy coefficient: checker, inclusions, lognormal, constant "
                         "(zero Dirichlet box; --count random discs/boxes as obstacles unless --obstacles none)")
    ls.add_argument("--contrast", type=float, default=1e4, help="coefficient contrast of --medium (>= 1)")
    ls.add_argument("--layout-seed", type=int, default=0, help="seed of the obstacle layout")
    ls.add_argument("--rhs", default=None,
                    help="smooth or divergence (pressure Poisson, default divergence); smooth or white (Darcy, "
                         "default smooth)")
    ls.add_argument("--rhs-seed", type=int, default=0, help="seed of the right-hand side")
    ls.add_argument("--method", action="append", default=None, choices=METHODS.names(),
                    help="method (repeatable; default cg, jacobi, ic0, multigrid, plus neural with --model)")
    ls.add_argument("--model", default=None, help="saved accelerator folder (data/neural_cg, data/learned_mg)")
    ls.add_argument("--rtol", type=float, default=1e-6, help="relative residual to reach")
    ls.add_argument("--maxiter", type=int, default=None, help="iteration limit per method")
    ls.add_argument("--repeats", type=int, default=1, help="timed repeats (median)")
    ls.add_argument("--out", default="results", help="output folder (netCDF + PNG)")


def _linsys(args: argparse.Namespace) -> None:
    from equations.pressure_poisson import PressurePoisson
    from solvers import pressure_system
    from validation.linear_systems import convergence_figure, run_linear_system

    if args.medium == "none":
        spec = PressurePoisson(n=args.n, boundary=args.boundary, obstacles=args.obstacles, count=args.count,
                               seed=args.layout_seed)
        system: Any = pressure_system(spec)
        stem = f"linsys_{spec.boundary}_{spec.obstacles}_{args.n}"
        b = system.rhs(args.rhs or "divergence", args.rhs_seed)
    else:
        from sciml.accelerators.learned_multigrid.data import random_rhs, random_system

        count = 0 if args.obstacles == "none" else args.count
        system = random_system(args.n + 1, args.layout_seed, kind=args.medium, contrast=args.contrast,
                               obstacle_count=count)
        stem = f"linsys_{args.medium}_{args.contrast:g}_{args.n}"
        b = random_rhs(system, args.rhs or "smooth", args.rhs_seed)
    model = None
    if args.model:
        from sciml.accelerators.base import Accelerator
        from sciml.core.loading import load_learner

        model = cast(Accelerator, load_learner(args.model, kind="accelerator"))
    methods = args.method or ["cg", "jacobi", "ic0", "multigrid", "multigrid_operator"] + (
        [model.linsys_method] if model else [])
    ds = run_linear_system(system, b, methods, rtol=args.rtol,
                           maxiter=args.maxiter, repeats=args.repeats, model=model)
    out = Path(args.out)
    nc = to_netcdf(ds.drop_vars("label"), out / f"{stem}.nc")
    png = save_figure(convergence_figure(ds), out / f"{stem}.png")
    print(f"{'method':22s} {'iterations':>10s} {'wall [s]':>9s} {'rel. residual':>13s}")
    for name in ds["solver"].values:
        m = ds.sel(solver=name)
        print(f"{m['label'].values!s:22s} {int(m['iterations']):10d} {float(m['wall_time_s']):9.3f} "
              f"{float(m['relative_residual']):13.2e}")
    print(f"{system.size} unknowns; wrote {nc}, {png}")


def _list() -> None:
    print("equations:", ", ".join(equations.available()))
    kinds: dict[str, list[str]] = {kind: [] for kind in KINDS}  # field, operator, accelerator, then any other
    for name, cls in LEARNERS.items():
        kinds.setdefault(cls.kind or "other", []).append(name)
    print("learners: ", "; ".join(f"{kind}: {', '.join(names)}" for kind, names in kinds.items() if names))
    print("solvers:  ", ", ".join(solvers.available()))
    print("families: ", ", ".join(FAMILIES.names()))
    print("datasets: ", ", ".join(datasets.DATASETS.names()))


def _data(args: argparse.Namespace) -> None:
    out = Path(args.out) if args.out else Path("data/generated") / f"{args.dataset}.nc"
    if out.is_dir():
        raise InvalidParameterError(f"--out {out} is a folder; give the path of the netCDF file to write")
    params = _key_values(args.param, "--param")
    taken = sorted(set(params) & {"resolution", "seed", "workers", "scheduler", "chunk", "progress", "processes"})
    if taken:  # these are options of the command, not generator parameters
        raise InvalidParameterError(f"--param {taken[0]}: use the --{taken[0]} option instead")
    path = datasets.generate(args.dataset, args.n, out, resolution=args.resolution, seed=args.seed,
                             workers=args.workers, scheduler=args.scheduler, chunk=args.chunk,
                             progress=not args.no_progress, **params)
    ds = datasets.load(path)
    shapes = ", ".join(f"{v} {dict(ds[v].sizes)}" for v in ("input", "output"))
    print(f"wrote {path}: {shapes}")


def _table(ds: Any) -> str:
    """The metrics as a plain-text table: a row per learner (per learner and field for a system)."""
    metrics = ds["metrics"]
    fields = comparison_fields(ds)
    system = fields != (None,)
    header = ["learner", *(["field"] if system else []), "rel. L2", "max error", "wall time [s]", "steps/s",
              "parameters"]
    cols = ["relative_l2", "max_error", "wall_time_s", "steps_per_s", "n_parameters"]
    rows = [header]
    for name in metrics["learner"].values:
        for field in fields:
            m = metrics.sel(learner=name, **field_selection(field))
            vals = [float(m.sel(metric=c)) for c in cols]
            rows.append([str(name), *([str(field)] if system else []), f"{vals[0]:.3e}", f"{vals[1]:.3e}",
                         f"{vals[2]:.1f}", f"{vals[3]:.0f}", f"{vals[4]:.0f}" if np.isfinite(vals[4]) else "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def _trust(ds: Any) -> str:
    """How far the reference may be trusted, where its solver estimates its own error (per field for a system)."""
    fields = comparison_fields(ds)
    parts = []
    for field in fields:
        ref = ds[reference_name(field)].attrs
        if np.isfinite(ref.get("error_estimate", np.nan)):  # the generic reference says how far to trust it
            parts.append(f"{field_label(field)}estimated error {ref['error_estimate']:.2e} max, "
                         f"{ref['error_estimate_rel_l2']:.2e} relative L2; {ref['estimate_order']}")
    return f" ({' / '.join(parts)})" if parts else ""


def _compare(args: argparse.Namespace) -> None:
    eq = load_spec(args.equation, **_key_values(args.param, "--param"))
    settings = _key_values(args.set, "--set")
    if args.seed is not None:
        settings["seed"] = args.seed
    settings.setdefault("progress", not args.no_progress)
    names = args.learner or ["pinn"]
    learners = {}
    for name in names:
        try:
            learners[name] = create_learner(name, budget=args.budget, **settings)
        except TypeError as exc:  # an unknown keyword for this learner
            raise InvalidParameterError(f"learner {name!r}: {exc}") from None
    resolution = tuple(args.resolution) if args.resolution else eq.default_resolution
    ds = compare(eq, learners, resolution=resolution)
    out = Path(args.out)
    nc = to_netcdf(ds, out / f"{eq.label}.nc")
    png = save_figure(comparison_figure(ds), out / f"{eq.label}.png")
    written = [nc, png]
    if ds[reference_name(comparison_fields(ds)[0])].ndim == 2:  # ParaView files for 2D grids
        written.append(to_vtu(ds, out / f"{eq.label}.vtu"))
    print(_table(ds))
    for name in learners:
        print(f"{name} ({args.budget} budget) {ds.attrs.get(f'{name}_training', '')}")
    print(f"reference: {ds.attrs['reference_solver']}{_trust(ds)}; wrote {', '.join(map(str, written))}")


def _run(args: argparse.Namespace) -> None:
    from validation.studies import parse_study, run_study
    from validation.studies.report import HEADER, sweep_rows

    study = parse_study(args.study)
    ds = run_study(study, workers=args.workers, scheduler=args.scheduler,
                   progress=False if args.no_progress else None)
    rows = [HEADER, *sweep_rows(ds)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows))
    failed = int((ds["failed"] != "").sum())
    note = f"; {failed} of {ds['failed'].size} results FAILED (see the Dataset's 'failed')" if failed else ""
    print(f"{ds.attrs['runs_total']} runs ({ds.attrs['runs_reused']} found done){note}; "
          f"wrote {study.folder / (study.name + '.nc')}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            _list()
        elif args.command == "data":
            _data(args)
        elif args.command == "linsys":
            _linsys(args)
        elif args.command == "report":
            report.build_report(args)
        elif args.command == "run":
            _run(args)
        else:
            _compare(args)
    except ToolkitError as exc:
        print(f"sciml: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an --out path that cannot be written, a scheduler that cannot be reached...
        print(f"sciml: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
