"""Training loop: loss drops, float64 L-BFGS keeps going, NaN guard, checkpoint and resume."""

import math

import numpy as np
import pytest
import torch

from equations import Burgers, InvalidParameterError, Poisson2D, TrainingDivergedError
from sciml import PINN, Callback, Collocation, Optimiser
from sciml.core.training import LBFGS, Adam, StallRule, Trainer


def test_loss_drops_and_poisson_error_small():
    eq = Poisson2D()
    pinn = PINN(
        hidden=(16, 16),
        seed=1,
        collocation=Collocation(n_residual=400),
        optimiser=Optimiser(adam_steps=300, lr=3e-3, lbfgs_iter=150),
    ).fit(eq)
    loss = pinn.history_.loss
    assert loss[-1] < loss[0] / 100
    g = np.linspace(0, 1, 21)
    pts = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    exact = eq.exact({"x": pts[:, 0], "y": pts[:, 1]})
    rel = np.linalg.norm(pinn.predict(pts) - exact) / np.linalg.norm(exact)
    assert rel < 1e-2


def test_lbfgs_float64_stage_runs_many_iterations():
    pinn = PINN(
        hidden=(16, 16),
        constraints="soft",
        seed=0,
        collocation=Collocation(n_residual=300, n_boundary=40, n_initial=40),
        optimiser=Optimiser(adam_steps=200, lbfgs_iter=300),
    ).fit(Burgers())
    lbfgs = pinn.history_.stages[1]
    assert lbfgs["stage"] == "LBFGS" and lbfgs["steps"] >= 250
    adam_end = pinn.history_.loss[199]
    assert pinn.history_.loss[-1] < adam_end / 5


class _Objective:
    """A quadratic whose loss turns NaN once x[0] passes a threshold."""

    def __init__(self):
        self.p = torch.nn.Parameter(torch.tensor([0.0, 1.0], dtype=torch.float64))

    def parameters(self):
        return [self.p]

    def loss(self):
        loss = ((self.p - 10.0) ** 2).sum()
        if self.p[0].item() > 0.05:
            loss = loss * math.nan
        return loss, {"residual": loss}

    def cast(self, dtype):
        pass

    def on_step(self, step):
        pass

    def state_tensors(self):
        return {}

    def load_state_tensors(self, tensors):
        pass


def test_nan_guard_stops_and_keeps_last_good_weights(tmp_path):
    obj = _Objective()
    trainer = Trainer([Adam(1000, lr=1e-2)], checkpoint_dir=tmp_path / "ck", checkpoint_every=2)
    with pytest.raises(TrainingDivergedError, match="loss became nan"):
        trainer.fit(obj)
    assert 0 < obj.p[0].item() <= 0.05  # the last weights with a finite loss
    assert (tmp_path / "ck" / "tensors.safetensors").exists()


class _Kill(Callback):
    def __init__(self, at):
        self.at = at

    def on_step(self, trainer, loss):
        if trainer.step == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize("sampling", ["sobol", "uniform"])
def test_resume_after_kill_matches_uninterrupted(tmp_path, sampling):
    # killed at step 75, resumed from the step-50 checkpoint: the redraws at 80 and 120 must match
    def make(**kw):
        return PINN.from_settings(hidden=(8, 8), constraints="soft", seed=3, n_residual=100, n_boundary=10,
                                  n_initial=10, resample_every=40, adaptive="rad", sampling=sampling,
                                  adam_steps=120, lbfgs_iter=0, compile=False, checkpoint_every=25, **kw)

    full = make().fit(Burgers())
    ck = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        make(checkpoint_dir=str(ck)).fit(Burgers(), callbacks=[_Kill(75)])
    resumed = make(checkpoint_dir=str(ck), resume=True).fit(Burgers())
    torch.testing.assert_close(resumed.model_.flat, full.model_.flat, rtol=0, atol=0)
    assert resumed.history_.loss == full.history_.loss


def test_lbfgs_stage_is_float64_then_back_to_float32():
    pinn = PINN(
        hidden=(8,),
        seed=0,
        constraints="hard",
        collocation=Collocation(n_residual=50),
        optimiser=Optimiser(adam_steps=5, lbfgs_iter=5),
    )
    pinn.fit(Poisson2D())
    assert pinn.model_.flat.dtype == torch.float32
    assert LBFGS(5).dtype == "float64"


class _Plateau:
    """A loss that falls as ``1 + 1/(calls + 1)``-like steps until ``flat_after`` calls, then stays put;
    it can pretend to compile (a slow first call) and redraw its points at chosen steps."""

    def __init__(self, flat_after: int, first_call_s: float = 0.0, redraw_at: tuple[int, ...] = (),
                 compiles: bool = False):
        self.p = torch.nn.Parameter(torch.tensor([5.0], dtype=torch.float64))
        self.flat_after, self.first_call_s = flat_after, first_call_s
        self.redraw_at, self.compiles = redraw_at, compiles
        self.calls = 0

    def parameters(self):
        return [self.p]

    def loss(self):
        import time

        if self.calls == 0 and self.first_call_s:
            time.sleep(self.first_call_s)
        self.calls += 1
        scale = 1.0 / min(self.calls, self.flat_after)  # falls, then flat
        loss = scale + 0.0 * self.p.sum() ** 2
        return loss, {"residual": loss.detach()}

    def cast(self, dtype):
        pass

    def on_step(self, step):
        return step in self.redraw_at

    def state_tensors(self):
        return {}

    def load_state_tensors(self, tensors):
        pass


def test_stall_rule_stops_adam_on_a_plateau_and_records_why():
    from sciml.core.training import StallRule

    objective = _Plateau(flat_after=50)
    history = Trainer([Adam(1000, stall=StallRule(1e-2, window=20))]).fit(objective)
    stage = history.stages[0]
    # the loss stops falling after 50 calls: the rule fires 20 steps later (plus the step it is seen on)
    assert 60 <= stage["steps"] <= 75
    assert stage["stop"].startswith("stalled") and "0.01" in stage["stop"] and "20 steps" in stage["stop"]
    off = Trainer([Adam(200, stall=StallRule(None))]).fit(_Plateau(flat_after=50))
    assert off.stages[0]["steps"] == 200 and off.stages[0]["stop"] == "budget"


def test_stall_window_restarts_when_points_are_redrawn():
    from sciml.core.training import StallRule

    # flat from call 10 on, but redrawn at steps 25 and 45: windows of 20 restart there, so it stops at ~65
    history = Trainer([Adam(1000, stall=StallRule(1e-2, window=20))]).fit(_Plateau(10, redraw_at=(25, 45)))
    assert 65 <= history.stages[0]["steps"] <= 70


def test_stall_rule_ends_lbfgs_and_a_falling_loss_is_never_stopped():
    from sciml.core.training import StallRule

    history = Trainer([LBFGS(5000, chunk=10, stall=StallRule(1e-2, window=100))]).fit(_Plateau(flat_after=3))
    assert history.stages[0]["steps"] < 5000
    assert history.stages[0]["stop"] != "budget"
    pinn = PINN(
        hidden=(8,),
        seed=0,
        collocation=Collocation(n_residual=50),
        optimiser=Optimiser(adam_steps=300, lbfgs_iter=0, stall_rtol=1e-3, stall_window=50),
    )
    pinn.fit(Poisson2D())
    assert pinn.history_.stages[0]["steps"] == 300  # the loss keeps falling by more than 0.1% per 50 steps


def test_progress_bar_one_bar_per_stage_says_compiling_and_times_after_it():
    import io
    import re

    from sciml import ProgressBar

    out = io.StringIO()
    objective = _Plateau(flat_after=10**9, first_call_s=1.0, compiles=True)
    Trainer([Adam(400), LBFGS(30, chunk=10)],
            callbacks=[ProgressBar(every=50, desc="unit", file=out, leave=True, mininterval=0)]).fit(objective)
    text = out.getvalue()
    assert "unit · Adam [1/2]" in text and "unit · L-BFGS (float64) [2/2]" in text
    assert "compiling the loss" in text
    assert "400/400" in text and "/30 [" in text
    # the Adam bar's final rate excludes the 1 s first step: hundreds of steps/s, not ~400 steps / 1 s
    rates = [float(r) for r in re.findall(r"400/400 \[[^,]*, *([0-9.]+)it/s", text)]
    assert rates and rates[-1] > 1000


def test_progress_bar_shows_redrawn_points():
    import io

    from sciml import ProgressBar

    out = io.StringIO()
    Trainer([Adam(300)], callbacks=[ProgressBar(every=50, desc="unit", file=out, leave=True, mininterval=0)]).fit(
        _Plateau(flat_after=10**9, redraw_at=(120,)))
    assert "points redrawn at step 120" in out.getvalue()


class _KillAfter(Callback):
    def __init__(self, at):
        self.at = at

    def on_step(self, trainer, loss):
        if trainer.step >= self.at:
            raise KeyboardInterrupt


def test_resume_after_kill_matches_uninterrupted_with_balancing(tmp_path):
    def make(**kw):
        return PINN.from_settings(hidden=(8, 8), constraints="soft", seed=3, balancing="gradnorm", balance_every=20,
                                  n_residual=100, n_boundary=10, n_initial=10, resample_every=0, adam_steps=60,
                                  lbfgs_iter=60, compile=False, **kw)

    full = make().fit(Burgers())
    ck = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):  # killed in L-BFGS, after the end-of-Adam checkpoint
        make(checkpoint_dir=str(ck)).fit(Burgers(), callbacks=[_KillAfter(61)])
    resumed = make(checkpoint_dir=str(ck), resume=True).fit(Burgers())
    torch.testing.assert_close(resumed.model_.flat, full.model_.flat, rtol=0, atol=0)
    assert resumed.history_.loss == full.history_.loss
    assert resumed.history_.parts == full.history_.parts
    assert resumed.objective_.balancer.lambdas.tolist() == full.objective_.balancer.lambdas.tolist()


def test_adam_schedules():
    steps, lr = 50, 2e-3
    # exponential: the field learners' geometric decay lr * gamma**k, bit for bit; no final_lr: constant
    gamma = (1e-5 / lr) ** (1.0 / steps)
    assert [Adam(steps, lr, 1e-5).lr_at(k) for k in range(steps)] == [lr * gamma**k for k in range(steps)]
    assert {Adam(steps, lr).lr_at(k) for k in range(steps)} == {lr} and not Adam(steps, lr).decays
    cosine = [Adam(steps, lr, schedule="cosine").lr_at(k) for k in (0, steps)]
    assert cosine == [pytest.approx(lr), pytest.approx(lr / 100)]
    # one_cycle: torch's OneCycleLR with its defaults
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    ref = []
    for _ in range(steps):
        ref.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = [Adam(steps, lr, schedule="one_cycle").lr_at(k) for k in range(steps)]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert int(np.argmax(ours)) == 14  # the peak after 30 % of the steps
    for bad in ({"schedule": "linear"}, {"weight_decay": -1.0}, {"weight_decay": math.nan}):
        with pytest.raises(InvalidParameterError, match=r"Adam (schedule|weight_decay)"):
            Adam(10, **bad)


def test_adam_weight_decay_is_adamw():
    # zero gradient: Adam leaves the weights alone, AdamW shrinks them by lr * weight_decay per step
    class Flat(_Objective):
        def loss(self):
            loss = 0.0 * self.p.sum()
            return loss, {}

    for wd, expected in ((0.0, 1.0), (0.5, (1 - 0.1 * 0.5) ** 3)):
        obj = Flat()
        Trainer([Adam(3, lr=0.1, weight_decay=wd, stall=StallRule(None))]).fit(obj)
        assert obj.p[1].item() == pytest.approx(expected, rel=1e-12)


def test_a_checkpoint_that_does_not_fit_the_objective_is_a_typed_error(tmp_path):
    from equations.errors import InvalidDataError
    from sciml.core.checkpoint import load_bundle, save_bundle

    class Fine(_Objective):
        def loss(self):
            loss = ((self.p - 10.0) ** 2).sum()
            return loss, {}

    ck = tmp_path / "ck"
    Trainer([Adam(4)], checkpoint_dir=ck, checkpoint_every=2).fit(Fine())
    tensors, meta = load_bundle(ck)
    save_bundle(ck, {**tensors, "param.0": torch.zeros(3, dtype=torch.float64)}, meta)
    with pytest.raises(InvalidDataError, match=r"parameter 0 has shape \(3,\) in the checkpoint, \(2,\) in the model"):
        Trainer([Adam(8)], checkpoint_dir=ck, resume=True).fit(Fine())
    save_bundle(ck, {k: v for k, v in tensors.items() if k != "param.0"}, meta)
    with pytest.raises(InvalidDataError, match=r"incomplete checkpoint \(missing .param\.0.\)"):
        Trainer([Adam(8)], checkpoint_dir=ck, resume=True).fit(Fine())


def test_adam_warmup_ramps_the_scheduled_rate_and_the_trainer_applies_it():
    steps, lr, warm = 20, 1e-2, 4
    decay = Adam(steps, lr, 1e-4)
    warmed = Adam(steps, lr, 1e-4, warmup_steps=warm)
    # the first steps run at (k + 1) / warm of the decayed rate, then the plain decay
    assert [warmed.lr_at(k) for k in range(steps)] == (
        [decay.lr_at(k) * (k + 1) / warm for k in range(warm)] + [decay.lr_at(k) for k in range(warm, steps)])
    assert Adam(steps, lr, warmup_steps=warm).decays  # a constant rate with warm-up still changes
    with pytest.raises(InvalidParameterError, match="warmup_steps"):
        Adam(steps, lr, warmup_steps=-1)

    class Linear(_Objective):  # gradient 1: each Adam update moves p by exactly that step's rate
        def loss(self):
            loss = self.p.sum()
            return loss, {"residual": loss}

    obj = Linear()
    Trainer([Adam(3, lr=0.1, warmup_steps=4, stall=StallRule(None))]).fit(obj)
    np.testing.assert_allclose(obj.p.detach().numpy(), np.array([0.0, 1.0]) - 0.1 * (1 + 2 + 3) / 4, rtol=1e-6)


def test_field_learners_take_warmup_steps():
    from sciml import PINN, create_learner

    for learner in (PINN(optimiser={"warmup_steps": 7}), create_learner("pig", warmup_steps=7)):
        (adam, _) = learner._stages()
        assert adam.warmup_steps == 7
    assert PINN()._stages()[0].warmup_steps == 0
