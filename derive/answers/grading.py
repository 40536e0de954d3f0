"""Grading a batch: ``derive grade SUBMISSIONS --out DIR``.

SUBMISSIONS is CSV or JSONL with columns student, part, answer (other columns are kept).
Every row gets a verdict, in input order; a bad row is ``invalid`` and the batch goes on.
Writes DIR/verdicts.csv (or .jsonl, like the input) and DIR/summary.html, an offline
self-contained page of per-part correctness and the commonest diagnoses. Files are written
to a temporary name and renamed, so a reader never sees half a file.
"""
from __future__ import annotations

import csv
import html
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Iterable

from .verdict import INVALID, UNDECIDED, Verdict
from .worker import check
from ..errors import DeriveError, InvalidArgument, OutputError

REQUIRED = ("student", "part", "answer")
VERDICT_COLUMNS = ("status", "diagnosis", "message", "parsed", "counterexample", "method")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_submissions(path: str | Path) -> tuple[list[dict], str]:
    """Rows of a CSV or JSONL file and its format; a JSONL line that is not an object
    becomes a row with an ``_error`` so it is graded invalid, not dropped."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidArgument(f"submissions file {str(path)!r} must end in .csv or .jsonl")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidArgument(f"cannot read submissions file {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidArgument(f"submissions file {str(path)!r} is not UTF-8 text") from None
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        columns = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise InvalidArgument(f"{path.name}: missing column(s) {', '.join(missing)}; the file has "
                                  f"{', '.join(columns) or 'no header'} and needs {', '.join(REQUIRED)}")
        return [dict(row) for row in reader], fmt
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            row = {"student": "", "part": "", "answer": line, "_error": f"line {n} is not a JSON object ({exc})"}
        rows.append(row)
    return rows, fmt


def grade_rows(rows: list[dict], *, seed: int = 0, timeout: float = 5.0,
               progress: Callable[[int, int], None] | None = None) -> list[Verdict]:
    verdicts = []
    for n, row in enumerate(rows, 1):
        verdicts.append(_grade_one(row, seed, timeout))
        if progress:
            progress(n, len(rows))
    return verdicts


def _grade_one(row: dict, seed: int, timeout: float) -> Verdict:
    part = str(row.get("part") or "").strip()
    if row.get("_error"):
        return Verdict(INVALID, row["_error"], part=part)
    missing = [c for c in REQUIRED if row.get(c) in (None, "")]
    if "part" in missing or "answer" in missing:
        return Verdict(INVALID, f"the row lacks {' and '.join(m for m in missing if m != 'student')}",
                       part=part)
    answer = row["answer"]
    if not isinstance(answer, str):
        answer = str(answer)
    try:
        return check(part, answer, seed=seed, timeout=timeout)
    except DeriveError as exc:
        return Verdict(INVALID, str(exc), part=part)
    except Exception as exc:  # one bad row must not stop a class's grading
        return Verdict(UNDECIDED, f"the checker failed on this row ({type(exc).__name__})", part=part)


def _verdict_fields(row: dict, verdict: Verdict) -> dict:
    out = {k: v for k, v in row.items() if k != "_error"}
    values = {"status": verdict.status, "diagnosis": verdict.diagnosis or "",
              "message": verdict.message, "parsed": verdict.parsed or "",
              "counterexample": verdict.counterexample, "method": verdict.method or ""}
    for col, value in values.items():
        key = col if col not in out else f"verdict_{col}"
        out[key] = value
    return out


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_verdicts(rows: list[dict], verdicts: list[Verdict], out: Path, fmt: str) -> Path:
    records = [_verdict_fields(r, v) for r, v in zip(rows, verdicts)]
    if fmt == "jsonl":
        path = out / "verdicts.jsonl"
        _atomic_write(path, "".join(json.dumps(r, default=str) + "\n" for r in records))
        return path
    path = out / "verdicts.csv"
    columns: list[str] = []
    for r in records:
        columns += [k for k in r if k not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for r in records:
        writer.writerow({k: (json.dumps(v, default=str) if isinstance(v, (dict, list)) else
                             ("" if v is None else v)) for k, v in r.items()})
    _atomic_write(path, buf.getvalue())
    return path


def summarise(verdicts: Iterable[Verdict]) -> dict:
    parts: dict[str, Counter] = defaultdict(Counter)
    diagnoses: dict[str, Counter] = defaultdict(Counter)
    overall: Counter = Counter()
    for v in verdicts:
        parts[v.part or "(none)"][v.status] += 1
        if v.diagnosis_kind:
            diagnoses[v.part or "(none)"][v.diagnosis_kind] += 1
            overall[v.diagnosis_kind] += 1
    return {"parts": parts, "diagnoses": diagnoses, "overall": overall}


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right}td.share{white-space:nowrap}.bar{background:#4a8;height:.8em;display:inline-block;margin-right:.4em}
.muted{color:#777}"""


def summary_html(verdicts: list[Verdict], source: str, seconds: float) -> str:
    s = summarise(verdicts)
    e = html.escape
    total = Counter(v.status for v in verdicts)
    rows = []
    for part in sorted(s["parts"]):
        c = s["parts"][part]
        n = sum(c.values())
        share = c["correct"] / n if n else 0.0
        common = ", ".join(f"{e(k)} ({m})" for k, m in s["diagnoses"][part].most_common(3)) or "—"
        rows.append(f"<tr><td>{e(part)}</td><td class=n>{n}</td><td class=n>{c['correct']}</td>"
                    f"<td class=n>{c['incorrect']}</td><td class=n>{c['invalid']}</td>"
                    f"<td class=n>{c['undecided']}</td><td class=share><span class=bar style='width:{share * 8:.2f}em'>"
                    f"</span> {share:.0%}</td><td>{common}</td></tr>")
    overall = "".join(f"<tr><td>{e(k)}</td><td class=n>{m}</td></tr>"
                      for k, m in s["overall"].most_common(10)) or "<tr><td colspan=2>none</td></tr>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grading summary</title>
<style>{_STYLE}</style></head><body>
<h1>Grading summary</h1>
<p class=muted>{e(source)}: {len(verdicts)} answers graded in {seconds:.1f} s.
{total['correct']} correct, {total['incorrect']} incorrect, {total['invalid']} invalid, {total['undecided']} undecided.</p>
<h2>Per part</h2>
<table><tr><th>part</th><th>answers</th><th>correct</th><th>incorrect</th><th>invalid</th><th>undecided</th><th>share correct</th><th>commonest diagnoses</th></tr>
{''.join(rows)}</table>
<h2>Commonest diagnoses</h2>
<table><tr><th>diagnosis</th><th>answers</th></tr>{overall}</table>
</body></html>
"""


class _Progress:
    """A one-line progress display on stderr (a line per 10% when not a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.last = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.tty:
            if now - self.last < 0.1 and done != total:
                return
            self.last = now
            rate = done / max(now - self.started, 1e-9)
            self.stream.write(f"\rgrading {done}/{total} ({rate:.0f} answers/s)")
            if done == total:
                self.stream.write("\n")
        elif done == total or done % max(1, total // 10) == 0:
            self.stream.write(f"grading {done}/{total}\n")
        self.stream.flush()


def grade_file(path: str | Path, out: str | Path, *, seed: int = 0, timeout: float = 5.0,
               progress: Callable[[int, int], None] | None = None) -> tuple[Path, Path, list[Verdict]]:
    rows, fmt = read_submissions(path)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(out)!r}: {exc.strerror}") from None
    started = time.perf_counter()
    verdicts = grade_rows(rows, seed=seed, timeout=timeout, progress=progress)
    seconds = time.perf_counter() - started
    try:
        table = write_verdicts(rows, verdicts, out, fmt)
        page = out / "summary.html"
        _atomic_write(page, summary_html(verdicts, Path(path).name, seconds))
    except OSError as exc:
        raise OutputError(f"cannot write into {str(out)!r}: {exc.strerror}") from None
    return table, page, verdicts
