r"""Neural conjugate directions (DCDM) against classical preconditioned CG on pressure-Poisson systems.

Systems: ``-Laplacian(p) = div(v)`` on the unit square with zero Dirichlet data on the box
and solid obstacles (zero flux), ``(n + 1)^2`` nodes for ``n`` in ``--sizes``
(default 64, 128, 256, 512), obstacle layouts **not seen in training** (boxes,
and circles / blobs with other seeds than the training layouts), the
right-hand side the divergence of a random smooth velocity (unit norm).
Every method solves to relative residual ``1e-6`` (recursively updated
residual; the true one is recomputed and reported): plain CG, Jacobi-PCG,
IC(0)-PCG, PCG with one Galerkin multigrid V(2,2) cycle, PyAMG
smoothed-aggregation PCG and the neural conjugate-direction method (capped
at 300 iterations). Wall time is setup + solve including every
network evaluation, the median of ``--repeats`` (runs over 20 s are timed once).

The network (:class:`sciml.accelerators.neural_cg.learner.NeuralCG`) is trained on 64^2 and 128^2
layouts only, by ``--train`` (which writes ``data/neural_cg``)::

    python -m validation.benchmarks.neural_cg --train [--steps 800]   # + the FINETUNE stage (400 steps)
    python -m validation.benchmarks.neural_cg --validate --model DIR     # held-out layouts (model selection)
    python -m validation.benchmarks.neural_cg [--sizes 64 128 256 512] [--repeats 3] [--smoke]

Run single-threaded (``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1``; torch is set
to one thread here too).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path
from typing import Any

import numpy as np

from validation.benchmarks import summary
from validation.benchmarks.suite import SUITES, Suite

TOL = 1e-6
MODEL = Path("data/neural_cg")
METHODS = ("cg", "jacobi", "ic0", "multigrid", "pyamg", "neural")
# the network's iteration cap: a stalled nonlinear direction map would otherwise run to 20 n iterations
NEURAL_MAXITER = 300
# training layouts (64^2 and 128^2); the test layouts below use another kind, or other seeds and counts
TRAIN = ((64, "circles", 5, 1), (128, "blobs", 0, 2))
TEST = (("boxes", 5, 101), ("circles", 6, 202))
# stage 2 of --train: a warm restart on the same Ritz data at a lower learning rate (chosen on VALIDATION:
# 148 instead of 300 median iterations at 64^2); mixing in the family's own right-hand sides or the solver's
# residuals here measured worse (BENCHMARKS.md; those options were removed)
FINETUNE: dict[str, Any] = {"steps": 400, "lr": 5e-4}
# held-out layouts and right-hand-side seeds for choosing a training recipe (never the TEST ones)
VALIDATION = (("blobs", 0, 303), ("circles", 4, 404), ("boxes", 3, 505))
TRAIN_CONFIG: dict[str, Any] = {"channels": 16, "levels": 2, "pairs": 1, "coarse_pairs": 1, "recursive": True,
                "lanczos_steps": 400, "batch_size": 16, "lr": 2e-3, "seed": 0}


def train(out: Path, steps: int, finetune: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """Train the benchmark's network on the :data:`TRAIN` layouts and save it to ``out``.

    Stage 1: ``steps`` steps of :data:`TRAIN_CONFIG` (``overrides`` replace
    entries; experiments). Stage 2 (when ``finetune`` has ``steps > 0``,
    default :data:`FINETUNE`): a warm restart (fresh Adam moments, the same
    training data) with ``finetune``'s ``steps`` and ``lr``, NeuralCG's
    ``finetune_steps`` and ``finetune_lr``; both stages in one ``fit``.
    """
    import torch

    from equations.pressure_poisson import PressurePoisson
    from sciml.accelerators.neural_cg.learner import NeuralCG
    from solvers import pressure_system

    torch.set_num_threads(1)
    systems = [pressure_system(PressurePoisson(n=n, obstacles=kind, count=count, seed=seed))
               for n, kind, count, seed in TRAIN]
    stage2 = FINETUNE if finetune is None else finetune
    model = NeuralCG(steps=steps, finetune_steps=stage2["steps"], finetune_lr=stage2["lr"],
                     **{**TRAIN_CONFIG, **overrides}).fit(systems, callbacks=[_print_loss(50)])
    model.save(out)
    print(f"saved {out} ({model.fit_time_:.0f} s, final loss {np.mean(model.history_.loss[-20:]):.3e})")
    return {"train_time_s": model.fit_time_, "steps": steps}


def _print_loss(every: int) -> Any:
    """A trainer callback that prints the loss every ``every`` steps and each stage's end."""
    from sciml.core.callbacks import Callback

    class PrintLoss(Callback):
        def __init__(self) -> None:
            self.start = time.perf_counter()

        def on_step(self, trainer: Any, loss: float) -> None:
            if (trainer.step - 1) % every == 0:
                print(f"step {trainer.step - 1:5d}  loss {loss:.4e}  ({time.perf_counter() - self.start:.0f} s)",
                      flush=True)

        def on_stage_end(self, trainer: Any, stage_index: int) -> None:
            print(f"stage {stage_index + 1} ended at step {trainer.step}: {trainer.history.stages[-1]['stop']}",
                  flush=True)

    return PrintLoss()


def validate(model: Any, sizes: list[int], rhs_per_layout: int = 4) -> dict[int, dict[str, float]]:
    """DCDM loss on ``b = div(v)`` and conjugate-direction iterations (cap 300) on :data:`VALIDATION`.

    The loss is the mean over ``rhs_per_layout`` right-hand sides per layout
    (seeds ``1000 + i``); the iterations are the median over the layouts
    for the first of them. Returns ``{n: {"loss": ..., "iterations": ..., "converged": ...}}``.
    """
    import torch

    from equations.pressure_poisson import PressurePoisson
    from sciml.accelerators.neural_cg.learner import apply_net, dcdm_loss, torch_matrix
    from solvers import pressure_system

    out = {}
    for n in sizes:
        losses, its, conv = [], [], 0
        for kind, count, seed in VALIDATION:
            s = pressure_system(PressurePoisson(n=n, obstacles=kind, count=count, seed=seed))
            b = np.stack([s.rhs("divergence", 1000 + i) for i in range(rhs_per_layout)])
            net = model.net_
            p = next(net.parameters())
            bt = torch.as_tensor(b, dtype=p.dtype)
            with torch.no_grad():
                f = apply_net(net, s, bt, torch.as_tensor(s.unknown))
                a = torch_matrix(s.spec.spacing**2 * s.matrix, p.device, p.dtype)
                losses.append(float(dcdm_loss(a, bt.T, f.T)))
            _, info = model.solve(s, b[0], rtol=TOL, maxiter=NEURAL_MAXITER)
            its.append(info.iterations)
            conv += bool(info.converged)
        out[n] = {"loss": float(np.mean(losses)), "iterations": float(np.median(its)), "converged": conv}
        print(f"validation n={n:4d}: div(v) DCDM loss {out[n]['loss']:.3f}; CD iterations {its} "
              f"(median {out[n]['iterations']:.0f}, {conv}/{len(its)} converged)", flush=True)
    return out


def run_size(n: int, model: Any, repeats: int, methods: tuple[str, ...]) -> list[dict[str, Any]]:
    """All methods on the :data:`TEST` layouts at ``n``; one record per (layout, method)."""
    from equations.pressure_poisson import PressurePoisson
    from solvers import pressure_system
    from validation.linear_systems import run_linear_system

    rows = []
    for kind, count, seed in TEST:
        system = pressure_system(PressurePoisson(n=n, obstacles=kind, count=count, seed=seed))
        b = system.rhs("divergence", seed)
        for name in methods:
            cap = NEURAL_MAXITER if name.startswith("neural") else 20 * n
            # the first run also compiles numba kernels (cached); runs over 20 s are timed once
            ds = run_linear_system(system, b, [name], rtol=TOL, repeats=1, model=model, maxiter=cap)
            if float(ds["wall_time_s"][0]) < 20.0 and repeats > 1:
                ds = run_linear_system(system, b, [name], rtol=TOL, repeats=repeats, model=model, maxiter=cap)
            rows.append({"n": n, "layout": kind, "unknowns": system.size, "method": name,
                         "iterations": int(ds["iterations"][0]), "wall_time_s": float(ds["wall_time_s"][0]),
                         "setup_time_s": float(ds["setup_time_s"][0]),
                         "relative_residual": float(ds["relative_residual"][0]),
                         "converged": bool(ds["converged"][0])})
            r = rows[-1]
            print(f"n={n:4d} {kind:8s} {name:11s} it={r['iterations']:5d} t={r['wall_time_s']:8.3f}s "
                  f"res={r['relative_residual']:.1e}", flush=True)
    return rows


def _median(rows: list[dict[str, Any]], n: int, method: str, key: str) -> float:
    return float(np.median([r[key] for r in rows if r["n"] == n and r["method"] == method]))


def table(results: dict[str, Any]) -> str:
    from validation.linear_systems import label

    rows, sizes = results["rows"], results["sizes"]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    out = ["| method | " + " | ".join(f"{n}^2 it | {n}^2 s" for n in sizes) + " |",
           "|---|" + "---|---|" * len(sizes)]
    for m in methods:
        cells = [f"{_median(rows, n, m, 'iterations'):.0f} | {_median(rows, n, m, 'wall_time_s'):.3f}" for n in sizes]
        out.append(f"| {label(m)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def targets(results: dict[str, Any]) -> list[str]:
    rows, sizes = results["rows"], results["sizes"]
    lines = []
    for n in sizes:
        it_n, it_ic = _median(rows, n, "neural", "iterations"), _median(rows, n, "ic0", "iterations")
        t_n, t_ic = _median(rows, n, "neural", "wall_time_s"), _median(rows, n, "ic0", "wall_time_s")
        t_mg = min(_median(rows, n, m, "wall_time_s") for m in ("multigrid", "pyamg")
                   if any(r["method"] == m for r in rows))
        capped = any(r["n"] == n and r["method"] == "neural" and not r["converged"] for r in rows)
        lines.append(f"- {n}^2: neural {it_n:.0f}{' (capped, not converged)' if capped else ''} iterations "
                     f"vs IC(0) {it_ic:.0f} (ratio {it_n / it_ic:.2f}, "
                     f"target <= 0.20: {'met' if it_n <= 0.2 * it_ic else 'MISSED'}); wall {t_n:.3f} s vs IC(0) "
                     f"{t_ic:.3f} s ({'faster' if t_n < t_ic else 'slower'}); best multigrid/AMG {t_mg:.3f} s "
                     f"({t_n / t_mg:.0f}x faster than neural)")
    for n in sizes:
        failed = [r["layout"] for r in rows if r["n"] == n and r["method"] == "neural" and not r["converged"]]
        if failed:
            res = max(r["relative_residual"] for r in rows if r["n"] == n and r["method"] == "neural")
            lines.append(f"- {n}^2: neural method NOT converged within {NEURAL_MAXITER} iterations on "
                         f"{', '.join(failed)} (worst relative residual {res:.1e}); its medians above are capped")
    its = [_median(rows, n, "neural", "iterations") for n in sizes]
    lines.append(f"- neural iterations across sizes: {', '.join(f'{i:.0f}' for i in its)} "
                 f"(growth {its[-1] / its[0]:.1f}x from {sizes[0]}^2 to {sizes[-1]}^2)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--train", action="store_true", help="train and save the network, then stop")
    parser.add_argument("--steps", type=int, default=800, help="training steps (with --train)")
    parser.add_argument("--finetune", type=float, nargs=2, metavar=("STEPS", "LR"), default=None,
                        help="with --train: override the FINETUNE stage (STEPS 0: none)")
    parser.add_argument("--validate", action="store_true",
                        help="score the model on the VALIDATION layouts (model selection; not the test layouts)")
    parser.add_argument("--smoke", action="store_true", help="sizes 32 and 64, one repeat, no result files")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/neural_cg.json"))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.train:
        stage2 = None if args.finetune is None else {"steps": int(args.finetune[0]), "lr": args.finetune[1]}
        train(args.model, args.steps, stage2)
        return 0
    if args.validate:
        from sciml.accelerators.neural_cg.learner import NeuralCG

        validate(NeuralCG.load(args.model), [64, 128] if args.smoke else [64, 128, 256])
        return 0
    from sciml.accelerators.neural_cg.learner import NeuralCG
    from sciml.core.atomic import atomic_write_bytes
    from validation.benchmarks.report import machine, write_results

    model = NeuralCG.load(args.model)
    sizes = [32, 64] if args.smoke else args.sizes
    repeats = 1 if args.smoke else args.repeats
    start = time.perf_counter()
    # PyAMG is an optional (bench) dependency: without it the table has no AMG row
    methods = tuple(m for m in METHODS if m != "pyamg" or importlib.util.find_spec("pyamg") is not None)
    rows = [r for n in sizes for r in run_size(n, model, repeats, methods)]
    results = {"benchmark": "neural_cg", "machine": machine(), "tol": TOL, "sizes": sizes, "repeats": repeats,
               "model": str(args.model), "model_params": model.get_params(),
               "model_stages": model.history_.stages, "rows": rows,
               "elapsed_s": time.perf_counter() - start}
    print(table(results))
    print("\n".join(targets(results)))
    if not args.smoke:
        write_results(args.out, results)
        md = args.out.with_suffix(".md")
        atomic_write_bytes(md, report(results).encode())
        print(f"wrote {args.out} and {md}")
    return 0


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    return "\n".join([
        "# Neural conjugate directions (DCDM) vs preconditioned CG",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; torch {m['versions']['torch']}, "
        f"numba {m['versions']['numba']}. **Timings were taken on a shared 2-core machine** (other sessions "
        "were running), single-threaded (numba, torch, BLAS): treat them as indicative.",
        "",
        f"Pressure Poisson, zero Dirichlet box, unseen obstacle layouts ({', '.join(t[0] for t in TEST)}), "
        f"b = div(v) for a random smooth v; tolerance {results['tol']:g}; medians over the layouts of the "
        f"median of {results['repeats']} timed runs (setup + solve, network evaluation included). Network "
        f"trained on 64^2 and 128^2 only: {results['model_params']}; training stages "
        f"{results.get('model_stages')}.",
        "",
        table(results),
        "",
        "Targets:",
        "",
        *targets(results),
        "",
        "Reading: the multigrid-preconditioned CG (toolkit Galerkin V(2,2)) and PyAMG SA-PCG need a handful of "
        "iterations at every size and are the fastest methods in wall time everywhere; IC(0)-PCG iterations "
        "double per grid doubling. The network was trained for about 8 CPU minutes (800 steps, then a 400-step "
        "warm restart at a lower learning rate) on Ritz-vector right-hand sides (the paper's recipe, which trains "
        "far longer on a GPU): it fits that distribution (loss ~0.05-0.1) and rough residuals, but not the "
        "smoothest modes, which dominate b = div(v) on larger grids (its DCDM loss on such b on held-out layouts "
        "is 0.44 at 64^2, 0.98 at 128^2, 1.38 at 256^2), so the nonlinear conjugate-direction iteration slows or "
        "stalls there. Training on the family's own right-hand sides or on the solver's own residuals lowered "
        "that loss at 128^2 and up but measured worse in iterations (BENCHMARKS.md). "
        "One network evaluation at 512^2 costs about as much as tens of "
        "IC(0)-PCG iterations on one CPU thread.",
        "",
        "Command: `OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python -m validation.benchmarks.neural_cg`",
        "",
    ])


SUITES.register("neural_cg", Suite(
    "neural_cg", "Neural conjugate directions vs preconditioned CG", summary.summarise_neural_cg,
    quick=("--sizes", "32", "64", "--repeats", "1"),
))


if __name__ == "__main__":
    raise SystemExit(main())
