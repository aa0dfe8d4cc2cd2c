"""Batch grading: JSONL in, JSON/CSV report out, bad submissions reported, never fatal."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from diffexplain.checking.batch import Progress, grade, read_homework, read_jsonl, summary_table
from diffexplain.errors import InputError

LINES = [
    {"id": "ann", "expression": "(x+w)*(w+1)", "point": {"w": 1, "x": 2}, "wrt": "w",
     "steps": ["b*1 + a*1", "b + a", "2w + x + 1", "5"]},
    {"id": "bob", "expression": "(x+w)*(w+1)", "point": "w=1,x=2", "wrt": "w",
     "steps": "b*1 + a*1; b"},
    {"id": "cat", "expression": "sin(x**2)", "point": "x=1", "steps": ["cos(x^2)"]},
    {"id": "dan", "expression": "sin(x**2)", "point": "x=1", "steps": ["cos(x^2)"]},
    {"id": "eve", "expression": "sin(x", "point": "x=1", "steps": ["cos(x)"]},
    {"id": "fay", "expression": "x**2", "steps": "2x"},
]


def _jsonl() -> list[str]:
    return [json.dumps(x) for x in LINES] + ["{not json", "[1, 2]", ""]


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_report_and_summary(jobs):
    report = grade(read_jsonl(_jsonl()), jobs=jobs)
    rows = {r["id"]: r for r in report.rows}
    assert [r["id"] for r in report.rows][:6] == ["ann", "bob", "cat", "dan", "eve", "fay"]
    assert rows["ann"]["status"] == "right" and rows["ann"]["first_error"] is None
    assert rows["bob"]["status"] == "wrong" and rows["bob"]["first_error"] == 1
    assert rows["bob"]["mistake"] == "product-rule"
    assert rows["cat"]["mistake"] == "chain-rule"
    assert rows["eve"]["status"] == "error" and "never closed" in rows["eve"]["error"]
    assert rows["fay"]["status"] == "error" and "no value for 'x'" in rows["fay"]["error"]
    assert rows["line 7"]["status"] == "error" and "not JSON" in rows["line 7"]["error"]
    assert rows["line 8"]["error"] == "line 8 is not a JSON object"
    assert report.counts() == {"submissions": 8, "right": 1, "wrong": 3, "errors": 4}
    top = report.mistakes[0]
    assert top["code"] == "chain-rule" and top["count"] == 2
    assert top["share"] == pytest.approx(2 / 3, abs=1e-4)
    table = summary_table(report)
    assert "most common mistakes" in table and re.search(r"chain-rule +2 +67%", table)


def test_cli_batch_json_and_csv(capsys, tmp_path):
    from diffexplain.cli import main

    src = tmp_path / "subs.jsonl"
    src.write_text("\n".join(_jsonl()) + "\n", encoding="utf-8")
    out = tmp_path / "report.json"
    assert main(["check", "--batch", str(src), "-o", str(out), "--jobs", "2"]) == 0
    assert "graded 8 submissions" in capsys.readouterr().out
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["wrong"] == 3 and len(report["submissions"]) == 8
    out = tmp_path / "report.csv"
    assert main(["check", "--batch", str(src), "-o", str(out), "--jobs", "1"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert rows[1]["id"] == "bob" and rows[1]["mistake"] == "product-rule"
    assert main(["check", "--batch", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_progress_bar_draws_when_enabled():
    buf = io.StringIO()
    p = Progress(3, enabled=True, stream=buf)
    for _ in range(3):
        p.update()
    p.close()
    assert "3/3 100%" in buf.getvalue()
    quiet = io.StringIO()
    Progress(3, stream=quiet).update()  # a StringIO is not a terminal: no bar
    assert quiet.getvalue() == ""


def test_homework_format():
    text = ("# Week 3\nIntro prose.\n## Ex 1\nexpression: `(x+w)*(w+1)`\nwrt: w\nat: w=1, x=2\n"
            "- b*1 + a*1\n* b + a\n1. 2w + x + 1\n## Ex 2\nexpr: x**2\n= 2x\n")
    ex = read_homework(text)
    assert [e["id"] for e in ex] == ["Ex 1", "Ex 2"]
    assert ex[0]["expression"] == "(x+w)*(w+1)" and ex[0]["point"] == "w=1, x=2"
    assert ex[0]["steps"] == ["b*1 + a*1", "b + a", "2w + x + 1"]
    assert ex[1]["steps"] == ["2x"]
    with pytest.raises(InputError, match="no exercise found"):
        read_homework("just prose\n")
