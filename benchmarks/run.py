"""Every comparison of the performance issue in one run: start-up, S(n), the chain C(d).

    python benchmarks/run.py            # full run (a few minutes), writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick    # smaller sizes and fewer repeats, for a smoke test

Writes ``benchmarks/RESULTS.md`` (medians and ratios) and ``benchmarks/scaling.png``
(log–log time against graph size for diffexplain, ``sympy.diff`` and torch). Ratios
are measured side by side in this one run, on this machine, so a busy machine
moves the absolute figures but much less the ratios.

The expressions:

* S(n) = Σₖ₌₁ⁿ sin(w·k + x)·exp(−y·k/1000), gradient w.r.t. w, x, y (≈ 9 nodes a term);
* C(d): d steps alternating ``e = sin(e + w)`` and ``e = e*w + 1`` from ``e = x``,
  written as a program ``e1 = sin(x + w); e2 = e1*w + 1; …`` (≈ 2 nodes a step), so
  that no depth limit applies (as nested text, d = 10,000 would need
  ``Limits(max_depth=…)`` above the default 2,000).

``sympy.diff`` runs in a subprocess that is killed after ``--sympy-timeout``
seconds (a timer cannot interrupt sympy inside big-integer arithmetic); a size
beyond one that timed out is reported as ``> N s`` without running it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmark this checkout, not an installed copy

PY = sys.executable
POINT_S = {"w": 0.5, "x": 0.3, "y": 0.7}
POINT_C = {"w": 0.5, "x": 0.3}


# --- the expressions ------------------------------------------------------------------------
def s_text(n: int) -> str:
    return " + ".join(f"sin(w*{k} + x)*exp(-y*{k}/1000)" for k in range(1, n + 1))


def chain_text(d: int) -> str:
    lines, prev = [], "x"
    for k in range(1, d + 1):
        body = f"sin({prev} + w)" if k % 2 else f"{prev}*w + 1"
        lines.append(f"e{k} = {body}")
        prev = f"e{k}"
    return "; ".join(lines)


# built from sympy constructors, in the child process (never sympify on text)
# (sympy recurses once per nesting level: the chain runs in a thread with a big stack)
_SYMPY_CHILD = r"""
import sys, time, json, threading
import sympy as sp

def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    w, x, y = sp.symbols("w x y")
    if kind == "S":
        expr = sp.Add(*[sp.sin(w * k + x) * sp.exp(-y * k / sp.Integer(1000))
                        for k in range(1, n + 1)])
        wrt = (w, x, y)
    else:
        e = x
        for k in range(1, n + 1):
            e = sp.sin(e + w) if k % 2 else e * w + 1
        expr, wrt = e, (w, x)
    t = time.perf_counter()
    for v in wrt:
        sp.diff(expr, v)
    print(json.dumps(time.perf_counter() - t), flush=True)

sys.setrecursionlimit(1_000_000)
threading.stack_size(1 << 29)
th = threading.Thread(target=main)
th.start()
th.join()
"""


# --- timing helpers ---------------------------------------------------------------------------
def median_of(f: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_cmd(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - t


def imported(args: list[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a command imports, read off ``python -X importtime``."""
    r = subprocess.run([PY, "-X", "importtime", *args], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    mods = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if "|" in line}
    return [n for n in names if n in mods]


def sympy_diff(kind: str, n: int, timeout: float) -> tuple[float | None, str]:
    """Seconds of ``sympy.diff`` for the gradient, or None and why (killed, failed)."""
    try:
        r = subprocess.run([PY, "-c", _SYMPY_CHILD, kind, str(n)], capture_output=True,
                           text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None, f"> {timeout:g} s"
    except subprocess.CalledProcessError as err:
        last = (err.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"failed ({last[:60]})"
    return float(json.loads(r.stdout.strip().splitlines()[-1])), ""


def torch_fb(graph: Any, point: dict[str, float]) -> Callable[[], None]:
    """torch executing the graph's nodes (one call each) and one backward pass, float64."""
    import torch

    from diffexplain.methods.autograd import execute

    def go() -> None:
        tens = execute(graph, point)
        torch.autograd.backward([tens[graph.outputs[0]]])

    return go


# --- the sections -----------------------------------------------------------------------------
def startup(repeats: int) -> dict[str, Any]:
    cli = [PY, "-m", "diffexplain"]
    ex = ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2"]
    cmds = {
        "python (bare)": [PY, "-c", "pass"],
        "import sympy": [PY, "-c", "import sympy"],
        "import sympy, torch": [PY, "-c", "import sympy, torch"],
        "diffexplain --help": [*cli, "--help"],
        "diffexplain --version": [*cli, "--version"],
        "explain (x+w)*(w+1)": [*cli, *ex],
        "explain … --no-autograd": [*cli, *ex, "--no-autograd"],
    }
    # byte-compile first: with PYTHONDONTWRITEBYTECODE=1 no run writes .pyc files, and every
    # start-up would compile the package from source (an installed package never does)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "diffexplain")], check=True,
                   stdout=subprocess.DEVNULL)
    for c in cmds.values():  # warm the file cache
        run_cmd(c)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeats):  # interleaved, so a busy moment hits every command alike
        for k, c in cmds.items():
            times[k].append(run_cmd(c))
    med = {k: statistics.median(v) for k, v in times.items()}
    heavy = ("sympy", "torch", "matplotlib", "numpy", "networkx")
    imports = {
        "diffexplain --help": imported(["-m", "diffexplain", "--help"], heavy),
        "diffexplain --version": imported(["-m", "diffexplain", "--version"], heavy),
        "explain (x+w)*(w+1)": imported(["-m", "diffexplain", *ex], heavy),
        "explain … --no-autograd": imported(["-m", "diffexplain", *ex, "--no-autograd"], heavy),
    }
    return {"median": med, "imports": imports, "repeats": repeats}


def scaling(sizes_s: list[int], sizes_c: list[int], repeats: int, timeout: float,
            sympy_s_max: int, sympy_c_max: int) -> dict[str, Any]:
    import sympy  # noqa: F401  (imported once, outside the timings)
    import torch  # noqa: F401

    import diffexplain as dx

    # the largest inputs (S(10000) is 1.2 MB of text) are over the default --max-length
    big = dx.Limits(max_length=20_000_000, max_nodes=2_000_000)
    dx.explain(s_text(3), at=POINT_S)  # warm up: imports, caches
    rows = []
    for kind, sizes, text_of, point, smax in (("S", sizes_s, s_text, POINT_S, sympy_s_max),
                                              ("C", sizes_c, chain_text, POINT_C, sympy_c_max)):
        timed_out: float | None = None
        for n in sizes:
            text = text_of(n)
            graph = dx.parse(text, big)
            nodes = len(graph.nodes)
            reps = repeats if nodes < 30_000 else max(1, repeats // 2)
            t_dx = median_of(lambda text=text, point=point: dx.explain(text, at=point, limits=big),
                             reps)
            t_torch = median_of(torch_fb(graph, point), reps)
            if timed_out is not None or n > smax:
                t_sp: float | None = None
                sp_note = f"> {timeout:g} s" if timed_out is not None else "not run"
            else:
                t_sp, sp_note = sympy_diff(kind, n, timeout)
                if sp_note.startswith(">"):
                    timed_out = timeout
            rows.append({"kind": kind, "n": n, "nodes": nodes, "diffexplain": t_dx,
                         "torch": t_torch, "sympy": t_sp, "sympy_note": sp_note,
                         "us_per_node": t_dx / nodes * 1e6})
            print(f"  {kind}({n}): {nodes} nodes, diffexplain {t_dx:.3f} s, torch {t_torch:.4f} s,"
                  f" sympy.diff {sp_note or f'{t_sp:.3f} s'}", flush=True)
    return {"rows": rows, "timeout": timeout}


# --- the report -------------------------------------------------------------------------------
def _s(t: float | None) -> str:
    if t is None:
        return "—"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def _ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def report(st: dict[str, Any], sc: dict[str, Any], plot: str | None) -> str:
    m = st["median"]
    out = ["# Benchmark results", "",
           f"Generated by `python benchmarks/run.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
           f" ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
           + (", load average {:.1f} at the start and {:.1f} at the end".format(*st["load"])
              if "load" in st else "")
           + "). Medians; ratios from the same run.", "", "## Start-up", "",
           f"Medians of {st['repeats']} interleaved runs of each command.", "",
           "| command | median | ratio | reference | target | heavy imports |",
           "|---|---|---|---|---|---|"]
    refs = {"diffexplain --help": ("python (bare)", 3.0, "<"),
            "diffexplain --version": ("python (bare)", 3.0, "<"),
            "explain (x+w)*(w+1)": ("import sympy, torch", 1.3, "≤"),
            "explain … --no-autograd": ("import sympy", 1.3, "≤")}
    forbidden = {"diffexplain --help": {"sympy", "torch", "matplotlib"},
                 "diffexplain --version": {"sympy", "torch", "matplotlib"},
                 "explain … --no-autograd": {"torch"}}
    verdicts = []
    for k, t in m.items():
        if k in refs:
            ref, lim, op = refs[k]
            r = t / m[ref]
            imps = st["imports"].get(k, [])
            ok = (r < lim if op == "<" else r <= lim) and not (set(imps) & forbidden.get(k, set()))
            verdicts.append((f"`{k}`: {op} {lim}× {ref}" + (", no " + "/".join(sorted(
                forbidden[k])) if k in forbidden else ""), f"{r:.2f}×", ok))
            out.append(f"| `{k}` | {_s(t)} | {r:.2f}× | {ref} | {op} {lim}× | "
                       f"{', '.join(imps) or 'none'} |")
        else:
            out.append(f"| `{k}` | {_s(t)} | | | | |")
    rows = sc["rows"]
    out += ["", "## Scaling", "",
            "diffexplain: `explain(text, at=…)` in the API: parse, symbolic derivation (adjoint "
            "table, or path sum and closed form when the graph has ≤ 60 nodes), torch autograd, "
            "finite differences, comparison. torch: the same nodes executed in torch and one "
            "backward pass (float64). sympy.diff: the gradient of the same expression built from "
            f"sympy constructors, in a subprocess killed after {sc['timeout']:g} s.", "",
            "| expression | nodes | diffexplain | µs/node | torch f+b | diffexplain / torch | "
            "sympy.diff | sympy.diff / diffexplain |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        name = f"S({r['n']})" if r["kind"] == "S" else f"C({r['n']})"
        sp = r["sympy_note"] or _s(r["sympy"])
        ratio = f"{r['sympy'] / r['diffexplain']:.1f}×" if r["sympy"] else (
            f"> {sc['timeout'] / r['diffexplain']:.0f}×" if r["sympy_note"].startswith(">")
            else "—")
        out.append(f"| {name} | {r['nodes']:,} | {_s(r['diffexplain'])} | "
                   f"{r['us_per_node']:.0f} | {_s(r['torch'])} | "
                   f"{r['diffexplain'] / r['torch']:.1f}× | {sp} | {ratio} |")
    by = {(r["kind"], r["n"]): r for r in rows}
    s1000 = by.get(("S", 1000))
    if s1000:
        if s1000["sympy"]:
            ratio = s1000["sympy"] / s1000["diffexplain"]
            verdicts.append(("S(1000): diffexplain ≥ 10× faster than sympy.diff",
                             f"{ratio:.1f}×", ratio >= 10))
        elif s1000["sympy_note"].startswith(">"):
            ratio = sc["timeout"] / s1000["diffexplain"]
            verdicts.append(("S(1000): diffexplain ≥ 10× faster than sympy.diff",
                             f"> {ratio:.0f}×", ratio >= 10))
    c100, c1000 = by.get(("C", 100)), by.get(("C", 1000))
    if c100 and c1000:
        r = c1000["us_per_node"] / c100["us_per_node"]
        verdicts.append(("C(1000) per-node cost ≤ 1.3× C(100)'s", f"{r:.2f}×", r <= 1.3))
    big = [r for r in rows if r["nodes"] >= 100]
    if big:
        worst = max(r["us_per_node"] for r in big)
        verdicts.append(("≤ 100 µs per node from 100 nodes up", f"max {worst:.0f} µs",
                         worst <= 100))
        lo = min(r["us_per_node"] for r in big)
        verdicts.append(("cost per node flat (max/min over the sizes ≥ 100 nodes)",
                         f"{worst / lo:.2f}×", worst / lo <= 1.5))
    out += ["", "## Targets", "", "| target | measured | |", "|---|---|---|"]
    out += [f"| {t} | {v} | {_ok(ok)} |" for t, v, ok in verdicts]
    if plot:
        out += ["", f"![time against graph size]({plot})"]
    return "\n".join(out) + "\n"


def make_plot(sc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    styles = {"S": "-", "C": "--"}
    names = {"S": "S(n) sum", "C": "C(d) chain"}
    colors = {"diffexplain": "tab:blue", "sympy": "tab:red", "torch": "tab:green"}
    label = {"diffexplain": "diffexplain explain()", "sympy": "sympy.diff",
             "torch": "torch forward+backward"}
    for kind in ("S", "C"):
        rows = [r for r in sc["rows"] if r["kind"] == kind]
        for who in ("diffexplain", "sympy", "torch"):
            pts = [(r["nodes"], r[who]) for r in rows if r[who]]
            if pts:
                ax.plot(*zip(*pts), styles[kind], marker="o", color=colors[who],
                        label=f"{label[who]}, {names[kind]}")
            if who == "sympy":
                cut = [(r["nodes"], sc["timeout"]) for r in rows if r["sympy_note"].startswith(">")]
                if cut:
                    ax.plot(*zip(*cut), linestyle="none", marker="^", color=colors[who],
                            label=f"sympy.diff killed at {sc['timeout']:g} s, {names[kind]}")
    lo = min(r["nodes"] for r in sc["rows"])
    hi = max(r["nodes"] for r in sc["rows"])
    ax.plot([lo, hi], [lo * 100e-6, hi * 100e-6], ":", color="grey", label="100 µs per node")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("graph nodes")
    ax.set_ylabel("seconds (median)")
    ax.set_title("Time against graph size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


DOCS = ROOT / "docs" / "performance.md"
DOCS_PNG = ROOT / "docs" / "img" / "performance-scaling.png"
START, END = "<!-- benchmark results: start -->", "<!-- benchmark results: end -->"


def update_docs(st: dict[str, Any], sc: dict[str, Any], png: Path) -> None:
    """Replace the results between the markers of docs/performance.md and copy the plot."""
    if not DOCS.exists():
        return
    text = DOCS.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return
    DOCS_PNG.parent.mkdir(parents=True, exist_ok=True)
    DOCS_PNG.write_bytes(png.read_bytes())
    body = report(st, sc, "img/" + DOCS_PNG.name).split("\n", 2)[2]  # without the title
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOCS.write_text(f"{head}{START}\n{body.replace('## ', '### ')}{END}{tail}", encoding="utf-8")


def write_outputs(st: dict[str, Any], sc: dict[str, Any], out: Path, docs: bool) -> None:
    """The Markdown report and the plot beside it; with ``docs``, also docs/performance.md."""
    png = out.with_name("scaling.png")
    make_plot(sc, png)
    out.write_text(report(st, sc, png.name), encoding="utf-8")
    if docs:
        update_docs(st, sc, png)



def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    p.add_argument("--repeats", type=int, default=None, help="runs per timing (median)")
    p.add_argument("--sympy-timeout", type=float, default=60.0, metavar="S",
                   help="seconds before a sympy.diff subprocess is killed (default 60)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    p.add_argument("--no-docs", action="store_true",
                   help="do not update docs/performance.md and its plot")
    p.add_argument("--from-json", metavar="FILE",
                   help="only rewrite the report and plot from a results.json of an earlier run")
    args = p.parse_args(argv)
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        write_outputs(data["startup"], data["scaling"], Path(args.out), not args.no_docs)
        return 0
    quick = args.quick
    repeats = args.repeats or (3 if quick else 5)
    sizes_s = [10, 100, 1000] if quick else [10, 100, 1000, 10000]
    sizes_c = [100, 1000] if quick else [100, 1000, 10000, 50000]
    print("start-up …", flush=True)
    load0 = os.getloadavg()[0]
    st = startup(repeats if quick else max(repeats, 7))
    print("scaling …", flush=True)
    sc = scaling(sizes_s, sizes_c, repeats, args.sympy_timeout,
                 sympy_s_max=1000, sympy_c_max=1000)
    st["load"] = [load0, os.getloadavg()[0]]
    out = Path(args.out)
    write_outputs(st, sc, out, not args.no_docs)
    (out.with_name("results.json")).write_text(json.dumps({"startup": st, "scaling": sc},
                                                          indent=1), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
