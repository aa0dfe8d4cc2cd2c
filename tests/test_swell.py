"""Expression swell of the logistic map: the sizes, and that budgets stop it cleanly."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

import diffexplain as dx
from diffexplain.cli import main
from diffexplain.explore.swell import swell


@pytest.fixture(scope="module")
def small():
    return swell(max_n=6, budget_seconds=120)


def test_graphs_grow_linearly(small):
    assert [r.graph for r in small.rows] == [1, 6, 9, 12, 15, 18]
    assert [r.autograd for r in small.rows] == [1, 4, 7, 10, 13, 16]
    assert small.stopped == ""


def test_symbolic_forms_swell(small):
    raw = [r.raw for r in small.rows]
    assert raw[:4] == [0, 2, 21, 82]
    assert all(b > 2 * a for a, b in itertools.pairwise(raw))  # more than doubling
    # the expanded derivative of lₙ is a polynomial of degree 2ⁿ⁻¹ − 1
    assert [r.expanded for r in small.rows][:4] == [0, 2, 8, 20]
    assert small.rows[-1].cse < small.rows[-1].raw
    assert small.rows[-1].expr == 78


def test_size_budget_stops_at_the_first_row_over_it():
    t = swell(max_n=12, budget_seconds=120, max_size=100)
    assert "size budget" in t.stopped
    assert [r.n for r in t.rows] == [1, 2, 3, 4, 5]  # raw sizes 0, 2, 21, 82, 264
    assert t.rows[-1].raw > 100 >= t.rows[-2].raw


def test_time_budget_stops_cleanly():
    t = swell(max_n=60, budget_seconds=1.5)
    assert t.stopped and len(t.rows) < 60
    assert "stopped:" in t.to_text()


def test_bad_budget():
    with pytest.raises(dx.InputError):
        swell(max_n=0)


def test_cli_swell(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["swell", "--max-n", "4", "--plot", "s.png", "-f", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["graph"] for r in d["rows"]] == [1, 6, 9, 12]
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["swell", "--max-n", "3", "-f", "markdown"]) == 0
    assert "| 3 | 8 | 21 |" in capsys.readouterr().out
