"""Verified step-by-step derivations that are not a gradient of one expression.

The logistic-regression notes derive two things by hand: the sigmoid from the
log-odds (E10), and the gradient of the binary cross-entropy through the sigmoid
(E11). Both are written here as sympy objects built in code (no text is parsed),
and every line is checked before it is returned:

* an implication ``A ⇒ B`` between equations in an unknown ``y`` is checked by
  solving both for ``y`` and comparing the solution sets;
* an equality of expressions is checked by :func:`~diffexplain.methods.identity.check_equal`.

A line that fails raises :class:`~diffexplain.errors.VerificationError`: it is
never shown.

Examples:
    >>> d = log_odds()
    >>> [s.check for s in d.steps][:2]
    ['given', 'solved for y: same solutions (sympy, diffexplain check --equations)']
    >>> d.result_text
    'y = 1/(1 + exp(-(WX + b)))'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from diffexplain.checking.algebra import check_equations
from diffexplain.errors import InputError, VerificationError
from diffexplain.i18n import _
from diffexplain.methods.identity import check_equal

if TYPE_CHECKING:  # pragma: no cover
    import sympy

__all__ = ["DERIVATIONS", "Step", "VerifiedDerivation", "bce_sigmoid_gradient", "get",
           "log_odds", "same_solutions"]


@dataclass(frozen=True)
class Step:
    """One shown line: its LaTeX, why it follows, and how it was checked."""

    lhs: str
    rhs: str
    rule: str
    check: str
    relation: str = r"\Rightarrow"  # ⇒ from the previous line, "=" continues its chain, "" first

    @property
    def latex(self) -> str:
        return f"{self.lhs} = {self.rhs}"


@dataclass(frozen=True)
class VerifiedDerivation:
    name: str
    title: str
    steps: tuple[Step, ...]
    result_text: str
    note: str = ""
    #: sympy objects for scripts that evaluate the result (e.g. the training example)
    objects: Any = None

    def to_latex(self) -> str:
        """An ``aligned`` block, one line per step, ``⇒`` or ``=`` in front."""
        rows = []
        for s in self.steps:
            if s.relation == "=":
                rows.append(f"& \\phantom{{{s.lhs}}} = {s.rhs}")
            else:
                rows.append(f"{s.relation} \\quad & {s.latex}" if s.relation else f"& {s.latex}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def same_solutions(a: sympy.Eq, b: sympy.Eq, unknown: sympy.Symbol) -> list[sympy.Expr]:
    """Solve both equations for ``unknown``; raise unless the solution sets are equal."""
    import sympy as sp

    sa, sb = sp.solve(a, unknown), sp.solve(b, unknown)
    if not sa or len(sa) != len(sb):
        raise VerificationError(f"internal check failed: {a} ⇒ {b}: solutions {sa} vs {sb}")
    for u in sa:
        if not any(sp.simplify(u - v) == 0 for v in sb):
            raise VerificationError(f"internal check failed: {a} ⇒ {b}: {u} is not among {sb}")
    return list(sa)


def log_odds() -> VerifiedDerivation:
    """E10: from ``ln(y/(1−y)) = WX + b`` to ``y = f(WX + b)``, each ⇒ solved and compared."""
    import sympy as sp

    y = sp.Symbol("y", positive=True)
    W, X, b = sp.symbols("W X b", real=True)
    u = W * X + b
    e = sp.exp(u)
    lines = [
        (sp.Eq(sp.log(y / (1 - y)), u), _("the log-odds is linear (the model's assumption)")),
        (sp.Eq(y / (1 - y), e), _("exponentiate both sides")),
        (sp.Eq(y, e - y * e), _("multiply by 1 − y")),
        (sp.Eq(y * (1 + e), e), _("collect the terms in y")),
        (sp.Eq(y, e / (1 + e)), _("divide by 1 + e^(WX+b)")),
    ]
    # the same chain as a learner writes it, checked by ``diffexplain check --equations``
    u_text = "W X + b"
    written = (f"ln(y/(1-y)) = {u_text}; y/(1-y) = e^({u_text}); "
               f"y = e^({u_text}) - y e^({u_text}); y(1 + e^({u_text})) = e^({u_text}); "
               f"y = e^({u_text})/(1 + e^({u_text}))")
    checked = check_equations(written, "y")
    if not checked.ok or len(checked.steps) != len(lines):
        raise VerificationError(f"internal check failed: the log-odds derivation: {checked}")
    first = lines[0][0]
    steps = [Step(_tex(first.lhs), _tex(first.rhs), lines[0][1], _("given"), relation="")]
    for (cur, why), st in zip(lines[1:], checked.steps[1:]):
        same_solutions(lines[st.index - 1][0], cur, y)  # and once more on the sympy objects
        steps.append(Step(_tex(cur.lhs), _tex(cur.rhs), why,
                          _("solved for y: same solutions ({method}, diffexplain check "
                            "--equations)").format(method=_(st.method))))
    solution = sp.solve(lines[-1][0], y)
    # the last rewriting is an equality of expressions, checked as an identity
    sigma = 1 / (1 + sp.exp(-u))
    method = check_equal(e / (1 + e), sigma, {W: 0.7, X: 1.3, b: -0.2},
                         what="e^u/(1+e^u) = 1/(1+e^-u)")
    steps.append(Step("y", _tex(sigma), _("divide numerator and denominator by e^(WX+b)"),
                      _("identity ({method})").format(method=_(method)), relation="="))
    f = sp.Function("f")
    steps.append(Step("y", sp.latex(f(u)), _("f(z) = 1/(1 + e^(−z)) is the sigmoid"),
                      _("definition"), relation="="))
    if sp.simplify(solution[0] - sigma) != 0:  # pragma: no cover - guarded by the checks above
        raise VerificationError("internal check failed: the log-odds derivation")
    return VerifiedDerivation(
        "log-odds", _("From the log-odds to the sigmoid"), tuple(steps),
        "y = 1/(1 + exp(-(WX + b)))",
        note=_("0 < y < 1 (the odds y/(1 − y) must be positive); classify 1 when y ≥ 0.5, "
               "i.e. when WX + b ≥ 0."),
        objects={"y": y, "W": W, "X": X, "b": b, "sigma": sigma})


def bce_sigmoid_gradient() -> VerifiedDerivation:
    """E11: ∂L/∂w for L = BCE(σ(w·x + b), t) is (σ(z) − t)·x, by the chain rule, checked.

    ``objects`` holds the sympy symbols and the verified gradient expressions, so the
    training example evaluates exactly what was derived.
    """
    import sympy as sp

    w, x, b, t, z, s = sp.symbols("w x b t z sigma", real=True)
    sig = 1 / (1 + sp.exp(-z))
    loss_s = -(t * sp.log(s) + (1 - t) * sp.log(1 - s))
    loss_z = loss_s.subs(s, sig)
    near = {z: 0.4, t: 0.3, x: 1.3, w: 0.7, b: -0.2, s: 0.6}
    dl_ds = sp.diff(loss_s, s)
    ds_dz = s * (1 - s)
    # each equality is checked with σ replaced by its definition
    check_equal(ds_dz.subs(s, sig), sp.diff(sig, z), near, what="σ' = σ(1 − σ)")
    chain = dl_ds * ds_dz
    check_equal(chain.subs(s, sig), sp.diff(loss_z, z), near, what="∂L/∂z by the chain rule")
    m1 = check_equal(sp.expand(chain), s - t, near, what="∂L/∂z = σ − t")
    zlin = w * x + b
    dl_dw = sp.diff(loss_z.subs(z, zlin), w)
    textbook_w = (sig.subs(z, zlin) - t) * x
    m2 = check_equal(dl_dw, textbook_w, near, what="∂L/∂w = (σ(z) − t)·x")
    dl_db = sp.diff(loss_z.subs(z, zlin), b)
    textbook_b = sig.subs(z, zlin) - t
    m3 = check_equal(dl_db, textbook_b, near, what="∂L/∂b = σ(z) − t")
    dw = r"\frac{\partial L}{\partial w}"
    steps = (
        Step("L", r"-\bigl(t \ln \sigma + (1 - t)\ln(1 - \sigma)\bigr),\quad "
             r"\sigma = \frac{1}{1 + e^{-z}},\quad z = w x + b",
             _("binary cross-entropy of one sample with target t"), _("given"), relation=""),
        Step(dw, r"\frac{\partial L}{\partial \sigma}\cdot"
             r"\frac{\partial \sigma}{\partial z}\cdot\frac{\partial z}{\partial w}",
             _("chain rule along L ← σ ← z ← w"), _("definition")),
        Step(dw, _paren(sp.latex(dl_ds)) + r"\cdot \sigma(1 - \sigma) \cdot x",
             _("local partials: ∂L/∂σ, σ' = σ(1 − σ), ∂z/∂w = x"),
             _("sympy.diff; σ' = σ(1 − σ) checked"), relation="="),
        Step(dw, r"(\sigma - t)\, x", _("multiply out"),
             _("identity ({m1}); equals sympy.diff(L, w) ({m2})").format(m1=_(m1), m2=_(m2)),
             relation="="),
        Step(r"\frac{\partial L}{\partial b}", r"\sigma - t", _("the same path, ∂z/∂b = 1"),
             _("equals sympy.diff(L, b) ({m3})").format(m3=_(m3))),
    )
    return VerifiedDerivation(
        "bce-sigmoid", _("Binary cross-entropy through the sigmoid"), steps,
        "∂L/∂w = (σ(z) − t)·x, ∂L/∂b = σ(z) − t",
        note=_("BCELoss averages over the batch, so the batch gradient is the mean of these."),
        objects={"w": w, "x": x, "b": b, "t": t, "z": z, "dL_dz": sp.diff(loss_z, z),
                 "dL_dw": dl_dw, "dL_db": dl_db,
                 "textbook_w": textbook_w, "textbook_b": textbook_b})


def _tex(e: Any) -> str:
    import sympy as sp

    return sp.latex(e, ln_notation=True)


def _paren(s: str) -> str:
    return f"\\left({s}\\right)"


#: derivations by name, as the docs fence ``derivation: NAME`` refers to them
DERIVATIONS: dict[str, Callable[[], VerifiedDerivation]] = {
    "log-odds": log_odds,
    "bce-sigmoid": bce_sigmoid_gradient,
}


def get(name: str) -> VerifiedDerivation:
    """A derivation by name; ``InputError`` lists the known names on a typo."""
    if name not in DERIVATIONS:
        raise InputError(_("unknown derivation {name!r}; known: {known}").format(
            name=name, known=", ".join(DERIVATIONS)))
    return DERIVATIONS[name]()


def evaluate_mean(expr: Any, symbols: Sequence[Any], rows: Sequence[Sequence[float]]) -> float:
    """The mean of ``expr`` over data rows (values in the order of ``symbols``)."""
    from diffexplain.methods.identity import evaluate

    total = 0.0
    for r in rows:
        total += evaluate(expr, dict(zip(symbols, r)))
    return total / len(rows)
