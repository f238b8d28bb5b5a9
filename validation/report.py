"""``sciml report``: run the benchmark suites at a budget and write one self-contained report.

    sciml report --budget quick --out report.md                 # minutes: every suite at a tiny budget
    sciml report --from-results benchmarks/results --format html --out report.html   # the committed numbers
    sciml report --budget full --suites poisson_solvers mgno_darcy                   # hours: committed budgets

A run writes each suite's results (JSON, Markdown, PNG, a log) into a work
folder (``--work``, default ``<out stem>-results/`` beside the report), never
into the committed ``benchmarks/results/``. The report (Markdown, or one HTML
file with the figures embedded as base64 data URIs) shows the machine, and per
suite the learners beside the classical reference and the published number,
the targets with a verdict, the command to reproduce it, and its figures.

The suites are those registered in :data:`validation.benchmarks.suite.SUITES`
(each suite module registers its title and quick-budget arguments).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import html
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from equations.errors import InvalidParameterError, check_choice
from sciml.core.atomic import atomic_write_bytes
from validation.benchmarks.suite import BUDGETS, SUITES
from validation.benchmarks.summary import ResultsError, Summary, Table, check_suites, summarise

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "benchmarks" / "results"
FORMATS = ("markdown", "html")

@dataclass
class Section:
    """One suite in the report: its summary, or why there is none."""

    name: str
    summary: Summary | None
    status: str  # "ok", "not run", "failed"
    detail: str = ""
    wall_s: float | None = None


def _suite_command(name: str, args: list[str]) -> str:
    return " ".join(["python -m", SUITES.get(name).module, *args]).strip()


def run_suites(names: list[str], budget: str, work: Path) -> list[Section]:
    """Run each suite in a fresh process at ``budget``, writing into ``work``; one :class:`Section` each."""
    check_choice("budget", budget, BUDGETS)
    sections = []
    for name in names:
        suite = SUITES.get(name)
        args = suite.args(budget)
        out = work / f"{name}.json"
        log = work / f"{name}.log"
        work.mkdir(parents=True, exist_ok=True)
        print(f"{name}: running ({budget})...", flush=True)
        t0 = time.perf_counter()
        with open(log, "wb") as fh:
            rc = subprocess.run([sys.executable, "-m", suite.module, *args, "--out", str(out)],
                                cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode
        wall = time.perf_counter() - t0
        print(f"{name}: exit {rc} after {wall:.0f} s", flush=True)
        if rc != 0 or not out.exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            sections.append(Section(name, None, "failed", f"exit code {rc}; last lines of {log}: "
                                    + " / ".join(tail), wall))
            continue
        summary = summarise(name, out, "")
        summary.command = _suite_command(name, args)  # what ran, whatever the JSON says
        sections.append(Section(name, summary, "ok", wall_s=wall))
    return sections


def from_results(names: list[str], folder: Path, explicit: bool) -> list[Section]:
    """Sections from the result JSON in ``folder``; a missing file is "not run" unless ``explicit``."""
    if not folder.is_dir():
        raise ResultsError(f"results folder {folder} does not exist")
    sections = []
    for name in names:
        path = folder / f"{name}.json"
        if not path.exists():
            if explicit:
                raise ResultsError(f"no results for suite {name!r}: {path} does not exist")
            others = sorted(p.name for p in folder.glob(f"{name}*.json"))
            hint = f" (other result files: {', '.join(others)})" if others else ""
            sections.append(Section(name, None, "not run", f"no {path.name} in {folder}{hint}"))
            continue
        sections.append(Section(name, summarise(name, path, _suite_command(name, [])), "ok"))
    if not any(s.summary for s in sections):
        raise ResultsError(f"no result files of the suites {', '.join(names)} in {folder}")
    return sections


def _machine_line(m: dict[str, Any]) -> str:
    if not m:
        return "not recorded"
    versions = ", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items() if v)
    return (f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB, "
            f"Python {m.get('python', '?')}, {m.get('platform', '?')}; {versions}")


def _verdict(met: bool | None, bold: bool) -> str:
    return "—" if met is None else ("met" if met else ("**missed**" if bold else "missed"))


def md_table(t: Table) -> list[str]:
    esc = [[c.replace("|", "\\|") for c in row] for row in [list(t.header), *map(list, t.rows)]]
    return ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(t.header),
            *("| " + " | ".join(r) + " |" for r in esc[1:])]


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _targets_table(s: Summary, bold: bool) -> Table:
    rows = [(t.target, t.measured, _verdict(t.met, bold)) for t in s.targets]
    return Table(("target", "measured", "verdict"), rows)


def render_markdown(sections: list[Section], header: dict[str, str]) -> str:
    """The report as Markdown (figures inline as data URIs, so the file stands alone)."""
    lines = ["# Benchmark report", "", *(f"- **{k}:** {v}" for k, v in header.items()), "", "## Suites", ""]
    lines += md_table(_overview(sections))
    for sec in sections:
        lines += ["", f"## {SUITES.get(sec.name).title} (`{sec.name}`)", ""]
        s = sec.summary
        if s is None:
            lines += [f"**{sec.status}**: {sec.detail}"]
            continue
        lines += [f"- Results: `{s.source}`", f"- Measured on: {_machine_line(s.machine)}",
                  f"- Reproduce: `{s.command}`", ""]
        for title, table in s.tables:
            lines += [f"**{title}**", "", *md_table(table), ""]
        if s.targets:
            lines += ["**Targets**", "", *md_table(_targets_table(s, bold=True)), ""]
        lines += [f"- {n}" for n in s.notes]
        for fig in s.figures:
            lines += ["", f"![{fig.name}]({data_uri(fig)})"]
    return "\n".join(lines) + "\n"


def html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = ("body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.2em;font-size:0.9em}"
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
        "th{background:#f0f0f0}code{background:#f5f5f5;padding:1px 4px}img{max-width:100%}")


def render_html(sections: list[Section], header: dict[str, str]) -> str:
    """The report as one HTML page: tables, and the PNG figures embedded as base64 data URIs."""
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Benchmark report</title>",
             f"<style>{CSS}</style></head><body><h1>Benchmark report</h1><ul>",
             *(f"<li><b>{e(k)}:</b> {e(v)}</li>" for k, v in header.items()), "</ul><h2>Suites</h2>",
             html_table(_overview(sections))]
    for sec in sections:
        parts.append(f"<h2>{e(SUITES.get(sec.name).title)} (<code>{e(sec.name)}</code>)</h2>")
        s = sec.summary
        if s is None:
            parts.append(f"<p><b>{e(sec.status)}</b>: {e(sec.detail)}</p>")
            continue
        parts.append(f"<ul><li>Results: <code>{e(str(s.source))}</code></li>"
                     f"<li>Measured on: {e(_machine_line(s.machine))}</li>"
                     f"<li>Reproduce: <code>{e(s.command)}</code></li></ul>")
        for title, table in s.tables:
            parts += [f"<h3>{e(title)}</h3>", html_table(table)]
        if s.targets:
            parts += ["<h3>Targets</h3>", html_table(_targets_table(s, bold=False))]
        if s.notes:
            parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in s.notes) + "</ul>")
        for fig in s.figures:
            parts.append(f"<figure><img alt='{e(fig.name)}' src='{data_uri(fig)}'>"
                         f"<figcaption>{e(fig.name)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _overview(sections: list[Section]) -> Table:
    rows = []
    for sec in sections:
        s = sec.summary
        met = "—" if s is None or not s.targets else (
            f"{sum(t.met is True for t in s.targets)} of {sum(t.met is not None for t in s.targets)}")
        wall = f"{sec.wall_s:.0f}" if sec.wall_s is not None else ""
        rows.append((sec.name, sec.status, met, wall))
    return Table(("suite", "status", "targets met", "run time [s]"), rows)


def _command_line(args: argparse.Namespace) -> str:
    words = ["sciml report"]
    words += [f"--from-results {args.from_results}"] if args.from_results else [f"--budget {args.budget}"]
    if args.suites:
        words.append("--suites " + " ".join(args.suites))
    return " ".join([*words, f"--format {args.format}"])


def build_report(args: argparse.Namespace) -> Path:
    """Run or read the suites named by ``args`` (or a study's results) and write the report atomically; its path."""
    fmt = check_choice("--format", args.format, FORMATS)
    if args.study:
        from validation.studies.report import write_report

        path = write_report(args.study, args.out, fmt)
        print(f"wrote {path}")
        return path
    names = check_suites(args.suites)
    out = Path(args.out) if args.out else Path("benchmark_report" + (".html" if fmt == "html" else ".md"))
    from validation.benchmarks.report import machine

    header = {"built": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
              "command": _command_line(args),
              "report machine": _machine_line(machine())}
    if args.from_results:
        header["source"] = f"existing results in {args.from_results} (nothing was run)"
        sections = from_results(names, Path(args.from_results), explicit=bool(args.suites))
    else:
        budget = check_choice("--budget", args.budget, BUDGETS)
        work = Path(args.work) if args.work else out.with_name(out.stem + "-results")
        if work.resolve() == COMMITTED.resolve():
            raise InvalidParameterError(f"--work {work}: the committed results are only rewritten by running "
                                        "a suite directly (python -m validation.benchmarks.<suite>)")
        header["source"] = f"suites run now at the {budget} budget; their results are in {work}"
        t0 = time.perf_counter()
        sections = run_suites(names, budget, work)
        header["total run time"] = f"{time.perf_counter() - t0:.0f} s"
    text = (render_html if fmt == "html" else render_markdown)(sections, header)
    atomic_write_bytes(out, text.encode())
    failed = [s.name for s in sections if s.status == "failed"]
    print(f"wrote {out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return out


def add_parser(sub: Any) -> None:
    """The ``report`` subcommand of ``sciml``."""
    rp = sub.add_parser("report", help="run the benchmark suites and write one self-contained report",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    rp.add_argument("--budget", default="quick",
                    help="quick: every suite at a tiny budget (a few minutes on 2 cores; checks the pipeline, "
                         "numbers are not meaningful); full: the committed budgets (several HOURS on 2 cores)")
    rp.add_argument("--suites", nargs="+", default=None, metavar="SUITE", help="suites to include (default: all)")
    rp.add_argument("--from-results", default=None, metavar="DIR",
                    help="build the report from existing result JSON in DIR (e.g. benchmarks/results); runs nothing")
    rp.add_argument("--study", default=None, metavar="FILE",
                    help="instead of the suites: the page of a study's gathered results (the <name>.nc `sciml run` "
                         "wrote): error against each swept quantity per learner")
    rp.add_argument("--format", default="markdown", help="markdown (default) or html")
    rp.add_argument("--out", default=None, help="report file (default: benchmark_report.md / .html)")
    rp.add_argument("--work", default=None, help="folder for the suites' results when running "
                                                 "(default: <out stem>-results/ beside the report)")
