"""Shared fixtures: the CLI as a subprocess (the real entry point) and golden files."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/golden/* from the current output")


@pytest.fixture
def run_cli(tmp_path: Path):
    """Run ``python -m diffexplain`` in a fresh process, cwd = a temp dir."""

    def run(*args: str, input: str | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.setdefault("LANG", "C.UTF-8")
        full_env["PYTHONIOENCODING"] = "utf-8"
        if env:
            full_env.update(env)
        return subprocess.run([sys.executable, "-m", "diffexplain", *args], input=input,
                              capture_output=True, text=True, cwd=cwd or tmp_path,
                              env=full_env, timeout=600)

    return run


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with tests/golden/NAME, showing a diff; --update-goldens rewrites it."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-goldens") or not path.exists():
            path.write_text(text, encoding="utf-8")
            if not request.config.getoption("--update-goldens"):
                pytest.fail(f"golden {name} did not exist; written, rerun to compare")
            return
        want = path.read_text(encoding="utf-8")
        if want != text:
            diff = "\n".join(difflib.unified_diff(want.splitlines(), text.splitlines(),
                                                  f"golden/{name}", "actual", lineterm=""))
            pytest.fail(f"output differs from golden {name}:\n{diff}")

    return check
