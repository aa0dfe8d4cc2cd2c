"""Issue 18: derivations in vector form over the named tensors, checked against the components."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.methods import tensor_expr as te
from diffexplain.methods import vjp_rules

X = {"x": [0, 1, 2, 3]}
E12 = "z = x@w + b; loss = bce_with_logits(z, y)"
E12_AT = ("x=[1,1,1,1,1] y=[0,0,0] b=[-0.2,0.5,0.1] w=[[1.54,-0.29,-2.18],[0.57,-1.08,-1.4],"
          "[0.4,0.84,-0.72],[-0.4,-0.6,0.18],[1.52,0.35,-1.08]]")


def _vf(expr, at, **kw):
    kw.setdefault("autograd", False)
    kw.setdefault("numeric_check", False)
    e = dx.explain(expr, at=at, **kw)
    return e, e.extras["vector_form"]


def _texts(d):
    return [line.text for line in d.lines]


def _flat(v):
    return [x for r in v for x in (r if isinstance(r, list) else [r])] if isinstance(v, list) else [v]


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def test_e6_dot_reads_4x():
    e, vf = _vf("2*dot(x,x)", X)
    assert vf.available and vf.note == ""
    (d,) = vf.derivations
    assert d.lhs == "∇ₓy" and d.lhs_latex == r"\nabla_{\mathbf{x}} y"
    assert _texts(d) == ["(∂a/∂x)ᵀ·∂y/∂a", "2x·2", "4x", "4·[0, 1, 2, 3]", "[0, 4, 8, 12]"]
    assert [line.rule for line in d.lines][1] == "∂(xᵀx)/∂x = 2x; ∂(2a)/∂a = 2"
    assert d.lines[2].latex == r"4 \mathbf{x}"
    assert d.value == [0, 4, 8, 12] == e.gradient["x"]
    assert d.lines[-1].check == "exact"
    assert ("a = xᵀx ∈ ℝ", r"a = \mathbf{x}^{\top} \mathbf{x} \in \mathbb{R}") in d.where
    assert vf.shapes[0][0] == "x ∈ ℝ⁴"


def test_e6_sum_is_the_ones_vector():
    _e, vf = _vf("sum(x)", X)
    (d,) = vf.derivations
    assert "𝟙" in _texts(d) and d.value == [1, 1, 1, 1]


def test_e6_elementwise_output_reduces_with_ones():
    _e, vf = _vf("x*x", X)
    (d,) = vf.derivations
    assert d.lhs == "∇ₓΣy"
    assert "2x" in _texts(d) and d.value == [0, 2, 4, 6]


def test_e7_detach_reads_u():
    e, vf = _vf("y = x*x; u = detach(y); z = u*x", X)
    (d,) = vf.derivations
    texts = _texts(d)
    assert d.lhs == "∇ₓΣz"
    assert "u" in texts and texts[-1] == "[0, 1, 4, 9]"
    assert "detach" in d.lines[0].rule
    assert any(w.startswith("u = detach(y) ∈ ℝ⁴ = [0, 1, 4, 9]") for w, _l in d.where)
    assert d.value == [0, 1, 4, 9] == e.gradient["x"]


def test_e12_bias_gradient_and_rank_one_weight_gradient():
    e, vf = _vf(E12, E12_AT, wrt=["w", "b"], autograd=True)
    dw, db = vf.derivations
    assert (dw.wrt, db.wrt) == ("w", "b")
    assert "(σ(z) - y)/3" in _texts(db)
    assert "x·((σ(z) - y)/3)ᵀ" in _texts(dw)
    from diffexplain.core.printing import bar

    assert f"∂(x·w)/∂w: {bar('w')} = x·{bar('a')}ᵀ" in dw.lines[1].rule
    assert r"\mathbf{x} \left(\frac{" in dw.lines[1].latex
    z = [3.43, -0.28, -5.1]
    want = [_sigmoid(v) / 3 for v in z]
    assert db.value == pytest.approx(want, rel=1e-12)
    assert db.value == pytest.approx(e.autograd.gradient["b"], rel=1e-12)
    assert all(row == db.value for row in dw.value)  # x is all ones: every row is b.grad
    assert _flat(dw.value) == pytest.approx(_flat(e.autograd.gradient["w"]), rel=1e-12)
    shapes = [t for t, _l in vf.shapes]
    assert "w ∈ ℝ⁵ˣ³" in shapes and "b ∈ ℝ³" in shapes


def test_matrix_at_matrix():
    _e, vf = _vf("sum(A@B)", "A=[[1,2],[3,4]] B=[[1,0,2],[0,1,1]]")
    da, db = vf.derivations
    assert "𝟙·Bᵀ" in _texts(da) and da.value == [[3, 2], [3, 2]]
    assert "Aᵀ·𝟙" in _texts(db) and db.value == [[4, 4, 4], [6, 6, 6]]


def test_matrix_at_vector_and_two_paths():
    _e, vf = _vf("dot(A@x, x)", "A=[[1,2],[3,4]] x=[1,-1]")
    da, dx_ = vf.derivations
    assert da.value == [[1, -1], [-1, 1]]  # x·xᵀ
    assert " + " in dx_.lines[0].text and dx_.value == [-3, -3]  # (A + Aᵀ)x


def test_softmax_and_log_softmax_rules():
    _e, vf = _vf("y = softmax(x); L = dot(y, c)", "x=[0,1,2] c=[1,2,3]")
    assert vf.available
    _e, vf = _vf("mean(log_softmax(x))*s", "x=[0,1,2] s=2")
    assert vf.available
    assert vf.derivations[1].value == pytest.approx([0.486606, 0.17721, -0.663815], rel=1e-5)


def test_an_op_without_a_rule_falls_back_to_components():
    torch = pytest.importorskip("torch")
    with dx.record():
        x = torch.tensor([1., 2., 3., 4.], requires_grad=True)
        y = (x.reshape(2, 2) * 2).sum()
    e = dx.explain(y)
    vf = e.extras["vector_form"]
    assert not vf.available and "reshape has no vector rule" in vf.note
    text = e.to_text()
    assert vf.note in text and "Vector form:" not in text and "Symbolic: ∂" in text


def test_a_wrong_vector_rule_is_refused(monkeypatch):
    real = vjp_rules.local

    def wrong(graph, n, inp, jac_name):
        loc = real(graph, n, inp, jac_name)
        if n.op != "dot":
            return loc
        return vjp_rules.Local(lambda g: te.scale(loc.vjp(g), 0.5), loc.jac)  # ḡ·x, not 2ḡ·x

    monkeypatch.setattr("diffexplain.methods.vectorform.local", wrong)
    e, vf = _vf("2*dot(x,x)", X)
    assert not vf.available and not vf.derivations
    assert "failed its check" in vf.note
    text = e.to_text()
    assert "Vector form:" not in text and "2x·2" not in text and "Symbolic: ∂y/∂x_0" in text
    assert e.gradient["x"] == [0, 4, 8, 12]  # the components are untouched


def test_components_switch_and_scalars_unchanged(capsys):
    e = _vf("2*dot(x,x)", X)[0]
    assert "Vector form: ∇ₓy" in e.to_text() and "Symbolic: ∂y/∂x_0" not in e.to_text()
    comp = e.to_text(components=True)
    assert "Symbolic: ∂y/∂x_0" in comp and "Vector form" not in comp
    s = dx.explain("(x+w)*(w+1)", at={"w": 1, "x": 2}, autograd=False)
    assert "vector_form" not in s.extras and s.to_text() == s.to_text(components=True)
    assert main(["explain", "2*dot(x,x)", "--at", "x=[0,1,2,3]", "--no-autograd",
                 "--components"]) == 0
    assert "Symbolic: ∂y/∂x_3" in capsys.readouterr().out


def test_formats():
    e = _vf("2*dot(x,x)", X)[0]
    md = e.to_markdown()
    assert "### Vector form: ∇ₓy" in md and r"\nabla_{\mathbf{x}} y &= " in md
    assert r"&= 4 \mathbf{x}" in md and "### Symbolic" not in md
    assert "### Symbolic: ∂y/∂x_0" in e.to_markdown(components=True)
    assert r"\nabla_{\mathbf{x}} y" in e.to_latex()
    from diffexplain.render.html import page

    html = page(e, ("symbolic",))
    assert "Vector form" in html and "nabla" in html
    assert "nabla" not in page(e, ("symbolic", "components"))
    data = json.loads(e.to_json())
    vf = data["vector_form"]
    assert vf["available"] and vf["derivations"]["x"]["value"] == [0, 4, 8, 12]
    assert [ln["text"] for ln in vf["derivations"]["x"]["lines"]][2] == "4x"
    assert "steps" in data and "x_0" in data["steps"]  # the component steps stay


def test_chinese_prose():
    e = _vf("2*dot(x,x)", X, lang="zh")[0]
    text = e.to_text()
    assert "chain rule over tensors" not in text and "4x" in text


_TEMPLATES = [
    ("dot(x, v)*s", lambda n: {"x": (n,), "v": (n,), "s": ()}),
    ("sum(sin(x)*v)", lambda n: {"x": (n,), "v": (n,)}),
    ("sum(x@W)", lambda n: {"x": (n,), "W": (n, 2)}),
    ("mean(x*x) + dot(x, v)", lambda n: {"x": (n,), "v": (n,)}),
    ("dot(W@x, x)", lambda n: {"x": (n,), "W": (n, n)}),
    ("bce_with_logits(x@W + b, t)", lambda n: {"x": (n,), "W": (n, 2), "b": (2,), "t": (2,)}),
    ("y = exp(x)*x; z = y/(1 + x*x)", lambda n: {"x": (n,)}),
]


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(_TEMPLATES), st.integers(1, 3), st.data())
def test_vector_form_matches_component_gradients(template, n, data):
    expr, shapes = template
    values = st.integers(-6, 6).map(lambda k: k / 4)
    point = {}
    for name, shape in shapes(n).items():
        if not shape:
            point[name] = data.draw(values)
        elif len(shape) == 1:
            point[name] = data.draw(st.lists(values, min_size=shape[0], max_size=shape[0]))
        else:
            point[name] = [data.draw(st.lists(values, min_size=shape[1], max_size=shape[1]))
                           for _ in range(shape[0])]
    e, vf = _vf(expr, point)
    assert vf.available, vf.note
    for d in vf.derivations:
        assert _flat(d.value) == pytest.approx(_flat(e.gradient[d.wrt]), rel=1e-9, abs=1e-12)


_GOLDEN = {
    "E6": ("2*dot(x,x)", "x=[0,1,2,3]", None),
    "E7": ("y = x*x; u = detach(y); z = u*x", "x=[0,1,2,3]", None),
    "E12": (E12, E12_AT, ["w", "b"]),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(_GOLDEN))
def test_vector_form_goldens(name, lang, golden):
    expr, at, wrt = _GOLDEN[name]
    e = dx.explain(expr, at=at, wrt=wrt, autograd=False, numeric_check=False, lang=lang)
    from diffexplain.i18n import use_lang
    from diffexplain.render.vectorform import markdown_parts, text_lines

    vf = e.extras["vector_form"]
    assert vf.available
    with use_lang(lang):
        text, md = "\n".join(text_lines(e, vf)), "\n\n".join(markdown_parts(vf)) + "\n"
    golden(f"vector_{name}.{lang}.txt", text)
    golden(f"vector_{name}.{lang}.md", md)
    # the sections sit in the whole output where the component derivations were
    assert text in e.to_text() and md in e.to_markdown()


@pytest.mark.parametrize("expr,at", [
    ("y = x*x; u = detach(y); z = u*x*x", "x=[0,1,2,3]"),
    ("sum(x)*sum(x)", "x=[1,2]"), ("dot(x,x)/sum(x)", "x=[1,2]"), ("sum(abs(x))", "x=[-1,2]"),
    ("sum(x@W@W)", "x=[1,1] W=[[1,2],[3,4]]"), ("mse_loss(x, t)", "x=[1,2] t=[0,1]"),
    ("sum(s*x)+s", "s=2 x=[1,2]"), ("softmax(x)", "x=[0,1]"), ("bce_with_logits(s, t)", "s=0.5 t=[1,0]"),
    ("sum(x**s)", "x=[1,2] s=2"), ("sum(detach(x)*x)", "x=[1,2]"),
])
def test_more_inputs_have_a_checked_vector_form(expr, at):
    e, vf = _vf(expr, at)
    assert vf.available, vf.note
    for d in vf.derivations:
        assert _flat(d.value) == pytest.approx(_flat(e.gradient[d.wrt]), rel=1e-9, abs=1e-12)


def test_components_on_a_scalar_input_is_refused_before_any_work() -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "diffexplain", "explain", "x*x", "--at", "x=2",
                        "--components"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--components" in r.stderr
    r = subprocess.run([sys.executable, "-m", "diffexplain", "explain", "2*dot(x,x)", "--at",
                        "x=[0,1,2,3]", "--components"], capture_output=True, text=True)
    assert r.returncode == 0 and "∂y/∂x_2" in r.stdout


def test_trace_takes_components_on_vectors_and_refuses_it_on_scalars() -> None:
    import subprocess
    import sys
    from pathlib import Path

    target = str(Path(__file__).resolve().parent.parent / "examples" / "control.py") + ":f"
    r = subprocess.run([sys.executable, "-m", "diffexplain", "trace", target, "--at", "a=10",
                        "--components"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == "" and "--components" in r.stderr
    r = subprocess.run([sys.executable, "-m", "diffexplain", "trace", target, "--at", "a=[1,2]",
                        "--components"], capture_output=True, text=True)
    assert r.returncode == 0 and "a_0" in r.stdout
