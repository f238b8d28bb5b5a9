"""The settings the field learners share, as small frozen config objects.

A field learner takes them as ``optimiser=``, ``collocation=`` and
``checkpointing=``. Each argument accepts a config object (used as it is), a
mapping of some of its fields (laid over the learner's own defaults, so
``PINN(optimiser={"adam_steps": 500})`` keeps the PINN's other optimiser
settings), or None (the learner's defaults). A field left out of a config
object, or out of a mapping, takes the learner's own default, so
``PIG(optimiser=Optimiser(adam_steps=500))`` keeps the PIG's learning rate.
Every option keeps one name,
the field name, which is also what :func:`sciml.create_learner`, the budgets
and ``sciml compare --set`` accept directly (``adam_steps=500``).

>>> from sciml import PINN, Optimiser
>>> PINN(optimiser=Optimiser(adam_steps=100, lbfgs_iter=0)).config("optimiser").adam_steps
100
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sciml.core.params import (
    BOOLEAN,
    COUNT,
    DEFAULT,
    FRACTION,
    PATH,
    POSITIVE,
    POSITIVE_COUNT,
    Constraint,
    Settings,
    choice,
    optional,
    real,
)
from sciml.field.adaptive import STRATEGIES
from sciml.field.sampling import METHODS

# typed as Any so that a resolved config reads as its fields' own types: a learner never sees DEFAULT
LEARNER_DEFAULT: Any = DEFAULT


@dataclass(frozen=True, repr=False)
class Optimiser(Settings):
    """Adam, then L-BFGS, with a stopping rule for stalled stages.

    Parameters
    ----------
    adam_steps, lr, final_lr
        Adam stage; the learning rate decays geometrically (exponentially in
        the step) to ``final_lr`` if given.
    warmup_steps : int
        Linear learning-rate warm-up over the first Adam steps (0: none; the
        decay runs from step 0, as in JAX-PI's warm-up + exponential decay).
    lbfgs_iter : int
        Maximum L-BFGS iterations (0 skips the stage).
    lbfgs_dtype : {"float64", "float32", None}
        Precision of the L-BFGS stage (None keeps the learner's ``dtype``).
    lbfgs_resample : bool
        Keep redrawing points during L-BFGS too (restarting it each time).
    compile : bool or "auto"
        Fuse the loss with ``torch.compile``; ``"auto"`` compiles runs of at
        least 5000 steps when a C++ compiler is found; a failed compile falls
        back to eager execution with a warning.
    stall_rtol : float or None
        A stage ends when its best loss fell by less than this fraction over
        the last ``stall_window`` steps (the window restarts when points are
        redrawn); the reason is recorded in ``history_.stages[i]["stop"]``.
        None: off.
    stall_window : int
        Steps (or L-BFGS iterations) the stopping rule looks back.
    """

    adam_steps: int = LEARNER_DEFAULT
    lr: float = LEARNER_DEFAULT
    final_lr: float | None = LEARNER_DEFAULT
    warmup_steps: int = LEARNER_DEFAULT
    lbfgs_iter: int = LEARNER_DEFAULT
    lbfgs_dtype: str | None = LEARNER_DEFAULT
    lbfgs_resample: bool = LEARNER_DEFAULT
    compile: bool | str = LEARNER_DEFAULT
    stall_rtol: float | None = LEARNER_DEFAULT
    stall_window: int = LEARNER_DEFAULT

    constraints: ClassVar[dict[str, Constraint]] = {
        "adam_steps": COUNT, "lr": POSITIVE, "final_lr": optional(POSITIVE), "warmup_steps": COUNT, "lbfgs_iter": COUNT,
        "lbfgs_dtype": choice(None, "float32", "float64"), "lbfgs_resample": BOOLEAN,
        "compile": choice(True, False, "auto"), "stall_window": POSITIVE_COUNT,
        "stall_rtol": optional(real(0.0, 1.0, low_open=True, high_open=True)),
    }


@dataclass(frozen=True, repr=False)
class Collocation(Settings):
    """Where the physics loss is evaluated, and how the points are redrawn.

    Parameters
    ----------
    n_residual, n_boundary, n_initial : int
        Points per set.
    sampling : {"sobol", "uniform", "halton", "lhs"}
        How points are drawn.
    resample_every : int
        Redraw residual points every this many steps (0: never).
    adaptive : {None, "rad", "rar", "aas"}
        Placement of redrawn points (:mod:`sciml.field.adaptive`): uniform
        (None); residual-based adaptive distribution (``"rad"``); residual-based
        adaptive refinement (``"rar"``, adds the ``rar_points`` points of largest
        residual from a 10x pool at every resample, up to 4 x ``n_residual``);
        adversarial adaptive sampling (``"aas"``, Tang et al. 2024: a
        normalizing flow ``p`` takes ``aas_steps`` steps up ``E_p[r^2] -
        beta int |grad p|^2`` between redraws, and the new points are its
        samples mixed with a uniform share ``aas_uniform``; ``beta`` is
        ``aas_beta``).
    rar_points : int, optional
        Points added per resample by ``"rar"`` (None: ``n_residual // 20``).
    aas_steps : int
        Flow steps per redraw of ``"aas"`` (the residual is evaluated once
        per redraw, on a pool of 10 x ``n_residual`` points, as for RAD).
    aas_uniform : float
        Share of uniformly drawn points among ``"aas"``'s new points, in ``[0, 1]``.
    aas_beta : float
        Weight of ``"aas"``'s smoothness penalty, > 0 (larger: closer to
        uniform; :data:`sciml.field.adaptive.AAS_BETA` was chosen by measurement).
    """

    n_residual: int = LEARNER_DEFAULT
    n_boundary: int = LEARNER_DEFAULT
    n_initial: int = LEARNER_DEFAULT
    sampling: str = LEARNER_DEFAULT
    resample_every: int = LEARNER_DEFAULT
    adaptive: str | None = LEARNER_DEFAULT
    rar_points: int | None = LEARNER_DEFAULT
    aas_steps: int = LEARNER_DEFAULT
    aas_uniform: float = LEARNER_DEFAULT
    aas_beta: float = LEARNER_DEFAULT

    constraints: ClassVar[dict[str, Constraint]] = {
        "n_residual": POSITIVE_COUNT, "n_boundary": COUNT, "n_initial": COUNT, "sampling": choice(*METHODS),
        "resample_every": COUNT, "adaptive": choice(*STRATEGIES), "rar_points": optional(POSITIVE_COUNT),
        "aas_steps": POSITIVE_COUNT, "aas_uniform": FRACTION,
        "aas_beta": POSITIVE,
    }


@dataclass(frozen=True, repr=False)
class Checkpointing(Settings):
    """Checkpoint during training and continue a killed run.

    Parameters
    ----------
    checkpoint_dir : path, optional
        Checkpoint there (None: no checkpoints).
    checkpoint_every : int
        Adam steps between checkpoints (every stage's end is checkpointed too).
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` if there is one.
    """

    checkpoint_dir: str | None = LEARNER_DEFAULT
    checkpoint_every: int = LEARNER_DEFAULT
    resume: bool = LEARNER_DEFAULT

    constraints: ClassVar[dict[str, Constraint]] = {
        "checkpoint_dir": PATH, "checkpoint_every": POSITIVE_COUNT, "resume": BOOLEAN,
    }


Config = Optimiser | Collocation | Checkpointing

#: the field learners' checkpoint defaults: off
NO_CHECKPOINTS = Checkpointing(checkpoint_dir=None, checkpoint_every=1000, resume=False)
