"""Study files: parsing and its one-line errors, sweeps gathered into one Dataset, resume, the report page."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from validation.cli import main as cli
from validation.studies import StudyError, parse_study, run_study

TINY = "{ adam_steps = 15, lbfgs_iter = 0, n_residual = 64, n_boundary = 16, n_initial = 16 }"


def study_text(folder: Path, *, sweep: str = "parameters = { nu = [0.02, 0.05] }", seeds: str = "[0, 1]",
               learners: str = f"[learners.pinn]\noptions = {TINY}\n", extra: str = "") -> str:
    return textwrap.dedent("""\
        name = "burgers_nu"

        [equation]
        name = "burgers"

        [reference]
        resolution = [24, 9]

        """) + learners + textwrap.dedent(f"""
        [run]
        seeds = {seeds}

        [sweep]
        {sweep}

        [output]
        folder = "{folder}"
        """) + extra


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("edit", "line", "key", "reason"), [
    (lambda t: t.replace("[learners.pinn]", "[learners.pinn]\nlearner = \"pinnn\""), 10, "learners.pinn.learner",
     "unknown learner 'pinnn'"),
    (lambda t: t.replace("seeds = [0, 1]", "seedz = [0, 1]"), 13, "run.seedz", "did you mean 'seeds'"),
    (lambda t: t.replace("seeds = [0, 1]", "seeds = \"0\""), 13, "run.seeds", "must be an array"),
    (lambda t: t.replace("nu = [0.02, 0.05]", "mu = [0.02, 0.05]"), 16, "sweep.parameters.mu",
     "Burgers has no parameter 'mu' to sweep (it has: nu)"),
    (lambda t: t.replace("adam_steps = 15", "adam_stepz = 15"), 10, "learners.pinn.options.adam_stepz",
     "adam_stepz"),
    (lambda t: t.replace("nu = [0.02, 0.05]", "nu = [0.02, -1.0]"), 16, "sweep.parameters.nu", "nu = -1.0"),
    (lambda t: t.replace("resolution = [24, 9]", "resolution = [24]"), 7, "reference.resolution",
     "needs 2 entries"),
    (lambda t: t.replace("[sweep]", "[sweep]\nmode = \"list\"\nlearners.pinn = { lr = [1e-3] }"), 16, "sweep.mode",
     "the same length"),
    (lambda t: t.replace("[learners.pinn]", "[learner.pinn]"), 9, "learner", "unknown key; did you mean 'learners'"),
    (lambda t: t.replace("nu = [0.02, 0.05]", "seed = [1, 2]"), 16, "sweep.parameters.seed", "cannot be swept"),
    (lambda t: t.replace("nu = [0.02, 0.05]", "nu = [1, 1.0]"), 16, "sweep.parameters.nu", "repeats a value"),
    (lambda t: t.replace("[sweep]", "[sweep]\nlearners.pinn = { adam_steps = [5, 10] }"), 16,
     "sweep.learners.pinn.adam_steps", "also fixed"),
    (lambda t: t.replace("adam_steps = 15", "checkpoint_dir = \"ck\""), 10, "learners.pinn.options.checkpoint_dir",
     "its own folder"),
])
def test_a_bad_study_file_is_one_line_naming_file_line_key_and_reason(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                      edit, line, key, reason) -> None:
    path = write(tmp_path, edit(study_text(tmp_path / "out")))
    assert cli(["run", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith(f"sciml: error: {path}:{line}: {key}: "), err
    assert reason in err
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_invalid_toml_and_a_missing_file_are_errors_too(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"study.toml: not valid TOML: .*line 3"):
        parse_study(write(tmp_path, 'name = "a"\n[equation]\nname = \n'))
    with pytest.raises(StudyError, match="cannot read"):
        parse_study(tmp_path / "nothing.toml")
    with pytest.raises(StudyError, match=r"<dict>: equation: is required"):
        parse_study({"learners": {"pinn": {}}})


def test_a_sweep_is_one_dataset_over_the_swept_quantities_and_resumes_without_refitting(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = write(tmp_path, study_text(out, sweep="parameters = { nu = [0.02, 0.05] }\n"
                                                 "learners.pinn = { lr = [1e-3, 3e-3] }"))
    ds = run_study(path, progress=False)
    assert dict(ds["metrics"].sizes) == {"nu": 2, "pinn.lr": 2, "seed": 2, "learner": 1, "metric": 6}
    err = ds["metrics"].sel(metric="relative_l2")
    assert np.isfinite(err).all() and (err > 0).all() and (ds["failed"] == "").all()
    assert ds.attrs["runs_total"] == 8 and ds.attrs["runs_reused"] == 0
    assert ds.attrs["study"] == path.read_text()
    # each run's file says how it was made and carries the study; its error is the gathered one
    one = ds.isel(nu=1, **{"pinn.lr": 0}, seed=1, learner=0)
    run = xr.load_dataset(out / str(one["run_file"].values), engine="h5netcdf")
    assert run.attrs["study"] == path.read_text()
    made = json.loads(run.attrs["run"])
    assert made["parameters"] == {"nu": 0.05} and made["options"]["lr"] == 1e-3 and made["seed"] == 1
    assert float(run["metrics"].sel(learner="pinn", metric="relative_l2")) == float(one["metrics"].sel(
        metric="relative_l2"))
    assert run["reference"].attrs["solver"] == "cole_hopf"
    # a second run refits nothing: every file is untouched
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.nc") if p.parent.name in ("runs", "references")}
    again = run_study(path, progress=False)
    assert again.attrs["runs_reused"] == 8
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    xr.testing.assert_equal(again["metrics"], ds["metrics"])
    # seeds differ, so the runs are not copies of each other
    first = err.isel(nu=0, learner=0, **{"pinn.lr": 0})
    assert float(first.isel(seed=0)) != float(first.isel(seed=1))


def test_a_changed_study_reruns_only_what_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = write(tmp_path, study_text(out, seeds="[0]"))
    run_study(path, progress=False)
    path.write_text(study_text(out, seeds="[0]", sweep="parameters = { nu = [0.02, 0.08] }"))
    ds = run_study(path, progress=False)
    assert ds.attrs["runs_reused"] == 1 and list(ds["nu"].values) == [0.02, 0.08]


def test_a_list_sweep_pairs_the_values_and_the_report_page_shows_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sweep = 'mode = "list"\nparameters = { nu = [0.02, 0.05] }\nlearners.pinn = { lr = [1e-3, 2e-3] }'
    ds = run_study(write(tmp_path, study_text(out, sweep=sweep, seeds="[3]")), progress=False)
    assert dict(ds["metrics"].sizes) == {"point": 2, "seed": 1, "learner": 1, "metric": 6}
    assert list(ds["nu"].values) == [0.02, 0.05] and list(ds["pinn.lr"].values) == [1e-3, 2e-3]
    page = tmp_path / "page.html"
    assert cli(["report", "--study", str(out / "burgers_nu.nc"), "--format", "html", "--out", str(page)]) == 0
    text = page.read_text()
    assert "data:image/png;base64," in text and "nu=0.05" in text and "[sweep]" in text


def test_a_users_own_spec_file_runs_in_a_study(tmp_path: Path) -> None:
    spec = Path(__file__).resolve().parents[1] / "examples" / "own_pde.py"
    text = textwrap.dedent(f"""\
        [equation]
        name = "{spec}:NonlinearHeat"
        parameters = {{ source = 5.0 }}

        [reference]
        resolution = [17, 9]

        [learners.pinn]
        options = {TINY}

        [output]
        folder = "{tmp_path / 'out'}"
        """)
    ds = run_study(write(tmp_path, text), progress=False)
    assert ds.attrs["equation"].endswith("own_pde.py:NonlinearHeat")
    assert np.isfinite(ds["metrics"].sel(metric="relative_l2")).all()


def test_the_report_refuses_a_file_that_is_not_a_study(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    other = tmp_path / "x.nc"
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(other, engine="h5netcdf")
    assert cli(["report", "--study", str(other)]) == 2
    assert "not a gathered study" in capsys.readouterr().err


def test_the_example_studies_parse() -> None:
    files = sorted((Path(__file__).resolve().parents[1] / "examples" / "studies").glob("*.toml"))
    assert files
    for path in files:
        study = parse_study(path)
        assert study.points() and study.learners


NAN_SPEC = '''
import math
from dataclasses import dataclass

import numpy as np

from equations import Box, DirichletCondition, Domain, Equation, Variable
from equations.namespace import namespace


@dataclass(frozen=True)
class Unlearnable(Equation):
    """u'' + pi^2 sin(pi x) = 0 on [0, 1], u = 0 at the ends; the network's residual is NaN (training diverges)."""

    a: float = 1.0
    field = Variable("u")
    derivatives = ("xx",)
    default_resolution = (17,)

    @property
    def domain(self):
        return Domain(Box(("x",), (0.0,), (1.0,), (False,)))

    def residual(self, coords, u):
        r = u["xx"] + math.pi ** 2 * namespace(coords["x"]).sin(math.pi * coords["x"])
        return r if isinstance(r, np.ndarray) else r * float("nan")

    def conditions(self):
        return (DirichletCondition(lambda c: 0.0 * c["x"]),)
'''


def test_a_diverged_run_is_recorded_not_retried_and_the_others_still_count(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "unlearnable.py"
    spec.write_text(NAN_SPEC)
    text = textwrap.dedent(f"""\
        [equation]
        name = "{spec}:Unlearnable"

        [learners.pinn]
        options = {TINY}

        [run]
        seeds = [0, 1]

        [output]
        folder = "{tmp_path / 'out'}"
        """)
    path = write(tmp_path, text)
    assert cli(["run", str(path), "--no-progress"]) == 0
    assert "2 of 2 results FAILED" in capsys.readouterr().out
    ds = xr.load_dataset(tmp_path / "out" / "study.nc", engine="h5netcdf")
    assert all(str(f).startswith("TrainingDivergedError") for f in ds["failed"].values.ravel())
    assert np.isnan(ds["metrics"]).all()
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "runs").glob("*.nc")}
    assert run_study(path, progress=False).attrs["runs_reused"] == 2  # a failure is a result: not retried
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_an_option_swept_for_one_learner_reaches_only_that_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    learners = f"[learners.pinn]\noptions = {TINY}\n\n[learners.wide]\nlearner = \"pinn\"\noptions = {TINY}\n"
    ds = run_study(write(tmp_path, study_text(out, seeds="[0]", learners=learners,
                                              sweep="learners.pinn = { hidden = [[8], [16]] }")), progress=False)
    assert dict(ds["metrics"].sizes) == {"pinn.hidden": 2, "seed": 1, "learner": 2, "metric": 6}
    params = ds["metrics"].sel(metric="n_parameters", seed=0)
    assert params.sel(learner="pinn").values[0] < params.sel(learner="pinn").values[1]
    # the other learner does not depend on pinn's option: one run, shared by both cells
    files = ds["run_file"].sel(seed=0, learner="wide").values
    assert files[0] == files[1] and ds.attrs["runs_total"] == 3
