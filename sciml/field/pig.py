"""Physics-Informed Gaussians (Kang et al. 2024): a PINN whose input is a learnable Gaussian mesh.

The network is a tiny MLP (one hidden layer of 16 by default) reading the
features of ``n_gaussians`` trainable Gaussians (:mod:`sciml.field.gaussians`);
everything else -- losses, constraints, sampling, causal weights, balancing,
Adam then float64 L-BFGS, checkpoints -- is the :class:`~sciml.field.pinn.PINN`'s, so
the two are interchangeable in ``compare``. Fitted centres and widths are in
:meth:`PIG.gaussians` (the adaptive mesh).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch
import xarray as xr

from equations import Equation
from equations.errors import InvalidParameterError
from sciml.core.memory import NetworkSize
from sciml.core.networks import MLP
from sciml.core.params import BOOLEAN, POSITIVE, POSITIVE_COUNT, Constraint, choice, optional
from sciml.core.runtime import resolve_device, resolve_dtype, torch_generator
from sciml.field.config import NO_CHECKPOINTS
from sciml.field.gaussian_covariance import precision
from sciml.field.gaussians import GaussianEmbedding
from sciml.field.pinn import PINN


class PIG(PINN):
    """Physics-informed Gaussians: ``u = MLP(sum_i f_i G_i(x))`` trained like a PINN.

    Parameters
    ----------
    n_gaussians : int
        Number of Gaussians (the authors use 100 to 4000 by problem).
    sigma : float
        Initial width, in coordinates scaled to ``[-1, 1]`` per axis (0.1 in the
        paper's 2D problems, 0.5 for Klein--Gordon).
    channels : int
        Features per Gaussian (4 in the paper).
    neighbours : int, optional
        Sum only the nearest Gaussians at each point (memory ``n K`` instead of
        ``n N`` for many points x many Gaussians); None (the default, as in the
        paper) sums all of them.
    learn_means, learn_sigmas : bool
        Adapt the centres and widths (the paper's point); False keeps a fixed mesh.
    hidden : sequence of int
        Hidden widths of the MLP after the embedding.
    covariance : {"diagonal", "full"}
        Axis-aligned Gaussians, or rotated / sheared ones (see
        :meth:`full_covariance`, the paper's fine-tuning step).
    **options
        Any other :class:`PINN` argument (constraints, causal, seed...). The
        config defaults differ from the PINN's: ``optimiser`` Adam 5000 steps
        from 1e-2 to 1e-3 then up to 1000 L-BFGS iterations, not compiled (the
        Gaussian jet is already a few matmuls and one ``exp``, so there is
        little to fuse, and compiling took 84 s for the Helmholtz loss);
        ``collocation`` redrawn uniformly every 100 steps.
    """

    name = "pig"
    budgets: ClassVar[dict[str, dict[str, Any]]] = {"quick": {"adam_steps": 1000, "lbfgs_iter": 300}}
    configs: ClassVar[dict[str, Any]] = {
        "collocation": replace(PINN.configs["collocation"], resample_every=100, adaptive=None),
        "optimiser": replace(PINN.configs["optimiser"], adam_steps=5000, lr=1e-2, final_lr=1e-3, lbfgs_iter=1000,
                             compile=False),
        "checkpointing": NO_CHECKPOINTS,
    }
    _constraints: ClassVar[dict[str, Constraint]] = {
        "n_gaussians": POSITIVE_COUNT, "sigma": POSITIVE, "channels": POSITIVE_COUNT,
        "neighbours": optional(POSITIVE_COUNT), "learn_means": BOOLEAN, "learn_sigmas": BOOLEAN,
        "covariance": choice("diagonal", "full"),
    }

    def __init__(
        self,
        n_gaussians: int = 800,
        sigma: float = 0.1,
        channels: int = 4,
        neighbours: int | None = None,
        learn_means: bool = True,
        learn_sigmas: bool = True,
        covariance: str = "diagonal",
        hidden: Sequence[int] = (16,),
        **options: Any,
    ):
        super().__init__(hidden=hidden, **options)
        self.n_gaussians = n_gaussians
        self.sigma = sigma
        self.channels = channels
        self.neighbours = neighbours
        self.learn_means = learn_means
        self.learn_sigmas = learn_sigmas
        self.covariance = covariance
        self._start: dict[str, torch.Tensor] | None = None  # weights to fine-tune from (full_covariance)

    def full_covariance(self, **overrides: Any) -> PIG:
        """A PIG with full covariances that starts from this fitted diagonal one.

        The new model has this one's hyperparameters (``overrides`` replace
        some, e.g. ``adam_steps``, ``lr``), ``covariance="full"`` and, at the
        start of its ``fit``, this model's weights with zero shear: the
        Gaussians begin axis-aligned exactly where training left them and may
        then rotate. Fit it on the same equation.
        """
        self._check_fitted()
        if self.covariance != "diagonal":
            raise InvalidParameterError("full_covariance() fine-tunes a diagonal PIG; this one is already full")
        tuned = type(self)(**self.nest_settings({**self.get_params(), **overrides, "covariance": "full"}))
        tuned._start = {k: v.detach().clone() for k, v in self.model_.state_dict().items()}
        return tuned

    def _network_size(self, equation: Equation) -> NetworkSize:
        d = len(equation.domain.names)
        widths = [self.channels, *self.hidden, len(equation.unknowns)]
        gaussians = GaussianEmbedding.count(d, self.n_gaussians, self.channels, self.covariance)
        # per point: one weight per Gaussian summed (all of them, or the nearest ``neighbours``)
        per_point = d + (self.neighbours or self.n_gaussians) + sum(widths)
        return NetworkSize(MLP.count(widths) + gaussians, 2 * d, per_point)

    def _build_net(self, equation: Equation) -> MLP:
        if self.embedding is not None:
            raise InvalidParameterError("a PIG's input embedding is its Gaussians: leave embedding=None")
        domain = equation.domain
        lower, upper = zip(*domain.bounds)
        dev, dtype = resolve_device(self.device), resolve_dtype(self.dtype)
        gen = torch_generator(self.seed, dev)
        embedding = GaussianEmbedding(
            len(domain.names), self.n_gaussians, self.channels, self.sigma, neighbours=self.neighbours,
            learn_means=self.learn_means, learn_sigmas=self.learn_sigmas, covariance=self.covariance, generator=gen,
            device=dev, dtype=dtype,
        )
        net = MLP([len(domain.names), *self.hidden, len(equation.unknowns)], self.activation, lower, upper,
                  generator=gen, device=dev, dtype=dtype, embedding=embedding)
        if self._start is not None:
            missing, unexpected = net.load_state_dict(self._start, strict=False)
            if unexpected or set(missing) - {"embedding.shear"}:
                raise InvalidParameterError("full_covariance(): the diagonal model does not match this equation")
        return net

    def gaussians(self) -> dict[str, np.ndarray]:
        """Fitted centres ``(N, d)``, widths ``(N, d)`` and covariances ``(N, d, d)`` in the equation's coordinates."""
        self._check_fitted()
        emb = self.model_.embedding
        assert isinstance(emb, GaussianEmbedding)
        with torch.no_grad():
            shift, scale = self.model_.shift, self.model_.scale
            centres = emb.means / scale + shift
            if emb.covariance == "full":
                cov = torch.linalg.inv(precision(emb.log_sigma, emb.shear))
            else:
                cov = torch.diag_embed(torch.exp(2.0 * emb.log_sigma))
            cov = cov / (scale[:, None] * scale[None, :])  # s = (x - shift) * scale
            widths = torch.sqrt(torch.diagonal(cov, dim1=1, dim2=2))
        return {"centres": centres.double().cpu().numpy(), "widths": widths.double().cpu().numpy(),
                "covariances": cov.double().cpu().numpy()}

    def fitted_structure(self) -> xr.Dataset:
        """The fitted Gaussian mesh as xarray variables (drawn by ``comparison_figure`` over the prediction).

        Returns
        -------
        xarray.Dataset
            ``gaussian_centre`` (role ``"centres"``) and ``gaussian_width``
            (role ``"widths"``, standard deviations) over ``(gaussian, input)``,
            and ``gaussian_covariance`` (role ``"covariances"``) over
            ``(gaussian, input, input_2)``; ``input`` and ``input_2`` list the
            equation's coordinate names. Everything is in the equation's
            coordinates (:meth:`gaussians`).
        """
        mesh = self.gaussians()
        names = list(self.equation_.domain.names)
        coords = {"input": names, "input_2": names}
        dims = ("gaussian", "input")
        return xr.Dataset({
            "gaussian_centre": xr.DataArray(mesh["centres"], {"input": names}, dims, attrs={
                "role": "centres", "long_name": "centres of the Gaussians"}),
            "gaussian_width": xr.DataArray(mesh["widths"], {"input": names}, dims, attrs={
                "role": "widths", "long_name": "widths (sigma) of the Gaussians"}),
            "gaussian_covariance": xr.DataArray(mesh["covariances"], coords, (*dims, "input_2"), attrs={
                "role": "covariances", "long_name": "covariance matrices of the Gaussians"}),
        })
