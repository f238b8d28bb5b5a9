"""A classical solve exported for ParaView: the L-shape Poisson problem by multigrid.

``solvers.solve`` returns the classical solution as an xarray DataArray on the
grid (NaN outside the L); ``to_vtu`` / ``to_xdmf`` write it for ParaView and
``to_netcdf`` with CF attributes for everything else. Datasets from
``compare`` export the same way, with the learners' predictions and errors.

    python examples/export_paraview.py [--quick]
"""

import sys

import solvers
from equations import LShapePoisson
from validation import to_netcdf, to_vtu, to_xdmf

n = 33 if "--quick" in sys.argv else 1025
u = solvers.solve(LShapePoisson(), (n, n))
ds = u.to_dataset(name="u")
print(ds)
for path in (to_vtu(ds, "results/examples/lshape.vtu"), to_xdmf(ds, "results/examples/lshape.xdmf"),
             to_netcdf(ds, "results/examples/lshape.nc")):
    print("wrote", path)
