"""Every timed figure of ``benchmarks/run.py``, for an older revision and this checkout, in one run.

    python benchmarks/before_after.py f14de51                     # the revision to compare with
    python benchmarks/before_after.py f14de51 --repeats 7 --pin 1 --out before_after.md
    python benchmarks/before_after.py f14de51 --quick             # a smoke test (a minute)
    python benchmarks/before_after.py f14de51 --pin 1 --docs      # and into docs/performance*.md
    python benchmarks/before_after.py --docs-from before_after.md  # an earlier run's tables

The old revision's ``diffexplain/`` is exported with ``git archive`` into a temporary
directory. Both trees are byte-compiled first (``compileall``): with
``PYTHONDONTWRITEBYTECODE=1`` in the environment nothing else writes ``.pyc`` files, and each
start-up would then compile the package from source, which is not what an installed
package does.

Each timing runs in a fresh subprocess, before and after taking turns so that a busy
moment slows both alike; ``--pin CPU`` runs every child on one CPU (``taskset``) and
``PYTHONHASHSEED`` is fixed. Times are CPU seconds of the child (user + system), which a
shared machine disturbs less than wall time.

* start-up rows: the CPU time of the whole ``python -m diffexplain …`` process;
* scaling rows: sympy and torch are imported and one small explanation is made before the
  clock starts, then ``--inner`` explanations of the expression are timed in that process.

The table gives, per figure, the minimum and the median over all timings of each tree and
the ratio after/before of each (below 1: this checkout is faster). The minimum is the
steadier of the two on a shared machine: interference only ever adds time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import POINT_C, POINT_S, chain_text, s_text  # noqa: E402

#: the start-up commands of benchmarks/run.py (its references, bare python and the
#: imports, are the same for both trees and are left out)
STARTUP = {
    "diffexplain --help": ["--help"],
    "diffexplain --version": ["--version"],
    "explain (x+w)*(w+1)": ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2"],
    "explain … --no-autograd": ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2", "--no-autograd"],
}
#: the scaling rows of benchmarks/run.py (a full run's sizes)
SIZES_S, SIZES_C = (10, 100, 1000, 10000), (100, 1000, 10000, 50000)
QUICK_S, QUICK_C = (10, 100), (100, 1000)

_CHILD = r"""
import sys, time, json, gc
sys.path.insert(0, sys.argv[1])
import sympy, torch
import diffexplain as dx
assert dx.__file__.startswith(sys.argv[1]), dx.__file__
text, point, inner = json.loads(sys.stdin.read())
big = dx.Limits(max_length=20_000_000, max_nodes=2_000_000)
dx.explain("sin(w*2 + x)*exp(-y*2/1000)", at={"w": 0.5, "x": 0.3, "y": 0.7})
times, nodes = [], 0
for _ in range(inner):
    gc.collect()
    t = time.process_time()
    e = dx.explain(text, at=point, limits=big)
    times.append(time.process_time() - t)
    nodes = len(e.nodes)
    del e
print(json.dumps([times, nodes]))
"""


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}


def _pinned(cmd: list[str], pin: int | None) -> list[str]:
    return ["taskset", "-c", str(pin), *cmd] if pin is not None and shutil.which("taskset") else cmd


def command_cpu(root: Path, args: list[str], pin: int | None) -> float:
    """CPU seconds (user + system) of ``python -m diffexplain ARGS`` with ``root`` first."""
    proc = subprocess.Popen(_pinned([sys.executable, "-m", "diffexplain", *args], pin),
                            env=_env(root), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    _pid, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"{root}: diffexplain {' '.join(args)} failed ({status})")
    return usage.ru_utime + usage.ru_stime


def explain_cpu(root: Path, text: str, point: dict[str, float], inner: int,
                pin: int | None) -> tuple[list[float], int]:
    """CPU seconds of ``inner`` explain() calls in one fresh process, and the node count."""
    r = subprocess.run(_pinned([sys.executable, "-c", _CHILD, str(root)], pin),
                       input=json.dumps([text, point, inner]), capture_output=True, text=True,
                       check=True, cwd=tempfile.gettempdir(), env=_env(root))
    times, nodes = json.loads(r.stdout.strip().splitlines()[-1])
    return [float(t) for t in times], int(nodes)


def _fmt(t: float) -> str:
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def _row(name: str, before: list[float], after: list[float], extra: str = "") -> str:
    bmin, amin = min(before), min(after)
    bmed, amed = statistics.median(before), statistics.median(after)
    return (f"| {name}{extra} | {_fmt(bmin)} | {_fmt(amin)} | **{amin / bmin:.2f}** | "
            f"{_fmt(bmed)} | {_fmt(amed)} | {amed / bmed:.2f} |")


def export(rev: str, into: Path) -> Path:
    """The revision's ``diffexplain/`` under ``into/old``."""
    tar = into / "old.tar"
    subprocess.run(["git", "archive", "-o", str(tar), rev, "diffexplain"], cwd=ROOT, check=True)
    old = into / "old"
    with tarfile.open(tar) as tf:
        tf.extractall(old, filter="data")
    return old


DOCS = {"en": ROOT / "docs" / "performance.md", "zh": ROOT / "docs" / "performance.zh.md"}
START, END = "<!-- before-after: start -->", "<!-- before-after: end -->"
#: the table's words in the Chinese page (the numbers are the same)
ZH = {"### Start-up (whole process)": "### 启动（整个进程）",
      "### Scaling (`explain(text, at=…)` in one process)":
          "### 规模（在一个进程中 `explain(text, at=…)`）",
      "| figure |": "| 数字 |",
      "before min": "之前最小值", "after min": "之后最小值",
      "after / before (min)": "之后 / 之前（最小值）",
      "before median": "之前中位数", "after median": "之后中位数",
      "after / before (median)": "之后 / 之前（中位数）", " nodes |": " 个节点 |"}


def _zh_sentences(body: str) -> str:
    """The report's first and last sentences in Chinese (their numbers kept)."""
    import re

    body = re.sub(
        r"Before: `([^`]+)`; after: this checkout\. CPU time \(user \+ system\) of fresh "
        r"processes, taking turns; (\d+) processes per tree and figure(?:, pinned to CPU "
        r"(\d+))?; load average ([\d.]+) at the start\.",
        lambda m: (f"之前：`{m[1]}`；之后：当前检出。全新进程的 CPU 时间（用户 + 系统），轮流运行；"
                   f"每棵源码树、每个数字 {m[2]} 个进程"
                   + (f"，固定在 CPU {m[3]} 上" if m[3] else "") + f"；开始时负载均值 {m[4]}。"),
        body)
    return re.sub(
        r"(\d+) s in all \((\d+) CPU s in the children\); load average ([\d.]+) at the end\.",
        lambda m: f"共 {m[1]} 秒（子进程 CPU 时间 {m[2]} 秒）；结束时负载均值 {m[3]}。", body)


def update_docs(report: str) -> None:
    """Put a report's lines (as printed, or an ``--out`` file) between the markers of
    docs/performance.md and docs/performance.zh.md, the Chinese page with its own words."""
    for lang, path in DOCS.items():
        text = path.read_text(encoding="utf-8")
        if START not in text or END not in text:
            continue
        # the report's sections sit under the page's own "###" heading
        body = report.strip().replace("\n### ", "\n#### ") + "\n"
        if lang == "zh":
            for en, zh in ZH.items():
                body = body.replace(en, zh)
            body = _zh_sentences(body)
        head, rest = text.split(START, 1)
        path.write_text(f"{head}{START}\n{body}{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[2:6]))
    p.add_argument("rev", nargs="?", help="git revision to compare with, e.g. f14de51")
    p.add_argument("--repeats", type=int, default=5,
                   help="processes per tree and figure, taking turns (default 5)")
    p.add_argument("--inner", type=int, default=3,
                   help="explanations timed in each scaling process (default 3; one for "
                        "graphs of 30,000 nodes or more)")
    p.add_argument("--pin", type=int, default=None, metavar="CPU",
                   help="run every child on this CPU (taskset), e.g. 1")
    p.add_argument("--quick", action="store_true", help="the small sizes only")
    p.add_argument("--out", type=Path, default=None, help="also write the tables here")
    p.add_argument("--docs", action="store_true",
                   help="also put the tables into docs/performance.md and performance.zh.md")
    p.add_argument("--docs-from", type=Path, default=None, metavar="FILE",
                   help="put the tables of an earlier --out FILE into the docs, and stop")
    args = p.parse_args()
    if args.docs_from:
        update_docs(args.docs_from.read_text(encoding="utf-8"))
        return 0
    if not args.rev:
        p.error("give the revision to compare with (or --docs-from FILE)")
    sizes_s, sizes_c = (QUICK_S, QUICK_C) if args.quick else (SIZES_S, SIZES_C)
    lines = [f"Before: `{args.rev}`; after: this checkout. CPU time (user + system) of fresh "
             f"processes, taking turns; {args.repeats} processes per tree and figure"
             + (f", pinned to CPU {args.pin}" if args.pin is not None else "")
             + f"; load average {os.getloadavg()[0]:.1f} at the start.", ""]
    head = ("| figure | before min | after min | after / before (min) "
            "| before median | after median | after / before (median) |")
    rule = "|---|---|---|---|---|---|---|"

    def emit(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    for line in lines:
        print(line)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        old = export(args.rev, Path(tmp))
        for tree in (old, ROOT):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "diffexplain")],
                           check=True, stdout=subprocess.DEVNULL)
        emit("### Start-up (whole process)")
        emit("")
        emit(head)
        emit(rule)
        for name, cmd in STARTUP.items():
            command_cpu(old, cmd, args.pin), command_cpu(ROOT, cmd, args.pin)  # warm the caches
            before, after = [], []
            for k in range(args.repeats):  # taking turns, the first tree alternating
                pair = ((old, before), (ROOT, after)) if k % 2 == 0 else ((ROOT, after),
                                                                         (old, before))
                for tree, out in pair:
                    out.append(command_cpu(tree, cmd, args.pin))
            emit(_row(f"`{name}`", before, after))
        emit("")
        emit("### Scaling (`explain(text, at=…)` in one process)")
        emit("")
        emit(head)
        emit(rule)
        for kind, sizes in (("S", sizes_s), ("C", sizes_c)):
            for n in sizes:
                text, point = (s_text(n), POINT_S) if kind == "S" else (chain_text(n), POINT_C)
                nodes_about = 9 * n if kind == "S" else 2 * n  # run.py: ≈ 9 a term, 2 a step
                inner = args.inner if nodes_about < 30_000 else 1
                before, after, nodes = [], [], 0
                for k in range(args.repeats):
                    pair = ((old, before), (ROOT, after)) if k % 2 == 0 else ((ROOT, after),
                                                                             (old, before))
                    for tree, out in pair:
                        ts, nodes = explain_cpu(tree, text, point, inner, args.pin)
                        out.extend(ts)
                emit(_row(f"{kind}({n})", before, after, f", {nodes:,} nodes"))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    emit("")
    emit(f"{time.time() - started:.0f} s in all ({usage.ru_utime + usage.ru_stime:.0f} CPU s "
         f"in the children); load average {os.getloadavg()[0]:.1f} at the end.")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.docs:
        update_docs("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
