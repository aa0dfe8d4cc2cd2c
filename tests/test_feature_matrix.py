"""Every option of ``explain`` and every ``Explanation`` method on every kind of input.

Scalars (E1), programs, vectors (E6), a matrix model (E12) and a traced function (E8)
go through one pipeline, so each cell must either work (exit 0, output written) or
be refused up front in one line (exit 2 for input, 3 for a documented limit). Never
exit 4, never a traceback, never an option silently dropped.

The CLI runs in-process (``diffexplain.cli.main``); explanations are memoised per
distinct ``explain`` call, so options that only change what is rendered (formats,
files, drawings, traces) share one explanation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import diffexplain as dx
from diffexplain import pipeline
from diffexplain.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONTROL = str(ROOT / "examples" / "control.py")

E12 = "z = x@w + b; loss = bce_with_logits(z, y)"
E12_AT = ["--at", "x=[1,1,1,1,1] y=[0,0,0] b=[0.1,-0.2,0.3]",
          "--at", "w=[[1,2,3],[4,5,6],[0,0,0],[1,1,1],[2,2,2]]"]

#: kind → (explain arguments, a variable, an in-place update, --outputs/--weights)
INPUTS: dict[str, tuple[list[str], str, str, list[str]]] = {
    "scalar": (["(x+w)*(w+1)", "--at", "w=1,x=2"], "w", "w+=1", ["--weights", "2"]),
    "program": (["a = x + w; b = w + 1; y = a*b", "--at", "w=1,x=2"], "w", "a+=1",
                ["--outputs", "a,y", "--weights", "1,2"]),
    "vector": (["x*x", "--at", "x=[0,1,2,3]"], "x", "x+=1", ["--weights", "2"]),
    "matrix": ([E12, *E12_AT, "--wrt", "w,b"], "b", "b+=1", ["--weights", "2"]),
}

#: option name → arguments (``{v}``: the input's variable, ``{inplace}``, ``{outputs}``)
OPTIONS: dict[str, list[str]] = {
    "plain": [],
    "wrt": ["--wrt", "{v}"],
    "outputs-weights": ["{outputs}"],
    "json": ["--format", "json"],
    "latex": ["--format", "latex"],
    "markdown": ["--format", "markdown"],
    "html": ["--format", "html"],
    "float32": ["--dtype", "float32"],
    "check": ["--check"],
    "no-autograd": ["--no-autograd"],
    "no-numeric": ["--no-numeric"],
    "output-file": ["-o", "{tmp}/out.txt"],
    "graph-svg": ["--graph", "{tmp}/g.svg"],
    "graph-png": ["--graph", "{tmp}/g.png"],
    "graph-dot": ["--graph", "{tmp}/g.dot"],
    "graph-mmd": ["--graph", "{tmp}/g.mmd"],
    "graph-autograd": ["--graph-autograd", "{tmp}/ga.svg"],
    "graph-autograd-dot": ["--graph-autograd", "{tmp}/ga.dot"],
    "mode-forward": ["--mode", "forward"],
    "mode-reverse": ["--mode", "reverse", "--format", "json"],
    "jacobian": ["--jacobian", "--format", "markdown"],
    "order-2": ["--order", "2"],
    "hessian": ["--hessian"],
    "backward": ["--backward", "2"],
    "backward-retain": ["--backward", "3", "--retain-graph", "2"],
    "backward-rebuild": ["--backward", "2", "--rebuild", "--zero-grad"],
    "inplace": ["--inplace", "{inplace}"],
    "tensors": ["--tensors"],
    "limits": ["--limits", "3"],
    "step": ["--step", "1e-4"],
}

#: cells refused by a documented limit (exit 3, one line, before any work): E12's 63
#: component nodes are over the 60-node bound of the sympy closed forms
LIMITED = {("matrix", "order-2"), ("matrix", "hessian")}


@pytest.fixture(scope="module", autouse=True)
def shared_explanations():
    """Memoise ``pipeline.explain`` by its arguments for the whole module."""
    cache: dict[str, Any] = {}
    real = pipeline.explain

    def memo(*args: Any, **kwargs: Any) -> Any:
        key = repr((args, sorted(kwargs.items(), key=lambda kv: kv[0])))
        if key not in cache:
            cache[key] = real(*args, **kwargs)
        return cache[key]

    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "explain", memo)
    yield cache
    mp.undo()


def _args(kind: str, option: str, tmp: Path) -> list[str]:
    base, var, inplace, outputs = INPUTS[kind]
    out: list[str] = []
    for a in OPTIONS[option]:
        if a == "{outputs}":
            out += outputs
        else:
            out.append(a.format(v=var, inplace=inplace, tmp=tmp))
    return ["explain", *base, *out]


def _one_line(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("kind", list(INPUTS))
def test_explain_option(kind: str, option: str, tmp_path: Path, capsys) -> None:
    code = main(_args(kind, option, tmp_path))
    out, err = capsys.readouterr()
    if (kind, option) in LIMITED:
        assert code == 3 and _one_line(err), err
        assert not out and not list(tmp_path.iterdir())
        return
    assert code == 0, err
    files = [a for a in OPTIONS[option] if a.startswith("{tmp}")]
    if option == "output-file":
        assert (tmp_path / "out.txt").read_text(encoding="utf-8").strip()
    else:
        assert out.strip()
    for f in files:
        assert Path(f.format(tmp=tmp_path)).stat().st_size > 0


TRACE_OPTIONS: dict[str, list[str]] = {
    "plain": [], "wrt": ["--wrt", "a"], "json": ["--format", "json"],
    "latex": ["--format", "latex"], "markdown": ["--format", "markdown"],
    "html": ["--format", "html"], "float32": ["--dtype", "float32"], "check": ["--check"],
    "no-autograd": ["--no-autograd"], "no-numeric": ["--no-numeric"],
    "output-file": ["-o", "{tmp}/out.txt"],
}


@pytest.mark.parametrize("option", list(TRACE_OPTIONS))
def test_trace_option(option: str, tmp_path: Path, capsys) -> None:
    args = [a.format(tmp=tmp_path) for a in TRACE_OPTIONS[option]]
    code = main(["trace", f"{CONTROL}:f", "--at", "a=10", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    text = (tmp_path / "out.txt").read_text(encoding="utf-8") if option == "output-file" else out
    assert "128" in text


def test_refusals_are_one_line_exit_2(capsys) -> None:
    """Bad combinations are refused before any work, whatever the input kind."""
    for kind in INPUTS:
        base = INPUTS[kind][0]
        for extra in (["--backward", "2", "--no-autograd"], ["--graph", "g.txt"],
                      ["--inplace", "nosuch+=1"], ["--wrt", "nosuch"]):
            assert main(["explain", *base, *extra]) == 2
            out, err = capsys.readouterr()
            assert not out and _one_line(err), (kind, extra, err)


# --- the Explanation methods ------------------------------------------------------------------
def _traced(a: Any) -> Any:
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b


@pytest.fixture(scope="module")
def explanations() -> dict[str, Any]:
    at12 = {"x": [1, 1, 1, 1, 1], "y": [0, 0, 0], "b": [0.1, -0.2, 0.3],
            "w": [[1, 2, 3], [4, 5, 6], [0, 0, 0], [1, 1, 1], [2, 2, 2]]}
    return {
        "scalar": dx.explain("(x+w)*(w+1)", at={"w": 1, "x": 2}),
        "program": dx.explain("a = x + w; b = w + 1; y = a*b", at={"w": 1, "x": 2}),
        "vector": dx.explain("x*x", at={"x": [0, 1, 2, 3]}),
        "matrix": dx.explain(E12, at=at12, wrt="w,b"),
        "traced": dx.trace(_traced, {"a": 10}),
        "traced-vector": dx.trace(lambda x: (x * x).sum(), {"x": [1, 2, 3]}),
    }


METHODS = ["str", "to_text", "to_json", "to_latex", "to_markdown", "to_dict", "_repr_html_",
           "_repr_latex_", "draw", "draw_autograd", "trace-forward", "trace-reverse",
           "jacobian"]
KINDS = ["scalar", "program", "vector", "matrix", "traced", "traced-vector"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_explanation_method(explanations: dict[str, Any], kind: str, method: str) -> None:
    e = explanations[kind]
    if method == "str":
        assert str(e).strip()
    elif method in ("draw", "draw_autograd"):
        import matplotlib.pyplot as plt

        ax = getattr(e, method)()
        assert ax.figure is not None
        plt.close(ax.figure)
    elif method.startswith("trace-"):
        t = e.trace(method.split("-")[1])
        assert t.passes and t.to_text().strip() and t.to_dict()
        # the trace runs on the graph the explanation kept: the gradient it finds is e's
        if method == "trace-reverse" and len(e.outputs) == 1:
            flat = {v: d.value for v, d in e.derivations.items()}
            for v, x in t.passes[0].result.items():
                assert x == pytest.approx(flat[v], rel=1e-9, abs=1e-12)
    elif method == "jacobian":
        j = e.jacobian()
        assert j.agree and j.to_text().strip() and j.to_markdown().strip()
    else:
        result = getattr(e, method)()
        assert result


def test_the_explanation_keeps_its_graph(explanations: dict[str, Any]) -> None:
    for kind in KINDS:
        e = explanations[kind]
        assert e.graph is not None and [n.name for n in e.graph.nodes] == [n.id for n in e.nodes]
    vec = explanations["vector"]
    assert vec.components is not None and vec.scalar_graph()[0] is vec.components.graph


def test_vector_jacobian_is_the_jacobian_of_the_output(explanations: dict[str, Any]) -> None:
    """E6: y = x*x at x = [0, 1, 2, 3] has the Jacobian diag(2x), by every method."""
    j = explanations["vector"].jacobian()
    assert j.outputs == ("y_0", "y_1", "y_2", "y_3")
    diag = tuple(tuple(2.0 * i if i == k else 0.0 for k in range(4)) for i in range(4))
    assert j.forward == diag and j.reverse == diag and j.torch == diag


def test_vector_output_shows_its_jacobian_and_vjp(explanations: dict[str, Any]) -> None:
    """E6: the Jacobian diag(2x) and the VJP with the ones seed, in text, Markdown and JSON."""
    e = explanations["vector"]
    jac = e.extras["tensor"]["reduction"]["jacobians"]["x"]
    assert jac["structure"] == "diagonal" and jac["diagonal"] == [0.0, 2.0, 4.0, 6.0]
    assert jac["seed"] == [1.0] * 4 and jac["vjp"] == e.gradient["x"]
    for text in (e.to_text(), e.to_markdown()):
        assert "Jacobian ∂y/∂x (4×4, diagonal): diag([0, 2, 4, 6])" in text
        assert "vᵀ·J = [0, 2, 4, 6] = ∂L/∂x" in text
    d = e.to_dict()["extras"]["tensor"]["reduction"]["jacobians"]["x"]
    assert d["matrix"][2] == [0.0, 0.0, 4.0, 0.0]


def test_matrix_jacobian_vjp_has_the_variable_shape() -> None:
    e = dx.explain("x@w", at={"x": [1, 2], "w": [[1, 2, 3], [4, 5, 6]]})
    jacs = e.extras["tensor"]["reduction"]["jacobians"]
    assert jacs["w"]["structure"] == "dense" and jacs["w"]["shape"] == [3, 6]
    assert jacs["w"]["vjp"] == e.gradient["w"] == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    assert jacs["x"]["matrix"] == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]


def test_methods_that_need_torch_refuse_in_one_line_without_it() -> None:
    from diffexplain.errors import InputError

    e = dx.explain("x*x", at={"x": [1, 2]}, autograd=False)
    with pytest.raises(InputError, match="autograd=True"):
        e.draw_autograd()
    assert e.jacobian(use_torch=False).agree
