"""The explanation: plain frozen data, everything a renderer or a script needs.

Renderers (:mod:`diffexplain.render`) are pure functions of this object; the
display methods here only dispatch to them, importing lazily so that holding
an explanation costs nothing until it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from diffexplain.compare import Verdict
from diffexplain.methods.autograd import AutogradResult
from diffexplain.methods.symbolic import AdjointRow, Derivation

__all__ = ["Explanation", "NodeInfo"]

#: graphs up to this size show their drawing inline in notebooks (``_repr_html_``)
INLINE_SVG_NODES = 150


@dataclass(frozen=True)
class NodeInfo:
    """One graph node as shown: definition, forward value, gradient, and torch's view of it."""

    id: str
    op: str
    kind: str  # variable | constant | operation
    expr: str  # definition in its inputs' names, e.g. "x + w"
    inputs: tuple[str, ...]
    value: float
    grad: float | None
    output: bool = False
    grad_fn: str | None = None
    is_leaf: bool | None = None
    requires_grad: bool | None = None
    retains_grad: bool | None = None
    autograd_grad: float | None = None
    saved: tuple[tuple[str, str | None, float], ...] = ()


@dataclass(frozen=True)
class Explanation:
    """Symbolic, automatic and numeric derivatives of one expression at one point.

    ``gradient`` maps each variable to the verified symbolic value; the three
    methods' values per variable are in ``verdict.comparisons``.
    """

    expression: str
    point: Mapping[str, float]
    outputs: tuple[str, ...]
    weights: tuple[float, ...]
    value: float
    wrt: tuple[str, ...]
    derivations: Mapping[str, Derivation]
    adjoints: tuple[AdjointRow, ...]
    nodes: tuple[NodeInfo, ...]
    edges: tuple[tuple[str, str], ...]
    verdict: Verdict
    dtype: str = "float64"
    autograd: AutogradResult | None = None
    numeric_steps: Mapping[str, float] = field(default_factory=dict)
    lang: str = "en"
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gradient(self) -> dict[str, float]:
        """The derivative with respect to each variable (symbolic, checked by the others)."""
        return {v: d.value for v, d in self.derivations.items()}

    @property
    def agree(self) -> bool:
        return self.verdict.agree

    def node(self, name: str) -> NodeInfo:
        for n in self.nodes:
            if n.id == name:
                return n
        raise KeyError(name)

    # --- renderers ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.jsonable import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        from diffexplain.render.jsonable import to_json

        return to_json(self, indent=indent)

    def to_text(self) -> str:
        from diffexplain.render.text import render

        return render(self)

    def to_latex(self) -> str:
        from diffexplain.render.latex import render

        return render(self)

    def to_markdown(self) -> str:
        from diffexplain.render.markdown import render

        return render(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_latex_(self) -> str:
        from diffexplain.render.latex import render_display

        return render_display(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        from diffexplain.render.html import render

        html = render(self)
        if len(self.nodes) <= INLINE_SVG_NODES:
            from diffexplain.render.figure import svg

            html += "<div class='diffexplain-graph'>" + svg(self) + "</div>"
        return html

    # --- pictures and traces (render/figure.py, trace.py) --------------------------------
    def draw(self, ax: Any = None, wrt: str | None = None) -> Any:
        """Draw the computational graph on matplotlib axes (a new figure if None)."""
        from diffexplain.render.figure import draw

        return draw(self, ax, wrt=wrt)

    def draw_autograd(self, ax: Any = None) -> Any:
        """Draw torch's grad_fn graph, each backward node named after its graph node."""
        from diffexplain.render.figure import draw_autograd

        return draw_autograd(self, ax)

    def trace(self, mode: str = "reverse") -> Any:
        """The evaluation trace of forward or reverse mode (:func:`diffexplain.lessons.modes.trace`)."""
        from diffexplain.lessons.modes import graph_of, trace

        return trace(graph_of(self), self.point, mode, self.wrt)

    def jacobian(self, use_torch: bool = True) -> Any:
        """The Jacobian of the outputs by both modes, sympy and torch (:mod:`diffexplain.lessons.modes`)."""
        from diffexplain.lessons.modes import graph_of, jacobian

        return jacobian(graph_of(self), self.point, self.wrt, use_torch=use_torch)
