"""``diffexplain explain``: the expression, the point, the lessons, pictures and traces."""

from __future__ import annotations

import argparse
from typing import Any

from diffexplain.cli.common import (
    _common,
    _limits_group,
    _point,
    _read_expression,
    _split,
    _weights,
    limits_from,
)
from diffexplain.errors import EXIT_DISAGREE, EXIT_OK
from diffexplain.files import check_target, write_all
from diffexplain.i18n import N_, _

_EXPLAIN_EXAMPLES = N_("""\
examples:
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --wrt w --format json
  diffexplain explain "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)" --at w=1,x=2 --outputs y0,y1
  diffexplain explain "relu(x)" --at x=0 --check        # exits 1: a kink
  diffexplain explain "log(x)" --at x=2 --format latex -o dlog.tex
  diffexplain explain "2*dot(x,x)" --at "x=[0,1,2,3]"         # vectors: ∇x = [0, 4, 8, 12]
  diffexplain explain "y = x*x; u = detach(y); z = u*x" --at "x=[0,1,2,3]"
  diffexplain explain "loss = bce_with_logits(x@w + b, y)" --wrt w,b
      --at "x=[1,1] y=[0,0,0] w=[[1,2,3],[4,5,6]] b=[0,0,0]"   # (one line)
autograd lessons (run on real torch):
  diffexplain explain "x**2" --at x=3 --order 2                  # create_graph chain
  diffexplain explain "x*x*w" --at x=3,w=2 --hessian
  diffexplain explain "y0 = (x+w)*(w+1); y1 = (x+w)+(w+1)" --at w=1,x=2 --weights 1,2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --backward 4 --retain-graph 2
  diffexplain explain "(x+w)*(w+1)" --at w=1,x=2 --backward 4 --rebuild --zero-grad
  diffexplain explain "w*x" --at w=1,x=2 --inplace w+=1 --tensors
  diffexplain explain "3*x**2 - 4*x" --at x=1 --limits 5 --dtype float32
  diffexplain explain "x**3" --at x=1 --step 1e-12 --check     # exits 1: cancellation
""")


def _add_explain(sub: Any) -> None:
    p = sub.add_parser("explain", help=_("explain the derivatives of an expression at a point"),
                       description=_("Differentiate an expression symbolically (the chain rule "
                       "over its computational graph), with torch autograd, and by central "
                       "finite differences, and compare the three."),
                       epilog=_(_EXPLAIN_EXAMPLES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", help=_("an expression or a program 'a = …; y = …' "
                   "('-' reads standard input)"))
    p.add_argument("--at", action="append", default=[], metavar="POINT",
                   help=_("the point: w=1,x=2 or 'w=1 x=2' (repeatable)"))
    p.add_argument("--wrt", metavar="VARS", help=_("variables to differentiate by, e.g. w,x "
                   "(default: all)"))
    p.add_argument("--outputs", metavar="NAMES", help=_("several outputs of a program, e.g. y0,y1"))
    p.add_argument("--weights", metavar="W", help=_("weights of the outputs, e.g. 1,2 "
                   "(as backward(gradient=…))"))
    p.add_argument("--format", "-f", default="text",
                   choices=["text", "json", "latex", "markdown", "html"],
                   help=_("output format (default text)"))
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                   help=_("precision of torch and finite differences (default float64)"))
    p.add_argument("--check", action="store_true",
                   help=_("exit with code 1 when the methods disagree"))
    p.add_argument("--closed-form", default="named", choices=["named", "exp"],
                   help=_("write closed forms in the learner's functions (σ, softplus, relu; "
                          "the default) or through exp"))
    p.add_argument("--components", action="store_true",
                   help=_("vectors and matrices: show the chain rule of each component (x_0, "
                          "x_1, …) instead of the vector form (JSON always has both)"))
    p.add_argument("--no-autograd", action="store_true", help=_("skip torch (never imports it)"))
    p.add_argument("--no-numeric", action="store_true", help=_("skip finite differences"))
    p.add_argument("--allow-nonfinite", action="store_true",
                   help=_("accept nan/inf in the point"))
    p.add_argument("-o", "--output", metavar="FILE",
                   help=_("write the explanation to FILE (atomically) instead of stdout"))
    _lesson_flags(p)
    g = p.add_argument_group(_("pictures and traces"))
    g.add_argument("--graph", metavar="FILE", help=_("draw the computational graph to FILE "
                   "(.svg, .png, .pdf; .dot for Graphviz, .mmd for Mermaid)"))
    g.add_argument("--graph-autograd", metavar="FILE", help=_("draw the graph above torch's "
                   "grad_fn graph (.svg, .png, .pdf, .dot)"))
    g.add_argument("--mode", choices=["forward", "reverse"], help=_("add the evaluation trace "
                   "of forward mode (one pass per input) or reverse mode (one per output)"))
    g.add_argument("--jacobian", action="store_true", help=_("add the Jacobian of the outputs "
                   "by both modes, sympy and torch.autograd.functional.jacobian"))
    _limits_group(p)
    _common(p)
    p.set_defaults(func=_cmd_explain)


def _lesson_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(_("autograd lessons (on the same graph; the torch parts run real torch)"))
    g.add_argument("--order", type=int, default=1, metavar="N",
                   help=_("derivatives up to order N, sympy vs autograd.grad(create_graph=True)"))
    g.add_argument("--hessian", action="store_true",
                   help=_("the Hessian, sympy vs torch.autograd.functional.hessian"))
    g.add_argument("--backward", type=int, metavar="N",
                   help=_("call backward N times and show .grad after each"))
    g.add_argument("--zero-grad", action=argparse.BooleanOptionalAction, default=False,
                   help=_("zero the leaves' .grad after each backward (default: accumulate)"))
    g.add_argument("--retain-graph", nargs="?", type=int, const=True, default=False,
                   metavar="K", help=_("keep the graph on every backward, or on the first K"))
    g.add_argument("--no-retain-graph", dest="retain_graph", action="store_const",
                   const=False, help=_("plain backward every time (the default)"))
    g.add_argument("--rebuild", action="store_true",
                   help=_("run the forward pass again before each backward"))
    g.add_argument("--inplace", metavar="UPDATES",
                   help=_("update tensors in place after the forward pass, e.g. w+=1 or a+=1"))
    g.add_argument("--tensors", action="store_true",
                   help=_("is_leaf, grad_fn, .grad without retain_grad, saved tensors per node"))
    g.add_argument("--limits", nargs="?", type=int, const=True, default=False, metavar="N",
                   dest="limit_table",
                   help=_("difference quotients for h = 1e-1 … 1e-N (the derivative as a limit)"))
    g.add_argument("--step", type=float, metavar="H",
                   help=_("finite-difference step of the numeric witness (default ∛eps·max(1,|x|))"))


def _lesson_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"order": args.order, "hessian": args.hessian, "backward": args.backward,
            "zero_grad": args.zero_grad, "retain_graph": args.retain_graph,
            "rebuild": args.rebuild, "inplace": args.inplace, "tensors": args.tensors,
            "limit_table": args.limit_table, "step": args.step}


def _cmd_explain(args: argparse.Namespace) -> int:
    from diffexplain.pipeline import explain

    limits = limits_from(args)
    point = _point(args, limits, args.allow_nonfinite)
    _check_graph_paths(args)
    text = _read_expression(args.expression, limits.max_length)
    _check_trace_work(args, text, limits)
    _check_components(args, text, point, limits)
    e = explain(text, point,
                wrt=_split(args.wrt), outputs=_split(args.outputs),
                weights=_weights(args.weights), dtype=args.dtype,
                autograd=not args.no_autograd, numeric_check=not args.no_numeric,
                limits=limits, allow_nonfinite=args.allow_nonfinite,
                closed_form=args.closed_form, **_lesson_kwargs(args))
    from diffexplain.render import render

    # render every output first, then write them together: an error leaves nothing half-done
    write_all([(args.output, _with_traces(e, args, render(e, args.format,
                                                                components=args.components))),
               *_render_graphs(e, args)])
    return EXIT_DISAGREE if args.check and not e.verdict.agree else EXIT_OK


_GRAPH_EXT = {"graph": ("svg", "png", "pdf", "dot", "mmd"),
              "graph_autograd": ("svg", "png", "pdf", "dot")}


def _check_graph_paths(args: argparse.Namespace) -> None:
    """Refuse a bad --graph file name before any work is done."""
    from diffexplain.errors import InputError

    for key, exts in _GRAPH_EXT.items():
        path = getattr(args, key, None)
        if path and path.rsplit(".", 1)[-1].lower() not in exts:
            raise InputError(_("cannot write the graph to {path!r}: the file name must end "
                               "in {extensions}").format(
                                   path=path, extensions=", ".join("." + x for x in exts)))
    if args.graph_autograd and args.no_autograd:
        raise InputError(_("--graph-autograd needs torch: drop --no-autograd"))
    for path in (args.output, args.graph, args.graph_autograd):
        if path is not None:
            check_target(path)


def _check_components(args: argparse.Namespace, text: str, point: Any, limits: Any) -> None:
    """--components on scalars: there are no components to show, so refuse it before any work."""
    if not args.components:
        return
    from diffexplain.errors import InputError
    from diffexplain.pipeline import build_graph, input_kind

    graph = build_graph(text, _split(args.outputs), limits)  # a bad text fails here, as later
    if input_kind(graph, point) == "scalar":
        raise InputError(_("--components shows the components of vectors and matrices; this "
                           "input has only scalars (its derivation is already written per "
                           "variable)"))


def _check_trace_work(args: argparse.Namespace, text: str, limits: Any) -> None:
    """--mode and --jacobian repeat a pass per input or output: refuse too many before any work."""
    if not args.mode and not args.jacobian:
        return
    from diffexplain.limits import check_work
    from diffexplain.pipeline import build_graph

    graph = build_graph(text, _split(args.outputs), limits)  # a bad text fails here, as later
    inputs = len(_split(args.wrt) or graph.variables)
    outputs = len(graph.outputs)
    if args.mode:
        check_work(inputs if args.mode == "forward" else outputs, len(graph.nodes),
                   N_("one trace pass per input") if args.mode == "forward" else
                   N_("one trace pass per output"), "--mode " + args.mode, limits)
    if args.jacobian:
        check_work(2 * (inputs + outputs), len(graph.nodes),
                   N_("forward and reverse passes, and torch's"), "--jacobian", limits)


def _with_traces(e: Any, args: argparse.Namespace, text: str) -> str:
    """Append the --mode trace and the --jacobian to the rendered explanation."""
    if not args.mode and not args.jacobian:
        return text
    parts = [x for x in (e.trace(args.mode) if args.mode else None,
                         e.jacobian(use_torch=not args.no_autograd, limits=limits_from(args))
                         if args.jacobian
                         else None) if x is not None]
    if args.format == "json":
        import json

        d = e.to_dict()
        if args.mode:
            d["trace"] = parts[0].to_dict()
        if args.jacobian:
            d["jacobian"] = parts[-1].to_dict()
        return json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False)
    method = {"text": "to_text", "latex": "to_latex", "markdown": "to_markdown"}
    if args.format == "html":
        import html

        return text + "".join(f"<pre>{html.escape(x.to_text())}</pre>" for x in parts)
    return text.rstrip("\n") + "\n\n" + "\n".join(getattr(x, method[args.format])()
                                                 for x in parts)


def _render_graphs(e: Any, args: argparse.Namespace) -> list[tuple[str, str | bytes]]:
    """The --graph and --graph-autograd files as (path, contents), nothing written yet."""
    wrt = next(iter(_split(args.wrt) or []), None)
    out: list[tuple[str, str | bytes]] = []
    for key, combined in (("graph", False), ("graph_autograd", True)):
        path = getattr(args, key, None)
        if not path:
            continue
        ext = path.rsplit(".", 1)[-1].lower()
        if ext in ("dot", "mmd"):
            from diffexplain.render.dot import to_dot, to_mermaid

            out.append((path, to_dot(e, wrt, combined) if ext == "dot" else to_mermaid(e, wrt)))
            continue
        import matplotlib.pyplot as plt

        from diffexplain.render.figure import encode, figure

        fig = figure(e, wrt=wrt, autograd=combined)
        try:
            out.append((path, encode(fig, path)))
        finally:
            plt.close(fig)
    return out
