"""The README's "Your own PDE" snippet runs verbatim and does what the README says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _snippet(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, f"one README snippet should contain {marker!r}"
    return found[0]


def test_own_pde_snippet_runs_verbatim(tmp_path):
    script = tmp_path / "own_pde.py"
    script.write_text(_snippet("class LiftedPoisson"))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "multigrid"
