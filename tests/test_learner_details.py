"""Issue 21: the small things a learner trips over, each pinned (both languages where it is text)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.core.parsing import parse
from diffexplain.core.points import parse_point
from diffexplain.core.tracing import load_function
from diffexplain.errors import InputError, LimitExceeded, ParseError

ROOT = Path(__file__).resolve().parent.parent
E8 = ROOT / "examples" / "control.py"


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


# --- traced code keeps the learner's names --------------------------------------------------
@pytest.fixture(scope="module")
def e8():
    return dx.trace(load_function(f"{E8}:f"), {"a": 10})


def test_e8_nodes_carry_the_source_names(e8):
    ops = [n.id for n in e8.nodes if n.kind == "operation"]
    # b at line 11, five loop copies of b at line 13, and the returned c (line 14)
    assert ops == ["b_0", "b_1", "b_2", "b_3", "b_4", "b_5", "c"]
    assert e8.outputs == ("c",)
    assert e8.node("b_1").expr == "b_0·2" and e8.node("c").expr == "b_5·2"
    names = e8.extras["trace"]["summary"][0]
    assert "b_0 is b at line 11" in names
    assert "b_1 … b_5 are the 5 values of b made at line 13" in names
    assert "c (line 14) is the returned value, the last value of b (line 13)" in names
    # the function's name 'f' is no node's name any more
    assert "f" not in {n.id for n in e8.nodes}


def test_e8_states_its_lesson_from_the_graph(e8):
    assert ("on the path taken, c = 128·a is linear in a, so a.grad = c/a = 1280/10 = 128"
            in e8.extras["trace"]["summary"])
    zh = dx.trace(load_function(f"{E8}:f"), {"a": 10}, lang="zh", autograd=False)
    assert ("在实际执行的路径上，c = 128·a 是 a 的线性函数，所以 a.grad = c/a = 1280/10 = 128"
            in zh.extras["trace"]["summary"])
    # another start point: another number of loop turns, the same kind of sentence
    e = dx.trace(load_function(f"{E8}:f"), {"a": 300}, autograd=False)
    assert any(s.startswith("on the path taken, c = 4·a is linear in a")
               for s in e.extras["trace"]["summary"])


def _module(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_a_variable_bound_once_keeps_its_name_and_no_name_is_reused(tmp_path):
    path = _module(tmp_path, """
        def g(x):
            y = x*x
            if y > 4:
                return y - 3*x
            return y
    """)
    e = dx.trace(load_function(f"{path}:g"), {"x": 3}, autograd=False)
    assert e.node("y").expr == "x·x"
    ops = [n.id for n in e.nodes if n.kind == "operation"]
    assert ops[0] == "y" and len(set(ops)) == len(ops)
    # the unnamed 3*x and the returned y - 3*x get names the source does not use
    assert not {"x", "y", "g"} & set(ops[1:])
    assert e.extras["trace"]["summary"][0] == ("names from the source: y at line 3; "
                                               f"{ops[-1]} (line 5) is the returned value")
    assert all(not s.startswith("on the path taken") for s in e.extras["trace"]["summary"])
    assert e.gradient == {"x": 3.0}


def test_loop_copies_are_indexed_with_their_line(tmp_path):
    path = _module(tmp_path, """
        def h(x):
            t = x + 1
            for _ in range(3):
                t = t * x
            return t - x
    """)
    e = dx.trace(load_function(f"{path}:h"), {"x": 2}, autograd=False)
    ops = [n.id for n in e.nodes if n.kind == "operation"]
    assert ops[:4] == ["t_0", "t_1", "t_2", "t_3"]
    names = e.extras["trace"]["summary"][0]
    assert "t_0 is t at line 3" in names and "t_1 … t_3 are the 3 values of t made at line 5" \
        in names


def test_torch_function_on_a_traced_value_names_the_fix(tmp_path):
    path = _module(tmp_path, """
        import torch

        def k(x):
            return torch.sin(x) * x
    """)
    for lang, fix in (("en", "write dx.fn.sin(…)"), ("zh", "请写 dx.fn.sin(…)")):
        with pytest.raises(InputError, match=fix.replace("(", r"\(").replace(")", r"\)")):
            dx.trace(load_function(f"{path}:k"), {"x": 1}, lang=lang)


# --- points written as math -----------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("x=pi/2", math.pi / 2), ("w=1/2", 0.5), ("x=-e", -math.e), ("x=2*pi", 2 * math.pi),
    ("x=sqrt(2)", math.sqrt(2)), ("x=pow(2, 3)", 8.0), ("x=(1+2)/3", 1.0), ("x=1e-3", 1e-3),
])
def test_point_values_may_be_constant_expressions(text, value):
    assert parse_point(text)["x" if text.startswith("x") else "w"] == pytest.approx(value,
                                                                                 rel=1e-15)


@pytest.mark.parametrize("text, fragment", [
    ("x=y+1", "not the variable 'y'"),
    ("x=__import__('os')", "not a number"),
    ("x=--1", "not a number"),
    ("x=a=1", "not a number"),
    ("x=1/0", "no finite real value"),
    ("x=log(-1)", "no finite real value"),
    ("x=sin(", "not a number nor a constant expression"),
])
def test_point_expressions_are_constants_and_arithmetic_only(text, fragment):
    with pytest.raises(InputError, match=fragment):
        parse_point(text)


def test_point_expression_limits_still_apply():
    with pytest.raises(LimitExceeded):
        parse_point("x=2**3**4**5")


def test_cli_explains_at_pi_over_2(capsys):
    code, out, _err = cli(capsys, "explain", "x*x", "--at", "x=pi/2", "--no-autograd")
    assert code == 0 and "at x = 1.5708" in out and "3.14159265" in out  # 2x = π


# --- one input alphabet ---------------------------------------------------------------------
@pytest.mark.parametrize("printed, ascii_form", [
    ("√x", "sqrt(x)"), ("√(x+1)", "sqrt(x+1)"), ("2√x", "2*sqrt(x)"), ("x⁻¹", "x**-1"),
    ("x²+x³", "x**2+x**3"), ("sin（x）", "sin(x)"), ("x＊＊2", "x**2"), ("（x＋1）／2", "(x+1)/2"),
    ("2·x − 1", "2*x - 1"),
])
def test_explain_reads_what_it_prints(printed, ascii_form):
    a = dx.explain(printed, {"x": 2}, autograd=False, numeric_check=False)
    b = dx.explain(ascii_form, {"x": 2}, autograd=False, numeric_check=False)
    assert a.gradient == pytest.approx(b.gradient) and a.value == pytest.approx(b.value)


@pytest.mark.parametrize("text, fragment", [
    ("ｘ + 1", "looks like 'x'"), ("√__import__", "may not start with '_'"),
    ("x．__class__", "looks like '.'"), ("x⁻", "non-ASCII"),
])
def test_look_alike_letters_stay_refused(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse(text)


# --- constant expressions -------------------------------------------------------------------
@pytest.mark.parametrize("lang, words", [("en", "is a constant: there is nothing to differentiate"),
                                         ("zh", "是常数：没有可以求导的东西")])
def test_a_constant_says_there_is_nothing_to_differentiate(capsys, lang, words):
    for text in ("2+3", "5", "pi*2"):
        code, out, err = cli(capsys, "explain", text, "--lang", lang)
        assert code == 2 and out == "" and words in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_constant_at_a_named_variable_has_derivative_zero():
    e = dx.explain("5", {"x": 1})
    assert e.gradient == {"x": 0.0} and e.verdict.agree
    assert e.derivations["x"].lhs == "∂5/∂x"
    e = dx.explain("2+3", {"y": 1}, autograd=False)  # x named 'y' does not clash with the output
    assert e.gradient == {"y": 0.0} and e.value == 5.0


# --- parser messages ------------------------------------------------------------------------
def test_unclosed_paren_caret_is_under_the_paren():
    for text, column in (("sin(x", 4), ("2*sin  (x", 8), ("(x", 1), ("exp(sin(x)", 4)):
        with pytest.raises(ParseError, match="never closed") as err:
            parse(text)
        assert err.value.column == column, text
        lines = err.value.excerpt().splitlines()
        assert lines[1].index("^") - 2 == column - 1


@pytest.mark.parametrize("text, fix", [
    ("x.sum()", "write sum(x) instead of x.sum()"),
    ("torch.sin(x)", "write sin(x) instead of torch.sin(x)"),
    ("2*torch.exp(x+1)", "write exp(x+1) instead of torch.exp(x+1)"),
    ("(x+1).exp()", "write exp(x+1) instead of (x+1).exp()"),
    ("x.pow(2)", "write pow(x, 2) instead of x.pow(2)"),
])
def test_method_and_module_calls_suggest_the_function(text, fix):
    with pytest.raises(ParseError, match=fix.replace("(", r"\(").replace(")", r"\)")
                       .replace("*", r"\*").replace("+", r"\+").replace(".", r"\.")):
        parse(text)


def test_attribute_hint_in_chinese_and_dunder_unchanged(capsys):
    code, _out, err = cli(capsys, "explain", "x.sum()", "--at", "x=1", "--lang", "zh")
    assert code == 2 and "请写 sum(x)，而不是 x.sum()" in err
    with pytest.raises(ParseError, match=r"attribute access \('\.'\) is not allowed \("):
        parse("x.__class__")


def test_header_has_no_stray_blanks(capsys, monkeypatch):
    code, out, _err = cli(capsys, "explain", "-x", "--at", "x=1", "--no-autograd")
    assert code == 0 and out.splitlines()[0] == "diffexplain: -x"
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("x*x\n\n"))
    code, out, _err = cli(capsys, "explain", "-", "--at", "x=1", "--no-autograd")
    assert out.splitlines()[:2] == ["diffexplain: x*x", "at x = 1"]


# --- labels that say what they show ---------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_weighted_single_output_golden(capsys, golden, lang):
    code, out, _err = cli(capsys, "explain", "x*w", "--at", "w=1,x=2", "--weights", "2",
                          "--lang", lang)
    assert code == 0
    head = "\n".join(out.splitlines()[:9]) + "\n"
    assert ("objective: L = 2·y" if lang == "en" else "目标：L = 2·y") in head
    assert ("∂L/∂node" if lang == "en" else "∂L/∂节点") in head
    golden(f"weights_one_output.{lang}.txt", head)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_e7_says_detach_left_grad_none(golden, lang):
    e = dx.explain("y = x*x; u = detach(y); z = u*x", {"x": [0, 1, 2, 3]}, lang=lang)
    text = e.to_text()
    section = text[text.index("Autograd" if lang == "en" else "自动求导"):]
    section = section[:section.index("\n\n") + 1]
    if lang == "en":
        assert "None (detach at u cut its path to z)" in section
        assert "None (detach made it a constant)" in section
    else:
        assert "None（u 处的 detach 切断了它到 z 的路径）" in section
    golden(f"E7_autograd.{lang}.txt", section)


@pytest.mark.parametrize("lang, words", [
    ("en", "(a, b, y: requires_grad=True without being asked: each depends on a leaf that "
           "requires grad (x, w)"),
    ("zh", "（a, b, y：没有设置也是 requires_grad=True：它们都依赖于一个需要梯度的叶子节点（x, w）")])
def test_e1_says_why_intermediates_require_grad(lang, words):
    assert words in dx.explain("(x+w)*(w+1)", {"w": 1, "x": 2}, lang=lang).to_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_e4_says_why_add_or_mul_backward(lang):
    def note(expr):
        e = dx.explain(expr, {"x": 3}, order=2, numeric_check=False, lang=lang)
        return e.extras["higher_order"]["variables"]["x"]["orders"][0]["note"]

    add, mul = note("x*x"), note("x**2")
    if lang == "en":
        assert add.startswith("why AddBackward0: x is used 2 times (y = x·x; product rule)")
        assert mul.startswith("why MulBackward0: x is used once (y = x^2; power rule)")
    else:
        assert add.startswith("为什么是 AddBackward0：x 被用了 2 次")
        assert mul.startswith("为什么是 MulBackward0：x 只被用了一次")
    # derived from the uses of x, not the example: x*x*x is used 3 times
    assert "3" in note("x*x*x") or note("x*x*x") == ""


@pytest.mark.parametrize("lang, words", [
    ("en", "Central differences are exact here: f is a polynomial of degree 2 in x"),
    ("zh", "这里中心差分是精确的：f 是 x 的二次多项式")])
def test_e9_says_central_differences_are_exact_for_a_quadratic(lang, words):
    e = dx.explain("3*x**2 - 4*x", {"x": 1}, limit_table=5, autograd=False, lang=lang)
    assert words in e.extras["limit_table"][0]["note"]
    cubic = dx.explain("x**3", {"x": 1}, limit_table=5, autograd=False, lang=lang)
    assert words not in cubic.extras["limit_table"][0]["note"]


def test_swell_heads_each_column_and_says_where_the_plot_went(capsys, tmp_path):
    path = tmp_path / "swell.svg"
    code, out, _err = cli(capsys, "swell", "--max-n", "2", "--plot", str(path))
    assert code == 0 and path.exists()
    head = out.splitlines()[2].split()
    assert "s" not in head and {"raw", "expanded", "cse", "torch"} <= set(head)
    assert out.rstrip().endswith(f"wrote {path}")
    code, out, err = cli(capsys, "swell", "--max-n", "2", "--plot", str(path), "--format",
                         "json", "--lang", "zh")
    assert code == 0 and out.lstrip().startswith("{") and f"{path}" in err


@pytest.mark.parametrize("lang, words", [("en", "✓ the only step is right"),
                                         ("zh", "✓ 唯一的一步是对的")])
def test_check_one_right_step(capsys, lang, words):
    code, out, _err = cli(capsys, "check", "x*w", "--wrt", "w", "--at", "w=1,x=2", "--steps",
                          "x", "--lang", lang)
    assert code == 0 and out.rstrip().endswith(words)


def test_chinese_wording(capsys):
    code, out, _err = cli(capsys, "check", "sin(x)", "--at", "x=0.5", "--steps", "-cos(x)",
                          "--lang", "zh")
    assert code == 1
    assert "第 1 步：在 y = sin(x) 的导数中符号出错：d sin(u) = cos(u)·u'，而不是 −cos(u)·u'" in out
    assert " not " not in out
    e = dx.trace(load_function(f"{E8}:f"), {"a": 10}, lang="zh", autograd=False)
    assert any("所以执行了条件为真的分支" in s for s in e.extras["trace"]["summary"])
    from diffexplain.i18n import _, use_lang

    with use_lang("zh"):
        assert _("red: the paths that make up {partial}").format(partial="∂y/∂w = 5") == \
            "红色：各条路径，合起来给出 ∂y/∂w = 5"
        assert _("pass") == "第几次"
        assert _("matches no known slip: it differs from {lhs} = {truth} by {difference} (at "
                 "{at}: {value} instead of {correct}).").startswith("不属于任何已知的错误类型")


def test_dir_shows_the_api():
    assert {"explain", "check", "trace", "fn", "parse"} <= set(dir(dx))
    assert not {"Any", "TYPE_CHECKING", "annotations"} & set(dir(dx))


# --- figures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def e9_figure():
    from diffexplain.explore.plot import figure, tangent_plot

    t = tangent_plot("3*x**2 - 4*x", {"x": 1})
    fig = figure(t)
    fig.canvas.draw()
    yield t, fig
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_plot_slope_label_stays_at_its_point(e9_figure):
    t, fig = e9_figure
    left = fig.axes[0]
    (ann,) = [a for a in left.texts if "slope f' = 2" in a.get_text()]
    assert tuple(ann.xy) == (1.0, t.value) and ann.arrow_patch is not None
    r = fig.canvas.get_renderer()
    box, frame = ann.get_window_extent(r), left.get_window_extent(r)
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    px, py = left.transData.transform((1.0, t.value))
    assert math.hypot(px - (box.x0 + box.x1) / 2, py - (box.y0 + box.y1) / 2) < 80


def test_plot_every_error_point_is_inside_the_axes_and_labels_clear(e9_figure):
    t, fig = e9_figure
    right = fig.axes[1]
    lo, hi = right.get_ylim()
    lines = [ln for ln in right.get_lines() if len(ln.get_xdata()) == len(t.rows)]
    assert len(lines) == 3
    for ln in lines:
        ys = ln.get_ydata()
        assert all(math.isfinite(y) and lo < y < hi for y in ys)  # central at h=1e-1 too
    r = fig.canvas.get_renderer()
    labels = [tx for tx in right.texts if tx.get_text() in ("√eps", "∛eps")]
    assert len(labels) == 2
    pts = [right.transData.transform(list(zip(ln.get_xdata(), ln.get_ydata()))) for ln in lines]
    for tx in labels:
        box = tx.get_window_extent(r).expanded(1.1, 1.3)
        assert not any(box.contains(x, y) for p in pts for x, y in p), tx.get_text()
    legend = right.get_legend().get_window_extent(r)
    assert not any(legend.contains(x, y) for p in pts for x, y in p)


def test_e11_boundary_figure_has_axis_labels_and_a_legend_on_no_point():
    import importlib.util

    import matplotlib.pyplot as plt

    spec = importlib.util.spec_from_file_location("lr_example", ROOT / "examples" /
                                                  "logistic_regression.py")
    assert spec is not None and spec.loader is not None
    lr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lr)
    x, t = lr.make_data(seed=1, bias=1.0)
    result = {"x": x.numpy(), "t": t.numpy(), "w0": -1.48, "w1": -1.70, "b": 2.22,
              "stopped_at": 540, "iterations": 541, "loss": 0.0447, "accuracy": 0.995}
    fig = lr.boundary_figure(result)
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
        r = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(r)
        pts = ax.transData.transform(result["x"])
        assert not any(legend.contains(px, py) for px, py in pts)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_e8_trace_golden(capsys, golden, lang):
    code, out, _err = cli(capsys, "trace", str(E8) + ":f", "--at", "a=10", "--lang", lang)
    assert code == 0
    golden(f"trace_E8.{lang}.txt", out)
