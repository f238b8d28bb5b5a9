"""Train the multigrid neural operator MgNO on Darcy flow, with the FNO baseline beside it.

The data come from the toolkit's multigrid solver (the FNO protocol); both
learners use the same trainer, loss and budget. ``torchrun`` runs the same
training on several processes.

    python examples/mgno_darcy.py [--quick]
"""

import sys

from sciml import FNO, MgNO
from validation import datasets

quick = "--quick" in sys.argv
n_train, res, epochs = (16, 17, 2) if quick else (1000, 64, 50)
train = datasets.make("darcy", n_train, resolution=res, seed=0)
test = datasets.make("darcy", 8 if quick else 100, resolution=res, seed=1)
small = dict(channels=6, layers=2, smoothing=(1, 1, 1)) if quick else {}
for model in (MgNO(epochs=epochs, lr=2e-3, seed=0, **small),
              FNO(epochs=epochs, lr=2e-3, seed=0, **(dict(width=6, modes=4, layers=2) if quick else {}))):
    model.fit(train)
    print(f"{model.name}: {model.n_parameters_:,} parameters, test {model.evaluate(test)}")
model.save("results/examples/fno_darcy")
