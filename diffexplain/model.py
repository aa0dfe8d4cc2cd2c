"""The explanation: plain frozen data, everything a renderer or a script needs.

Renderers (:mod:`diffexplain.render`) are pure functions of this object; the
display methods here only dispatch to them, importing lazily so that holding
an explanation costs nothing until it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diffexplain.compare import Verdict
from diffexplain.core.graph import Graph
from diffexplain.core.shapes import unflatten
from diffexplain.methods.partials import EdgePartial
from diffexplain.methods.symbolic import AdjointRow, Derivation

if TYPE_CHECKING:  # annotations only: a scalar explanation without torch never loads these
    from diffexplain.methods.autograd import AutogradResult
    from diffexplain.methods.components import Scalarized

__all__ = ["Explanation", "NodeInfo"]

#: graphs up to this size show their drawing inline in notebooks (``_repr_html_``)
INLINE_SVG_NODES = 150


@dataclass(frozen=True, init=False)
class NodeInfo:
    """One graph node as shown: definition, forward value, gradient, and torch's view of it.

    Values and gradients of vector and matrix nodes are (nested) lists of ``shape``.
    """

    id: str
    op: str
    kind: str  # variable | constant | operation
    expr: str  # definition in its inputs' names, e.g. "x + w"
    inputs: tuple[str, ...]
    value: Any  # float, or nested lists
    grad: Any
    output: bool = False
    grad_fn: str | None = None
    is_leaf: bool | None = None
    requires_grad: bool | None = None
    retains_grad: bool | None = None
    autograd_grad: Any = None
    saved: tuple[tuple[str, str | None, Any], ...] = ()
    shape: tuple[int, ...] = ()

    def __init__(self, id: str, op: str, kind: str, expr: str, inputs: tuple[str, ...],
                 value: Any, grad: Any, output: bool = False, grad_fn: str | None = None,
                 is_leaf: bool | None = None, requires_grad: bool | None = None,
                 retains_grad: bool | None = None, autograd_grad: Any = None,
                 saved: tuple[tuple[str, str | None, Any], ...] = (),
                 shape: tuple[int, ...] = ()) -> None:
        # written out: one per node on every explanation, and the generated frozen
        # __init__ (15 object.__setattr__ calls) costs 3 µs each. Writing the instance dict
        # makes attribute reads a little slower, which only renderers do (once per field);
        # core.graph.Node, read in every pass, keeps the generated one
        # (tests/test_fast_paths.py checks the signature against the fields)
        d = self.__dict__
        d["id"] = id
        d["op"] = op
        d["kind"] = kind
        d["expr"] = expr
        d["inputs"] = inputs
        d["value"] = value
        d["grad"] = grad
        d["output"] = output
        d["grad_fn"] = grad_fn
        d["is_leaf"] = is_leaf
        d["requires_grad"] = requires_grad
        d["retains_grad"] = retains_grad
        d["autograd_grad"] = autograd_grad
        d["saved"] = saved
        d["shape"] = shape


@dataclass(frozen=True)
class Explanation:
    """Symbolic, automatic and numeric derivatives of one expression at one point.

    ``gradient`` maps each variable to the verified symbolic value (a list for a
    vector variable); the three methods' values per variable (per component for
    vectors: ``x_0``, …) are in ``verdict.comparisons``. ``graph`` is the graph it was
    made from, and ``components`` its component graph when values are vectors, so
    traces, Jacobians and drawings never rebuild one.
    """

    expression: str
    point: Mapping[str, Any]
    outputs: tuple[str, ...]
    weights: tuple[float, ...]
    value: Any
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
    graph: Graph | None = field(default=None, compare=False, repr=False)
    components: Scalarized | None = field(default=None, compare=False, repr=False)
    #: ∂out/∂inp along every edge, from the rule table (drawings label their edges with these);
    #: filled on the first :meth:`partial` call
    partials: tuple[EdgePartial, ...] = field(default=(), compare=False, repr=False)

    @property
    def gradient(self) -> dict[str, Any]:
        """The derivative with respect to each variable (symbolic, checked by the others),
        in the variable's shape."""
        flat = {v: d.value for v, d in self.derivations.items()}
        sc, g = self.components, self.graph
        if sc is None or g is None:
            return flat
        return {v: unflatten(sc.shapes[g[v].id], [flat[c] for c in sc.names(g[v].id)])
                for v in self.wrt}

    def scalar_graph(self) -> tuple[Graph, Mapping[str, float], tuple[str, ...]]:
        """The scalar graph, point and inputs the symbolic side ran on: the graph itself, or
        for vectors its component graph (``x_0 … x_3``)."""
        if self.graph is None:
            raise ValueError("this explanation keeps no graph (made by hand, not by explain)")
        sc = self.components
        if sc is None:
            return self.graph, self.point, self.wrt
        return sc.graph, sc.point, tuple(c for v in self.wrt for c in sc.names(self.graph[v].id))

    @property
    def agree(self) -> bool:
        return self.verdict.agree

    def node(self, name: str) -> NodeInfo:
        for n in self.nodes:
            if n.id == name:
                return n
        raise KeyError(name)

    def partial(self, out: str, inp: str) -> EdgePartial:
        """The local partial ∂out/∂inp along the edge inp → out."""
        index: dict[tuple[str, str], EdgePartial] | None = self.__dict__.get("_partial_index")
        if index is None:
            partials = self.partials
            if not partials and self.graph is not None:
                # computed on first use (only drawings need them), once: big graphs never pay
                from diffexplain.methods.partials import edge_partials

                values = {n.id: n.value for n in self.nodes}
                partials = edge_partials(self.graph, [values[n.name] for n in self.graph.nodes])
                object.__setattr__(self, "partials", partials)
            index = {(p.out, p.inp): p for p in partials}
            object.__setattr__(self, "_partial_index", index)
        try:
            return index[(out, inp)]
        except KeyError:
            raise KeyError((out, inp)) from None

    # --- renderers ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.jsonable import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        from diffexplain.render.jsonable import to_json

        return to_json(self, indent=indent)

    def to_text(self, components: bool = False) -> str:
        """Unicode text; for vectors the vector form, or with ``components`` the derivation of
        each component."""
        from diffexplain.render.text import render

        return render(self, components=components)

    def to_latex(self, components: bool = False) -> str:
        from diffexplain.render.latex import render

        return render(self, components=components)

    def to_markdown(self, components: bool = False) -> str:
        from diffexplain.render.markdown import render

        return render(self, components=components)

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
        if self.autograd is None:  # refused before matplotlib is even imported
            from diffexplain.errors import InputError
            from diffexplain.i18n import _

            raise InputError(_("draw_autograd needs torch's backward graph: explain with "
                               "autograd=True (drop --no-autograd)"))
        from diffexplain.render.figure import draw_autograd

        return draw_autograd(self, ax)

    def trace(self, mode: str = "reverse") -> Any:
        """The evaluation trace of forward or reverse mode (:func:`diffexplain.methods.modes.trace`),
        on the scalar graph the derivation used (components for vectors)."""
        from diffexplain.methods.modes import trace

        graph, point, wrt = self.scalar_graph()
        return trace(graph, point, mode, wrt)

    def jacobian(self, use_torch: bool = True, limits: Any = None) -> Any:
        """The Jacobian of the outputs by both modes, sympy and torch (:mod:`diffexplain.methods.jacobian`).

        For a vector output ``y`` it is the Jacobian of ``y`` itself (a row per component,
        e.g. diag(2x) for ``x*x``), not of the reduction ``L = sum(y)``.
        """
        from diffexplain.methods.jacobian import jacobian

        graph, point, wrt = self.scalar_graph()
        if self.components is not None and self.components.reduced and self.graph is not None:
            graph = self.components.unreduced(self.graph.outputs)
        return jacobian(graph, point, wrt, use_torch=use_torch, limits=limits)
