"""E9: f with its tangent line and the finite-difference error against h."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.explore.plot import difference_table, save, tangent_plot


@pytest.fixture(scope="module")
def e9():
    return tangent_plot("3*x**2 - 4*x", {"x": 1})


def test_tangent_line_of_e9(e9):
    assert (e9.value, e9.slope, e9.intercept) == (-1.0, 2.0, -3.0)
    assert e9.tangent == "y = 2x - 3"


def test_forward_differences_match_the_notes(e9):
    rows = e9.rows[:5]
    assert [r.h for r in rows] == pytest.approx([0.1, 0.01, 0.001, 0.0001, 0.00001])
    assert [f"{r.forward:.5f}" for r in rows] == ["2.30000", "2.03000", "2.00300", "2.00030",
                                                 "2.00003"]
    # float32: round-off already wins at h = 1e-5 (worked-examples E9)
    assert [f"{r.forward32:.5f}" for r in rows] == ["2.30000", "2.02999", "2.00295", "2.00033",
                                                   "2.00272"]


def test_error_falls_then_rises(e9):
    errors = [r.forward_error for r in e9.rows]
    best = errors.index(min(errors))
    assert 0 < best < len(errors) - 1
    assert errors[0] > errors[best] < errors[-1]


def test_difference_table_doctest_values():
    from diffexplain.core.parsing import parse

    rows = difference_table(parse("x**3"), {"x": 2.0}, "x", 12.0, (0.5,))
    assert rows[0].central == pytest.approx(12.25)


def test_png_is_written(e9, tmp_path: Path):
    save(e9, str(tmp_path / "f.png"))
    data = (tmp_path / "f.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert w > 800 and h > 300


def test_cli_plot(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "3*x**2 - 4*x", "--at", "x=1", "-o", "f.svg"]) == 0
    out = capsys.readouterr().out
    assert "tangent at x = 1: y = 2x - 3" in out
    assert (tmp_path / "f.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert main(["plot", "x*y", "--at", "x=1,y=2", "-o", "g.png"]) == 2
    assert "--wrt" in capsys.readouterr().err
    assert main(["plot", "x*y", "--at", "x=1,y=2", "--wrt", "y", "-o", "g.png"]) == 0
    assert "tangent at y = 2: y = y" in capsys.readouterr().out  # ∂(x·y)/∂y = x = 1
    assert main(["plot", "x", "--at", "x=1", "-o", "g.txt"]) == 2
    assert not (tmp_path / "g.txt").exists()


def test_unknown_variable():
    with pytest.raises(dx.InputError):
        tangent_plot("x**2", {"x": 1}, var="z")
