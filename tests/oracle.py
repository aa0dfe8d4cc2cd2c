"""The random-expression oracle (issue 14): diffexplain against mpmath at 50 digits.

Random expressions over every function of the table (and programs of named
intermediates) are explained at ordinary and edge points, some with ``order`` 2–3 or
``hessian``. Each is also written here as an mpmath function, independent of diffexplain,
and differentiated by ``mp.diff`` (one-sided at kinks and domain edges). A finding is:

* an exception other than a documented refusal (exit 4 in the CLI);
* a state that claims a derivative where the oracle has none, or the other way round;
* an exact value that differs from the oracle's;
* ✓ where autograd or finite differences are off by more than the stated tolerance;
* a higher-order value that differs from the oracle's where the function is smooth.

Run ``python tests/oracle.py --count 5000`` for a longer run than the suite's.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from typing import Any

import mpmath as mp

UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs",
         "softplus", "atan", "sinh", "cosh", "sum", "detach"]
BINARY_CALLS = ["pow", "dot", "bce_with_logits"]
OPERATORS = ["+", "-", "*", "/", "**"]
CONSTANTS = ["2", "3", "0.5", "2.5", "1e-3", "pi"]
POINTS = [0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-8, 100.0, 1e17, -800.0]


class Undefined(Exception):
    """The function has no real value at this point."""


@dataclass
class Node:
    op: str
    args: tuple[Any, ...] = ()

    def text(self) -> str:
        if self.op in ("x", "y") or self.op in CONSTANTS:
            return self.op
        if self.op in OPERATORS:
            return f"({self.args[0].text()} {self.op} {self.args[1].text()})"
        return f"{self.op}({', '.join(a.text() for a in self.args)})"


def random_tree(rng: random.Random, depth: int) -> Node:
    if depth == 0 or rng.random() < 0.2:
        r = rng.random()
        return Node(rng.choice(["x", "y"]) if r < 0.7 else rng.choice(CONSTANTS))
    r = rng.random()
    if r < 0.5:
        return Node(rng.choice(UNARY), (random_tree(rng, depth - 1),))
    if r < 0.85:
        return Node(rng.choice(OPERATORS), (random_tree(rng, depth - 1),
                                            random_tree(rng, depth - 1)))
    return Node(rng.choice(BINARY_CALLS), (random_tree(rng, depth - 1),
                                           random_tree(rng, depth - 1)))


def _real(z: Any) -> Any:
    if isinstance(z, mp.mpc):
        raise Undefined
    if mp.isnan(z) or mp.isinf(z):
        raise Undefined
    return z


def value(n: Node, env: dict[str, Any], frozen: dict[str, Any]) -> Any:
    """The expression in mpmath; ``detach`` reads ``frozen`` (the unperturbed point)."""
    op, a = n.op, n.args
    if op in ("x", "y"):
        return env[op]
    if op == "pi":
        return +mp.pi
    if op in CONSTANTS:
        return mp.mpf(op)
    if op == "detach":
        held = value(a[0], frozen, frozen)
        if abs(held) > mp.mpf("1.7976931348623157e308"):
            # the graph holds detach(u) as the float torch holds: inf here; the oracle abstains
            raise MemoryError
        return held
    u = [value(c, env, frozen) for c in a]
    if op == "+":
        return u[0] + u[1]
    if op == "-":
        return u[0] - u[1]
    if op in ("*", "dot"):
        return u[0] * u[1]
    if op == "/":
        if u[1] == 0:
            raise Undefined
        return u[0] / u[1]
    if op in ("**", "pow"):
        b, e = u
        if (b == 0 and e < 0) or (b < 0 and not mp.isint(e)):
            raise Undefined
        if b == 0:
            return mp.mpf(1 if e == 0 else 0)  # 0⁰ = 1, as Python, torch and sympy say
        return _real(mp.power(b, e))
    if op in ("bce_with_logits", "sigmoid", "softplus") and abs(u[0]) > 1e300:
        raise MemoryError
    if op == "bce_with_logits":
        return mp.log(1 + mp.exp(u[0])) - u[1] * u[0]
    x = u[0]
    if op == "log":
        if x <= 0:
            raise Undefined
        return mp.log(x)
    if op == "sqrt":
        if x < 0:
            raise Undefined
        return mp.sqrt(x)
    if op == "sigmoid":
        return 1 / (1 + mp.exp(-x))
    if op == "relu":
        return max(x, mp.mpf(0))
    if op == "abs":
        return abs(x)
    if op == "softplus":
        return mp.log(1 + mp.exp(x))
    if op == "sum":
        return x
    if op in ("sin", "cos", "tan", "exp", "sinh", "cosh", "tanh", "sigmoid", "softplus",
              "bce_with_logits") and abs(x) > 1e300:
        raise MemoryError  # beyond mpmath's reach in reasonable time: the oracle abstains
    if op == "tan" and mp.cos(x) == 0:
        raise Undefined
    return _real(getattr(mp, op)(x))


@dataclass
class Truth:
    kind: str  # "smooth", "kink", "edge", "infinite", "undefined", "unknown"
    value: Any = None
    f: Any = None


def truth(tree: Node, point: dict[str, float], v: str, order: int = 1) -> Truth:
    """The oracle's derivative of order ``order`` in ``v`` at the point, at 50 digits."""
    with mp.workdps(50):
        frozen = {k: mp.mpf(x) for k, x in point.items()}

        def f(t: Any) -> Any:
            env = dict(frozen)
            env[v] = t
            return value(tree, env, frozen)

        try:
            f0 = f(frozen[v])
        except (Undefined, ValueError, ZeroDivisionError, OverflowError):
            return Truth("undefined")
        except MemoryError:  # beyond mpmath itself: no verdict from the oracle
            return Truth("unknown")
        sides, grows = [], False
        for direction in (1, -1):
            try:
                d = mp.diff(f, frozen[v], order, direction=direction)
                with mp.workdps(80):  # a finer step: an infinite slope keeps growing
                    d2 = mp.diff(f, frozen[v], order, direction=direction)
                grows = grows or abs(d2 - d) > mp.mpf(10) ** -6 * max(abs(d), abs(d2), 1)
                sides.append(d)
            except (Undefined, ValueError, ZeroDivisionError, OverflowError):
                sides.append(None)
            except MemoryError:
                return Truth("unknown")
        right, left = sides
        if right is None and left is None:
            return Truth("unknown", f=f0)
        if grows:
            return Truth("infinite", right if right is not None else left, f0)
        if right is None or left is None:
            return Truth("edge", left if right is None else right, f0)
        scale = max(abs(right), abs(left), mp.mpf(1))
        if abs(right - left) > mp.mpf(10) ** -15 * scale:
            return Truth("kink", (right, left), f0)
        return Truth("smooth", (right + left) / 2, f0)


def near(a: Any, b: Any, rtol: float, floor: float) -> bool:
    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        return bool(abs(a - b) <= rtol * max(abs(a), abs(b)) + floor)


def check_one(rng: random.Random, k: int, every: int = 25) -> tuple[str, list[str]]:
    """Explain one random case; the findings, empty when diffexplain was right.

    One case in ``every`` asks for ``order`` 2–3, one for the Hessian and one for the
    path-sum closed forms (sympy's ``simplify`` is what costs); the others test the
    exact witness, autograd and finite differences with the closed forms off.
    """
    import diffexplain as dx
    from diffexplain.errors import DiffexplainError
    from diffexplain.limits import Limits

    tree = random_tree(rng, rng.choice([1, 2, 2, 3]))
    text = tree.text()
    if k % 7 == 3:  # a program of named intermediates: the same function
        inner = tree.args[0].text() if tree.args else text
        text = f"u = {inner}; out = {text.replace(inner, 'u', 1)}" if inner != text else text
    point = {"x": rng.choice(POINTS), "y": rng.choice(POINTS)}
    opts: dict[str, Any] = {}
    if k % every == 5:
        opts["order"] = rng.choice([2, 3])
    elif k % every == 8:
        opts["hessian"] = True
    elif k % every != 13:
        opts["limits"] = Limits(closed_form_nodes=0)
    label = f"{text} at {point} {({k: v for k, v in opts.items() if k != 'limits'})}"
    try:
        e = dx.explain(text, at={v: point[v] for v in ("x", "y") if v in _vars(text)}, **opts)
    except DiffexplainError:
        return label, []  # a documented refusal (exit 2 or 3)
    except Exception as err:  # noqa: BLE001 - exit 4 is the finding
        return label, [f"internal error {type(err).__name__}: {err}"]
    out: list[str] = []
    for v, c in e.verdict.comparisons.items():
        t = truth(tree, point, v)
        got = c.exact.text if c.exact is not None else repr(c.symbolic)
        if t.kind == "undefined":
            if c.state == "agree" and math.isfinite(c.symbolic):
                out.append(f"∂/∂{v}: agree at a point where f is undefined")
            continue
        if t.kind == "smooth":
            if c.state in ("not_differentiable", "undefined"):
                # at a kink whose sides agree to 15 digits mp.diff cannot tell: recheck coarse
                out.append(f"∂/∂{v}: said {c.state}, oracle has {mp.nstr(t.value, 15)}")
            elif not near(got, t.value, 1e-10, 1e-25 * max(1.0, _mag(t.f))):
                out.append(f"∂/∂{v}: exact {got} ≠ oracle {mp.nstr(t.value, 20)}")
            elif c.state == "agree":
                unit = max(_mag(t.value), _mag(t.f) / max(1.0, abs(point[v])))
                # below float64's range the nearest float is 0: the floor admits it
                # (and 1e-30: mp.diff's own noise where the derivative is 0)
                if c.autograd is not None and not near(c.autograd, t.value, 2e-9,
                                                       2e-9 * unit + 1e-30):
                    out.append(f"∂/∂{v}: ✓ but autograd {c.autograd} vs {mp.nstr(t.value, 15)}")
                if c.numeric is not None and not near(
                        c.numeric, t.value, 1e-6, 2e-6 * max(unit, 1.0 / max(1.0, abs(point[v])))
                        + 20 * (c.numeric_error or 0)):
                    out.append(f"∂/∂{v}: ✓ but numeric {c.numeric} vs {mp.nstr(t.value, 15)}")
        elif t.kind == "kink" and c.state == "agree":
            out.append(f"∂/∂{v}: ✓ at a kink (one-sided {t.value})")
        elif t.kind == "infinite" and c.state == "agree" and math.isfinite(c.symbolic):
            out.append(f"∂/∂{v}: ✓ where the slope is infinite")
    higher = e.extras.get("higher_order")
    if higher:
        for v, rows in higher["variables"].items():
            for row in rows["orders"][1:]:
                t = truth(tree, point, v, row["order"])
                val = row["value"]
                if t.kind == "smooth" and math.isfinite(val) and abs(val) < 1e300 and \
                        not near(val, t.value, 1e-7, 1e-20 * max(1.0, _mag(t.f))):
                    out.append(f"order {row['order']} in {v}: {val} ≠ {mp.nstr(t.value, 15)}")
    return label, out


def _vars(text: str) -> set[str]:
    import re

    return set(re.findall(r"\b[xy]\b", text))


def _mag(x: Any) -> float:
    try:
        return abs(float(x)) if x is not None else 0.0
    except (OverflowError, TypeError):
        return math.inf


def run(count: int, seed: int = 14, start: int = 0, every: int = 25
        ) -> tuple[int, list[str]]:
    """``(cases, findings)`` over cases ``start … start + count − 1`` (each its own stream)."""
    findings: list[str] = []
    for k in range(start, start + count):
        label, out = check_one(random.Random(f"{seed}-{k}"), k, every)
        findings.extend(f"{label}: {o}" for o in out)
    return count, findings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--every", type=int, default=25,
                   help="one case in EVERY each asks for order 2-3, a Hessian, closed forms")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    n, findings = run(args.count, args.seed, every=args.every)
    for f in findings:
        print(f)
    print(f"{n} cases, {len(findings)} findings, {time.perf_counter() - t0:.1f} s")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
