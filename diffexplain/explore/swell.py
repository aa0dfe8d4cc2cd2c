"""Expression swell: why symbolic closed forms explode where the graph (and autograd) stay small.

The logistic map l₁ = x, lₙ₊₁ = 4lₙ(1 − lₙ) is the classic example (Baydin et
al., "Automatic differentiation in machine learning: a survey"): written out as
a tree, lₙ has ~2ⁿ operations and so has its derivative, while the computational
graph, and torch's backward graph, grow by three nodes per step.

Sympy work cannot be interrupted inside big-integer arithmetic or printing, so
each n is measured in a forked worker process that is killed when the time
budget runs out, and expansion is skipped when the previous row predicts it
would cross the size budget. The table then ends with the reason it stopped.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diffexplain.errors import InputError
from diffexplain.i18n import _, in_figure_lang

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["SwellRow", "SwellTable", "swell"]

COLUMNS = ("expr", "raw", "expanded", "cse")


@dataclass(frozen=True)
class SwellRow:
    """Sizes (operations, sympy ``count_ops``; graph nodes) and seconds for one n.

    ``None`` means not measured (over the size budget, or the worker was stopped).
    """

    n: int
    expr: int | None
    raw: int | None
    expanded: int | None
    cse: int | None
    graph: int
    autograd: int
    seconds: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class SwellTable:
    rows: tuple[SwellRow, ...]
    stopped: str  # why the table ends ("" when it reached max_n)
    max_n: int
    budget_seconds: float
    max_size: int

    def to_text(self) -> str:
        from diffexplain.core.printing import fmt_number
        from diffexplain.render.tables import table

        def c(v: int | None) -> str:
            return "—" if v is None else str(v)

        def t(r: SwellRow, k: str) -> str:
            s = r.seconds.get(k)
            return "" if s is None else f"{s:.3f}"

        notes = any(r.note for r in self.rows)
        rows = [[str(r.n), c(r.expr), c(r.raw), t(r, "raw"), c(r.expanded), t(r, "expanded"),
                 c(r.cse), t(r, "cse"), str(r.graph), str(r.autograd), t(r, "autograd"),
                 *([r.note] if notes else [])] for r in self.rows]
        # each time column names what it timed: four columns all headed "s" say nothing
        head = ["n", _("lₙ ops"), _("dlₙ/dx raw"), _("raw (s)"), _("expanded"),
                _("expanded (s)"), _("with cse"), _("cse (s)"), _("graph nodes"),
                _("autograd nodes"), _("torch (s)"), *([""] if notes else [])]
        out = [_("Expression swell of the logistic map l₁ = x, lₙ₊₁ = 4lₙ(1 − lₙ)"),
               _("(sizes in operations, sympy count_ops, for the tree forms; nodes for the graphs; "
                 "(s): seconds to compute that form)"),
               table(rows, head)]
        if self.stopped:
            out.append(_("stopped: {reason}").format(reason=self.stopped))
        out.append(_("budget: n ≤ {n}, {seconds} s, {size} operations").format(
            n=self.max_n, seconds=fmt_number(self.budget_seconds), size=self.max_size))
        return "\n".join(out) + "\n"

    def to_markdown(self) -> str:
        def c(v: int | None) -> str:
            return "—" if v is None else str(v)

        lines = ["| n | " + " | ".join([_("lₙ ops"), _("dlₙ/dx raw"), _("expanded"), _("with cse"),
                                        _("graph nodes"), _("autograd nodes")]) + " |",
                 "|---|---|---|---|---|---|---|"]
        lines += [f"| {r.n} | {c(r.expr)} | {c(r.raw)} | {c(r.expanded)} | {c(r.cse)} | "
                  f"{r.graph} | {r.autograd} |" for r in self.rows]
        if self.stopped:
            lines.append("\n" + _("Stopped: {reason}").format(reason=self.stopped))
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.__dict__ for r in self.rows], "stopped": self.stopped,
                "max_n": self.max_n, "budget_seconds": self.budget_seconds,
                "max_size": self.max_size}

    @in_figure_lang
    def figure(self) -> Figure:
        """Sizes against n on a log axis."""
        from diffexplain.render.figure import _agg

        plt = _agg()

        fig, ax = plt.subplots(figsize=(8, 4.8))
        ns = [r.n for r in self.rows]
        series = [(_("lₙ as a tree"), "expr", "#7f8c8d", "o"),
                  (_("dlₙ/dx raw (sympy.diff)"), "raw", "#c0392b", "s"),
                  (_("dlₙ/dx expanded"), "expanded", "#d35400", "D"),
                  (_("dlₙ/dx with cse"), "cse", "#8e44ad", "^"),
                  (_("computational graph (nodes)"), "graph", "#1f5fa8", "v"),
                  (_("torch backward graph (nodes)"), "autograd", "#2e7d32", "x")]
        for label, key, color, marker in series:
            pts = [(n, getattr(r, key)) for n, r in zip(ns, self.rows)
                   if getattr(r, key)]  # None (not measured) and 0 have no place on a log axis
            if pts:
                ax.semilogy([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                            color=color, label=label)
        ax.set_xlabel("n")
        ax.set_ylabel(_("size (operations or nodes, log scale)"))
        ax.set_title(_("Expression swell: lₙ₊₁ = 4lₙ(1 − lₙ)") +
                     ("\n" + _("stopped: {reason}").format(reason=self.stopped)
                      if self.stopped else ""), fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    def save_plot(self, path: str) -> None:
        from diffexplain.files import write_atomic

        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if ext not in ("png", "svg", "pdf"):
            raise InputError(_("cannot plot to {path!r}: use a .png, .svg or .pdf file").format(
                path=path))
        import matplotlib.pyplot as plt

        fig = self.figure()
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=130 if ext == "png" else None,
                    metadata={"Date": None} if ext == "svg" else None)
        plt.close(fig)
        write_atomic(path, buf.getvalue())


def _measure(n: int, expand: bool, conn: Any) -> None:
    """Worker: send (column, size, seconds) as each is done, so a kill keeps the finished ones."""
    import sympy as sp

    x = sp.Symbol("x")
    t0 = time.perf_counter()
    ell: Any = x
    for _k in range(n - 1):
        ell = 4 * ell * (1 - ell)
    conn.send(("expr", int(sp.count_ops(ell)), time.perf_counter() - t0))
    t0 = time.perf_counter()
    d = sp.diff(ell, x)
    conn.send(("raw", int(sp.count_ops(d)), time.perf_counter() - t0))
    t0 = time.perf_counter()
    reps, reduced = sp.cse(d)
    size = sum(int(sp.count_ops(r)) for _, r in reps) + sum(int(sp.count_ops(r))
                                                            for r in reduced)
    conn.send(("cse", size, time.perf_counter() - t0))
    if expand:
        # expand(diff(lₙ)) = diff(expand(lₙ)); expanding step by step as a polynomial
        # is far cheaper than expanding the swollen derivative tree
        t0 = time.perf_counter()
        poly = sp.Poly(x, x)
        for _ in range(n - 1):
            poly = 4 * poly * (1 - poly)
        conn.send(("expanded", int(sp.count_ops(poly.diff(x).as_expr())),
                   time.perf_counter() - t0))
    conn.send(("done", 0, 0.0))
    conn.close()


def _graph_sizes(n: int) -> tuple[int, int, float]:
    """Nodes of diffexplain's graph of lₙ and of torch's backward graph (and its seconds)."""
    import torch

    from diffexplain.core.parsing import parse
    from diffexplain.methods.autograd import _backward_graph

    program = "; ".join(["l1 = x"] + [f"l{k + 1} = 4*l{k}*(1 - l{k})" for k in range(1, n)])
    graph = parse(program) if n > 1 else parse("x")
    t0 = time.perf_counter()
    x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    ell = x
    for _k in range(n - 1):
        ell = 4 * ell * (1 - ell)
    if ell.grad_fn is None:
        return len(graph.nodes), 1, time.perf_counter() - t0
    back = _backward_graph([ell, x], [0], {id(ell): f"l{n}", id(x): "x"})
    ell.backward()
    return len(graph.nodes), len(back), time.perf_counter() - t0


def swell(max_n: int = 12, budget_seconds: float = 20.0, max_size: int = 200_000,
          step_seconds: float | None = None) -> SwellTable:
    """The swell table for n = 1 … ``max_n``, stopping at the time or size budget.

    Args:
        max_n: the largest n measured.
        budget_seconds: wall time for the whole table; the running worker is killed.
        max_size: operations; expansion is skipped once the prediction (the previous
            expanded size × 2: the degree of lₙ doubles each step) exceeds it, and the table
            stops once the raw derivative exceeds it.
        step_seconds: limit for one n (default: what is left of the budget).

    >>> t = swell(max_n=4)
    >>> [(r.n, r.graph, r.autograd) for r in t.rows][-1]
    (4, 12, 10)
    """
    import multiprocessing as mp

    if max_n < 1:
        raise InputError(_("swell needs max_n ≥ 1"))
    if not (isinstance(budget_seconds, (int, float)) and 0 < budget_seconds < math.inf):
        raise InputError(_("swell needs a positive, finite time budget, not {value!r}").format(
            value=budget_seconds))
    if max_size < 1:
        raise InputError(_("swell needs a positive size budget, not {value!r}").format(
            value=max_size))
    import sympy  # noqa: F401  (imported once here, so each forked worker starts warm)

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    start = time.perf_counter()
    rows: list[SwellRow] = []
    stopped = ""
    prev_expanded: int | None = 1
    for n in range(1, max_n + 1):
        gsize, asize, asecs = _graph_sizes(n)  # linear in n: cheap, and never swells
        left = budget_seconds - (time.perf_counter() - start)
        if left <= 0:
            stopped = _("time budget of {seconds} s used up before n = {n}").format(
                seconds=f"{budget_seconds:g}", n=n)
            break
        expand = prev_expanded is not None and prev_expanded * 2 <= max_size
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_measure, args=(n, expand, send), daemon=True)
        proc.start()
        send.close()
        got: dict[str, tuple[int, float]] = {}
        limit = min(left, step_seconds) if step_seconds else left
        deadline = time.perf_counter() + limit
        finished = False
        while True:
            wait = deadline - time.perf_counter()
            if wait <= 0 or not recv.poll(wait):
                break
            try:
                key, size, secs = recv.recv()
            except EOFError:
                break
            if key == "done":
                finished = True
                break
            got[key] = (size, secs)
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        recv.close()
        note = "" if expand else _("expansion skipped: over the size budget")
        if not finished:
            note = _("worker stopped after {seconds} s").format(seconds=f"{limit:.1f}")
        seconds = {k: v[1] for k, v in got.items()}
        seconds["autograd"] = asecs
        size = {k: got[k][0] if k in got else None for k in COLUMNS}
        row = SwellRow(n, size["expr"], size["raw"], size["expanded"], size["cse"],
                       graph=gsize, autograd=asize, seconds=seconds, note=note)
        rows.append(row)
        prev_expanded = row.expanded
        if not finished:
            stopped = _("n = {n} did not finish within the time budget ({seconds} s in "
                        "all)").format(n=n, seconds=f"{budget_seconds:g}")
            break
        if row.raw is not None and row.raw > max_size:
            stopped = _("the raw derivative has {n} operations, over the size budget").format(
                n=row.raw)
            break
    return SwellTable(tuple(rows), stopped, max_n, budget_seconds, max_size)
