"""The quality gates run with the suite: ruff and mypy over the package must be clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# TEMPORARY (lead, 15:35): main is mid-merge of eight branches; the lead makes these gates pass
# before the stop and removes this mark. Helpers: ignore failures here.
pytestmark = pytest.mark.xfail(reason="lead finishing the restructure", strict=False)

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> list[str]:
    """The tool from this interpreter's environment (the venv the suite runs in)."""
    exe = Path(sys.executable).with_name(name)
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return [found]


def test_ruff_is_clean():
    proc = subprocess.run([*_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_mypy_is_clean():
    proc = subprocess.run([*_tool("mypy"), "--no-error-summary"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
