"""Write N JSONL submissions for `diffexplain check --batch` (a class answering 5 exercises).

Each submission is one exercise with a derivation that is right or carries one known slip
(or is broken input), in a fixed pseudo-random mix, so the batch exercises every path:

    python benchmarks/make_submissions.py 1000 > /tmp/submissions.jsonl
    python -m diffexplain check --batch /tmp/submissions.jsonl -o /tmp/report.json --jobs 2 --progress

``--distinct`` moves every submission's point a little, so each one is a new exercise
(nothing is cached: measures the cost of building exercises, where more jobs help).
"""

from __future__ import annotations

import json
import random
import sys

# (expression, point, wrt, [right steps], [(slipped steps), ...])
EXERCISES = [
    ("(x+w)*(w+1)", "w=1,x=2", "w",
     ["b*1 + a*1", "b + a", "(w+1) + (x+w)", "2w + x + 1", "5"],
     [["b*1 + a*1", "b"], ["b + a", "2w + x", "4"], ["1"], ["7w"]]),
    ("sin(x**2)", "x=1", "x",
     ["cos(a)*2x", "2x*cos(x^2)", "1.0806"],
     [["cos(x^2)"], ["-2x*cos(x^2)"], ["2x^2*cos(x^2)"]]),
    ("x*exp(-x)", "x=0.5", "x",
     ["exp(-x) + x*(-exp(-x))", "(1 - x)*exp(-x)"],
     [["exp(-x) + x*exp(-x)"], ["-exp(-x)"], ["exp(-x)"]]),
    ("sigmoid(w*x + 1)", "w=0.5,x=2", "w",
     ["sigmoid(b)*(1 - sigmoid(b))*x", "x*y*(1 - y)"],
     [["sigmoid(b)*(1 - b)*x"], ["sigmoid(b)*(1 - sigmoid(b))"], ["y*(1-y)*x*w"]]),
    ("sin(x)/x", "x=1.3", "x",
     ["(x*cos(x) - sin(x))/x^2"],
     [["(sin(x) - x*cos(x))/x^2"], ["cos(x)/1"], ["(x*cos(x) - sin(x))/x"]]),
]
BROKEN = [{"expression": "sin(x", "point": "x=1", "steps": ["cos(x)"]},
          {"expression": "x**2", "point": "x=1", "steps": ["2x +"]},
          {"expression": "x**2", "steps": ["2x"]}]


def _jitter(point: str, rng: random.Random) -> str:
    """The same exercise at another point: a distinct exercise, so nothing is cached."""
    parts = []
    for item in point.split(","):
        name, value = item.split("=")
        parts.append(f"{name}={float(value) + rng.randint(1, 999) / 1000:g}")
    return ",".join(parts)


def main(n: int, seed: int = 0, distinct: bool = False) -> None:
    rng = random.Random(seed)
    for k in range(n):
        if rng.random() < 0.02:
            sub = dict(rng.choice(BROKEN))
        else:
            expr, point, wrt, right, slips = rng.choice(EXERCISES)
            steps = right if rng.random() < 0.4 else rng.choice(slips)
            if distinct:  # the numbers of the original point are wrong elsewhere: drop them
                point = _jitter(point, rng)
                steps = [s for s in steps if not s.replace(".", "").isdigit()] or steps
            sub = {"expression": expr, "point": point, "wrt": wrt, "steps": steps}
        sub["id"] = f"s{k:04d}"
        sys.stdout.write(json.dumps(sub, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--distinct"]
    main(int(args[0]) if args else 1000, distinct="--distinct" in sys.argv)
