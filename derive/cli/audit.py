"""``derive audit FILE``: every step of a written solution judged, chain by chain, with the
first wrong step as the headline. Exit status: 0 no wrong step, 1 a wrong step, 2 bad input."""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..answers.serve.audit import MAX_CHARACTERS, audit
from ..errors import DeriveError, InvalidArgument, OutputError, UnknownPart
from ..model.audit import PROVED, START, UNCHECKED, UNREADABLE, WRONG, AuditReport
from ..render.audit_page import audit_index, audit_page
from .answers import _seconds
from .terminal import latex_text, prose_text

MARKS = {PROVED: "✓", WRONG: "✗", UNREADABLE: "?", UNCHECKED: "·", START: " "}
SHOWN = 90   # characters of a step's text on one terminal line


def add_audit_command(subparsers) -> None:
    p = subparsers.add_parser("audit", help="check every step of a written solution (Markdown or LaTeX)",
                              description="Read the displayed maths of FILE, cut it into chains of steps "
                              "and judge each step against the one before. Exit status: 0 no wrong step, "
                              "1 a wrong step, 2 bad input.")
    p.add_argument("file", metavar="FILE", help="a Markdown or LaTeX file, or a folder of them (.md, .tex, .txt)")
    p.add_argument("--part", default=None, help="the part the solution answers (its variables and domains)")
    p.add_argument("--given", default=None, metavar="DEFS",
                   help="definitions, e.g. \"z = w x + b; y = sigma(z); L = 1/2 (y - t)^2\"")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", default=None, metavar="OUT",
                   help="also write the document as a page with every step marked (for a folder: "
                   "a folder OUT with one page per file and index.html)")
    p.add_argument("--timeout", type=_seconds, default=5.0, help="hard limit per step in seconds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    p.set_defaults(run=cmd_audit)


def read_document(path: str) -> str:
    """The file's text; a clear message for a missing, unreadable, binary or huge file."""
    file = Path(path)
    if file.is_dir():
        raise InvalidArgument(f"{path!r} is a folder, not a document")
    try:
        size = file.stat().st_size
        if size > 4 * MAX_CHARACTERS:
            raise InvalidArgument(f"{path!r} has {size:,} bytes; at most {MAX_CHARACTERS:,} characters are audited")
        data = file.read_bytes()
    except FileNotFoundError:
        raise InvalidArgument(f"no such file: {path!r}") from None
    except OSError as exc:
        raise InvalidArgument(f"cannot read {path!r}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise InvalidArgument(f"{path!r} is a binary file, not Markdown or LaTeX")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"{path!r} is not UTF-8 text (byte {exc.start})") from None


def cmd_audit(args) -> int:
    if Path(args.file).is_dir():
        return _audit_folder(args)
    text = read_document(args.file)
    report = audit(text, part=args.part, given=args.given, timeout=args.timeout, seed=args.seed)
    if args.html:
        _write_page(args.html, audit_page(text, report, title=Path(args.file).name))
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, default=str))
    else:
        print(report_text(report))
    return 1 if report.first_wrong else 0


SUFFIXES = (".md", ".markdown", ".tex", ".txt", ".mmd")


def _audit_folder(args) -> int:
    """Every document in the folder (sorted, not recursive), each on its own: a file that
    cannot be read or audited is reported with its reason and the batch goes on."""
    files = sorted(p for p in Path(args.file).iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise InvalidArgument(f"no documents ({', '.join(SUFFIXES)}) in the folder {args.file!r}")
    out = Path(args.html) if args.html else None
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write into {args.html!r}: {exc.strerror or exc}") from None
    rows = []
    for file in files:
        row = {"file": file.name, "first_wrong": None, "headline": "", "counts": {}, "error": None}
        try:
            text = read_document(str(file))
            report = audit(text, part=args.part, given=args.given, timeout=args.timeout, seed=args.seed)
            row.update(first_wrong=list(report.first_wrong) if report.first_wrong else None,
                       headline=report.headline, counts=dict(report.counts))
            if out is not None:
                page = file.name + ".html"
                _write_page(str(out / page), audit_page(text, report, title=file.name))
                row["page"] = page
        except DeriveError as exc:
            if isinstance(exc, UnknownPart) or (args.given and "--given" in str(exc)):
                raise   # the same for every file: say it once
            row["error"] = str(exc)
        rows.append(row)
    if out is not None:
        _write_page(str(out / "index.html"), audit_index(rows, args.file))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
    else:
        print(folder_text(rows))
    return 1 if any(r["first_wrong"] for r in rows) else 0


def folder_text(rows: list[dict]) -> str:
    width = max(len(r["file"]) for r in rows)
    lines = []
    for r in rows:
        if r["error"]:
            state = "error: " + r["error"].splitlines()[0]
        elif r["first_wrong"]:
            state = "✗ chain {}, step {} is wrong".format(*r["first_wrong"])
        else:
            state = "✓ no wrong step"
        counts = r["counts"]
        tally = f"  ({counts.get('proved', 0)} proved, {counts.get('unreadable', 0)} unreadable, " \
                f"{counts.get('unchecked', 0)} unchecked)" if counts else ""
        lines.append(f"{r['file']:<{width}}  {state}{tally}")
    wrong = sum(1 for r in rows if r["first_wrong"])
    failed = sum(1 for r in rows if r["error"])
    lines.append(f"{len(rows)} documents: {wrong} with a wrong step, {failed} could not be audited")
    return "\n".join(lines)


def _write_page(path: str, page: str) -> None:
    try:
        Path(path).write_text(page, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def _short(text: str) -> str:
    # Fractions side by side (a chain rule) print apart: ∂L/∂y ∂y/∂z, not ∂L/∂y∂y/∂z.
    text = re.sub(r"\}\s*(?=\\[dt]?frac\b)", "} \\, ", text)
    try:
        shown = latex_text(text)
    except Exception:   # noqa: BLE001 -- a damaged term is shown as written
        shown = text
    shown = " ".join(shown.split())
    return shown if len(shown) <= SHOWN else shown[:SHOWN - 1] + "…"


def report_text(report: AuditReport) -> str:
    lines = [report.headline, ""]
    for chain in report.chains:
        lines.append(f"chain {chain.index} (display {chain.display}): {chain.summary}")
        for step in chain.steps:
            rel = f"{step.relation} " if step.relation else "  "
            lines.append(f"  {MARKS.get(step.status, ' ')} {step.index:>2} {rel}{_short(step.text)}")
            if step.status in (WRONG, UNREADABLE) or (step.status == UNCHECKED and step.message):
                lines.append(f"       {prose_text(step.message.splitlines()[0]) if step.message else ''}")
            if step.status == WRONG and step.diagnosis is not None:
                lines.append(f"       diagnosis: {step.diagnosis}")
        lines.append("")
    return "\n".join(lines).rstrip()
