"""E9, the derivative as a limit, drawn: f with its tangent line, and finite-difference error vs h.

The tangent's slope is the verified symbolic derivative; the curve and the
difference quotients come from the graph's own float forward pass (float64, and
float32 for the round-off panel), so the picture shows the same numbers as
``diffexplain explain``. Forward differences lose to truncation (error ∝ h)
for large h and to round-off (error ∝ eps/h) for small h; the plot shows both
slopes and the best h near √eps (forward) or ∛eps (central).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from diffexplain.core.printing import fmt_number
from diffexplain.errors import InputError
from diffexplain.i18n import _, in_figure_lang

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["DifferenceRow", "TangentPlot", "difference_table", "tangent_plot"]

#: step sizes of the error panel: 10⁻¹ … 10⁻¹⁵
STEPS = tuple(10.0 ** -k for k in range(1, 16))


@dataclass(frozen=True)
class DifferenceRow:
    """Forward and central difference quotients at one step h, with their errors."""

    h: float
    forward: float
    central: float
    forward32: float
    forward_error: float
    central_error: float
    forward32_error: float


@dataclass(frozen=True)
class TangentPlot:
    """Everything the E9 figure shows, as data (the figure is drawn from it)."""

    expression: str
    var: str
    point: Mapping[str, float]
    value: float
    slope: float
    intercept: float
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    rows: tuple[DifferenceRow, ...]
    #: why f or f' is not a finite float here (overflow, underflow, domain), with evidence
    notes: tuple[Any, ...] = ()

    @property
    def tangent(self) -> str:
        """The tangent line, e.g. ``y = 2x - 3``."""
        if not (math.isfinite(self.slope) and math.isfinite(self.value)):
            return _("none: f or f' is not a finite float here")
        b = self.intercept
        sign = "-" if b < 0 else "+"
        lead = f"{fmt_number(self.slope)}{self.var}" if self.slope not in (1, -1) else (
            self.var if self.slope == 1 else f"-{self.var}")
        if self.slope == 0:
            return f"y = {fmt_number(b)}"
        return f"y = {lead}" + (f" {sign} {fmt_number(abs(b))}" if b else "")

    def to_text(self) -> str:
        from diffexplain.render.tables import table

        x0 = self.point[self.var]
        head = (f"f({self.var}) = {self.expression}; f({fmt_number(x0)}) = "
                f"{fmt_number(self.value)}, f'({fmt_number(x0)}) = {fmt_number(self.slope)}\n"
                + _("tangent at {v} = {x}: {tangent}").format(v=self.var, x=fmt_number(x0),
                                                              tangent=self.tangent) + "\n"
                + "".join(f"{note}\n" for note in self.notes) + "\n"
                + _("Difference quotients (error = |quotient - f'|)") + "\n")
        rows = [[f"{r.h:.0e}", f"{r.forward:.5f}", f"{r.forward_error:.1e}",
                 f"{r.forward32:.5f}", f"{r.forward32_error:.1e}", f"{r.central:.8f}",
                 f"{r.central_error:.1e}"] for r in self.rows]
        return head + table(rows, ["h", _("forward"), _("error"), _("forward f32"), _("error"),
                                   _("central"), _("error")]) + "\n"


def _f(graph: Any, point: Mapping[str, float], var: str, dtype: str = "float64") -> Any:
    from diffexplain.methods.numeric import forward

    out = graph.outputs[0]

    def f(x: float) -> float:
        p = dict(point)
        p[var] = x
        return forward(graph, p, dtype)[out]

    return f


def difference_table(graph: Any, point: Mapping[str, float], var: str, exact: float,
                     steps: tuple[float, ...] = STEPS) -> tuple[DifferenceRow, ...]:
    """(f(x+h) − f(x))/h and (f(x+h) − f(x−h))/2h for each h, in float64 and float32.

    >>> from diffexplain.core.parsing import parse
    >>> rows = difference_table(parse("3*x**2 - 4*x"), {"x": 1.0}, "x", 2.0, (0.1, 0.01))
    >>> [round(r.forward, 5) for r in rows]
    [2.3, 2.03]
    """
    from diffexplain.methods.numeric import _round32

    f64, f32 = _f(graph, point, var), _f(graph, point, var, "float32")
    x = float(point[var])
    rows = []
    for h in steps:
        fw = (f64(x + h) - f64(x)) / h
        ce = (f64(x + h) - f64(x - h)) / (2 * h)
        x32, h32 = _round32(x), _round32(h)
        fw32 = _round32(_round32(f32(_round32(x32 + h32)) - f32(x32)) / h32)
        rows.append(DifferenceRow(h, fw, ce, fw32, abs(fw - exact), abs(ce - exact),
                                  abs(fw32 - exact)))
    return tuple(rows)


def tangent_plot(expr: str, at: Mapping[str, float] | str, var: str | None = None,
                 span: float | None = None, points: int = 400,
                 limits: Any = None) -> TangentPlot:
    """Compute the E9 picture: f near the point, its tangent, and the difference table.

    >>> t = tangent_plot("3*x**2 - 4*x", {"x": 1})
    >>> t.tangent
    'y = 2x - 3'
    """
    from diffexplain.limits import DEFAULT_LIMITS
    from diffexplain.pipeline import build_graph, explain, resolve_point

    graph = build_graph(expr, limits=limits or DEFAULT_LIMITS)
    point = resolve_point(graph, at)
    if var is None:
        if len(graph.variables) != 1:
            raise InputError(_("the expression has several variables: choose the one on the "
                               "x axis with --wrt (the others stay at their --at values)"))
        var = graph.variables[0]
    if var not in graph.variables:
        raise InputError(_("{name!r} is not a variable of the expression").format(name=var))
    if len(graph.outputs) != 1:
        raise InputError(_("plot draws one output; give a single expression"))
    e = explain(graph, point, wrt=[var], autograd=False, numeric_check=False)
    slope, value = e.gradient[var], e.value
    x0 = point[var]
    if span is None:  # near the float limit, a quarter of |x| keeps x ± 2·span finite
        span = max(2.0, abs(x0)) if math.isfinite(x0 + 4 * x0) else abs(x0) / 4
    if not (isinstance(span, (int, float)) and 0 < span and math.isfinite(x0 + 2 * span)
            and math.isfinite(x0 - 2 * span)):
        raise InputError(_("the span must be a positive number, small enough that x ± 2·span "
                           "is a float, not {value!r}").format(value=span))
    f = _f(graph, point, var)
    xs = tuple(x0 - span + 2 * span * k / (points - 1) for k in range(points))
    ys = tuple(f(x) for x in xs)
    rows = difference_table(graph, point, var, slope)
    notes = tuple(r for r in e.verdict.comparisons[var].reasons if r.code in _RANGE)
    return TangentPlot(expr, var, point, value, slope, value - slope * x0, xs, ys, rows, notes)


#: the reasons a plot repeats: why f or f' has no finite float value at the point
_RANGE = ("overflow", "underflow", "domain", "derivative_overflow", "derivative_underflow")


@in_figure_lang
def figure(t: TangentPlot) -> Figure:
    """Two panels: f with its tangent line; |error| of the quotients against h (log–log)."""
    from diffexplain.render.figure import _agg

    plt = _agg()

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 5.2))
    x0 = t.point[t.var]
    finite = [y for y in t.ys if math.isfinite(y)]
    left.plot(t.xs, t.ys, color="#1f5fa8", lw=2, label=f"f({t.var}) = {t.expression}")
    left.plot(t.xs, [t.slope * x + t.intercept for x in t.xs], color="#d35400", lw=1.5,
              ls="--", label=_("tangent {line}").format(line=t.tangent))
    left.plot([x0], [t.value], "o", color="#c0392b", zorder=5)
    if finite:
        lo, hi = min(finite), max(finite)
        pad = 0.1 * (hi - lo or 1.0)
        if math.isfinite(lo - pad) and math.isfinite(hi + pad):  # near the float limit: auto
            left.set_ylim(lo - pad, hi + pad)
    left.axhline(0, color="#999999", lw=0.6)
    left.set_xlabel(t.var)
    left.set_title(_("f and its tangent line"), fontsize=11)
    left.legend(fontsize=8, loc="best")
    left.grid(alpha=0.3)
    _label_point(fig, left, t)

    _error_panel(right, t)
    fig.tight_layout()
    return fig


def _label_point(fig: Any, ax: Any, t: TangentPlot) -> None:
    """"(1, -1) slope f' = 2" next to its point, tied to it, clear of the lines and legend.

    Four places around the point are tried; the one inside the axes that covers the
    fewest drawn points (curve, tangent) and not the legend wins.
    """
    x0 = t.point[t.var]
    ann = ax.annotate(f"({fmt_number(x0)}, {fmt_number(t.value)})\n" +
                      _("slope f' = {slope}").format(slope=fmt_number(t.slope)),
                      (x0, t.value), textcoords="offset points", xytext=(14, 26), fontsize=9,
                      arrowprops={"arrowstyle": "-", "color": "#c0392b", "lw": 0.8})
    fig.tight_layout()
    renderer = fig.canvas.get_renderer()
    pts = [ax.transData.transform(list(zip(line.get_xdata(), line.get_ydata())))
           for line in ax.get_lines() if len(line.get_xdata()) > 1]
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend()
    box_legend = legend.get_window_extent(renderer) if legend is not None else None
    best: tuple[float, tuple[float, float], str, str] | None = None
    for dx, dy in ((14, 26), (-14, 26), (14, -26), (-14, -26)):
        ha, va = ("left" if dx > 0 else "right"), ("bottom" if dy > 0 else "top")
        ann.set_position((dx, dy))
        ann.set_ha(ha)
        ann.set_va(va)
        box = ann.get_window_extent(renderer)
        inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                  and box.y1 <= frame.y1)
        covered = sum(int(((p[:, 0] >= box.x0) & (p[:, 0] <= box.x1) & (p[:, 1] >= box.y0)
                           & (p[:, 1] <= box.y1)).sum()) for p in pts)
        score = covered + (0 if inside else 10_000) + (
            5_000 if box_legend is not None and box.overlaps(box_legend) else 0)
        if best is None or score < best[0]:
            best = (score, (dx, dy), ha, va)
    assert best is not None
    ann.set_position(best[1])
    ann.set_ha(best[2])
    ann.set_va(best[3])


def _error_panel(ax: Any, t: TangentPlot) -> None:
    """|quotient − f'| against h on log–log axes, every point inside the axes.

    An error of exactly 0 (or below the float64 round-off of f') has no place on a log
    axis: it is drawn at that round-off floor with a hollow marker, and said so. The
    √eps/∛eps labels sit in headroom above the highest point; the legend sits below the
    axes, where it covers no point.
    """
    hs = [r.h for r in t.rows]
    floor = 2.0 ** -53 * (max(1.0, abs(t.slope)) if math.isfinite(t.slope) else 1.0)
    series = [("forward_error", "o-", "#1f5fa8", _("forward (f(x+h) − f(x))/h, float64")),
              ("forward32_error", "s-", "#8e44ad", _("forward, float32")),
              ("central_error", "^-", "#2e7d32", _("central (f(x+h) − f(x−h))/2h, float64"))]
    top = floor
    floored = False
    for key, style, color, label in series:
        errs = [getattr(r, key) for r in t.rows]
        ys = [max(e, floor) if math.isfinite(e) else float("nan") for e in errs]
        top = max([top, *(y for y in ys if math.isfinite(y))])
        ax.loglog(hs, ys, style, color=color, label=label, alpha=0.85)
        low = [(h, y) for h, y, e in zip(hs, ys, errs) if math.isfinite(e) and e < floor]
        if low:
            floored = True
            ax.plot([p[0] for p in low], [p[1] for p in low], style[0], color="white",
                    markeredgecolor=color, zorder=4)
    ax.set_ylim(floor / 10, min(top * 1e3, 1e300))  # three decades of headroom for the labels
    for h, name in ((2.0 ** -26, "√eps"), (2.0 ** (-52 / 3), "∛eps")):
        ax.axvline(h, color="#999999", ls=":", lw=1)
        ax.text(h, 0.98, name, transform=ax.get_xaxis_transform(), fontsize=8,
                ha="center", va="top", color="#555555",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.invert_xaxis()
    ax.set_xlabel(_("step h (smaller to the right)"))
    ax.set_ylabel(_("|quotient − f'|"))
    ax.set_title(_("finite-difference error: truncation vs round-off"), fontsize=11)
    if floored:
        ax.text(0.99, 0.02, _("hollow: error below round-off ({floor}), drawn at it").format(
            floor=f"{floor:.1e}"), transform=ax.transAxes, fontsize=7, ha="right",
            va="bottom", color="#555555")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
              frameon=False)
    ax.grid(alpha=0.3, which="both")


def save(t: TangentPlot, path: str) -> None:
    """Write the E9 figure atomically (.png, .svg or .pdf by extension)."""
    from diffexplain.files import write_atomic

    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if ext not in ("png", "svg", "pdf"):
        raise InputError(_("cannot plot to {path!r}: use a .png, .svg or .pdf file").format(
            path=path))
    import matplotlib.pyplot as plt

    fig = figure(t)
    buf = io.BytesIO()
    fig.savefig(buf, format=ext, dpi=130 if ext == "png" else None,
                metadata={"Date": None} if ext == "svg" else None)
    plt.close(fig)
    write_atomic(path, buf.getvalue())
