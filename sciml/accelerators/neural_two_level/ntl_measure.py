"""Measure NTL vs SGS-PCG vs operator-dependent Galerkin MG-PCG vs IC(0)-PCG on unseen seeds."""
import sys, time, warnings, numpy as np, torch
torch.set_num_threads(1)
warnings.simplefilter("ignore", RuntimeWarning)
from sciml.accelerators.learned_multigrid.data import random_system
from sciml.accelerators.neural_two_level.learner import NeuralTwoLevel, TwoLevelPreconditioner
from solvers import cg
from solvers.krylov import galerkin_preconditioner, ic0_preconditioner, conjugate_directions

model_dir = sys.argv[1]
sizes = [int(v) for v in sys.argv[2].split(",")]
methods = sys.argv[3].split(",") if len(sys.argv) > 3 else ["ntl", "sgs", "mg", "ic0"]
model = NeuralTwoLevel.load(model_dir)
CASES = [("checker", 1e4, 0), ("checker", 1e6, 0), ("inclusions", 1e6, 0), ("constant", 1.0, 16)]
CAP = {65: 3000, 129: 3000, 257: 3000, 513: 1500, 1025: 600}

def run(name, system, b):
    n = system.shape[0]
    h = 1.0 / (n - 1)
    cap = CAP.get(n, 1000)
    share = ""
    t0 = time.perf_counter()
    if name.startswith("ntl"):
        M = model.preconditioner(system)
        t1 = time.perf_counter()
        if name == "ntl":
            x, info = cg(system.matrix, b, rtol=1e-6, M=M, flexible=True, maxiter=cap if n < 257 else 500)
        else:  # conjugate directions, k previous
            x, info = conjugate_directions(system.matrix, b, M.matvec, rtol=1e-6, k=int(name[6:]),
                                           maxiter=cap if n < 257 else 500)
        t2 = time.perf_counter()
        st = M.stats
        share = f" net {st.network_seconds / (t2 - t1):.0%} corr {st.correction_seconds / (t2 - t1):.0%} drop {st.dropped}/{st.applications}"
    else:
        if name == "sgs":
            M = TwoLevelPreconditioner(system, None).operator()
        elif name == "mg":
            M = galerkin_preconditioner(system.a, h, h, solid=system.solid, sweeps=1, interpolation="operator")
        elif name == "ic0":
            M = ic0_preconditioner(system.matrix)
        t1 = time.perf_counter()
        x, info = cg(system.matrix, b, rtol=1e-6, M=M, maxiter=cap)
        t2 = time.perf_counter()
    rel = np.linalg.norm(b - system.matrix @ x) / np.linalg.norm(b)
    it = info.iterations
    print(f"  {name:7s} it {it:5d}{'' if info.converged else '(NC)'} true_rel {rel:.1e} setup {t1 - t0:7.3f}s "
          f"solve {t2 - t1:8.3f}s per-it {(t2 - t1) / max(it, 1) * 1e3:7.2f}ms{share}", flush=True)

for n in sizes:
    for ci, (kind, contrast, obst) in enumerate(CASES):
        system = random_system(n, 90000 + 17 * ci, kind=kind, contrast=contrast, obstacle_count=obst)
        b = np.random.default_rng(7).standard_normal(system.size)
        print(f"n={n} {kind} contrast={contrast:g} obstacles={obst} unknowns={system.size}", flush=True)
        for name in methods:
            run(name, system, b)
