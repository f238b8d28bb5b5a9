"""Generate an operator-learning dataset on disk, resumably, and load it back checked.

``generate`` writes finished chunks as it goes: run it again after an
interruption (Ctrl-C, a killed job) and it computes only what is missing.
``load`` checks the manifest and checksums and raises ``DatasetError`` on a
damaged or mismatched file.

    python examples/generate_dataset.py [--quick]
"""

import sys

from validation import datasets

n, res = (40, 17) if "--quick" in sys.argv else (1000, 64)
path = datasets.generate("darcy", n, "results/examples/darcy.nc", resolution=res, seed=0, chunk=20)
ds = datasets.load(path)
print(ds)
print("manifest:", ds.attrs["manifest"][:200], "...")
