import sys, time, numpy as np, torch
torch.set_num_threads(1)
from sciml.accelerators.learned_multigrid.data import training_systems
from sciml.accelerators.neural_two_level.learner import NeuralTwoLevel
from sciml.core.callbacks import Callback
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/ntl_model"
t = time.time()
systems = training_systems(40, 33, 100) + training_systems(24, 65, 200) + training_systems(12, 129, 300)
print("systems", len(systems), time.time() - t, flush=True)
m = NeuralTwoLevel(width=12, directions=4, steps=steps, batch_size=4, probes=4, lr=2e-3, seed=0, smooth_emphasis=int(sys.argv[3]) if len(sys.argv) > 3 else 0)
m.fit(systems)
h = m.history_.to_dict()
loss = np.array(h["loss"])
for i in range(0, len(loss), max(1, len(loss) // 15)):
    print(h["step"][i], loss[max(0, i - 50):i + 1].mean(), flush=True)
print("last100", loss[-100:].mean(), "first50", loss[:50].mean())
print("fit_time", m.fit_time_, "params", m.n_parameters_)
m.save(out)
