"""The command line: output, formats, exit codes, stderr, atomic writes, laziness."""

from __future__ import annotations

import json
import subprocess
import sys

from diffexplain.cli import main


def test_explain_text(run_cli):
    r = run_cli("explain", "(x+w)*(w+1)", "--at", "w=1,x=2")
    assert r.returncode == 0, r.stderr
    assert "= (w + 1) + (x + w)" in r.stdout
    assert "Verdict ✓" in r.stdout
    assert r.stderr == ""


def test_explain_json_wrt(run_cli):
    r = run_cli("explain", "(x+w)*(w+1)", "--at", "w=1,x=2", "--wrt", "w", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert list(d["gradient"]) == ["w"]
    assert d["gradient"]["w"]["value"] == 5.0 and d["gradient"]["w"]["agree"] is True


def test_point_with_spaces_and_repeated_at(capsys):
    assert main(["explain", "(x+w)*(w+1)", "--at", "w=1 x=2", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["gradient"]["x"]["value"] == 2.0
    assert main(["explain", "(x+w)*(w+1)", "--at", "w=1", "--at", "x=2", "--no-autograd",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["gradient"]["w"]["autograd"] is None


def test_bad_input_is_one_clear_line_and_exit_2(run_cli, tmp_path):
    r = run_cli("explain", "__import__('os').system('touch pwned')", "--at", "x=1")
    assert r.returncode == 2
    assert r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith("diffexplain: error:") and "'_'" in first and "column 1" in first
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "pwned").exists()
    r = run_cli("explain", "().__class__", "--at", "x=1")
    assert r.returncode == 2 and "attribute access" in r.stderr


def test_missing_and_unknown_variables(run_cli):
    r = run_cli("explain", "x*w", "--at", "x=1")
    assert r.returncode == 2 and "no value for 'w'" in r.stderr
    r = run_cli("explain", "x*w", "--at", "x=1,w=2,q=3")
    assert r.returncode == 2 and "unknown variable 'q'" in r.stderr


def test_limit_exit_code_3(run_cli):
    r = run_cli("explain", "x**(10**100)", "--at", "x=2")
    assert r.returncode == 3 and "exponent" in r.stderr and "Traceback" not in r.stderr


def test_check_exit_code_1_on_disagreement(run_cli):
    r = run_cli("explain", "relu(x)", "--at", "x=0", "--check")
    assert r.returncode == 1
    assert "kink" in r.stdout
    r = run_cli("explain", "relu(x)", "--at", "x=1", "--check")
    assert r.returncode == 0


def test_output_file_is_written_atomically(run_cli, tmp_path):
    out = tmp_path / "e1.json"
    r = run_cli("explain", "(x+w)*(w+1)", "--at", "w=1,x=2", "-f", "json", "-o", str(out))
    assert r.returncode == 0 and r.stdout == ""
    assert json.loads(out.read_text())["value"] == 6.0
    out.write_text("keep me")
    r = run_cli("explain", "(x+w", "--at", "w=1,x=2", "-o", str(out))
    assert r.returncode == 2 and out.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".diffexplain-")] == []


def test_stdin_expression(run_cli):
    r = run_cli("explain", "-", "--at", "w=1,x=2", "-f", "json", input="a = x + w\nb = w + 1\ny = a*b\n")
    assert r.returncode == 0 and json.loads(r.stdout)["gradient"]["w"]["value"] == 5.0


def test_usage_errors_exit_2(run_cli):
    r = run_cli("explain")
    assert r.returncode == 2 and "error" in r.stderr
    r = run_cli("explain", "x", "--at", "x=1", "--format", "pdf")
    assert r.returncode == 2


def test_help_has_examples_and_imports_nothing_heavy():
    code = ("import sys, io, contextlib\nfrom diffexplain.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
            "assert 'diffexplain explain' in buf.getvalue()\n"
            "heavy = [m for m in ('sympy', 'torch', 'matplotlib', 'networkx', 'numpy') "
            "if m in sys.modules]\nprint(heavy)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_no_autograd_never_imports_torch():
    code = ("import sys\nfrom diffexplain.cli import main\n"
            "main(['explain', 'x*x', '--at', 'x=3', '--no-autograd', '-f', 'json'])\n"
            "sys.stderr.write(str('torch' in sys.modules))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stderr.strip() == "False"


def test_version(run_cli):
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("diffexplain ")


def test_expression_with_a_leading_minus(capsys):
    assert main(["explain", "-x**2", "--at", "x=3", "--no-autograd", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["gradient"]["x"]["value"] == -6.0
    assert main(["explain", "-(x+w)*(w+1)", "--at", "w=1,x=2", "-f", "json", "--no-autograd",
                 "--no-numeric"]) == 0
    assert json.loads(capsys.readouterr().out)["gradient"]["w"]["value"] == -5.0


def test_undefined_everywhere_is_a_verdict_not_an_internal_error(capsys):
    # sympy's sin(pi) is exactly 0, so d(0**x)/dx = 0**x·log(0) is undefined
    assert main(["explain", "-sin(pi)**x", "--at", "x=1", "--no-autograd"]) == 0
    assert "Verdict" in capsys.readouterr().out
