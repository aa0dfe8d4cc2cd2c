"""Checking a learner's own derivation: each step verified, the first wrong one marked and named.

A derivation is a list of steps, each an expression in the graph's names: the
leaves, the intermediates (``a``, ``b``, … or the names of a program), the
partials ``∂y/∂a`` (``dy/da``), the adjoints ``ā`` (``adj(a)``), or plain
numbers once the point is substituted. A step containing ``=`` is several steps.
Each step is parsed by diffexplain's own parser (student text is untrusted:
never ``sympify``), then built into a sympy expression from the step's nodes with
intermediates replaced by their definitions in the explained graph.

Each step is compared with the true derivative, and, after the first wrong step,
with the step before it, so a slip carried on correctly is reported as such.
Equality is decided numerically at the point and at random points near it, and
confirmed symbolically (``expand`` of the difference) when sympy can do it
cheaply; the step records which (``sympy``, ``numeric`` or ``value`` for a
number compared at the point). The first wrong step is matched against the
:mod:`~diffexplain.checking.mistakes` catalogue.
"""

from __future__ import annotations

import functools
import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diffexplain.core.graph import Graph, constant_sympy, op_table
from diffexplain.core.printing import fmt_number
from diffexplain.core.printing import text as p_text
from diffexplain.errors import InputError, LimitExceeded
from diffexplain.i18n import N_, _, get_lang, localized, ngettext
from diffexplain.limits import DEFAULT_LIMITS, Limits
from diffexplain.methods import identity

__all__ = ["CheckResult", "Mistake", "StepResult", "check", "split_steps"]

#: most steps one derivation may have
MAX_STEPS = 200
#: longest step (characters): a step is a line of a derivation, not a program
MAX_STEP_LENGTH = 10_000
#: a step's graph: nodes and nesting depth (deeper sympy trees overflow the printers' stack)
STEP_NODES = 1000
STEP_DEPTH = 80
#: random points (besides the given one) where steps are compared
POINTS = 8
#: largest difference (sympy operations) that ``expand`` is tried on
EXPAND_OPS = 200


@dataclass(frozen=True)
class StepResult:
    """One step: as written, whether it is right, how that was decided, and why."""

    index: int
    expr: str
    ok: bool
    method: str  # sympy | numeric | value | none
    reason: str
    follows: bool | None = None  # equals the step before it (None for the first step)
    value: float | None = None  # at the point
    text: str = ""
    latex: str = ""


@dataclass(frozen=True)
class Mistake:
    """The named slip of the first wrong step: a stable ``code`` and a sentence with evidence."""

    code: str
    sentence: str
    step: int
    evidence: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a derivation; ``correct`` is diffexplain's own verified derivation."""

    expression: str
    wrt: str
    output: str
    point: Mapping[str, float]
    steps: tuple[StepResult, ...]
    first_error: int | None
    mistake: Mistake | None
    correct: Any  # symbolic.Derivation
    derivative: str  # closed form, unicode
    value: float
    lang: str = "en"  # the language of the reasons and the mistake's sentence

    @property
    def ok(self) -> bool:
        return self.first_error is None and bool(self.steps)

    @property
    def lhs(self) -> str:
        return f"∂{self.output}/∂{self.wrt}"

    def to_dict(self) -> dict[str, Any]:
        from diffexplain.render.check_formats import to_dict

        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        from diffexplain.render.check_formats import text

        return text(self)

    def to_markdown(self) -> str:
        from diffexplain.render.check_formats import markdown

        return markdown(self)

    def to_latex(self) -> str:
        from diffexplain.render.check_formats import latex

        return latex(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


# --- the exercise: graph, true derivative, points, built once per (expression, wrt, point) ---
class _Exercise:
    def __init__(self, graph: Graph, wrt: str, point: dict[str, float], limits: Limits) -> None:
        from diffexplain.checking.mistakes import Model
        from diffexplain.methods import numeric

        self.g = graph
        self.wrt = wrt
        self.point = point
        self.limits = limits
        self.model = Model(graph, wrt)
        self.truth = self.model.truth
        self.leaf_syms = {n.name: self.model.sym[n.id] for n in graph.nodes if n.op == "var"}
        rng = random.Random(0)
        envs = [dict(point)]
        for _k in range(POINTS * 4):
            if len(envs) > POINTS:
                break
            env = {k: v + rng.uniform(-0.5, 0.5) * max(1.0, abs(v)) for k, v in point.items()}
            vals = numeric.forward(graph, env)
            if all(math.isfinite(vals[o]) for o in graph.outputs):
                envs.append(env)
        self.envs = [{self.leaf_syms[k]: v for k, v in e.items()} for e in envs]
        self.truth_vals = [identity.evaluate(self.truth, e) for e in self.envs]
        self._slips: list[Any] | None = None
        self._slip_values: list[list[float]] | None = None
        self._correct: Any = None
        self.steps: dict[tuple[str, bool], Any] = {}
        self.named: dict[str, tuple[str, str, dict[str, str]]] = {}

    @property
    def slips(self) -> list[Any]:
        if self._slips is None:
            from diffexplain.checking.mistakes import catalogue

            self._slips = catalogue(self.model, self.limits.path_sum_paths)
        return self._slips

    @property
    def slip_values(self) -> list[list[float]]:
        if self._slip_values is None:
            self._slip_values = [self.values(s.expr) for s in self.slips]
        return self._slip_values

    @property
    def correct(self) -> Any:
        if self._correct is None:
            from diffexplain.pipeline import explain

            e = explain(self.g, at=self.point, wrt=[self.wrt], autograd=False,
                        numeric_check=False, limits=self.limits)
            self._correct = e.derivations[self.wrt]
        return self._correct

    def values(self, expr: Any) -> list[float]:
        return [identity.evaluate(expr, e) for e in self.envs]


@functools.lru_cache(maxsize=32)
def _exercise(text: str, wrt: str, point: tuple[tuple[str, float], ...],
              limits: Limits, lang: str = "en") -> _Exercise:
    # ``lang`` keys the cache: an exercise keeps its steps' reasons and slips as sentences
    from diffexplain.pipeline import build_graph

    return _Exercise(build_graph(text, None, limits), wrt, dict(point), limits)


# --- reading a step ------------------------------------------------------------------------
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUP_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_PARTIAL_U = re.compile(r"∂\s*([A-Za-z]\w*)\s*/\s*∂\s*([A-Za-z]\w*)")
_PARTIAL_A = re.compile(r"(?<![\w.])d([A-Za-z]\w*)/d([A-Za-z]\w*)(?!\w)")
_BAR = re.compile("([A-Za-z])\u0304(\\w*)")
_ADJ = re.compile(r"(?<![\w.])adj\(\s*([A-Za-z]\w*)\s*\)")


def split_steps(steps: str | Sequence[str]) -> list[str]:
    """Steps from a list or from one text (``;`` or newlines), each chain ``a = b`` split too.

    >>> split_steps("∂y/∂w = b*1 + a*1; b + a = 5")
    ['∂y/∂w', 'b*1 + a*1', 'b + a', '5']
    """
    parts = re.split(r"[;\n]", steps) if isinstance(steps, str) else list(steps)
    out: list[str] = []
    for p in parts:
        if not isinstance(p, str):
            raise InputError(_("a step must be text, not {type}").format(type=type(p).__name__))
        for piece in re.split(r"(?<![=<>!])=(?!=)", p):
            if piece.strip():
                out.append(piece.strip())
    return out


class _Reader:
    """Turns one step's text into sympy: the parser builds a graph, names are resolved."""

    def __init__(self, ex: _Exercise) -> None:
        import sympy as sp

        self.sp = sp
        self.ex = ex
        self.g = ex.g
        self.holes: dict[str, tuple[Any, str]] = {}  # placeholder → (expr, shown text)
        self._n = 0

    def _hole(self, expr: Any, shown: str) -> str:
        while True:
            self._n += 1
            name = f"D{self._n}partial"
            if name not in self.g:
                break
        self.holes[name] = (expr, shown)
        return name

    def normalize(self, s: str) -> str:
        g = self.g

        def partial(m: re.Match[str]) -> str:
            p, q = m.group(1), m.group(2)
            if p not in g or q not in g or m.group(0).replace("d", "", 1) in g:
                return m.group(0)
            return self._hole(self.partial(g[p].id, g[q].id), f"∂{p}/∂{q}")

        def adjoint(m: re.Match[str]) -> str:
            name = m.group(1) + (m.group(2) if m.lastindex and m.lastindex > 1 else "")
            if name not in g:
                return m.group(0)
            return self._hole(self.partial(self.ex.model.out, g[name].id), f"{name}\u0304")

        s = unicodedata.normalize("NFD", s)  # ā (one code point) is a + U+0304, as bar() prints
        s = re.sub(r"(∂\w+/∂\w+|d\w+/d\w+)\|(?:[ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀-₉,]+|\([\w, ]+\))", r"\1", s)
        s = _PARTIAL_U.sub(partial, s)
        s = _PARTIAL_A.sub(lambda m: m.group(0) if f"d{m.group(1)}" in g else partial(m), s)
        s = _BAR.sub(adjoint, s)
        s = _ADJ.sub(adjoint, s)
        # as explain prints them: σ(u), H(u), π, and ∂y/∂w|ₐ (an edge's partial, others held)
        s = re.sub(r"σ\s*\(", "sigmoid(", s).replace("π", "pi")
        s = re.sub(r"(?<![\w.])H\s*\(", "heaviside(", s)
        s = re.sub(r"√\s*\(", "sqrt(", s)
        s = re.sub(r"√\s*([A-Za-z0-9_.]+)", r"sqrt(\1)", s)
        return _SUP_RUN.sub(lambda m: "**(" + m.group().translate(_SUP) + ")", s)

    def partial(self, p: int, q: int) -> Any:
        """∂p/∂q in the graph's sense (other inputs held), in the leaves."""
        sp, m = self.sp, self.ex.model
        if q in self.g.nodes[p].inputs:  # an edge of the path sum: the local partial
            return m.edge_partial(p, q)
        D: dict[int, Any] = {q: sp.Integer(1)}
        for n in self.g.nodes[q + 1: p + 1]:
            if n.is_leaf:
                continue
            D[n.id] = sp.Add(*[m.partial[n.id][k] * D.get(i, 0) for k, i in enumerate(n.inputs)])
        return D.get(p, sp.Integer(0))

    def read(self, raw: str) -> tuple[Any, Any, list[str], str | None]:
        """(expression in the leaves, expression as written, unknown names, bare literal)."""
        from diffexplain.core.parsing import parse

        sp, g = self.sp, self.g
        text = self.normalize(raw)
        lim = self.ex.limits
        step = parse(text, lim.with_(max_nodes=min(lim.max_nodes, STEP_NODES),
                                     max_depth=min(lim.max_depth, STEP_DEPTH)))
        if len(step.outputs) != 1 or any(n.op == "var" and n.name in ("",) for n in step.nodes):
            raise InputError(_("a step is one expression"))
        full: list[Any] = []
        shown: list[Any] = []
        names: dict[Any, str] = {}
        unknown: list[str] = []
        for n in step.nodes:
            if n.op == "const":
                full.append(constant_sympy(n))
                shown.append(full[-1])
            elif n.op == "var":
                if n.name in self.holes:
                    expr, label = self.holes[n.name]
                    full.append(expr)
                    sym = sp.Symbol(n.name)
                    names[sym] = label
                    shown.append(sym)
                elif n.name in g:
                    node = g[n.name]
                    full.append(self.ex.model.full[node.id] if node.op != "const"
                                else constant_sympy(node))
                    shown.append(g.symbol(node))
                elif n.name == "E":
                    full.append(sp.E)
                    shown.append(sp.E)
                else:
                    unknown.append(n.name)
                    full.append(sp.Symbol(n.name, real=True))
                    shown.append(full[-1])
            else:
                fn = op_table(n.op)
                full.append(fn.sympy(sp, *(full[i] for i in n.inputs)))
                args = [shown[i] for i in n.inputs]
                if n.op in ("add", "mul") and type(args[0]) is (sp.Add if n.op == "add" else sp.Mul):
                    # a + b + c as written, not (a + b) + c
                    shown.append((sp.Add if n.op == "add" else sp.Mul)(*args[0].args, args[1],
                                                                        evaluate=False))
                    continue
                with sp.evaluate(False):
                    shown.append(fn.sympy(sp, *args))
        out = step.outputs[0]
        lit = step.nodes[out].literal if step.nodes[out].op == "const" else None
        self.names = names
        return full[out], shown[out], unknown, lit


# --- comparing ------------------------------------------------------------------------------
def _allowance(literal: str | None) -> float:
    """Half a unit in the last digit written: ``0.97`` stands for anything in [0.965, 0.975]."""
    if not literal:
        return 0.0
    m = re.fullmatch(r"-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", literal)
    if not m or (m.group(2) is None and m.group(3) is None):
        return 0.0
    decimals = len(m.group(2) or "")
    exp = int(m.group(3) or 0)
    return 0.5 * 10.0 ** (exp - decimals) * (1 + 1e-9)


_DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?:[eE][+-]?\d+)?|(?<![\w.])\d+[eE][+-]?\d+")


#: decimals written with at least this many significant digits are read as rounded values
ROUNDED_DIGITS = 4


def _rounded_allowance(raw: str, lit: str | None, value: float) -> float:
    """What a constant step may be off by: half a unit in the last digit of a bare number,
    or, for an expression of rounded values (``2·0.731571 + …``, as the "forward values"
    line of a derivation prints them), the first-order error bound |value|·Σ 2·rel_i over
    its decimals of ``ROUNDED_DIGITS`` or more significant digits. Short decimals a
    learner types (``2.1``) are taken as exact."""
    if lit:
        return _allowance(lit)
    rel = 0.0
    for m in _DECIMAL.finditer(raw):
        text = m.group()
        mantissa = re.split("[eE]", text)[0].replace(".", "").lstrip("0")
        x = float(text)
        if x and len(mantissa) >= ROUNDED_DIGITS:
            rel += 2.0 * _allowance(text) / abs(x)
    return rel * abs(value) if math.isfinite(value) else 0.0


def _same(a: list[float], b: list[float], only_point: bool, allowance: float = 0.0) -> bool | None:
    """Numeric equality over the points: True, False, or None when nowhere finite."""
    tried = 0
    for k, (x, y) in enumerate(zip(a, b)):
        if only_point and k > 0:
            break
        if not (math.isfinite(x) and math.isfinite(y)):
            if math.isfinite(x) != math.isfinite(y) and k == 0 and not (math.isnan(x) or math.isnan(y)):
                return False
            continue
        tried += 1
        rtol = 1e-6 if only_point else 1e-8
        if not (identity.close(x, y, rtol, 1e-10) or abs(x - y) <= allowance):
            return False
    return True if tried else None


def _cheap(sp: Any, e: Any) -> bool:
    """Small enough to ``expand``: few operations and no high integer powers ((x+1)**900)."""
    if sp.count_ops(e) >= EXPAND_OPS:
        return False
    return not any(p.exp.is_Integer and abs(p.exp) > 8 for p in e.atoms(sp.Pow))


def _symbolic(sp: Any, a: Any, b: Any) -> bool:
    try:
        if a == b:
            return True
        d = a - b
        return bool(d == 0 or (_cheap(sp, d) and sp.expand(d) == 0))
    except Exception:  # noqa: BLE001 - a failing shortcut only means "numeric"
        return False


def _clip(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _at(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {fmt_number(v)}" for k, v in point.items())


@localized
def check(expr: Any, wrt: str | None = None, steps: str | Sequence[str] = (),
          at: Mapping[str, Any] | str | None = None, *,
          limits: Limits | None = None, lang: str | None = None) -> CheckResult:
    """Check a learner's derivation of ∂y/∂wrt step by step.

    Args:
        expr: the expression or program (text, sympy expression or Graph).
        wrt: the variable (default: the only variable).
        steps: the learner's lines, a list or one text separated by ``;``/newlines.
        at: the point, ``{"w": 1, "x": 2}`` or ``"w=1,x=2"``.
        limits: the same :class:`~diffexplain.limits.Limits` as :func:`~diffexplain.explain`.
        lang: the language of the reasons and the mistake (``"en"``, ``"zh"``; default: the
            locale's).

    Returns:
        A :class:`CheckResult`; ``first_error`` is the 0-based index of the first
        wrong step (``None`` when all are right) and ``mistake`` names its slip.

    Raises:
        InputError: bad expression, step text or point (exit code 2 in the CLI).
        LimitExceeded: over a limit (exit code 3).

    >>> r = check("(x+w)*(w+1)", wrt="w", steps=["b*1 + a*1", "b + a", "2*w + x"],
    ...           at={"w": 1, "x": 2})
    >>> r.first_error, r.mistake.code
    (2, 'constant')
    """
    from diffexplain.pipeline import build_graph, resolve_point

    limits = limits or DEFAULT_LIMITS
    text = expr if isinstance(expr, str) else None
    graph = build_graph(expr, None, limits)
    if len(graph.outputs) != 1:
        raise InputError(_("check works on one output; the program has several"))
    if len(graph.nodes) > limits.closed_form_nodes:
        raise LimitExceeded(_("checking a derivation needs the closed form; the graph has "
                              "{nodes} nodes, more than {limit}").format(
                                  nodes=len(graph.nodes), limit=limits.closed_form_nodes),
                            _("raise it with Limits(closed_form_nodes=…)"))
    if wrt is None:
        if len(graph.variables) != 1:
            raise InputError(_("say which variable the derivation is for (--wrt); the "
                               "variables are: {variables}").format(
                                   variables=", ".join(graph.variables) or _("none")))
        wrt = graph.variables[0]
    if wrt not in graph.variables:
        raise InputError(_("cannot differentiate with respect to {name!r}: not a variable "
                           "of the expression ({variables})").format(
                               name=wrt, variables=", ".join(graph.variables) or _("none")))
    point = resolve_point(graph, at)
    items = split_steps(steps)
    if not items:
        raise InputError(_("no steps to check"))
    if len(items) > MAX_STEPS:
        raise LimitExceeded(_("{n} steps, more than {limit}").format(n=len(items), limit=MAX_STEPS),
                            _("split the derivation"))
    key = tuple(sorted(point.items()))
    ex = (_exercise(text, wrt, key, limits, get_lang()) if text is not None
          else _Exercise(graph, wrt, point, limits))
    return _grade(ex, text if text is not None else str(expr), items)


def _grade(ex: _Exercise, text: str, items: list[str]) -> CheckResult:
    y = ex.g.nodes[ex.model.out].name
    lhs = f"∂{y}/∂{ex.wrt}"
    results: list[StepResult] = []
    first: int | None = None
    mistake: Mistake | None = None
    prev: tuple[Any, list[float], bool] | None = None  # (expr, values, constant)
    for k, raw in enumerate(items):
        try:
            st = _read_step(ex, raw, k == 0, lhs, y)
        except InputError as err:
            raise InputError(_("step {n} ({text!r}): {message}").format(
                n=k + 1, text=_clip(raw), message=err.message), err.source,
                err.pos, err.length) from None
        except LimitExceeded as err:
            raise LimitExceeded(_("step {n}: {message}").format(n=k + 1, message=err.message),
                                _("a step may have at most {nodes} nodes and {depth} levels of "
                                  "nesting").format(nodes=STEP_NODES, depth=STEP_DEPTH)
                                if err.hint in (_("raise it with --max-nodes"),
                                                _("raise it with --max-depth"))
                                or "nodes" in err.message or "nesting" in err.message
                                else err.hint) from None
        vals, const, ok, method, reason = st.vals, st.const, st.ok, st.method, st.reason
        follows = None
        if prev is not None and not st.unknown:
            pconst = prev[2] or const
            follows = bool(_same(vals, prev[1], pconst, _rounded_allowance(
                raw, st.lit, vals[0] if vals else math.nan) if const else 0.0))
        value = vals[0] if vals else None
        if first is not None:
            if follows and not ok:
                reason = _("consistent with step {n}: the slip is carried on correctly").format(
                    n=first + 1)
            elif ok:
                reason = _("right again, but it does not follow from step {n}").format(n=k) \
                    if not follows else reason
            else:
                reason = _("does not follow from step {n} and is not {lhs} either: "
                           "{reason}").format(n=k, lhs=lhs, reason=reason)
        elif not ok:
            first = k
            if not st.unknown:
                mistake, body = _name(ex, k, raw, st, lhs)
                if mistake.code != "unknown":
                    reason = _("{reason}; it {slip}").format(reason=reason,
                                                              slip=body.rstrip(".。"))
        results.append(StepResult(k, raw, ok, method, reason, follows, value, st.text,
                                  st.latex))
        prev = (st.expr, vals, const)
    if first is not None and mistake is None:
        mistake = Mistake("unknown", _("step {n} cannot be read as {lhs}: {reason}").format(
            n=first + 1, lhs=lhs, reason=results[first].reason), first, {})
    return CheckResult(text, ex.wrt, y, dict(ex.point), tuple(results), first, mistake,
                       ex.correct, p_text(ex.truth), ex.truth_vals[0])


@dataclass(frozen=True)
class _Step:
    expr: Any
    vals: list[float]
    const: bool
    lit: str | None
    text: str
    latex: str
    unknown: tuple[str, ...]
    ok: bool
    method: str
    reason: str


def _read_step(ex: _Exercise, raw: str, first: bool, lhs: str, y: str) -> _Step:
    """Everything about one step that does not depend on its neighbours (cached per exercise:
    a class writes the same lines many times)."""
    if len(raw) > MAX_STEP_LENGTH:
        raise LimitExceeded(_("a step of {n} characters, more than {limit}").format(
            n=len(raw), limit=MAX_STEP_LENGTH), _("a step is one line of a derivation"))
    key = (raw, first)
    hit = ex.steps.get(key)
    if hit is not None:
        return hit
    import sympy as sp

    if first and re.fullmatch(r"\s*(?:∂|d)\s*" + re.escape(y) + r"\s*/\s*(?:∂|d)\s*"
                              + re.escape(ex.wrt) + r"\s*", raw):
        raw_expr, shown, unknown, lit = ex.truth, sp.Symbol(lhs), [], None
        names: dict[Any, str] = {}
    else:
        reader = _Reader(ex)
        raw_expr, shown, unknown, lit = reader.read(raw)
        names = reader.names
    vals = ex.values(raw_expr)
    const = not raw_expr.free_symbols
    text = p_text(shown, names, keep_order=True)
    latex = _step_latex(shown, {s: _latex_partial(t) for s, t in names.items()})
    if unknown:
        known = ", ".join(n.name for n in ex.g.nodes if n.op != "const")
        ok, method = False, N_("none")
        reason = ngettext("uses {names}, which is not in the expression (its names are: "
                          "{known})", "uses {names}, which are not in the expression (its "
                          "names are: {known})", len(set(unknown))).format(
                              names=", ".join(repr(u) for u in dict.fromkeys(unknown)),
                              known=known)
    else:
        ok_n = _same(vals, ex.truth_vals, const, _rounded_allowance(
            raw, lit, ex.truth_vals[0] if ex.truth_vals else math.nan) if const else 0.0)
        ok = bool(ok_n)
        method = N_("value") if const else (N_("numeric") if ok_n is not None else N_("none"))
        if ok and (not ex.truth.free_symbols or not const) and _symbolic(sp, raw_expr, ex.truth):
            method = "sympy"
        reason = _reason(ex, lhs, ok, method, vals, vals[0], lit)
    st = _Step(raw_expr, vals, const, lit, text, latex, tuple(unknown), ok, method, reason)
    if len(ex.steps) < 4096:
        ex.steps[key] = st
    return st


def _step_latex(expr: Any, names: Mapping[Any, str]) -> str:
    """The step as written, with explicit ``\\cdot`` so ``b·1`` does not print as ``b 1``."""
    from sympy.printing.latex import LatexPrinter

    from diffexplain.core.printing import _with_values

    printer = _with_values(LatexPrinter, names, r"\left({}\right)")
    return str(printer({"order": "none", "mul_symbol": "dot"}).doprint(expr))


def _latex_partial(label: str) -> str:
    from diffexplain.methods.symbolic import latex_name

    if label.startswith("∂"):
        p, q = label[1:].split("/∂")
        return rf"\frac{{\partial {latex_name(p)}}}{{\partial {latex_name(q)}}}"
    return rf"\bar{{{latex_name(label[:-1])}}}"


def _reason(ex: _Exercise, lhs: str, ok: bool, method: str, vals: list[float],
            value: float | None, lit: str | None) -> str:
    at = _at(ex.point)
    truth = ex.truth_vals[0]
    if ok:
        if method == "sympy":
            return _("equals {lhs} = {truth} (sympy: the difference expands to 0)").format(
                lhs=lhs, truth=p_text(ex.truth))
        if method == "numeric":
            return _("equals {lhs} at the point and at {n} random points near it "
                     "(numeric)").format(lhs=lhs, n=len(ex.envs) - 1)
        written = _(" to the {n} decimals written").format(
            n=len((lit or "").partition(".")[2])) if _allowance(lit) else ""
        return _("its value {value} is {lhs} at {at}{written}").format(
            value=fmt_number(value), lhs=lhs, at=at, written=written)
    if method == "none":
        return _("{lhs} could not be compared with it: undefined at the point and near it").format(
            lhs=lhs)
    for env, v, t in zip(ex.envs, vals, ex.truth_vals):
        if math.isfinite(v) and math.isfinite(t) and not identity.close(v, t, 1e-6, 1e-10):
            where = _at({s.name: x for s, x in env.items()})
            return (_("at {where} it is {value}, but {lhs} = {truth}")
                    if env == ex.envs[0] or method == "value" else
                    _("equal at {at} by chance, but at {where} it is {value} while "
                      "{lhs} = {truth}")).format(where=where, value=fmt_number(v), lhs=lhs,
                                                 truth=fmt_number(t), at=at)
    return _("at {where} it is {value}, but {lhs} = {truth}").format(
        where=at, value=fmt_number(value), lhs=lhs, truth=fmt_number(truth))


def _name(ex: _Exercise, k: int, raw: str, st: _Step, lhs: str) -> tuple[Mistake, str]:
    """Match the first wrong step against the slip catalogue; else show the difference."""
    hit = ex.named.get(raw)
    if hit is None:
        hit = _match(ex, st, lhs)
        if len(ex.named) < 4096:
            ex.named[raw] = hit
    code, body, evidence = hit
    return Mistake(code, _("Step {n} {slip}").format(n=k + 1, slip=body), k, dict(evidence)), body


def _match(ex: _Exercise, st: _Step, lhs: str) -> tuple[str, str, dict[str, str]]:
    import sympy as sp

    vals, const = st.vals, st.const
    for slip, svals in zip(ex.slips, ex.slip_values):
        if _same(svals, ex.truth_vals, False):
            continue
        if _same(vals, svals, const, 1e-9 if const else 0.0):
            ev = dict(slip.evidence)
            if slip.node:
                ev["node"] = slip.node
            ev["slipped"] = p_text(slip.expr)
            ev["value"] = fmt_number(svals[0])
            return slip.code, _("{sentence}.").format(sentence=slip.sentence), ev
    if const:
        diff_text = fmt_number(vals[0] - ex.truth_vals[0])
    else:
        d = st.expr - ex.truth
        try:
            if _cheap(sp, d):
                d = sp.factor_terms(sp.expand(d))
        except Exception:  # noqa: BLE001 - showing the raw difference is fine
            pass
        diff_text = p_text(d)
        if len(diff_text) > 160:
            diff_text = diff_text[:159] + "…"
    body = _("matches no known slip: it differs from {lhs} = {truth} by {difference} (at "
             "{at}: {value} instead of {correct}).").format(
                 lhs=lhs, truth=p_text(ex.truth), difference=diff_text, at=_at(ex.point),
                 value=fmt_number(vals[0]), correct=fmt_number(ex.truth_vals[0]))
    return "unknown", body, {"difference": diff_text, "value": fmt_number(vals[0]),
                             "correct": fmt_number(ex.truth_vals[0])}
