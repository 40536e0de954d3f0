"""Grading a batch: ``derive grade SUBMISSIONS --out DIR [--jobs N]``.

SUBMISSIONS is CSV or JSONL with columns student, part, answer (other columns are kept), and
optionally variant: the seed (a student id) of the variant the answer is to; empty means the
part as the catalogue states it.
Every row gets a verdict, in input order; a row that cannot be read or checked is
``invalid`` with the reason, a warning names it, and the batch goes on. Identical (part,
answer) pairs are checked once, in N worker processes. DIR/verdicts.csv (or .jsonl, like
the input) and DIR/summary.html, an offline page of per-part correctness and the commonest
diagnoses, are written as one unit: into a temporary folder that then replaces DIR, so a
reader sees the previous grading or this one, never a mix.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Iterable

from .submissions import MAX_FIELD_CHARS, Row, printable, read_submissions
from ...model.verdict import INVALID, UNDECIDED, Diagnosis, Verdict
from .atomic import replace_folder
from .summary import invalid_rows, summary_html
from .worker import COULD_NOT_DECIDE, WorkerPool, check, cores
from ...errors import DeriveError, InvalidArgument, OutputError
from ...model import registry

__all__ = ["VERDICT_COLUMNS", "default_jobs", "grade_file", "grade_rows", "publish",
           "read_submissions", "verdicts_text"]

VERDICT_COLUMNS = ("status", "diagnosis", "message", "parsed", "counterexample", "method", "evidence")
OUTPUT_FILES = ("verdicts.csv", "verdicts.jsonl", "summary.html")
_TEMPORARY = ".derive-grade-"    # prefix of the temporary folders next to DIR
_SHOWN_OF_A_LONG_FIELD = 1000    # characters of an over-long field copied to the verdicts


def default_jobs() -> int:
    """Worker processes for a batch: the machine's cores."""
    return cores()


def _as_row(row, line: int) -> Row:
    return row if isinstance(row, Row) else Row(dict(row), line, number=line)


Resolver = Callable[[str, str], tuple[str, int]]


def first_draw(part_id: str, seed: str) -> tuple[str, int]:
    """The variant a seed draws first, unverified (the pipeline's resolver verifies it and
    moves to a redraw when it fails)."""
    return seed, 0


def grade_rows(rows: list, *, seed: int = 0, timeout: float | None = 5.0, jobs: int | None = None,
               progress: Callable[[int, int], None] | None = None,
               variants: Resolver = first_draw) -> list[Verdict]:
    """A verdict per row (a :class:`Row` or a dict of fields), in order.

    Identical (part, answer) pairs are checked once, timeouts included. ``jobs`` worker
    processes check in parallel (default: the machine's cores); ``timeout=None`` checks in
    this process, one by one, without a time limit. A row's ``variant`` (a seed) is resolved to
    the variant's (seed, attempt) by ``variants``, once per part and seed, in this thread."""
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise InvalidArgument(f"jobs must be a whole number of worker processes >= 1, got {jobs!r}")
    rows = [_as_row(r, n) for n, r in enumerate(rows, 1)]
    registry.all_parts()   # load the problem modules once, before any thread asks for a part
    verdicts: list[Verdict | None] = [None] * len(rows)
    pending: dict[tuple, list[int]] = defaultdict(list)
    for n, row in enumerate(rows):
        request = _request(row)
        if not isinstance(request, Verdict) and request[2] is not None:
            request = _resolved(request, variants)
        if isinstance(request, Verdict):
            verdicts[n] = request
        else:
            pending[request].append(n)
    done = sum(v is not None for v in verdicts)
    if progress and done:
        progress(done, len(rows))

    def record(key, verdict):
        nonlocal done
        for n in pending[key]:
            verdicts[n] = verdict
        done += len(pending[key])
        if progress:
            progress(done, len(rows))

    if timeout is None:
        for key in pending:
            record(key, _check_one(check, key, seed, None))
        return verdicts
    jobs = min(jobs or default_jobs(), max(1, len(pending)))
    with WorkerPool(jobs) as pool:
        executor = ThreadPoolExecutor(jobs, thread_name_prefix="derive-grade")
        try:
            futures = {executor.submit(_check_one, pool.check, key, seed, timeout): key for key in pending}
            for future in as_completed(futures):
                record(futures[future], future.result())
        except BaseException:
            # Interrupted (Ctrl-C): drop the queued checks and stop the running ones now,
            # rather than waiting for the whole batch.
            executor.shutdown(wait=False, cancel_futures=True)
            pool.terminate()
            raise
        executor.shutdown()
    return verdicts


def _request(row: Row) -> tuple | Verdict:
    """The (part, answer) to check, or the row's verdict when there is nothing to check."""
    part = row.fields.get("part")
    part = printable(str(part)).strip() if part is not None else ""
    if row.error:
        return Verdict(INVALID, f"{row.where}: {row.error}", part=part)
    missing = [c for c in ("student", "part", "answer") if not str(row.fields.get(c) or "").strip()]
    if missing:
        # A row without a student cannot be credited to anyone: invalid, not graded silently.
        return Verdict(INVALID, f"{row.where}: empty {' and '.join(missing)}", part=part)
    answer = row.fields["answer"]
    variant = row.fields.get("variant")
    variant = variant.strip() or None if isinstance(variant, str) else variant
    return part, answer if isinstance(answer, str) else json.dumps(answer), variant


_RESOLVED: dict[tuple, tuple | Verdict] = {}


def _resolved(request: tuple, variants: Resolver) -> tuple | Verdict:
    """(part, answer, (seed, attempt)), or the invalid verdict of a variant that cannot be drawn."""
    part, answer, seed = request
    key = (part, seed, variants)
    if key not in _RESOLVED:
        try:
            _RESOLVED[key] = variants(part, seed)
        except DeriveError as exc:
            _RESOLVED[key] = Verdict(INVALID, f"variant {seed!r}: {exc}", part=part)
    got = _RESOLVED[key]
    return got if isinstance(got, Verdict) else (part, answer, tuple(got))


def _check_one(checker, key: tuple, seed: int, timeout: float | None) -> Verdict:
    part, answer, variant = key
    try:
        if variant is None:   # a checker without variants (a stand-in) is called as before
            return checker(part, answer, seed=seed, timeout=timeout)
        return checker(part, answer, seed=seed, timeout=timeout, variant=variant)
    except DeriveError as exc:
        return Verdict(INVALID, str(exc), part=part)
    except Exception:  # one bad row must not stop a class's grading; a crash is derive's bug
        logging.getLogger(__name__).exception("grading a row of %s crashed", part)
        return Verdict(UNDECIDED, COULD_NOT_DECIDE, part=part)


# ----------------------------------------------------------------------------- output
def _output_value(value):
    if isinstance(value, Diagnosis):
        return Diagnosis(value.kind, _output_value(value.detail))
    if isinstance(value, str):
        if len(value) > MAX_FIELD_CHARS:
            value = value[:_SHOWN_OF_A_LONG_FIELD] + f"... [{len(value):,} characters, cut]"
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): _output_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_output_value(v) for v in value]
    return value


def _verdict_fields(row: Row, verdict: Verdict) -> dict:
    """The submitted columns, then the verdict's. A submitted column named like a verdict
    column (``status``) is kept as ``submitted_status``, so ``status`` is always ours."""
    verdict_values = {"status": verdict.status, "diagnosis": verdict.diagnosis or "",
                      "message": verdict.message, "parsed": verdict.parsed or "",
                      "counterexample": verdict.counterexample, "method": verdict.method or "",
                      # what holds for a correct answer (proved for every size, ...), where
                      # the verdict says so
                      "evidence": getattr(verdict, "evidence", None) or ""}
    out = {}
    for key, value in row.fields.items():
        key = printable(str(key))
        while key in VERDICT_COLUMNS or key in out:
            key = f"submitted_{key}"
        out[key] = _output_value(value)
    for key, value in verdict_values.items():
        out[key] = _output_value(value)
    return out


def renamed_columns(rows: Iterable[Row]) -> list[str]:
    """Submitted columns that the verdicts keep under another name (``status``)."""
    return sorted({str(k) for r in rows for k in r.fields if str(k) in VERDICT_COLUMNS})


def _json_value(value):
    """A verdict field JSON has no type for: a diagnosis as {"kind", "detail"}, others as text."""
    return value.to_json() if isinstance(value, Diagnosis) else str(value)


def verdicts_text(rows: list[Row], verdicts: list[Verdict], fmt: str) -> str:
    """The verdict rows as JSON lines (a diagnosis as {"kind", "detail"}) or CSV (a diagnosis
    as its text "kind: detail", a counterexample as JSON)."""
    records = [_verdict_fields(r, v) for r, v in zip(rows, verdicts)]
    if fmt == "jsonl":
        return "".join(json.dumps(r, default=_json_value) + "\n" for r in records)
    columns: dict[str, None] = {}
    for r in records:
        columns.update(dict.fromkeys(r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for r in records:
        writer.writerow({k: (json.dumps(v, default=str) if isinstance(v, (dict, list)) else
                             ("" if v is None else v)) for k, v in r.items()})
    return buf.getvalue()


def _check_output_folder(out: Path) -> None:
    """Refuse early (before any grading) a DIR that cannot be replaced safely."""
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"output folder {str(out)!r} is a file; choose a folder with --out")
        foreign = sorted(p.name for p in out.iterdir() if not _ours(p.name))
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise OutputError(f"output folder {str(out)!r} holds files that are not grading output "
                              f"({shown}); grading replaces the whole folder, so choose a new or "
                              "empty one with --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(out)!r}: {exc.strerror}") from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into {str(out.parent)!r}, where the output folder "
                          f"{out.name!r} is created; choose a writable folder with --out")


def _ours(name: str) -> bool:
    """A file a grading writes: the outputs, or the per-file temporaries of older versions
    (".verdicts.csv.k3j2"), which are stale and go with the folder."""
    return name in OUTPUT_FILES or any(name.startswith(f".{f}.") for f in OUTPUT_FILES)


def publish(out: Path, files: dict[str, str]) -> None:
    """Make ``out`` a folder holding exactly ``files`` (name -> text), as one unit (see
    :func:`~derive.answers.serve.atomic.replace_folder`), after refusing a folder that holds
    anything but grading output."""
    out = Path(os.path.abspath(out))
    _check_output_folder(out)
    replace_folder(out, files, _TEMPORARY)


def grade_file(path: str | Path, out: str | Path, *, seed: int = 0, timeout: float | None = 5.0,
               jobs: int | None = None, progress: Callable[[int, int], None] | None = None,
               warn: Callable[[str], None] | None = None,
               variants: Resolver = first_draw) -> tuple[Path, Path, list[Verdict]]:
    """Grade the submissions in ``path`` into the folder ``out``; returns the verdicts file,
    the summary page and the verdicts. ``warn`` receives one line per unreadable row and
    per renamed column."""
    rows, fmt = read_submissions(path)
    out = Path(os.path.abspath(out))
    _check_output_folder(out)
    unreadable = [f"{row.where}: {row.error}" for row in rows if row.error]
    if warn:
        for line in unreadable:
            warn(f"{line}; the row is graded invalid")
        for column in renamed_columns(rows):
            warn(f"the submitted column {column!r} is kept as 'submitted_{column}'; "
                 f"'{column}' holds the verdict")
    started = time.perf_counter()
    verdicts = grade_rows(rows, seed=seed, timeout=timeout, jobs=jobs, progress=progress, variants=variants)
    seconds = time.perf_counter() - started
    name = f"verdicts.{fmt}"
    publish(out, {name: verdicts_text(rows, verdicts, fmt),
                  "summary.html": summary_html(verdicts, printable(Path(path).name), seconds,
                                               invalid_rows(rows, verdicts))})
    return out / name, out / "summary.html", verdicts
