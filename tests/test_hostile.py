"""Hostile and pathological input: nothing executes, nothing hangs, every failure is a clear message.

The corpus lives in ``tests/hostile_corpus.py``. It runs through the API (one test per
input) and through the CLI (all inputs in one subprocess that calls ``cli.main``
for each, plus a few real ``python -m diffexplain`` runs). Pathological inputs
assert the error class and exit code, never a timing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffexplain import cli, explain
from diffexplain.core.parsing import parse
from diffexplain.core.points import parse_point
from diffexplain.errors import (
    EXIT_DISAGREE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_LIMIT,
    EXIT_OK,
    DiffexplainError,
    InputError,
    LimitExceeded,
    ParseError,
)
from diffexplain.limits import DEFAULT_LIMITS, Limits, check_order
from diffexplain.methods import sandbox

sys.path.insert(0, str(Path(__file__).parent))
from hostile_corpus import ENV_NAME, ENV_VALUE, HOSTILE

ROOT = Path(__file__).resolve().parent.parent


def _arm(text: str, canary: Path) -> str:
    return text.replace("CANARY", str(canary)).replace("ENVVAR", ENV_NAME)


def test_corpus_is_big_enough():
    assert len(HOSTILE) >= 60
    assert len({t for t, _ in HOSTILE}) == len(HOSTILE)


# --- the corpus through the API --------------------------------------------------------------
@pytest.mark.parametrize(("text", "fragment"), HOSTILE, ids=[repr(t)[:40] for t, _ in HOSTILE])
def test_corpus_api(text, fragment, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_NAME, ENV_VALUE)
    canary = tmp_path / "canary"
    armed = _arm(text, canary)
    with pytest.raises(ParseError) as info:
        explain(armed, at={}, autograd=False, numeric_check=False)
    err = info.value
    assert fragment.lower() in str(err).lower()
    assert err.exit_code == EXIT_INPUT
    assert err.line is not None and err.column is not None  # it points somewhere
    excerpt = err.excerpt()
    assert "^" in excerpt.splitlines()[-1]
    assert "\x1b" not in excerpt and "\x00" not in excerpt  # nothing hostile echoed raw
    with pytest.raises(ParseError):  # the parser alone refuses it too
        parse(armed)
    assert not canary.exists()
    assert os.environ[ENV_NAME] == ENV_VALUE


def test_comment_is_inert(tmp_path):
    """Text after '#' is skipped, never read: the payload in it does nothing."""
    canary = tmp_path / "canary"
    e = explain(f"2*x  # __import__('os').system('touch {canary}')", at={"x": 1.0},
                autograd=False)
    assert e.gradient == {"x": 2.0}
    assert not canary.exists()


def test_identifier_rule():
    """ASCII letter, then ASCII letters/digits/'_'; not a keyword; no leading '_'."""
    assert set(parse("w_2 + alpha1").variables) == {"w_2", "alpha1"}
    for bad in ("_w", "λ", "wé", "if", "case"):
        with pytest.raises(ParseError):
            parse(bad)


# --- the corpus through the CLI --------------------------------------------------------------
_DRIVER = r"""
import contextlib, io, json, os, sys
from diffexplain import cli
cases = json.loads(sys.stdin.read())
out = []
for argv in cases:
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        code = cli.main(argv)
    out.append({"code": code, "stdout": so.getvalue(), "stderr": se.getvalue(),
                "env": os.environ.get(ENV)})
print(json.dumps(out))
""".replace("ENV", repr(ENV_NAME))


def _batch(argvs: list[list[str]], cwd: Path) -> list[dict]:
    """Run ``cli.main`` on each argv in ONE fresh interpreter (the CLI's own error boundary)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    env[ENV_NAME] = ENV_VALUE
    proc = subprocess.run([sys.executable, "-c", _DRIVER], input=json.dumps(argvs),
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_corpus_cli_batch(tmp_path):
    canary = tmp_path / "canary"
    argvs = [["explain", _arm(t, canary), "--at", "x=1", "--no-autograd"] for t, _ in HOSTILE]
    results = _batch(argvs, tmp_path)
    assert len(results) == len(HOSTILE)
    for (text, fragment), r in zip(HOSTILE, results):
        assert r["code"] == EXIT_INPUT, (text, r)
        assert r["stdout"] == "", text
        lines = r["stderr"].splitlines()
        assert lines[0].startswith("diffexplain: error: "), text
        assert fragment.lower() in lines[0].lower(), (text, lines[0])
        assert "line 1, column" in lines[0] or "line 2, column" in lines[0]
        assert lines[-1].strip().startswith("^"), (text, r["stderr"])
        assert "Traceback" not in r["stderr"]
        assert "\x1b" not in r["stderr"] and "\x00" not in r["stderr"]
        assert r["env"] == ENV_VALUE
    assert not canary.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written at all


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch CANARY')",
    "ｅｘｅｃ(x)",
    "lambda: open('CANARY', 'w')",
    "x.__class__",
])
def test_corpus_cli_subprocess(run_cli, tmp_path, text):
    canary = tmp_path / "canary"
    r = run_cli("explain", _arm(text, canary), "--at", "x=1", "--no-autograd",
                env={ENV_NAME: ENV_VALUE})
    assert r.returncode == EXIT_INPUT
    assert r.stdout == ""
    assert r.stderr.startswith("diffexplain: error: ")
    assert "Traceback" not in r.stderr
    assert not canary.exists()


def test_hostile_program_from_stdin(run_cli, tmp_path):
    canary = tmp_path / "canary"
    r = run_cli("explain", "-", "--at", "x=1", input=f"y = x\nz = open('{canary}', 'w')\n")
    assert r.returncode == EXIT_INPUT
    assert "line 2, column" in r.stderr
    assert not canary.exists()


# --- pathological inputs ---------------------------------------------------------------------
def _tower(n: int) -> str:
    return "**".join(["9"] * n)


PATHOLOGICAL = [
    # (id, text, limits, error class)
    ("power tower 9**9**9**9", _tower(4), None, LimitExceeded),
    ("power tower 2**2**2**2**2**2", "**".join(["2"] * 6), None, LimitExceeded),
    ("x**(10**100)", "x**(10**100)", None, LimitExceeded),
    ("x**9**9**9", "x**9**9**9", None, LimitExceeded),
    ("(10**300)**1000", "x*(10**300)**1000", None, LimitExceeded),
    ("(0.1**300)**1000", "x*(0.1**300)**1000", None, LimitExceeded),
    ("999**999", "x + 999**999", None, LimitExceeded),
    ("10,000-deep parentheses", "(" * 10_000 + "x" + ")" * 10_000, None, LimitExceeded),
    ("10,000-deep calls", "sin(" * 10_000 + "x" + ")" * 10_000, None, LimitExceeded),
    ("10,000-deep unclosed", "(" * 10_000 + "x", None, LimitExceeded),
    ("1 MB input", "x+" * (2**19 - 1) + "xx", None, LimitExceeded),
    ("10**6-term sum", "+".join(["x"] * 10**6), None, LimitExceeded),
    ("graph over max_nodes", "+".join(f"x{k}" for k in range(2000)), Limits(max_nodes=1000),
     LimitExceeded),
    ("10,000-digit literal", "x*" + "9" * 10_000, None, LimitExceeded),
    ("1e400", "x*1e400", None, LimitExceeded),
    ("1e-99999999999", "x*1e-99999999999", None, LimitExceeded),
    ("1e99999999999", "x*1e99999999999", None, LimitExceeded),
    ("deep nesting with a small limit", "((((x))))", Limits(max_depth=3), LimitExceeded),
    ("long input with a small limit", "x+x+x", Limits(max_length=3), LimitExceeded),
    ("10,000 unmatched ')'", "x" + ")" * 10_000, None, ParseError),
    ("1 MB of garbage", "\x00" * 2**20, Limits(max_length=2**21), ParseError),
]


@pytest.mark.parametrize(("text", "limits", "cls"), [p[1:] for p in PATHOLOGICAL],
                         ids=[p[0] for p in PATHOLOGICAL])
def test_pathological_api(text, limits, cls):
    with pytest.raises(cls) as info:
        explain(text, at={"x": 1.5}, autograd=False, numeric_check=False,
                limits=limits or DEFAULT_LIMITS)
    assert type(info.value) in (cls, ParseError) if cls is ParseError else True
    assert info.value.exit_code == (EXIT_LIMIT if cls is LimitExceeded else EXIT_INPUT)
    assert len(str(info.value)) < 600  # one short line, never the input echoed back


def test_pathological_cli_batch(tmp_path):
    """The same inputs through cli.main: exit 3 (or 2), one stderr line, no traceback."""
    argvs, want = [], []
    for _, text, limits, cls in PATHOLOGICAL:
        if len(text) > 100_000:
            continue  # the big ones go through real subprocesses below
        argv = ["explain", text, "--at", "x=1.5", "--no-autograd"]
        if limits is not None:
            argv += [f"--{k.replace('_', '-')}={getattr(limits, k)}"
                     for k in ("max_nodes", "max_depth", "max_length")
                     if getattr(limits, k) != getattr(DEFAULT_LIMITS, k)]
        argvs.append(argv)
        want.append(EXIT_LIMIT if cls is LimitExceeded else EXIT_INPUT)
    results = _batch(argvs, tmp_path)
    for argv, code, r in zip(argvs, want, results):
        assert r["code"] == code, (argv[1][:40], r)
        assert r["stdout"] == ""
        assert r["stderr"].startswith("diffexplain: error: ")
        assert "Traceback" not in r["stderr"]
        assert max(len(line) for line in r["stderr"].splitlines()) < 700


def test_one_megabyte_from_stdin(run_cli):
    r = run_cli("explain", "-", "--at", "x=1", input="x+" * (2**19) + "x")
    assert r.returncode == EXIT_LIMIT
    assert "more than 1000000" in r.stderr and "--max-length" in r.stderr
    assert r.stdout == ""


def test_ten_thousand_deep_cli(run_cli):
    r = run_cli("explain", "(" * 10_000 + "x" + ")" * 10_000, "--at", "x=1")
    assert r.returncode == EXIT_LIMIT
    assert "nesting deeper than 2000" in r.stderr
    assert "RecursionError" not in r.stderr and "Traceback" not in r.stderr


def test_thousand_deep_stays_legal():
    e = explain("(" * 1000 + "x*x" + ")" * 1000, at={"x": 3.0}, autograd=False)
    assert e.gradient == {"x": 6.0}


def test_derivative_order_1000():
    with pytest.raises(LimitExceeded) as info:
        check_order(1000)
    assert info.value.exit_code == EXIT_LIMIT
    assert "--max-order" in str(info.value)
    assert check_order(1000, Limits(max_order=1000)) == 1000
    for bad in (0, -1, 2.5, True, "2"):
        with pytest.raises(InputError):
            check_order(bad)  # type: ignore[arg-type]


def test_vector_over_limit():
    with pytest.raises(LimitExceeded):
        parse_point("x=[" + ",".join(["1"] * 11) + "]", limits=Limits(max_vector=10))


@pytest.mark.parametrize("bad", [
    {"max_depth": 0}, {"max_nodes": -1}, {"max_length": 1.5}, {"symbolic_seconds": 0},
    {"symbolic_seconds": -1.0}, {"symbolic_seconds": math.nan}, {"max_order": True},
])
def test_limits_validated(bad):
    with pytest.raises(InputError):
        Limits(**bad)


def test_limit_flag_validated_in_cli(tmp_path):
    (r,) = _batch([["explain", "x", "--at", "x=1", "--max-depth", "0"]], tmp_path)
    assert r["code"] == EXIT_INPUT and "max_depth must be a positive" in r["stderr"]


# --- the symbolic time budget ----------------------------------------------------------------
HEAVY = "(x+y+z+1)**20*(x+1)"  # sympy needs about a minute to verify its closed form


@pytest.mark.skipif(not sandbox.ENFORCED, reason="the budget needs fork (Linux)")
def test_symbolic_budget_degrades_to_reverse_accumulation():
    point = {"x": 0.5, "y": 0.5, "z": 0.5}
    e = explain(HEAVY, at=point, autograd=False, limits=Limits(symbolic_seconds=0.5))
    for v in "xyz":
        d = e.derivations[v]
        assert d.method == "reverse accumulation"
        assert d.closed_form is None
        assert d.note.startswith("too complex: the closed form did not finish within 0.5 s")
        assert "--symbolic-seconds" in d.note
    # still a correct, verified answer: d/dx = 20·2.5**19·1.5 + 2.5**20
    assert e.gradient["x"] == pytest.approx(20 * 2.5**19 * 1.5 + 2.5**20, rel=1e-12)
    assert e.gradient["y"] == pytest.approx(20 * 2.5**19 * 1.5, rel=1e-12)
    assert e.verdict.agree


@pytest.mark.skipif(not sandbox.ENFORCED, reason="the budget needs fork (Linux)")
def test_symbolic_budget_cli(tmp_path):
    (r,) = _batch([["explain", HEAVY, "--at", "x=0.5,y=0.5,z=0.5", "--no-autograd",
                    "--symbolic-seconds", "0.5"]], tmp_path)
    assert r["code"] == EXIT_OK
    assert "(too complex: the closed form did not finish within 0.5 s" in r["stdout"]
    assert "Symbolic: ∂out/∂x (reverse accumulation)" in r["stdout"]


def _sleep_forever() -> None:
    import time

    while True:
        time.sleep(1)


def _die() -> None:
    os._exit(7)


def _raise_limit() -> None:
    raise LimitExceeded("too big", "raise it")


@pytest.mark.skipif(not sandbox.ENFORCED, reason="the budget needs fork (Linux)")
def test_sandbox_kills_on_timeout():
    with pytest.raises(sandbox.Timeout):
        sandbox.run_with_budget(_sleep_forever, (), 0.2)


@pytest.mark.skipif(not sandbox.ENFORCED, reason="the budget needs fork (Linux)")
def test_sandbox_worker_crash_and_errors():
    with pytest.raises(sandbox.WorkerCrashed):
        sandbox.run_with_budget(_die, (), 10)
    with pytest.raises(LimitExceeded) as info:
        sandbox.run_with_budget(_raise_limit, (), 10)
    assert str(info.value) == "too big; raise it"  # the hint survives the trip
    assert sandbox.run_with_budget(pow, (2, 10), 10) == 1024
    assert sandbox.run_with_budget(os.getpid, (), math.inf) == os.getpid()  # in-process
    assert sandbox.run_with_budget(os.getpid, (), 10) != os.getpid()


def test_only_tiny_graphs_skip_the_worker(monkeypatch):
    calls = []
    real = sandbox.run_with_budget

    def spy(fn, args, seconds):
        calls.append(seconds)
        return real(fn, args, seconds)

    monkeypatch.setattr(sandbox, "run_with_budget", spy)
    e1 = {"w": 1, "x": 2}
    assert explain("(x+w)*(w+1)", at=e1, autograd=False).gradient == {"w": 5.0, "x": 2.0}
    assert calls == []  # E1: in-process, no fork
    e = explain("(x+w)*(w+1)", at=e1, autograd=False, limits=Limits(symbolic_seconds=1.0))
    assert calls == [1.0]  # a small budget is always enforced
    assert e.derivations["w"].method == "path sum" and e.gradient["w"] == 5.0
    explain("x**4", at={"x": 2}, autograd=False)
    assert calls == [1.0, DEFAULT_LIMITS.symbolic_seconds]  # a power beyond the tiny rule


# --- numbers in --at -------------------------------------------------------------------------
@pytest.mark.parametrize(("point", "cls", "fragment"), [
    ("x=0x10", InputError, "not a number"),
    ("x=1_0", InputError, "not a number"),
    ("x=١", InputError, "not a number"),
    ("x=1e5e5", InputError, "not a number"),
    ("x=--1", InputError, "not a number"),
    ("x=", InputError, "missing"),
    ("x=nan", InputError, "--allow-nonfinite"),
    ("x=inf", InputError, "--allow-nonfinite"),
    ("x=1e400", InputError, "overflows"),
    ("x=[1,2", InputError, "never closed"),
    ("x=[]", InputError, "empty vector"),
    ("x=1,x=2", InputError, "twice"),
    ("__x=1", InputError, "not a valid variable name"),
    ("x=__import__('os')", InputError, "not a number"),
    ("x=1" + "0" * 50, LimitExceeded, "digits"),
    ("", InputError, "empty"),
])
def test_point_strict(point, cls, fragment):
    with pytest.raises(cls) as info:
        parse_point(point)
    assert fragment in str(info.value)


@pytest.mark.parametrize(("at", "fragment"), [
    ({"x": "1_0"}, "not a number"), ({"x": True}, "bool"), ({"x": 10**400}, "too large"),
    ({"x": None}, "not a number"), ({"x": float("nan")}, "allow_nonfinite"),
    ({"x": 1, "y": 2}, "unknown variable 'y'"), ({}, "no value for 'x'"),
    ({"x": [[1.0, 2.0], [3.0]]}, "different lengths"),
])
def test_api_point_strict(at, fragment):
    with pytest.raises(InputError) as info:
        explain("x*2", at=at, autograd=False)
    assert fragment in str(info.value)


def test_nonfinite_allowed_explicitly():
    assert parse_point("x=nan,y=-inf", allow_nonfinite=True)["y"] == -math.inf


# --- files: atomic, never clobbered ----------------------------------------------------------
def test_write_atomic_failure_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old content")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InputError, match="No space left"):  # exit code 2, never a traceback
        cli.write_atomic(str(target), "new content")
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temp file left


def test_write_atomic_failure_mid_write(tmp_path):
    class Exploding(str):
        def encode(self, *a, **k):
            raise MemoryError("simulated")

    target = tmp_path / "out.txt"
    with pytest.raises(MemoryError):
        cli.write_atomic(str(target), Exploding("x"))
    assert list(tmp_path.iterdir()) == []


def test_cli_error_never_clobbers_output(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    results = _batch([
        ["explain", "x.__class__", "--at", "x=1", "-o", str(target)],
        ["explain", "x**(10**100)", "--at", "x=1", "-o", str(target)],
        ["explain", "x", "--at", "x=oops", "-o", str(target)],
        ["explain", "x", "--at", "x=1", "--no-autograd", "-o", str(tmp_path / "no" / "f.txt")],
        ["explain", "x", "--at", "x=1", "--no-autograd", "-o", str(tmp_path)],
    ], tmp_path)
    assert [r["code"] for r in results] == [EXIT_INPUT, EXIT_LIMIT, EXIT_INPUT, EXIT_INPUT,
                                            EXIT_INPUT]
    assert "cannot write" in results[3]["stderr"] and "cannot write" in results[4]["stderr"]
    assert target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


# --- exit codes and streams ------------------------------------------------------------------
def test_exit_codes_and_streams(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    results = _batch([
        ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2", "--no-autograd"],
        ["explain", "relu(x)", "--at", "x=0", "--check"],
        ["explain", "x +* 1", "--at", "x=1"],
        ["explain", "x**2000", "--at", "x=1"],
        ["explain", "(x+w)*(w+1)", "--at", "w=1,x=2", "--no-autograd", "-f", "json",
         "-o", str(target)],
    ], tmp_path)
    codes = [r["code"] for r in results]
    assert codes == [EXIT_OK, EXIT_DISAGREE, EXIT_INPUT, EXIT_LIMIT, EXIT_OK]
    ok, disagree, bad, limit, written = results
    # a successful -o replaces the old file whole, and prints nothing
    assert written["stdout"] == "" and written["stderr"] == ""
    grads = json.loads(target.read_text())["gradient"]
    assert {k: v["value"] for k, v in grads.items()} == {"w": 5.0, "x": 2.0}
    assert "= 5" in ok["stdout"] and ok["stderr"] == ""
    assert disagree["stdout"] and disagree["stderr"] == ""
    for r in (bad, limit):
        assert r["stdout"] == "" and r["stderr"].startswith("diffexplain: error: ")
        assert "Traceback" not in r["stderr"]


def test_usage_error_exit_2(run_cli):
    r = run_cli("explain", "x", "--bogus-flag")
    assert r.returncode == EXIT_INPUT
    assert r.stdout == "" and "error" in r.stderr and "Traceback" not in r.stderr


def test_internal_error_exit_4(monkeypatch, capsys):
    import diffexplain.pipeline

    def broken(*a, **k):
        raise RuntimeError("something inside broke\nsecond line")

    monkeypatch.setattr(diffexplain.pipeline, "explain", broken)
    assert cli.main(["explain", "x", "--at", "x=1"]) == EXIT_INTERNAL
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and "internal error: RuntimeError" in out.err
    assert "Traceback" not in out.err
    with pytest.raises(RuntimeError):
        cli.main(["explain", "x", "--at", "x=1", "--debug"])


def test_debug_shows_the_error_itself(capsys):
    with pytest.raises(ParseError):
        cli.main(["explain", "x.y", "--at", "x=1", "--debug"])


# --- fuzzing ---------------------------------------------------------------------------------
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
_FAST = Limits(symbolic_seconds=1.0)


def _explain_any(text: str) -> None:
    """Parse, then explain at 0.7 for every variable; only library errors may escape."""
    try:
        g = parse(text, _FAST)
        explain(g, at={v: 0.7 for v in g.variables}, autograd=False, numeric_check=False,
                limits=_FAST)
    except DiffexplainError as err:
        str(err)  # the message itself must not fail
        if isinstance(err, InputError):
            err.excerpt()


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_any_text(text):
    _explain_any(text)


_ATOMS = st.sampled_from(["x", "y", "w", "2", "0", "1.5", "1e3", "pi", "e", "0.0", "1e-300",
                          "9", "1000", "x1"])
_FUNCS = st.sampled_from(["sin", "cos", "exp", "log", "sqrt", "tanh", "relu", "abs", "sigmoid",
                          "pow", "atan", "softplus"])
_OPS = st.sampled_from(["+", "-", "*", "/", "**", "^", "·", "−"])
_JUNK = st.sampled_from(["", "", "", "(", ")", ",", "=", ";", ".", "[", "'", "_", " ", "\n",
                         "**", "--", ":=", "λ", "ｘ", "#"])


def _grammar() -> st.SearchStrategy[str]:
    leaf = _ATOMS
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, _OPS, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(_FUNCS, inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda s: f"({s})"),
            inner.map(lambda s: f"-{s}"),
            st.tuples(inner, _JUNK, inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        ),
        max_leaves=8,
    )


@settings(FUZZ, max_examples=150)
@given(_grammar())
def test_fuzz_grammar_shaped(text):
    _explain_any(text)


@FUZZ
@given(st.lists(st.sampled_from(["x=", "y=", "1", "-2.5", "[", "]", ",", " ", "nan", "e5", "_",
                                 "=", ".", "inf", "x", "1e999"]), max_size=12).map("".join))
def test_fuzz_points(text):
    try:
        parse_point(text)
    except DiffexplainError:
        pass


# --- the docs page stays in step with the code -----------------------------------------------
def test_safety_page_lists_every_limit():
    from dataclasses import fields

    text = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in text.splitlines()
            if line.startswith("| `")}
    for f in fields(Limits):
        row = rows[f"`{f.name}`"]
        default = getattr(DEFAULT_LIMITS, f.name)
        assert f"| {default:,} |" in row or f"| {default} |" in row, f.name
        if f.name in cli.common._LIMIT_FLAGS:
            assert f"--{f.name.replace('_', '-')}" in row
    for code in (EXIT_OK, EXIT_DISAGREE, EXIT_INPUT, EXIT_LIMIT, EXIT_INTERNAL):
        assert f"\n| {code} |" in text
