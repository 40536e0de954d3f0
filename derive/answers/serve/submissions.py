"""Reading a file of submissions (CSV or JSONL) row by row, so a bad row spoils only itself.

A row that cannot be read — a field longer than MAX_FIELD_CHARS, bytes that are not UTF-8,
a lone surrogate (``"\\ud800"`` in JSON), an unterminated quote, the wrong number of CSV
fields, a JSONL line that is not an object — becomes a :class:`Row` with an ``error`` that
names it; the other rows are read as usual. A row with an empty student is such a row too
("empty student"): its verdict could be credited to nobody. Only a file that cannot be read at all (wrong
suffix, unreadable, no usable header) is refused as a whole.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InvalidArgument

__all__ = ["FORMATS", "MAX_FIELD_CHARS", "REQUIRED", "Row", "printable", "read_submissions"]

REQUIRED = ("student", "part", "answer")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Python's csv module refuses fields past 131,072 characters by default; no answer is
# anywhere near that long, so a longer field is a broken or hostile row.
MAX_FIELD_CHARS = 131_072
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNDECODED = re.compile("[\udc80-\udcff]")   # what surrogateescape makes of a non-UTF-8 byte


@dataclass
class Row:
    """One submission: its fields as read, where it starts (1-based line of the file) and,
    for a row that could not be read, why."""
    fields: dict
    line: int
    error: str | None = None
    number: int = field(default=0)   # 1-based row of data (the header is not a row)

    @property
    def where(self) -> str:
        return f"row {self.number} (line {self.line})"


def printable(text: str) -> str:
    """``text`` with undecodable bytes shown as ``\\xff`` and lone surrogates as ``\\ud800``,
    so it can be written as UTF-8."""
    if not _SURROGATE.search(text):
        return text

    def show(match):
        code = ord(match.group())
        return f"\\x{code - 0xdc00:02x}" if 0xdc80 <= code <= 0xdcff else f"\\u{code:04x}"
    return _SURROGATE.sub(show, text)


def read_submissions(path: str | Path) -> tuple[list[Row], str]:
    """The rows of a CSV or JSONL file, in order, and the file's format ("csv" or "jsonl")."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidArgument(f"submissions file {str(path)!r} must end in .csv or .jsonl")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"cannot read submissions file {str(path)!r}: {exc.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # Undecodable bytes survive as lone surrogates, so they spoil only the rows holding them.
    text = data.decode("utf-8", errors="surrogateescape")
    rows = _read_csv(text, path.name) if fmt == "csv" else _read_jsonl(text)
    for number, row in enumerate(rows, 1):
        row.number = number
        if row.error is None and not str(row.fields.get("student") or "").strip():
            # A verdict nobody can be credited with: flagged (and warned about), not graded.
            row.error = "empty student"
    return rows, fmt


def _field_problem(name: str, value: str, *, escaped: bool) -> str | None:
    if len(value) > MAX_FIELD_CHARS:
        return (f"the {printable(name)} field has {len(value):,} characters; at most "
                f"{MAX_FIELD_CHARS:,} are read")
    bad = _SURROGATE.search(value)
    if bad:
        column = bad.start() + 1
        code = ord(bad.group())
        if not escaped and _UNDECODED.match(bad.group()):
            return (f"the {printable(name)} field is not UTF-8 text (byte 0x{code - 0xdc00:02x} "
                    f"at character {column})")
        return (f"the {printable(name)} field holds a lone surrogate \\u{code:04x} at character "
                f"{column}, which is not text")
    return None


def _row_problem(fields: dict, *, escaped: bool = False) -> str | None:
    for name, value in fields.items():
        if isinstance(value, str):
            problem = _field_problem(str(name), value, escaped=escaped)
            if problem:
                return problem
    return None


# ----------------------------------------------------------------------------- CSV
class _Lines:
    """The physical lines of a text, handed to csv.reader one at a time and counted."""

    def __init__(self, lines: list[str], start: int):
        self.lines, self.pos = lines, start

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _records(lines: list[str]):
    """(index of the first line, fields, error or None) for each CSV record.

    A record may span lines only through a quoted field; one that does so and then breaks
    the CSV rules, or has the wrong number of fields, is taken to be an unterminated quote:
    that line alone is reported, and reading resumes on the next one (otherwise the quote
    would swallow the rows after it, up to the next quote in the file)."""
    start, width = 0, None
    while start < len(lines):
        source = _Lines(lines, start)
        try:
            fields, error = next(csv.reader(source, strict=True)), None
        except StopIteration:
            return
        except csv.Error as exc:
            fields, error = None, exc
        one_line = source.pos - start == 1
        if error is None and (one_line or width is None or len(fields) == width):
            if fields:   # a blank line is no row
                width = len(fields) if width is None else width
                yield start, fields, None
            start = source.pos
        elif one_line and "end of data" not in str(error):
            # Strictness is only for finding unterminated quotes: a stray character after
            # a closing quote ("s - y" z) is read leniently, as csv does by default.
            yield start, next(csv.reader([lines[start]]), []), None
            start += 1
        else:
            # The line's fields as far as they go, so the verdict still names the student.
            yield (start, next(csv.reader([lines[start].rstrip("\r\n")]), []),
                   "a quote (\") opened on this line is never closed on it")
            start += 1


def _read_csv(text: str, name: str) -> list[Row]:
    lines = io.StringIO(text, newline="").readlines()
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))   # long fields are judged per row below
    try:
        records = list(_records(lines))
    finally:
        csv.field_size_limit(limit)
    if not records or records[0][2] is not None:
        raise InvalidArgument(f"{name}: the first line must be a header naming the columns "
                              f"{', '.join(REQUIRED)}")
    _, header, _ = records[0]
    if _SURROGATE.search("".join(header)):
        raise InvalidArgument(f"{name}: the header line is not UTF-8 text")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidArgument(f"{name}: missing column(s) {', '.join(missing)}; the file has "
                              f"{', '.join(header) or 'no header'} and needs {', '.join(REQUIRED)}")
    rows = []
    for first, fields, error in records[1:]:
        values = dict(zip(header, fields + [""] * (len(header) - len(fields))))
        problem = error or _row_problem(values)
        if problem is None and len(fields) > len(header):
            problem = (f"the row has {len(fields)} fields but the header has {len(header)} "
                       "(an answer with a comma must be quoted)")
        rows.append(Row(values, first + 1, problem))
    return rows


# ----------------------------------------------------------------------------- JSONL
def _read_jsonl(text: str) -> list[Row]:
    rows = []
    for line_no, line in enumerate(io.StringIO(text, newline=None), 1):
        if not line.strip():
            continue
        undecodable = _UNDECODED.search(line)
        if undecodable:
            byte = ord(undecodable.group()) - 0xdc00
            rows.append(Row({}, line_no, f"the line is not UTF-8 text (byte 0x{byte:02x} at "
                                         f"character {undecodable.start() + 1})"))
            continue
        try:
            fields = json.loads(line)
        except ValueError as exc:
            rows.append(Row({}, line_no, f"the line is not a JSON object ({exc})"))
            continue
        if not isinstance(fields, dict):
            rows.append(Row({}, line_no, f"the line is a JSON {type(fields).__name__}, not an object"))
            continue
        problem = _row_problem({**{f"{k} (a key)": k for k in fields}, **fields}, escaped=True)
        rows.append(Row(fields, line_no, problem))
    return rows
