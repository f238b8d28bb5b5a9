"""``sciml report``: reports from the committed results, typed errors, and one quick run end to end."""

import base64
import json
import shutil
from pathlib import Path

import pytest

from equations.errors import InvalidDataError, ToolkitError, UnknownNameError
from validation import report
from validation.benchmarks.suite import SUITES
from validation.benchmarks.summary import ResultsError, check_suites, summarise
from validation.cli import main

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _committed_numbers() -> list[str]:
    """A few numbers of the committed JSON, formatted as the report prints them."""
    lshape = json.loads((RESULTS / "lshape_pinn.json").read_text())
    anti = json.loads((RESULTS / "deeponet_antiderivative.json").read_text())
    poisson = json.loads((RESULTS / "poisson_solvers.json").read_text())
    return [f"{lshape['runs'][0]['rel_l2']:.2e}", f"{anti['unaligned'][0]['test_mse']:.2e}",
            f"{anti['summary']['ratio_recipe']:.2f}",
            f"{poisson['sizes'][0]['methods']['toolkit_mg']['time_s']:.3f}"]


def test_markdown_from_committed_results(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert main(["report", "--from-results", str(RESULTS), "--out", str(out)]) == 0
    text = out.read_text()
    for number in _committed_numbers():
        assert number in text
    assert text.startswith("# Benchmark report") and "cores" in text  # the machine
    assert "| target | measured | verdict |" in text and "**missed**" in text
    assert "python -m validation.benchmarks.lshape_pinn" in text  # the command to reproduce
    assert "9.3e-7 (original code, methods/deeponet.md)" in text  # a published number with its source
    assert "PIG 4.13e-5" in text  # published numbers the learner-table suites carry
    assert "data:image/png;base64," in text  # the size-curve figure, inline
    assert f"wrote {out}" in capsys.readouterr().out


def test_html_embeds_figures_and_tables(tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", "--from-results", str(RESULTS), "--format", "html", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<table>" in text
    for number in _committed_numbers():
        assert number in text
    start = text.index("src='data:image/png;base64,") + len("src='data:image/png;base64,")
    png = base64.b64decode(text[start:text.index("'", start)])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left over


def test_missing_suite_is_listed_as_not_run(tmp_path):
    for name in ("lshape_pinn.json", "mgno_darcy_10min.json"):
        shutil.copy(RESULTS / name, tmp_path / name)
    out = tmp_path / "r.md"
    assert main(["report", "--from-results", str(tmp_path), "--out", str(out)]) == 0
    text = out.read_text()
    assert "| mgno_darcy | not run |" in text and "mgno_darcy_10min.json" in text
    assert "| lshape_pinn | ok |" in text
    # named explicitly, a missing result file is an error
    with pytest.raises(ResultsError, match="mgno_darcy"):
        report.from_results(["mgno_darcy"], tmp_path, explicit=True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--suites", "poisson", "--from-results", str(RESULTS)], "unknown benchmark suite(s) 'poisson'"),
        (["--budget", "medium"], "--budget must be one of 'quick', 'full'"),
        (["--format", "pdf", "--from-results", str(RESULTS)], "--format must be one of 'markdown', 'html'"),
        (["--from-results", "/nonexistent/results"], "does not exist"),
        (["--work", str(RESULTS), "--suites", "neural_cg"], "committed results"),
    ],
)
def test_bad_input_is_one_line(argv, message, tmp_path, capsys):
    assert main(["report", *argv, "--out", str(tmp_path / "r.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sciml: error:") and message in err
    assert not (tmp_path / "r.md").exists()


def test_unknown_suite_is_typed():
    with pytest.raises(UnknownNameError, match="choose from"):
        check_suites(["burgers"])


def test_corrupt_results_are_typed(tmp_path):
    text = (RESULTS / "lshape_pinn.json").read_text()
    bad = tmp_path / "lshape_pinn.json"
    bad.write_text(text[: len(text) // 2])  # truncated
    with pytest.raises(ResultsError, match="cannot read") as info:
        summarise("lshape_pinn", bad, "")
    assert isinstance(info.value, InvalidDataError) and isinstance(info.value, ToolkitError)
    bad.write_text(json.dumps({"benchmark": "lshape_pinn", "runs": []}))  # valid JSON, wrong layout
    with pytest.raises(ResultsError, match="layout"):
        summarise("lshape_pinn", bad, "")
    bad.write_text(json.dumps({"benchmark": "neural_cg"}))  # another suite's file
    with pytest.raises(ResultsError, match="not a result file"):
        summarise("lshape_pinn", bad, "")


def test_quick_run_end_to_end(tmp_path, monkeypatch, capsys):
    """The cheapest suite through the CLI: a subprocess run into the work folder, then the report."""
    monkeypatch.setattr(SUITES.get("neural_cg"), "quick", ("--sizes", "16", "--repeats", "1"))
    out = tmp_path / "quick.md"
    assert main(["report", "--budget", "quick", "--suites", "neural_cg", "--out", str(out)]) == 0
    work = tmp_path / "quick-results"
    rows = json.loads((work / "neural_cg.json").read_text())["rows"]
    text = out.read_text()
    assert "| neural_cg | ok |" in text and "--sizes 16 --repeats 1" in text
    assert f"{rows[0]['iterations']}" in text and "16²" in text
    assert "neural_cg: exit 0" in capsys.readouterr().out


def test_burgers_markdown_with_a_subset_of_runs():
    """The quick budget runs only DeepXDE and the same-setup PINN: the table shows the rest as not run."""
    from validation.benchmarks.burgers_pinn import render_markdown

    results = json.loads((RESULTS / "burgers_pinn.json").read_text())
    assert render_markdown(results) == (RESULTS / "burgers_pinn.md").read_text()
    for run in results["runs"]:
        del run["eager"], run["default"]
    text = render_markdown(results)
    ratio = results["runs"][0]["same"]["adam_steps_per_s"] / results["runs"][0]["deepxde"]["adam_steps_per_s"]
    assert f"| {ratio:.2f} | – | – |" in text and "worst default-recipe rel. L2 –" in text
