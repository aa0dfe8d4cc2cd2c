"""A corpus of learner-written derivations, right and wrong, in the notations people use.

Each case is ``(expression, point, wrt, steps, code, wrong)``: ``code`` is ``None`` when
every step is right, else the mistake a teacher would name for the first wrong step,
which is step ``wrong`` (1-based). The steps before it are right. ``score`` grades the
corpus with any ``check`` function (so the numbers before and after a change can be
compared: ``python tests/check_corpus.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

E1 = "(x+w)*(w+1)"
P1 = "w=1,x=2"

# (expression, at, wrt, steps, code, wrong step)
CASES: list[tuple[str, str, str | None, str, str | None, int | None]] = [
    # --- juxtaposition --------------------------------------------------------------------
    ("x**2*(x-1)", "x=2", None, "2x(x-1) + x^2", None, None),
    ("x**2*(x-1)", "x=2", None, "2x(x-1) + x^2 = 3x^2 - 2x = 8", None, None),
    ("sqrt(x)", "x=4", None, "(1/2)x^(-1/2) = 1/4", None, None),
    ("x*exp(x)", "x=0.5", None, "(x+1)e^x", None, None),
    ("x*exp(x)", "x=0.5", None, "e^x + x e^x", None, None),
    ("sin(x)**2", "x=0.7", None, "2sin(x)cos(x)", None, None),
    ("sin(x)**2", "x=0.7", None, "2 sin(x) cos(x) = sin(2x)", None, None),
    ("x*sin(x)", "x=0.7", None, "sin(x) + x cos(x)", None, None),
    ("x**3", "x=2", None, "3 x^2 = 3·4 = 12", None, None),
    ("x*sin(x**2)", "x=0.7", None, "sin(x²) + 2x² cos(x²)", None, None),
    ("x**2*y", "x=1,y=2", "x", "2xy", None, None),
    ("x**2*y", "x=1,y=2", "x", "2xy = 2·1·2 = 4", None, None),
    ("x*y*z", "x=1,y=2,z=3", "x", "yz = 6", None, None),
    ("3*x**2", "x=1", None, "6x", None, None),
    ("(x+1)*(x-1)", "x=3", None, "(x-1) + (x+1) = 2x = 6", None, None),
    ("(x+1)**2", "x=1", None, "2(x+1) = 4", None, None),
    # --- powers of functions, functions without brackets ------------------------------------
    ("tan(x)", "x=0.3", None, "1+tan²(x)", None, None),
    ("tan(x)", "x=0.3", None, "sec^2(x)", None, None),
    ("tan(x)", "x=0.3", None, "1/cos^2(x)", None, None),
    ("sin(x)**3", "x=0.4", None, "3sin^2(x)cos(x)", None, None),
    ("cos(x)**2", "x=0.4", None, "-2 cos x sin x", None, None),
    ("log(x)", "x=2", None, "1/x = ½", None, None),
    ("sin(2*x)", "x=0.2", None, "2cos 2x", None, None),
    # --- primes and Leibniz ------------------------------------------------------------------
    ("x**3", "x=2", None, "y' = 3x^2", None, None),
    ("x**3", "x=2", None, "f'(x) = 3x^2 = 12", None, None),
    ("x**3", "x=2", None, "f'(2) = 12", None, None),
    ("x**3", "x=2", None, "dy/dx = 3x^2", None, None),
    ("x**3", "x=2", None, "d/dx = 3x^2", None, None),
    ("x**3", "x=2", None, "dx^3/dx = 3x^2", None, None),
    ("x**3", "x=2", None, "d/dx(x^3) = 3x^2", None, None),
    ("x**3", "x=2", None, "d(x^3)/dx = 3x^2", None, None),
    (E1, P1, "w", "d/dw = 2w + x + 1", None, None),
    (E1, P1, "w", "∂y/∂w = 2w + x + 1 = 5", None, None),
    (E1, P1, "w", "∂y/∂a·∂a/∂w + ∂y/∂b·∂b/∂w = b·1 + a·1 = b + a", None, None),
    (E1, P1, "w", "dy/da*da/dw + dy/db*db/dw = b + a", None, None),
    (E1, P1, "w", "ā·1 + b̄·1 = adj(a) + adj(b) = 5", None, None),
    (E1, P1, "w", "a' b + a b' = b + a", None, None),
    ("sin(x**2)", "x=1", None, "y' = cos(x²)·(x²)' = 2x cos(x²)", None, None),
    # --- LaTeX ----------------------------------------------------------------------------
    ("log(x)", "x=2", None, r"\frac{1}{x}", None, None),
    ("exp(-x)", "x=1", None, r"-e^{-x}", None, None),
    ("sqrt(x)", "x=4", None, r"\frac{1}{2\sqrt{x}} = \frac{1}{4}", None, None),
    ("x**3", "x=2", None, r"3 \cdot x^{2}", None, None),
    ("x**3", "x=2", None, r"3 \times 2^{2} = 12", None, None),
    ("(x+1)**2", "x=1", None, r"2\left(x + 1\right)", None, None),
    ("sigmoid(x)", "x=0.3", None, r"\sigma(x)\left(1 - \sigma(x)\right)", None, None),
    ("log(x**2+1)", "x=1", None, r"\frac{2x}{x^{2} + 1}", None, None),
    ("exp(2*x)", "x=0.1", None, r"2\exp(2x)", None, None),
    ("log(sin(x))", "x=1", None, r"\frac{\cos x}{\sin x}", None, None),
    ("x*log(x)", "x=2", None, r"\ln x + 1 = \ln(2) + 1", None, None),
    ("x**3", "x=2", None, r"\frac{dy}{dx} = 3x^2", None, None),
    ("x**3", "x=2", None, r"\frac{d}{dx} x^3 = 3x^2", None, None),
    (E1, P1, "w", r"\frac{\partial y}{\partial w} = 2 w + x + 1", None, None),
    ("x**(1/3)", "x=8", None, r"\frac{1}{3\sqrt[3]{x^2}}", None, None),
    # --- unicode --------------------------------------------------------------------------
    ("x**2/4", "x=1", None, "½x = ½", None, None),
    ("sin(pi*x)", "x=0.25", None, "π cos(πx)", None, None),
    ("sigmoid(x)", "x=0.3", None, "σ(x)(1 − σ(x))", None, None),
    ("sqrt(x)", "x=4", None, "1/(2√x) = 0.25", None, None),
    ("1/x", "x=2", None, "-x⁻²", None, None),
    ("log(x)", "x=2", None, "x⁻¹", None, None),
    ("x**2", "x=3", None, "2（x）", None, None),
    ("x**2", "x=3", None, "2×3 ＝ 6", None, None),
    ("x**2", "x=3", None, "2·x", None, None),
    ("x**3", "x=2", None, "3x² = 12", None, None),
    # --- what explain prints ---------------------------------------------------------------
    ("relu(x)", "x=0.5", None, "H(x) = 1", None, None),
    ("abs(a)", "a=0.5", None, "sign(a)", None, None),
    ("relu(x)*x", "x=0.5", None, "Max(0, x) + x·Heaviside(x)", None, None),
    ("abs(x)*x", "x=0.5", None, "Abs(x) + x·sign(x)", None, None),
    ("x**2.26/2.26", "x=1.26", None, "x^1.26 = 1.26¹.26", None, None),
    ("sigmoid(x)", "x=0.3", None, "exp(-x)/(1 + exp(-x))² = 1/(4cosh(x/2)²) = 0.244458", None,
     None),
    # --- numbers to the digits written -------------------------------------------------------
    ("sin(x**2)", "x=0.5", None, "2x cos(x²) = 0.97", None, None),
    ("sin(x**2)", "x=0.5", None, "0.968912", None, None),
    ("x**2", "x=3", None, "6.0", None, None),
    ("x**2", "x=3", None, "6e0", None, None),
    ("exp(x)", "x=1", None, "e = 2.718", None, None),
    # --- wrong: fair grading -------------------------------------------------------------------
    ("x**2", "x=3", None, "2x + relu(x-5)", "unknown", 1),
    ("x**2", "x=3", None, "2*abs(x)", "unknown", 1),
    ("1e-12*x**2", "x=3", None, "x*1e-12", "power-rule", 1),
    ("1e-12*x**2", "x=3", None, "0", "unknown", 1),
    ("x**2", "x=3", None, "0e5", "unknown", 1),
    ("x**2", "x=3", None, "1e1", "unknown", 1),
    ("x**2", "x=3", None, "6.0000001", "unknown", 1),
    ("x**2", "x=3", None, "2*2.9999", "unknown", 1),
    ("x**2", "x=3", None, "2x + 1e-9", "unknown", 1),
    ("sin(x**2)", "x=0.5", None, "0.95", "unknown", 1),
    ("atan(x)", "x=1", None, "1/(1-x^2)", "wrong-table-derivative", 1),
    # --- wrong: arithmetic -------------------------------------------------------------------
    (E1, P1, "w", "2w+x+1; 2*1+2+1; 4", "arithmetic", 3),
    ("x**3", "x=2", None, "3x^2 = 3·2² = 3·6", "arithmetic", 3),
    ("x**2*(x-1)", "x=2", None, "3x^2 - 2x = 10", "arithmetic", 2),
    ("x*exp(x)", "x=0", None, "(x+1)e^x = 2", "arithmetic", 2),
    # --- wrong: product rule -------------------------------------------------------------------
    ("w*exp(w)", "w=0.5", None, "exp(w)", "product-rule", 1),
    ("x*sin(x)", "x=0.5", None, "x*cos(x)", "product-rule", 1),
    ("x*sin(x)", "x=1.2", None, "cos(x)", "product-rule", 1),
    ("x**2*exp(x)", "x=0.7", None, "2x e^x", "product-rule", 1),
    ("x**2*exp(x)", "x=0.7", None, "2x·e^x + e^x", "product-rule", 1),
    (E1, P1, "w", "b*1 + a*1; b", "product-rule", 2),
    ("x*log(x)", "x=2", None, "y' = 1/x", "product-rule", 2),
    # --- wrong: quotient rule -----------------------------------------------------------------
    ("sin(x)/x", "x=1.3", None, "(sin(x) - x cos(x))/x^2", "quotient-rule", 1),
    ("sin(x)/x", "x=1.3", None, r"\frac{x\cos x + \sin x}{x^2}", "quotient-rule", 1),
    ("sin(x)/x", "x=1.3", None, "(x cos(x) - sin(x))/x", "quotient-rule", 1),
    ("x/(x+1)", "x=1", None, "((x+1) - x)/(x+1)^2 = 1/(x+1)^2 = 1/2", "arithmetic", 3),
    # --- wrong: chain rule --------------------------------------------------------------------
    ("sin(x**2)", "x=1", None, "cos(x^2)", "chain-rule", 1),
    ("sin(x**2)", "x=1", None, "cos(x²)", "chain-rule", 1),
    ("exp(3*x)", "x=0.2", None, "e^{3x}", "chain-rule", 1),
    ("log(x**2+1)", "x=1", None, "1/(x^2+1)", "chain-rule", 1),
    ("(x**2+1)**3", "x=1", None, "3(x^2+1)^2", "chain-rule", 1),
    ("sqrt(1+x**2)", "x=1", None, r"\frac{1}{2\sqrt{1+x^2}}", "chain-rule", 1),
    # --- wrong: sign ---------------------------------------------------------------------------
    ("cos(x**2)", "x=1", None, "2x sin(x^2)", "sign", 1),
    ("cos(x)", "x=0.4", None, "sin x", "sign", 1),
    ("x**2 - exp(x)", "x=0.4", None, "2x + exp(x)", "sign", 1),
    ("-x**3", "x=1", None, "3x^2", "sign", 1),
    # --- wrong: power rule ---------------------------------------------------------------------
    ("(x+1)**3", "x=0.5", None, "3(x+1)^3", "power-rule", 1),
    ("x**4", "x=2", None, "4x^5", "power-rule", 1),
    ("x**4", "x=2", None, "x^3", "power-rule", 1),
    ("sqrt(x)", "x=4", None, "½√x", "power-rule", 1),
    ("2**x", "x=1", None, "x·2^(x-1)", "power-rule", 1),
    # --- wrong: constants ----------------------------------------------------------------------
    ("x**2 + 5", "x=2", None, "2x + 5", "constant", 1),
    ("3*sin(x)", "x=0.2", None, "cos(x)", "constant", 1),
    ("sin(x)/4", "x=0.2", None, "cos x", "constant", 1),
    (E1, P1, "w", "b*1 + a*1; b + a; (w+1) + (x+w); 2*w + x; 4", "constant", 4),
    # --- wrong: the table ----------------------------------------------------------------------
    ("exp(-x)", "x=0.3", None, "e^{-x}", "wrong-table-derivative", 1),
    ("sigmoid(x)", "x=0.3", None, "σ(x)(1 - x)", "wrong-table-derivative", 1),
    ("tanh(2*x)", "x=0.3", None, "2(1 + tanh²(2x))", "wrong-table-derivative", 1),
    ("log(x**2+1)", "x=0.8", None, "2x e^{x^2+1}", "wrong-table-derivative", 1),
    ("tan(x)", "x=0.3", None, "1 - tan^2(x)", "wrong-table-derivative", 1),
    ("atan(x)", "x=0.5", None, "1/(1+x)", "wrong-table-derivative", 1),
    # --- wrong: paths and the rest ---------------------------------------------------------
    ("sin(x) + x**2 * 0 + exp(x)", "x=0.5", None, "cos(x)", "missing-path", 1),
    ("exp(x + x**2)", "x=0.5", None, "2x·exp(x + x²)", "missing-path", 1),
    (E1, P1, "w", "7w", "unknown", 1),
    (E1, P1, "w", "2w + x + 1; 2w + z", "unknown", 2),
    ("x**3", "x=2", None, "y' = 3x^2 = 3·4 = 13", "arithmetic", 4),
    ("x**3", "x=2", None, "dy/dx = x^3", "unknown", 2),
    ("exp(x)*sin(x)", "x=0.3", None, "e^x cos x", "product-rule", 1),
]

#: homework files, English and Chinese: (text, [(first_error 1-based or None, code), …])
HOMEWORK: list[tuple[str, list[tuple[int | None, str | None]]]] = [
    ("""# Week 3 homework
## Exercise 1
expression: (x+w)*(w+1)
wrt: w
at: w=1, x=2
- ∂y/∂w = b·1 + a·1
- b + a = 2w + x + 1
- 2·1 + 2 + 1 = 5

## Exercise 2 (chain rule)
expression: sin(x**2)
at: x=1
- y' = cos(x²)
- = cos(1)

## Exercise 3
expression: x*exp(x)
at: x=0.5
1. (x+1)e^x
2. 1.5e^{0.5}

## Exercise 4
expression: sin(x)/x
at: x=1.3
- \\frac{x\\cos x - \\sin x}{x^2}
""", [(None, None), (2, "chain-rule"), (None, None), (None, None)]),
    ("""# 第三周作业
## 练习 1
表达式：(x+w)*(w+1)
变量：w
点：w=1, x=2
- ∂y/∂w ＝ b·1 ＋ a·1
- b ＋ a
- 2w ＋ x

## 练习 2
表达式：tan(x)
点：x=0.3
- y' = 1 + tan²(x)
- = sec²(x)

## 练习 3
表达式：x*sin(x)
点：x=0.5
- x cos（x）

## 练习 4
表达式：sqrt(x)
点：x=4
- （1/2）x^{-1/2}
- = 1/4
""", [(4, "constant"), (None, None), (1, "product-rule"), (None, None)]),
]


def steps_of(steps: str) -> list[str]:
    from diffexplain.checking import split_steps

    return split_steps(steps)


def score(check: Callable[..., Any]) -> dict[str, int]:
    """Grade the cases with ``check``: right steps accepted, wrong steps caught and named.

    A case that ``check`` refuses as bad input counts its right steps as refused.
    """
    out = {"steps": 0, "right": 0, "right_accepted": 0, "wrong": 0, "wrong_caught": 0,
           "wrong_named": 0, "refused": 0}
    for expr, at, wrt, steps, code, wrong in CASES:
        items = steps_of(steps)
        n_right = len(items) if wrong is None else wrong - 1
        out["steps"] += n_right + (wrong is not None)
        out["right"] += n_right
        out["wrong"] += wrong is not None
        try:
            r = check(expr, wrt=wrt, steps=steps, at=at)
        except Exception:  # noqa: BLE001 - refused: bad input
            out["refused"] += 1
            continue
        first = r.first_error
        out["right_accepted"] += sum(s.ok for s in r.steps[:n_right])
        if wrong is not None and first == wrong - 1:
            out["wrong_caught"] += 1
            out["wrong_named"] += bool(r.mistake and r.mistake.code == code)
    return out


if __name__ == "__main__":  # pragma: no cover - the before/after figures
    import diffexplain as dx

    print(score(dx.check))
