"""Operator-learning datasets made by the toolkit's own samplers and classical solvers.

    ds = make("antiderivative", 100, seed=0)                   # in memory
    path = generate("darcy", 1000, "data/generated/darcy.nc", resolution=85, workers=4)
    ds = load(path)                                            # manifest and checksum checked
    ds = from_inputs("antiderivative", u)                      # the user's own inputs (n, sensors)
    DATASETS.names()                                           # the families: one module each, found by itself

Every dataset holds ``input`` (dims ``("sample", *input_dims)``) and ``output``
(dims ``("sample", *output_dims)``), float64, with coordinates, CF attributes
and a JSON manifest in ``attrs["manifest"]``. Sample ``i`` depends only on
``(seed, i)``, so chunked, resumed and parallel runs give identical data: bit
for bit under the same BLAS thread count; across thread counts, equal to
rounding (4e-16 measured on an antiderivative sample).
"""

from validation.datasets.build import compute_samples, from_inputs, make
from validation.datasets.generate import generate
from validation.datasets.registry import DATASETS, DatasetSpec, Field
from validation.datasets.store import load, validate

__all__ = ["DATASETS", "DatasetSpec", "Field", "compute_samples", "from_inputs", "generate", "load", "make",
           "validate"]
