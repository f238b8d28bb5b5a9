"""The learner contract and the registry of learners by name.

Every learner, of every kind, is a :class:`Learner`:

- it stores its hyperparameters in ``__init__`` unchanged (scikit-learn
  style); ``get_params`` returns them, which is also what a saved model's JSON
  config holds. Each class lists a constraint per argument in ``_constraints``
  (:mod:`sciml.core.params`); :meth:`Learner._validate_params` checks them at
  the start of ``fit``, on ``load`` and in :func:`create_learner`;
- ``fit(problem, ...)`` does the work and sets the fitted attributes every
  learner has: ``history_`` (a :class:`~sciml.core.history.History`),
  ``fit_time_`` (seconds) and ``n_parameters_``;
- ``save(directory)`` / ``load(directory)`` write and read safetensors + JSON
  (no pickle) through one pair of hooks, :meth:`Learner._state` (state out)
  and :meth:`Learner._restore` (state in);
- :meth:`Learner.fitted_structure` gives any extra fitted structure (PIG's
  Gaussians, LPINN's characteristics) as an xarray Dataset, so ``compare``,
  the figures and the CLI never ask which learner they hold.

The three kinds declare what ``problem`` is: field learners
(:class:`sciml.field.learner.FieldLearner`) ``fit(equation)`` and
``predict(points)``; operator learners
(:class:`sciml.operators.learner.OperatorLearner`) ``fit(dataset)`` and
``predict(inputs)``; solver accelerators
(:class:`sciml.accelerators.base.Accelerator`) ``fit(systems)`` and
``preconditioner(system)``, a SciPy ``LinearOperator``.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
import xarray as xr

from equations.errors import ExtrapolationWarning, InvalidDataError, InvalidParameterError
from equations.registry import Registry
from sciml.core.checkpoint import (
    MALFORMED_CONFIG,
    bundle_header,
    bundle_tensors,
    jsonable_params,
    save_bundle,
    tensors_file_bytes,
)
from sciml.core.history import History
from sciml.core.memory import NetworkSize, check_saved
from sciml.core.params import Constraint, Settings, merged, resolve_config, validate

L = TypeVar("L", bound="Learner")
KINDS = ("field", "operator", "accelerator")


class Learner:
    """Base class of every learner (see the module docstring for the contract).

    Attributes
    ----------
    history_ : History
        Loss per recorded step, its parts, and per-stage timings and stop reasons.
    fit_time_ : float
        Seconds spent in ``fit`` (training; for a loaded model, the saved value).
    n_parameters_ : int
        Trainable numbers of the fitted model.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""  # one of KINDS, set by the kind's base class
    # a constraint per constructor argument; subclasses add theirs (merged along the MRO)
    _constraints: ClassVar[dict[str, Constraint]] = {}
    # named presets of settings (see BUDGETS), by setting name; "full" is the constructor's defaults
    budgets: ClassVar[dict[str, dict[str, Any]]] = {}
    # constructor arguments that take a config object, with this learner's defaults (sciml.field.config)
    configs: ClassVar[dict[str, Any]] = {}

    history_: History
    fit_time_: float
    n_parameters_: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):  # only a class that names itself (a subclass must not take its parent's)
            LEARNERS.register(cls.name, cls)

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments as given.

        A subclass whose ``__init__`` passes ``**options`` on to its parent's
        contributes its own arguments and then the parent's.
        """
        return {k: getattr(self, k) for k in self._arguments()}

    @classmethod
    def parameter_constraints(cls) -> dict[str, Constraint]:
        """Every constraint of this class and its bases (the most derived one wins).

        A config argument accepts None, a mapping or its config type; its
        fields are checked by their own constraints (:meth:`_validate_params`).
        """
        configs = {key: _config_argument(type(default)) for key, default in cls.configs.items()}
        return {**configs, **merged(cls.__mro__)}

    def config(self, key: str) -> Any:
        """The config object argument ``key`` stands for (its value laid over this learner's defaults)."""
        return resolve_config(self.name or type(self).__name__, key, getattr(self, key), self.configs[key])

    def _validate_params(self) -> None:
        """Raise :class:`~equations.errors.InvalidParameterError` naming the first bad hyperparameter.

        The fields of config arguments are checked by their own names
        (``lr``, not ``optimiser.lr``): every setting has one name.
        """
        owner = self.name or type(self).__name__
        settings, constraints = {}, dict(self.parameter_constraints())
        for key, value in self.get_params().items():
            if key in self.configs:
                config = self.config(key)
                settings.update({f.name: getattr(config, f.name) for f in dataclasses.fields(config)})
                constraints.update(type(config).constraints)
            else:
                settings[key] = value
        validate(owner, settings, constraints)

    @classmethod
    def _arguments(cls) -> list[str]:
        """The constructor's argument names, following ``**options`` on to the parents' constructors."""
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            params = list(inspect.signature(init).parameters.values())
            names += [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if not any(p.kind is p.VAR_KEYWORD for p in params):
                break
        return list(dict.fromkeys(names))

    @classmethod
    def _takes_any_keyword(cls) -> bool:
        """Whether the constructor chain ends in ``**kwargs`` (then any name may be an argument)."""
        inits = [k.__dict__["__init__"] for k in cls.__mro__ if "__init__" in k.__dict__ and k is not object]
        last = inits[-1] if inits else None
        return last is not None and any(p.kind is p.VAR_KEYWORD for p in inspect.signature(last).parameters.values())

    @classmethod
    def from_settings(cls: type[L], **settings: Any) -> L:
        """Build from settings by name: ``PINN.from_settings(hidden=[8], adam_steps=10)``.

        A setting that is a field of one of the learner's config objects goes
        into that config (:meth:`nest_settings`); the others are constructor
        arguments.
        """
        return cls(**cls.nest_settings(settings))

    @classmethod
    def nest_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments from settings by name: a config's field goes into that config's mapping.

        ``PINN.nest_settings({"adam_steps": 10, "hidden": [8]})`` gives
        ``{"optimiser": {"adam_steps": 10}, "hidden": [8]}``; what is already a
        constructor argument stays as it is.
        """
        owner: dict[str, str] = {f.name: key for key, default in cls.configs.items()
                                 for f in dataclasses.fields(default)}
        known = set(owner) | set(cls._arguments())
        unknown = sorted(str(name) for name in settings if name not in known)
        if unknown and not cls._takes_any_keyword():
            close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidParameterError(f"{cls.name or cls.__name__}: unknown setting {', '.join(unknown)}{hint}; "
                                        f"settings: {', '.join(sorted(known))}")
        out = {name: value for name, value in settings.items() if name not in owner}
        for name, value in settings.items():
            key = owner.get(name)
            if key is None:
                continue
            given = out.get(key)  # a config argument given too: the field is laid over it
            if given is None:
                given = {}
            elif isinstance(given, Settings):
                given = given.given()
            out[key] = {**given, name: value} if isinstance(given, Mapping) else given
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- the kind's verbs (a kind's base class narrows them) ------------------------------
    def fit(self: L, problem: Any, /, *args: Any, **kwargs: Any) -> L:
        """Train on ``problem`` (an equation, a dataset or linear systems, by kind); returns ``self``."""
        raise NotImplementedError

    def fitted_structure(self) -> xr.Dataset:
        """Extra fitted structure as xarray variables (e.g. PIG's Gaussians); empty by default.

        ``compare`` stores every variable in its output (prefixed with the
        learner's label) and the figures draw what they recognise by its
        ``attrs["role"]`` (``"centres"``: points with ``x``/``y`` coordinates).
        """
        self._check_fitted()
        return xr.Dataset()

    # -- fitted state --------------------------------------------------------------
    def _set_contract(self, history: History, seconds: float, n_parameters: int) -> None:
        """Set the fitted attributes every learner has."""
        self.history_ = history
        self.fit_time_ = float(seconds)
        self.n_parameters_ = int(n_parameters)

    def _is_fitted(self) -> bool:
        return hasattr(self, "n_parameters_")

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise InvalidParameterError(f"this {type(self).__name__} is not fitted yet: call fit first")

    # -- persistence: one pair of hooks --------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """State out: JSON-able fitted metadata and the tensors to save."""
        raise NotImplementedError

    def _saved_size(self, fitted: dict[str, Any]) -> NetworkSize | None:
        """What the saved config describes, counted before anything is built (None: no check)."""
        return None

    def _restore(self, fitted: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """State in: rebuild the fitted model from :meth:`_state`'s output (``history_`` etc. are set after)."""
        raise NotImplementedError

    def save(self, directory: str | Path) -> None:
        """Weights to ``tensors.safetensors``, config, fitted metadata and history to JSON (no pickle).

        Both files are written atomically (:func:`sciml.core.checkpoint.save_bundle`).
        """
        self._check_fitted()
        fitted, tensors = self._state()
        meta = {"learner": self.name, "kind": self.kind, "params": jsonable_params(self.get_params()),
                "fitted": fitted, "fit_time_s": self.fit_time_, "history": self.history_.to_dict(),
                "n_parameters": self.n_parameters_}
        save_bundle(directory, tensors, meta)

    @classmethod
    def load(cls: type[L], directory: str | Path) -> L:
        """Rebuild a saved learner; :class:`~equations.errors.InvalidDataError` for files that do not match.

        The config is validated and the model it describes is counted against
        the weights file's header and the available memory before anything is
        built or read (:func:`sciml.core.memory.check_saved`).
        """
        meta, shapes = bundle_header(directory)
        if meta.get("learner") != cls.name:
            raise InvalidDataError(f"{directory} does not hold a saved {cls.name} model "
                                   f"(it holds {meta.get('learner') or 'something else'!r})")
        try:
            learner = cls(**meta["params"])
            learner._validate_params()
            fitted = dict(meta["fitted"])
            history = History.from_dict(meta["history"])
            fit_time = float(meta["fit_time_s"])
            size = learner._saved_size(fitted)
        except MALFORMED_CONFIG as exc:
            raise InvalidDataError(f"{directory}: malformed model config ({type(exc).__name__}: {exc})") from None
        if size is not None:
            check_saved(directory, size, getattr(learner, "dtype", "float32"), shapes, tensors_file_bytes(directory))
        tensors = bundle_tensors(directory)
        try:
            learner._restore(fitted, tensors)
        except InvalidDataError as exc:
            raise InvalidDataError(f"{directory}: {exc}") from None
        except MALFORMED_CONFIG as exc:
            raise InvalidDataError(f"{directory}: malformed model config ({type(exc).__name__}: {exc})") from None
        learner.history_, learner.fit_time_ = history, fit_time
        return learner


def _config_argument(kind: type) -> Constraint:
    return Constraint(lambda v: v is None or isinstance(v, (Mapping, kind)), f"None, a mapping or a {kind.__name__}")


def copy_tensors(targets: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor]) -> None:
    """Copy saved ``tensors`` into the built model's ``targets``, naming a missing or misshapen one."""
    for key, target in targets.items():
        if key not in tensors:
            raise InvalidDataError(f"the weights file has no tensor {key!r}")
        if tuple(target.shape) != tuple(tensors[key].shape):
            raise InvalidDataError(f"weights {key!r} have shape {tuple(tensors[key].shape)}, the "
                                   f"config expects {tuple(target.shape)}")
        with torch.no_grad():
            target.copy_(tensors[key])


def load_module_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Copy saved ``tensors`` into ``module``'s state, refusing extra, missing or misshapen ones by name."""
    targets = dict(module.state_dict())
    extra = sorted(set(tensors) - set(targets))
    if extra:
        raise InvalidDataError(f"the weights file has tensors the config does not describe: {', '.join(extra)}")
    copy_tensors(targets, tensors)


def warn_extrapolation(learner: object, distance: np.ndarray, where: str, stacklevel: int = 3) -> None:
    """Warn once per learner (:class:`~equations.errors.ExtrapolationWarning`) if some points lie outside.

    Parameters
    ----------
    learner : object
        The learner predicting; it remembers that it has warned.
    distance : array
        Distance of each prediction point outside ``where`` (0 inside).
    where : str
        What the points should lie in (``"the burgers domain (bounds ...)"``).
    stacklevel : int
        Passed to :func:`warnings.warn`, so the warning names the user's call.
    """
    outside = np.asarray(distance) > 0
    if getattr(learner, "_warned_extrapolation", False) or not outside.any():
        return
    learner._warned_extrapolation = True  # type: ignore[attr-defined]
    warnings.warn(f"{type(learner).__name__}.predict: {int(outside.sum())} of {outside.size} points lie outside "
                  f"{where}, up to {float(np.max(distance)):.3g} beyond it; the values there are extrapolated, "
                  "not learned", ExtrapolationWarning, stacklevel=stacklevel)


# every learner of every kind by name; the modules of `sciml` register theirs by defining them
LEARNERS: Registry[type[Learner]] = Registry("learner", packages=("sciml",))


def learner_names() -> tuple[str, ...]:
    """Every registered learner (``LEARNERS.names()``)."""
    return LEARNERS.names()


# "quick": a recipe that trains in about a minute on a 2-core CPU (what `sciml compare` runs by default);
# "full": the learner's defaults, the recipe its benchmark measures (minutes to tens of minutes)
BUDGETS = ("quick", "full")


def create_learner(name: str, budget: str | None = None, **params: Any) -> Learner:
    """Build a registered learner by name, e.g. ``create_learner("pinn", adam_steps=100)``.

    Parameters
    ----------
    name : str
        A registered learner (:func:`learner_names`).
    budget : {None, "quick", "full"}
        A preset of the training budget (:data:`BUDGETS`): ``"quick"`` takes the
        class's ``budgets["quick"]`` (about a minute on a 2-core CPU), ``"full"``
        or None its defaults. Explicit ``params`` override the preset.
    **params
        Constructor arguments, or settings by their name: a field of one of
        the learner's config objects (``adam_steps``) goes into that config
        (:meth:`Learner.nest_settings`).

    The hyperparameters are validated at once (:meth:`Learner._validate_params`),
    so a bad value is refused before any reference is solved or any data made.
    """
    cls = LEARNERS.get(name)
    if budget is not None and budget not in BUDGETS:
        raise InvalidParameterError(f"budget must be one of {', '.join(BUDGETS)}, got {budget!r}")
    preset = cls.budgets.get(budget, {}) if budget is not None else {}
    learner = cls.from_settings(**{**preset, **params})
    learner._validate_params()
    return learner
