"""Every ```python block of README.md runs verbatim, each in a fresh interpreter with a temporary folder as cwd.

Training budgets are capped by a guard run before the snippet (every Adam
stage, the operator learners' and DeepXDE's too, to a few steps, L-BFGS to a few
iterations, in-memory datasets to 50 samples), so the snippets run in seconds
and show that the code as written works, not how accurate it is. A block that is too expensive even so is
preceded in the README by ``<!-- not run: reason -->`` and skipped here, by
name, with its reason. A snippet that reads ``--quick`` from its command line
(the README's example scripts) is run with it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*\n)?```python\n(?P<code>.*?)```", re.S)

# run before each snippet: cap the budgets (the code under test is the snippet, not the training or the data)
GUARD = """
import sys
sys.path.insert(0, {root!r})
from sciml.core import training

def _cap(cls, name, most):
    init = cls.__init__
    def capped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        object.__setattr__(self, name, min(getattr(self, name), most))
    cls.__init__ = capped

_cap(training.Adam, "steps", 20)
_cap(training.LBFGS, "max_iter", 5)
from sciml.field import deepxde_learner  # DeepXDE trains with its own loop
_cap(deepxde_learner.DeepXDELearner, "adam_steps", 20)
_cap(deepxde_learner.DeepXDELearner, "lbfgs_iter", 5)

from validation import datasets
_make = datasets.make
datasets.make = lambda name, n=None, **kw: _make(name, n if n is None else min(n, 50), **kw)
"""

def _blocks() -> list[tuple[str, str, str | None]]:
    """``(id, code, reason not to run)`` of every python block, the id from its heading and position."""
    text = (ROOT / "README.md").read_text()
    blocks = []
    for k, m in enumerate(BLOCK.finditer(text)):
        heading = [h for h in re.findall(r"^#+ (.+)$", text[: m.start()], re.M)][-1]
        slug = re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_")
        blocks.append((f"{k}-{slug}", m.group("code"), m.group("reason")))
    return blocks


BLOCKS = _blocks()


def test_the_readme_has_snippets() -> None:
    assert len(BLOCKS) >= 5
    skipped = [(name, reason) for name, _, reason in BLOCKS if reason]
    assert len(skipped) < len(BLOCKS) / 2, f"most snippets are not run: {skipped}"


@pytest.mark.parametrize(("code", "reason"), [pytest.param(c, r, id=i) for i, c, r in BLOCKS])
def test_readme_snippet_runs_verbatim(code: str, reason: str | None, tmp_path: Path) -> None:
    if reason:
        pytest.skip(f"marked in README.md: not run: {reason}")
    script = tmp_path / "snippet.py"
    script.write_text(GUARD.format(root=str(ROOT)) + "\n" + code)
    quick = ["--quick"] if '"--quick" in sys.argv' in code else []  # the examples' own small budget
    done = subprocess.run([sys.executable, str(script), *quick],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    if "class LiftedPoisson" in code:  # what the README says it prints
        assert done.stdout.strip() == "multigrid"
