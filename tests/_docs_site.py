"""Shared by the docs tests: build the site once (strict) and serve it on localhost.

Not a test module. The build runs ``python -m mkdocs build --strict`` in a fresh
process with this checkout first on ``PYTHONPATH``, into a directory shared by all
pytest-xdist workers (guarded by a file lock), so the site is built once per run.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PAGES = ["e01-graph", "e02-accumulation", "e03-weights", "e04-higher-order",
                 "e05-in-place", "e06-vectors", "e07-detach", "e08-control-flow", "e09-limit",
                 "logistic-regression", "e12-network"]


def site_pages() -> list[str]:
    """Every English page of the docs as its URL path ("" is the home page); each has a
    Chinese twin under ``zh/``."""
    docs = ROOT / "docs"
    pages = []
    for md in sorted(docs.rglob("*.md")):
        if md.name.count(".") > 1:  # a translation
            continue
        rel = md.relative_to(docs).with_suffix("")
        if rel.name == "index":
            pages.append("" if rel.parent == Path(".") else f"{rel.parent.as_posix()}/")
        else:
            pages.append(f"{rel.as_posix()}/")
    return pages


@dataclass(frozen=True)
class Build:
    site: Path
    returncode: int
    log: str
    seconds: float


def _env(shim_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT)]
    eps = metadata.entry_points(group="mkdocs.plugins")
    if not any(ep.name == "diffexplain" for ep in eps):
        # this checkout is not pip-installed (e.g. a worktree beside an editable install of
        # another one): declare the entry point pyproject.toml declares, for this process only
        info = shim_dir / "diffexplain_docs_shim-0.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: diffexplain-docs-shim\n"
                                       "Version: 0\n")
        (info / "entry_points.txt").write_text(
            "[mkdocs.plugins]\ndiffexplain = diffexplain.docsite.plugin:DiffexplainPlugin\n")
        paths.append(str(shim_dir))
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def mkdocs_build(out: Path, config: Path | None = None, strict: bool = True,
                 cwd: Path = ROOT) -> Build:
    cmd = [sys.executable, "-m", "mkdocs", "build", "-f", str(config or ROOT / "mkdocs.yml"),
           "-d", str(out)]
    if strict:
        cmd.append("--strict")
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                          env=_env(out.parent / "shim"), timeout=900)
    return Build(out, proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


def site_base(basetemp: Path) -> Path:
    """One directory per test run, shared by the pytest-xdist workers of that run."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    return basetemp.parent / f"docs-site-{run}" if run else basetemp / "docs-site"


def shared_build(base: Path) -> Build:
    """The repository's site, built once for every test worker (``base`` is shared)."""
    prebuilt = os.environ.get("DIFFEXPLAIN_BUILT_SITE")  # iterate on tests without rebuilding
    if prebuilt:
        return Build(Path(prebuilt), 0, "", 0.0)
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / "build.done"
        if done.exists():
            rc, seconds, log = done.read_text().split("\n", 2)
            return Build(base / "site", int(rc), log, float(seconds))
        b = mkdocs_build(base / "site")
        done.write_text(f"{b.returncode}\n{b.seconds}\n{b.log}")
        return b


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path, prefix: str = "") -> Iterator[str]:
    """``http://127.0.0.1:PORT/PREFIX/`` serving ``directory`` from a thread, on a free port.

    With a ``prefix`` (``project``) the site is served under that sub-path, as GitHub Pages
    publishes a project site, and nothing is served at the root.
    """
    root = directory
    if prefix:
        root = directory.parent / f"served-{prefix}"
        root.mkdir(exist_ok=True)
        link = root / prefix
        if not link.exists():
            link.symlink_to(directory.resolve(), target_is_directory=True)
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/" + (f"{prefix}/" if prefix else "")
    finally:
        httpd.shutdown()
        httpd.server_close()
