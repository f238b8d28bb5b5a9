"""Property-based bad command lines (hypothesis): real subcommands with one bad value each.

Every such ``sciml`` call exits 2 with a one-line ``error:`` message (the
CLI's own, or argparse's after its usage line) and no traceback; nothing is
trained or solved first.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equations import available
from validation import datasets
from validation.cli import _key_values, main

FAST = settings(max_examples=40, deadline=None, derandomize=True)
OUT = ["--out", "/nonexistent-sciml-out/never-written"]


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def _assert_clear_error(argv: list[str], code: int = 2) -> None:
    got, err = _run(argv)
    assert got == code, (argv, got, err)
    assert "Traceback" not in err, (argv, err)
    lines = err.strip().splitlines()
    assert lines and "error:" in lines[-1] and lines[-1].startswith("sciml"), (argv, err)
    if "usage:" not in err:  # the toolkit's own message: exactly one line
        assert len(lines) == 1, (argv, err)


NEGATIVE = st.integers(max_value=-1).map(str)
BAD_POSITIVE_JSON = st.sampled_from(["-1", "0", "NaN", "Infinity", "1e400", "null", "true", '"abc"', "[1]", "{}",
                                     "nan", "-0.0", "-1e-300"])
POSITIVE_PARAMS = [("burgers", "nu"), ("heat", "nu"), ("darcy", "contrast"), ("wave", "c"), ("helmholtz", "k"),
                   ("klein_gordon", "t_max"), ("allen_cahn", "d"), ("flow_mixing", "v_max")]
NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)


@FAST
@given(st.data())
def test_compare_with_one_bad_value_exits_2_with_one_line(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["equation", "param", "param_key", "resolution", "learner", "set_key", "dtype",
                                      "seed"]))
    name, key = data.draw(st.sampled_from(POSITIVE_PARAMS))
    argv = ["compare", name, "--no-progress", *OUT]
    if kind == "equation":
        bad = data.draw(NAME.filter(lambda s: s not in available()))
        argv[1] = bad
    elif kind == "param":
        argv += ["--param", f"{key}={data.draw(BAD_POSITIVE_JSON)}"]
    elif kind == "param_key":
        argv += ["--param", data.draw(st.sampled_from(["=1", "nu", "", f"{key}x=1", "bogus=2"]))]
    elif kind == "resolution":
        sizes = data.draw(st.lists(st.integers(-5, 1).map(str), min_size=1, max_size=3))
        argv += ["--resolution", *sizes]
    elif kind == "learner":
        argv += ["--learner", data.draw(NAME.filter(lambda s: s not in {"pinn", "lpinn", "pig"}))]
    elif kind == "set_key":
        argv += ["--set", f"{data.draw(NAME.map(lambda s: 'zz' + s))}=1"]
    elif kind == "dtype":
        argv += ["--set", "dtype=" + data.draw(st.sampled_from(["[1]", "16", '"float16"', "null", "{}"]))]
    else:
        argv += ["--seed", data.draw(NEGATIVE)]
    _assert_clear_error(argv)


# bad JSON values for known learner options, by the kind of value the option takes: NaN and infinities,
# strings, negatives, non-integers, numbers beyond int64 or beyond memory, lists where scalars go
BAD_FLOAT = ["NaN", "nan", "Infinity", "-Infinity", "1e400", '"fast"', "-1", "0", "[0.001]", "{}", "true", "null"]
BAD_COUNT = ["NaN", '"x"', "-1", "2.5", "1e30", "100000000000000000000000", "[1]", "true", "null"]
BAD_WIDTHS = ["[]", "[0]", '["a"]', "5", "[[20]]", "[2.5]", "[-3]", "[1000000000000]", "null", '"20,20"']
BAD_CHOICE = ["1", '"bogus"', "[1]", "true", "{}"]
BAD_FLAG = ['"yes"', "2", "[true]", "null"]
NOT_ZERO = [*BAD_COUNT, "0"]
KNOWN_OPTIONS = {  # option -> bad values, per learner (only options the learner has)
    "pinn": {"lr": BAD_FLOAT, "final_lr": [v for v in BAD_FLOAT if v != "null"], "fourier_sigma": BAD_FLOAT,
             "adam_steps": BAD_COUNT, "lbfgs_iter": BAD_COUNT, "seed": BAD_COUNT, "n_residual": NOT_ZERO,
             "checkpoint_every": NOT_ZERO, "hidden": BAD_WIDTHS, "activation": BAD_CHOICE,
             "sampling": BAD_CHOICE, "compile": ['"sometimes"', "2", "null"], "progress": BAD_FLAG,
             "weights": ['{"residual": -1}', '{"residual": "x"}', '"x"', "[1]"],
             "aas_uniform": [*(v for v in BAD_FLOAT if v != "0"), "1.5"]},
    "lpinn": {"lr": BAD_FLOAT, "n_points": NOT_ZERO, "hidden": BAD_WIDTHS, "resume": BAD_FLAG,
              "lbfgs_dtype": BAD_CHOICE},
    "pig": {"n_gaussians": [*NOT_ZERO, "1000000000000"], "sigma": BAD_FLOAT, "covariance": BAD_CHOICE,
            "lr": BAD_FLOAT, "channels": NOT_ZERO},
}


@FAST
@given(st.data())
def test_compare_with_a_bad_value_for_a_known_option_exits_2_with_one_line(data: st.DataObject) -> None:
    """Regression: ``--set lr=nan`` or ``--set lr='"fast"'`` raised a TypeError with a traceback."""
    learner = data.draw(st.sampled_from(sorted(KNOWN_OPTIONS)))
    key = data.draw(st.sampled_from(sorted(KNOWN_OPTIONS[learner])))
    value = data.draw(st.sampled_from(KNOWN_OPTIONS[learner][key]))
    argv = ["compare", "burgers", "--learner", learner, "--set", f"{key}={value}", "--no-progress", *OUT]
    # a network or point set too large for the memory is refused too; pinned, so it does not depend on the machine
    with mock.patch("equations.resources.available_memory", return_value=8 * 2**30):
        got, err = _run(argv)
    assert got == 2 and "Traceback" not in err, (argv, got, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sciml: error: "), (argv, err)
    assert key in lines[0] or "needs about" in lines[0], (argv, err)  # names the option, or the memory estimate


def test_every_listed_bad_value_is_refused_before_training() -> None:
    """The lists above hold no valid value (one would start a full training run inside the property test)."""
    import equations
    from equations.errors import InvalidParameterError, ResourceError
    from sciml import create_learner

    with mock.patch("equations.resources.available_memory", return_value=8 * 2**30):
        for learner, options in KNOWN_OPTIONS.items():
            for key, values in options.items():
                for raw in values:
                    value = _key_values([f"{key}={raw}"], "--set")[key]
                    with pytest.raises((InvalidParameterError, ResourceError)):
                        create_learner(learner, **{key: value})._check_size(equations.create("burgers"))


@FAST
@given(st.data())
def test_data_with_one_bad_value_exits_2_with_one_line(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["dataset", "n", "resolution", "chunk", "workers", "seed", "param", "int_param"]))
    argv = ["data", "antiderivative", "--n", "2", "--no-progress", *OUT]
    if kind == "dataset":
        argv[1] = data.draw(NAME.filter(lambda s: s not in datasets.DATASETS))
    elif kind == "n":
        argv[3] = data.draw(st.integers(max_value=0).map(str))
    elif kind == "resolution":
        argv += ["--resolution", data.draw(st.integers(max_value=1).map(str))]
    elif kind in ("chunk", "workers"):
        argv += [f"--{kind}", data.draw(st.integers(max_value=0).map(str))]
    elif kind == "seed":
        argv += ["--seed", data.draw(NEGATIVE)]
    elif kind == "param":
        argv += ["--param", f"length_scale={data.draw(BAD_POSITIVE_JSON)}"]
    else:
        argv += ["--param", "sensors=" + data.draw(st.sampled_from(["1", "0", "-3", "2.5", "null", '"x"', "true"]))]
    _assert_clear_error(argv)


@FAST
@given(st.data())
def test_linsys_with_one_bad_value_exits_2_with_one_line(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["n", "boundary", "obstacles", "rhs", "count", "rtol", "maxiter", "repeats",
                                      "layout-seed", "rhs-seed", "model", "method", "medium", "contrast"]))
    argv = ["linsys", "--n", "8", "--method", "cg", *OUT]
    word = NAME.filter(lambda s: s not in {"dirichlet", "neumann", "none", "circles", "boxes", "blobs", "smooth",
                                           "divergence", "checker", "inclusions", "lognormal", "constant", "white"})
    if kind == "n":
        argv[2] = data.draw(st.integers(max_value=7).map(str))
    elif kind in ("boundary", "obstacles", "rhs"):
        argv += [f"--{kind}", data.draw(word)]
    elif kind == "count":
        argv += ["--count", data.draw(NEGATIVE)]
    elif kind == "rtol":
        argv += ["--rtol", data.draw(st.sampled_from(["-1", "nan", "inf", "-1e-3", "abc"]))]
    elif kind == "maxiter":
        argv += ["--maxiter", data.draw(NEGATIVE)]
    elif kind == "repeats":
        argv += ["--repeats", data.draw(st.integers(max_value=0).map(str))]
    elif kind in ("layout-seed", "rhs-seed"):
        argv += [f"--{kind}", data.draw(NEGATIVE)]
    elif kind == "model":
        argv += ["--model", "/nonexistent-sciml-model/" + data.draw(NAME)]
    elif kind == "medium":
        argv += ["--medium", data.draw(word)]
    elif kind == "contrast":
        argv += ["--medium", "checker", "--contrast", data.draw(st.sampled_from(["0.5", "nan", "inf", "-3", "abc"]))]
    else:
        argv += ["--method", data.draw(NAME)]
    _assert_clear_error(argv)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=8), max_size=4))
def test_random_argv_never_prints_a_traceback(argv: list[str]) -> None:
    if argv[:1] in (["list"], ["report"]) or "-h" in argv or "--help" in argv:
        return  # list succeeds; report and --help are not bad input
    code, err = _run(argv)
    assert code == 2 and "Traceback" not in err and "error:" in err, (argv, code, err)


def test_unwritable_out_exits_1_with_one_line(tmp_path: Path) -> None:
    """Regression: an --out under a file raised NotADirectoryError with a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    _assert_clear_error(["linsys", "--n", "8", "--method", "cg", "--out", str(blocker / "out")], code=1)
    _assert_clear_error(["data", "antiderivative", "--n", "1", "--resolution", "5", "--param", "sensors=5",
                         "--param", "refine=2", "--no-progress", "--out", str(blocker / "a.nc")], code=1)


def test_data_out_naming_a_folder_is_refused_before_work(tmp_path: Path) -> None:
    _assert_clear_error(["data", "antiderivative", "--n", "2", "--out", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["compare", "burgers", "--seed", "-1"], ["compare", "burgers", "--set", "seed=-1"],
                                  ["compare", "burgers", "--set", "dtype=[1]"],
                                  ["compare", "burgers", "--set", "lr=nan"],
                                  ["compare", "burgers", "--set", 'lr="fast"'],
                                  ["linsys", "--n", "8", "--method", "cg", "--rhs-seed", "-1"]])
def test_cli_regressions(argv: list[str]) -> None:
    """Each raised a numpy ValueError or a TypeError with a traceback before."""
    _assert_clear_error([*argv, *OUT, *(["--no-progress"] if argv[0] == "compare" else [])])
