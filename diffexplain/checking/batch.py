"""Grading many derivations: homework files, JSONL submissions, reports, the class summary.

One bad submission is a row of the report (``status: error``), never the end of
the batch. Work is spread over processes (``jobs``); each process caches the
exercise (graph, true derivative, slip catalogue), so a class answering the same
exercise pays for it once per process.

Homework files are read by :mod:`~diffexplain.checking.homework`.

A JSONL submission may say whose it is and which exercise it answers (``student``,
``exercise``); the summary then has a table per student and per exercise.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from diffexplain.checking.homework import read_homework
from diffexplain.errors import DiffexplainError, InputError
from diffexplain.i18n import _, ngettext
from diffexplain.limits import DEFAULT_LIMITS, Limits

__all__ = ["Progress", "Report", "grade", "grade_one", "read_homework", "read_jsonl",
           "summary_table", "write_report"]

def read_jsonl(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Submissions, one JSON object a line; a line that is not one becomes an error row."""
    subs: list[dict[str, Any]] = []
    for k, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            subs.append({"id": f"line {k}", "_error": f"line {k} is not JSON: {err}"})
            continue
        if not isinstance(obj, dict):
            subs.append({"id": f"line {k}", "_error": f"line {k} is not a JSON object"})
            continue
        obj.setdefault("id", f"line {k}")
        subs.append(obj)
    return subs


def grade_one(sub: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """One report row; never raises (bad input and internal errors become ``status: error``)."""
    from diffexplain.checking import check

    sid = sub.get("id")
    row: dict[str, Any] = {"id": sid if isinstance(sid, (str, int, float)) else str(sid)}
    student, exercise = sub.get("student"), sub.get("exercise")
    row["student"] = str(student) if student is not None else str(row["id"])
    row["exercise"] = str(exercise) if exercise is not None else _exercise_label(sub)
    try:
        if "_error" in sub:
            raise InputError(str(sub["_error"]))
        expr = sub.get("expression", sub.get("expr"))
        if not isinstance(expr, str):
            raise InputError(_("the submission has no 'expression' (text)"))
        point = sub.get("point", sub.get("at"))
        if point is not None and not isinstance(point, (str, dict)):
            raise InputError(_("'point' must be an object {example} or text \"w=1,x=2\"").format(
                example='{"w": 1}'))
        steps = sub.get("steps")
        if not isinstance(steps, (str, list)):
            raise InputError(_("the submission has no 'steps' (a list of text or one text)"))
        wrt = sub.get("wrt")
        if wrt is not None and not isinstance(wrt, str):
            raise InputError(_("'wrt' must be a variable name"))
        r = check(expr, wrt=wrt, steps=steps, at=point, limits=limits)
    except DiffexplainError as err:
        row.update(status="error", error=str(err))
        return row
    except Exception as err:  # noqa: BLE001 - one submission must never stop the batch
        row.update(status="error", error=f"internal error: {type(err).__name__}: {err}")
        return row
    row.update(status="right" if r.ok else "wrong", first_error=r.first_error,
               mistake=r.mistake.code if r.mistake else None,
               sentence=r.mistake.sentence if r.mistake else None,
               steps=[{"expr": s.expr, "ok": s.ok, "method": s.method, "reason": s.reason}
                      for s in r.steps])
    return row


class Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, enabled: bool | None = None, stream: IO[str] | None = None,
                 label: str = "grading") -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.label = label
        self.done = 0
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last >= 0.1 or self.done >= self.total):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        width = 30
        frac = self.done / self.total if self.total else 1.0
        filled = int(frac * width)
        rate = self.done / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        eta_s = f"{eta:4.0f}s" if math.isfinite(eta) else "   ?"
        self.stream.write(f"\r{self.label} [{'█' * filled}{'░' * (width - filled)}] "
                          f"{self.done}/{self.total} {frac:4.0%} {rate:6.1f}/s ETA {eta_s}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class Report:
    """Rows in input order, and how long the batch took on how many processes."""

    rows: list[dict[str, Any]]
    seconds: float = 0.0
    jobs: int = 1
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        c = Counter(r["status"] for r in self.rows)
        return {"submissions": len(self.rows), "right": c["right"], "wrong": c["wrong"],
                "errors": c["error"]}

    def to_dict(self) -> dict[str, Any]:
        return {"summary": {**self.counts(), "seconds": round(self.seconds, 3),
                            "jobs": self.jobs, "mistakes": self.mistakes,
                            "students": by(self.rows, "student"),
                            "exercises": by(self.rows, "exercise")},
                "submissions": self.rows}


def by(rows: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    """Per student (or exercise): right, wrong, not graded, and the most common mistake."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r.get(key, r["id"])), []).append(r)
    out = []
    for name, rs in groups.items():
        c = Counter(r["status"] for r in rs)
        codes = Counter(r.get("mistake") or "unknown" for r in rs if r["status"] == "wrong")
        out.append({key: name, "submissions": len(rs), "right": c["right"], "wrong": c["wrong"],
                    "errors": c["error"],
                    "mistakes": [{"code": k, "count": n} for k, n in codes.most_common()]})
    return out


def _mistakes(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    wrong = [r for r in rows if r["status"] == "wrong"]
    counts = Counter(r.get("mistake") or "unknown" for r in wrong)
    out = []
    for code, n in counts.most_common():
        example = next(r for r in wrong if (r.get("mistake") or "unknown") == code)
        out.append({"code": code, "count": n, "share": round(n / len(wrong), 4),
                    "example": {"id": example["id"], "sentence": example.get("sentence")}})
    return out


_COUNTER: Any = None  # in a worker: the shared count of graded submissions


def _init_worker(counter: Any) -> None:
    import signal

    global _COUNTER
    _COUNTER = counter
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _work(task: tuple[list[int], list[Mapping[str, Any]], Limits]) -> list[tuple[int, dict[str, Any]]]:
    indices, subs, limits = task
    out = []
    for i, s in zip(indices, subs):
        out.append((i, grade_one(s, limits)))
        with _COUNTER.get_lock():
            _COUNTER.value += 1
    return out


def _exercise_label(sub: Mapping[str, Any]) -> str:
    """An exercise named by what it asks: ``sin(x**2) at x=1``."""
    expr = sub.get("expression", sub.get("expr"))
    point = sub.get("point", sub.get("at"))
    if isinstance(point, Mapping):
        point = ",".join(f"{k}={v}" for k, v in point.items())
    label = str(expr) if expr is not None else "?"
    if sub.get("wrt"):
        label += f" d/d{sub.get('wrt')}"
    return label + (f" at {point}" if point else "")


def _exercise_key(sub: Mapping[str, Any]) -> str:
    try:
        return json.dumps([sub.get("expression", sub.get("expr")), sub.get("wrt"),
                           sub.get("point", sub.get("at"))], sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return ""


def _tasks(submissions: Sequence[Mapping[str, Any]], jobs: int,
           limits: Limits) -> list[tuple[list[int], list[Mapping[str, Any]], Limits]]:
    """Submissions of one exercise go to one process (each builds an exercise once), split
    only when one exercise is more than a process's share; biggest tasks first."""
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(submissions):
        groups.setdefault(_exercise_key(s), []).append(i)
    share = max(1, math.ceil(len(submissions) / jobs))
    tasks = []
    for idx in groups.values():
        parts = max(1, min(jobs, math.ceil(len(idx) / share)))
        size = math.ceil(len(idx) / parts)
        for k in range(0, len(idx), size):
            chunk = idx[k:k + size]
            tasks.append((chunk, [submissions[i] for i in chunk], limits))
    tasks.sort(key=lambda t: -len(t[0]))
    return tasks


def grade(submissions: Sequence[Mapping[str, Any]], jobs: int = 1,
          limits: Limits = DEFAULT_LIMITS,
          progress: Progress | Callable[[int], None] | None = None) -> Report:
    """Grade every submission (``jobs`` processes; 1 runs here) into a :class:`Report`."""
    start = time.monotonic()
    jobs = max(1, min(jobs, len(submissions) or 1))
    tick = progress.update if isinstance(progress, Progress) else progress
    rows: list[dict[str, Any]] = []
    if jobs == 1:
        for s in submissions:
            rows.append(grade_one(s, limits))
            if tick:
                tick(1)
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        counter = ctx.Value("i", 0)
        found: list[dict[str, Any] | None] = [None] * len(submissions)
        seen = 0
        with ctx.Pool(jobs, initializer=_init_worker, initargs=(counter,)) as pool:
            result = pool.map_async(_work, _tasks(submissions, jobs, limits), chunksize=1)
            while True:
                result.wait(0.1)
                done = counter.value
                if tick and done > seen:
                    tick(done - seen)
                    seen = done
                if result.ready():
                    break
            for part in result.get():
                for i, row in part:
                    found[i] = row
        rows = [r for r in found if r is not None]
    if isinstance(progress, Progress):
        progress.close()
    return Report(rows, time.monotonic() - start, jobs, _mistakes(rows))


_CSV_FIELDS = ["id", "status", "first_error", "mistake", "sentence", "steps", "wrong_steps",
               "error"]


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, _CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in report.rows:
        steps = r.get("steps") or []
        w.writerow({"id": r["id"], "status": r["status"], "first_error": r.get("first_error"),
                    "mistake": r.get("mistake") or "", "sentence": r.get("sentence") or "",
                    "steps": len(steps), "wrong_steps": sum(not s["ok"] for s in steps),
                    "error": r.get("error", "")})
    return buf.getvalue()


def write_report(report: Report, path: str | None) -> str:
    """The report as JSON or CSV (chosen by the extension of ``path``); written atomically."""
    from diffexplain.files import write_atomic

    csv_out = bool(path) and os.path.splitext(str(path))[1].lower() == ".csv"
    data = to_csv(report) if csv_out else json.dumps(report.to_dict(), indent=2,
                                                     ensure_ascii=False) + "\n"
    if path:
        write_atomic(path, data)
    return data


def summary_table(report: Report) -> str:
    """Counts, then the most common mistakes across the class."""
    c = report.counts()
    lines = [ngettext("graded {n} submissions in {seconds} s ({jobs} job): {right} right, "
                      "{wrong} wrong, {errors} could not be graded",
                      "graded {n} submissions in {seconds} s ({jobs} jobs): {right} right, "
                      "{wrong} wrong, {errors} could not be graded", report.jobs).format(
                          n=c["submissions"], seconds=f"{report.seconds:.1f}", jobs=report.jobs,
                          right=c["right"], wrong=c["wrong"], errors=c["errors"])]
    if report.mistakes:
        lines.append("")
        lines.append(_("most common mistakes"))
        width = max(len(m["code"]) for m in report.mistakes)
        lines.append("  " + _("code").ljust(width) + "  " + _("count  share  example"))
        for m in report.mistakes:
            ex = m["example"]
            sentence = (ex.get("sentence") or "")
            sentence = sentence if len(sentence) <= 90 else sentence[:89] + "…"
            lines.append(f"  {m['code']:<{width}}  {m['count']:>5}  {m['share']:>5.0%}  "
                         f"{ex['id']}: {sentence}")
    for key, title in (("student", _("per student")), ("exercise", _("per exercise"))):
        groups = by(report.rows, key)
        if len(groups) < 2 or (len(groups) == len(report.rows) and key == "exercise"):
            continue
        lines += ["", title, *table(groups, key)]
    errors = [r for r in report.rows if r["status"] == "error"]
    if errors:
        lines.append("")
        lines.append(_("not graded ({n}), first: {id}: {error}").format(
            n=len(errors), id=errors[0]["id"], error=errors[0]["error"]))
    return "\n".join(lines) + "\n"


def table(groups: Sequence[Mapping[str, Any]], key: str, limit: int = 50) -> list[str]:
    """Rows ``name  right/n  wrong  not graded  mistakes`` for :func:`by`'s groups."""
    head = [_("student") if key == "student" else _("exercise"), _("right"), _("wrong"),
            _("not graded"), _("mistakes")]
    body = []
    for g in groups[:limit]:
        name = g[key] if len(g[key]) <= 40 else g[key][:39] + "…"
        codes = ", ".join(f"{m['code']} ×{m['count']}" for m in g["mistakes"]) or "—"
        body.append([name, f"{g['right']}/{g['submissions']}", str(g["wrong"]),
                     str(g["errors"]), codes])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(4)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(head, widths)) + "  " + head[4]]
    for r in body:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
    if len(groups) > limit:
        lines.append("  " + _("… and {n} more (see the report)").format(n=len(groups) - limit))
    return lines
