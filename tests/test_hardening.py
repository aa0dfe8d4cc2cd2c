"""Issue 19: nothing crashes, nothing is destroyed, every cost is bounded.

Deep graphs run in subprocesses, so a segfault fails a test instead of killing pytest.
The device-node tests use a FIFO, private symlinks and a private device node made with
``mknod`` in a temporary directory: never the real /dev/stdout or /dev/full.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from diffexplain import cli
from diffexplain.errors import EXIT_INPUT, EXIT_LIMIT, EXIT_OK, InputError, LimitExceeded

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-X", "faulthandler", "-c", code], capture_output=True,
                          text=True, env=env, timeout=timeout)


# --- deep graphs: freed output-first, no segfault ------------------------------------------
def test_deep_chain_at_max_nodes_is_freed_without_a_crash():
    """A chain of max_nodes nodes whose grad_fns Python has seen, dropped in the worst order."""
    r = _python("""
import gc
from diffexplain.core.parsing import parse
from diffexplain.limits import DEFAULT_LIMITS
from diffexplain.methods import autograd as ag
from diffexplain.lessons.mechanics import tensor_table
n = DEFAULT_LIMITS.max_nodes
g = parse("+".join(["x"] * n))
assert len(g.nodes) == n
r = ag.run(g, {"x": 1.0}, ["x"])
assert r.gradient["x"] == n
t = tensor_table(g, {"x": 1.0})
assert len(t["rows"]) == n
tens = ag.execute(g, {"x": 1.0}, owned=True)
fns = [v.grad_fn for v in tens[1:]]  # Python wrappers on every node
keep = tens[-1]                        # the worst holder: only the output
del tens, fns
gc.collect()
del keep
gc.collect()
print("ok")
""")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_deep_chain_cli_lessons(run_cli):
    """The issue's crash: a 60,000-term sum with lessons that read every grad_fn."""
    r = run_cli("explain", "-", "--at", "x=1", "--no-numeric", "-f", "json", "--tensors",
                "--backward", "2", "--rebuild", input="+".join(["x"] * 60_000))
    assert r.returncode == EXIT_OK, r.stderr[-2000:]


def test_release_frees_output_first_and_empties_the_list():
    torch = pytest.importorskip("torch")
    from diffexplain.core.parsing import parse
    from diffexplain.methods.autograd import execute, release

    tens = execute(parse("sin(x)*x + x"), {"x": 1.0})
    out = tens[-1]
    release(tens)
    assert tens == [] and out.grad_fn is None and isinstance(out, torch.Tensor)


# --- output files ----------------------------------------------------------------------------
def _main(*args: str) -> int:
    return cli.main(["explain", "x*x", "--at", "x=1", *args])


def test_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert _main("-o", str(fifo)) == EXIT_OK
    reader.join(60)
    assert b"diffexplain: x*x" in got[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_private_symlink_to_own_stdout_writes_to_stdout(tmp_path):
    link = tmp_path / "out"
    link.symlink_to("/proc/self/fd/1")
    r = _python(f"from diffexplain import cli; raise SystemExit(cli.main("
                f"['explain', 'x*x', '--at', 'x=1', '-o', {str(link)!r}]))")
    assert r.returncode == EXIT_OK, r.stderr
    assert "diffexplain: x*x" in r.stdout
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_symlink_to_regular_file_replaces_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target.name)
    assert _main("-o", str(link)) == EXIT_OK
    assert link.is_symlink()
    assert "diffexplain: x*x" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # replacing keeps the mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real.txt"]


def test_dangling_symlink_directory_and_empty_name_are_refused(tmp_path, capsys):
    (tmp_path / "dangling").symlink_to("nowhere")
    for path in (str(tmp_path / "dangling"), str(tmp_path), ""):
        assert _main("-o", path) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "symbolic link to a missing file" in err and "empty" in err
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(not hasattr(os, "mknod") or os.geteuid() != 0, reason="mknod needs root")
def test_full_device_gives_exit_2_and_stays_a_device(tmp_path, capsys):
    full = tmp_path / "full"
    os.mknod(full, 0o600 | stat.S_IFCHR, os.makedev(1, 7))  # a private twin of /dev/full
    null = tmp_path / "null"
    os.mknod(null, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    assert _main("-o", str(full)) == EXIT_INPUT
    assert "No space left on device" in capsys.readouterr().err
    assert _main("-o", str(null)) == EXIT_OK
    assert stat.S_ISCHR(os.lstat(full).st_mode) and stat.S_ISCHR(os.lstat(null).st_mode)


def test_block_device_is_refused(tmp_path, monkeypatch):
    from diffexplain import files

    real_stat = os.stat
    blk = tmp_path / "disk"
    blk.write_text("x")

    def fake_stat(path, *a, **k):
        st = real_stat(path, *a, **k)
        if str(path) == str(blk):
            return os.stat_result((stat.S_IFBLK | 0o600, *tuple(st)[1:]))
        return st

    monkeypatch.setattr(os, "stat", fake_stat)
    with pytest.raises(InputError, match="block device"):
        files.write_file(str(blk), "data")
    assert blk.read_text() == "x"


def test_bad_graph_path_prints_nothing_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "e.txt"
    code = _main("-o", str(out), "--graph", str(tmp_path / "no-such-dir" / "g.svg"))
    cap = capsys.readouterr()
    assert code == EXIT_INPUT and cap.out == "" and "No such file or directory" in cap.err
    assert not out.exists()
    code = _main("--graph", str(tmp_path / "no-such-dir" / "g.svg"))
    assert code == EXIT_INPUT and capsys.readouterr().out == ""


def test_every_output_is_staged_before_any_is_replaced(tmp_path, monkeypatch):
    from diffexplain import files

    a, b = tmp_path / "a.txt", tmp_path / "b.dot"
    a.write_text("old a")
    real_stream = files._stream

    def fail_second(path, data):
        raise files._fail(path, "No space left on device")

    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    monkeypatch.setattr(files, "_stream", fail_second)
    with pytest.raises(InputError):
        files.write_all([(str(a), "new a"), (str(b), "b"), (str(fifo), "c")])
    monkeypatch.setattr(files, "_stream", real_stream)
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "p"]  # no temporary file


def test_plot_swell_and_batch_outputs_follow_the_same_rule(tmp_path, capsys):
    assert cli.main(["plot", "x*x", "--at", "x=1", "-o", str(tmp_path / "nope" / "p.png")]) == 2
    assert cli.main(["swell", "--max-n", "2", "-o", ""]) == EXIT_INPUT
    assert "empty" in capsys.readouterr().err


# --- exit 4 → an answer or exit 2 -----------------------------------------------------------
@pytest.mark.parametrize("args, code", [
    (["explain", "x*x", "--at", "x=1e308"], EXIT_OK),
    (["explain", "x*x*x", "--at", "x=-1e308"], EXIT_OK),
    (["explain", "sigmoid(x)", "--at", "x=-inf", "--allow-nonfinite"], EXIT_OK),
    (["explain", "sqrt(x*x)", "--at", "x=inf", "--allow-nonfinite"], EXIT_OK),
    (["explain", "y = y + x", "--at", "x=1"], EXIT_INPUT),
    (["explain", "p = x + 1; y = p*y", "--at", "x=1"], EXIT_INPUT),
    (["swell", "--seconds", "nan"], EXIT_INPUT),
    (["swell", "--seconds", "inf"], EXIT_INPUT),
    (["explain", "2*3", "--hessian"], EXIT_INPUT),
    (["explain", "2*3", "--jacobian"], EXIT_INPUT),
    (["explain", "2*3", "--tensors"], EXIT_INPUT),
    (["explain", "2*3", "--backward", "2"], EXIT_INPUT),
    (["explain", "x", "--at", "x=1e-400"], EXIT_INPUT),
    (["explain", "x", "--at", "x=[1,-1e-999]"], EXIT_INPUT),
    (["explain", "x", "--at", "x=1", "-o", ""], EXIT_INPUT),
])
def test_inputs_that_used_to_end_in_exit_4(args, code, capsys):
    assert cli.main(args) == code
    assert "internal error" not in capsys.readouterr().err


def test_plot_overflow_and_nan_span(tmp_path, capsys):
    assert cli.main(["plot", "x*x", "--at", "x=1e308", "-o", str(tmp_path / "p.png")]) == EXIT_OK
    assert cli.main(["plot", "x*x", "--at", "x=1", "--span", "nan",
                     "-o", str(tmp_path / "q.png")]) == EXIT_INPUT
    assert not (tmp_path / "q.png").exists()
    assert "span" in capsys.readouterr().err


def test_fsum_overflows_to_inf():
    from diffexplain.core.floats import fsum

    assert fsum([1e308, 1e308]) == float("inf")
    assert fsum([-1e308, -1e308, 1.0]) == float("-inf")
    assert fsum([float("inf"), float("-inf")]) != fsum([float("inf"), float("-inf")])  # nan


# --- bounded cost ----------------------------------------------------------------------------
def test_forward_mode_over_3000_variables_is_refused_before_the_work(run_cli):
    text = "+".join(f"x{k}" for k in range(1, 3001))
    at = ",".join(f"x{k}=1" for k in range(1, 3001))
    r = run_cli("explain", "-", "--at", at, "--mode", "forward", input=text)
    assert r.returncode == EXIT_LIMIT and "--max-work" in r.stderr and r.stdout == ""


def test_backward_rebuild_on_a_big_chain_is_refused_before_the_work():
    import diffexplain as dx

    with pytest.raises(LimitExceeded, match="backward"):
        dx.explain("+".join(["x"] * 50_000), {"x": 1.0}, backward=1000, rebuild=True,
                   autograd=True, numeric_check=False)


def test_max_work_can_be_raised():
    import diffexplain as dx
    from diffexplain.limits import Limits

    text = "+".join(["x"] * 200)
    with pytest.raises(LimitExceeded):
        dx.explain(text, {"x": 1.0}, backward=20, limits=Limits(max_work=1000))
    e = dx.explain(text, {"x": 1.0}, backward=20, limits=Limits(max_work=10_000))
    assert e.extras["backward"]


def test_oversized_input_is_refused_by_the_node_count_while_parsing():
    """A 999,999-character sum is refused once the graph passes max_nodes, before the end."""
    from diffexplain.core import parsing, tokens
    from diffexplain.limits import Limits

    text = "+".join(["x"] * 500_000)[:999_999]
    read: list[int] = []
    scan = tokens._scan

    def counting(t, limits):
        for tok in scan(t, limits):
            read.append(tok.pos)
            yield tok

    tokens._scan = counting
    try:
        with pytest.raises(LimitExceeded, match="nodes"):
            parsing.parse(text, Limits(max_nodes=10_000))
    finally:
        tokens._scan = scan
    assert max(read) < 25_000  # ~2 characters a node: read in proportion to the limit


def test_sandbox_memory_ceiling():
    from diffexplain.methods import sandbox

    if not sandbox.ENFORCED:
        pytest.skip("the worker runs in-process here")

    def hog():
        return len([bytearray(2**20) for _ in range(512)])

    with pytest.raises(sandbox.MemoryLimit):
        sandbox.run_with_budget(hog, (), 60.0, memory_mb=64)
    assert sandbox.run_with_budget(hog, (), 60.0, memory_mb=0) == 512


def test_symbolic_memory_limit_is_exit_3(monkeypatch, capsys):
    from diffexplain.methods import sandbox

    def out_of_memory(fn, args, seconds, memory_mb=0):
        raise sandbox.MemoryLimit("the worker needed more than 1 MiB")

    monkeypatch.setattr(sandbox, "run_with_budget", out_of_memory)
    code = cli.main(["explain", "(x+y+z+1)**5*(x+1)", "--at", "x=1,y=1,z=1",
                     "--symbolic-memory-mb", "1"])
    assert code == EXIT_LIMIT and "--symbolic-memory-mb" in capsys.readouterr().err


# --- fonts -----------------------------------------------------------------------------------
def test_cjk_font_installed_after_the_cache_is_found(tmp_path):
    """A stale font list (no CJK entry) is rebuilt once before falling back to English."""
    r = _python(f"""
import os
os.environ["MPLCONFIGDIR"] = {str(tmp_path)!r}
from matplotlib import font_manager
from diffexplain import i18n
if i18n._cjk_in(font_manager.fontManager) is None:
    print("none installed")
    raise SystemExit(0)
font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist
                                    if i18n._cjk_in(type("M", (), {{"ttflist": [f]}})) is None]
assert i18n._cjk_in(font_manager.fontManager) is None  # as if installed after the cache
lang, rc = i18n.figure_rc("zh")
print(lang, rc["font.family"][1])
""")
    assert r.returncode == 0, r.stderr
    if r.stdout.strip() != "none installed":
        assert r.stdout.startswith("zh ") and "warning" not in r.stderr
