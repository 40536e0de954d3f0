"""``derive show PART [--json]``: what the sheet says for one part, in the terminal or as data.

The part's finished record is made by the same pipeline as the sheets' (:mod:`derive.pipeline`),
then laid out by the same code that builds them (:func:`derive.render.sheets.part_sheet`):
statement, notation, derivation steps, the result(s), the worked tables and the verification
record. ``--json`` gives the same as data; a worked table's quantities come as numbers, and a
plain demonstration's values as numbers where they read as one.
"""
from __future__ import annotations

import dataclasses
import json
import re

from ..model import registry
from ..pipeline import finish
from ..render.sheets import part_sheet
from ..verify.tables import number_text, plain_number
from .terminal import latex_text, pad, prose_text, width

_NUMBER = re.compile(r"-?\d+(\.\d*)?([eE][-+]?\d+)?")


def add_show_command(subparsers) -> None:
    p = subparsers.add_parser("show", help="print what the sheet says for parts",
                              description="Verify PART and print its statement, derivation steps, "
                              "result(s), worked tables and verification record.")
    p.add_argument("parts", nargs="+", metavar="PART", help="part ids or family names")
    p.add_argument("--json", action="store_true", help="print JSON (worked quantities as numbers)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument("--budget", type=float, default=10.0, help="seconds for each symbolic proof (default 10)")
    p.add_argument("--cases", type=int, default=None, help="numeric cases per part (default: the part's)")
    p.set_defaults(run=cmd_show)


def _value(text: str):
    """A demonstration's value as a number when the whole of it reads as one (1,234 too)."""
    plain = text.replace(",", "").strip()
    if _NUMBER.fullmatch(plain):
        number = float(plain)
        return int(number) if number.is_integer() and "." not in plain and "e" not in plain.lower() else number
    return text


def tables(record) -> list[dict]:
    """The record's worked numbers as data: a worked table's quantities as numbers, a plain
    demonstration's values as numbers where they read as one."""
    out = []
    for demo in record.worked:
        if demo.columns:
            out.append({"caption": demo.caption, "columns": list(demo.columns),
                        "rows": [[row[0], *[plain_number(v) for v in row[1:]]] for row in demo.rows]})
        else:
            out.append({"caption": demo.caption, "columns": ["quantity", "value"],
                        "rows": [[label, _value(value)] for label, value in demo.rows]})
    return out


# What ``--json`` shows of a slip's verdict (the sheet also prints the answer as parsed).
_SLIP_FIELDS = ("answer", "why", "status", "diagnosis", "counterexample")


def show_data(part, *, seed: int = 0, budget: float = 10.0, cases: int | None = None, report=None) -> dict:
    """Everything ``derive show`` prints for one part, as JSON-ready data (the part is
    verified unless its ``report`` is given)."""
    record = finish(part, seed=seed, budget=budget, cases=cases, report=report)
    report = record.report
    sheet = part_sheet(record)
    data = {"part": part.id, "family": part.family, "title": part.title, "answer": part.answer,
            "statement": sheet.statement, "notation": list(sheet.notation),
            "steps": [dataclasses.asdict(s) for s in sheet.steps],
            "result": sheet.result, "results": list(getattr(sheet, "results", (sheet.result,))),
            "instance": sheet.instance, "instance_label": sheet.instance_label,
            "tables": tables(record),
            "outcome": report.outcome,
            "checks": [{"heading": c.heading, "outcome": c.outcome, "lines": list(c.lines),
                        "counterexample": list(c.counterexample)} for c in sheet.checks],
            "claims": [c.to_json() for c in report.claims],
            "slips": [{k: s[k] for k in _SLIP_FIELDS} for s in record.slips] if part.answer else [],
            "figures": [{"name": f.stem, "caption": f.caption} for f in sheet.figures]}
    return data


def _table_text(table: dict) -> list[str]:
    def cell(v):
        return prose_text(v) if isinstance(v, str) else number_text(v)
    rows = [[prose_text(c) for c in table["columns"]]] + [[cell(v) for v in row] for row in table["rows"]]
    widths = [max(width(r[k]) for r in rows if k < len(r)) for k in range(len(table["columns"]))]
    lines = [f"  {prose_text(table['caption'])}"]
    for n, row in enumerate(rows):
        cells = [pad(v, w, left=k == 0) for k, (v, w) in enumerate(zip(row, widths))]
        lines.append("    " + "  ".join(cells).rstrip())
        if n == 0:
            lines.append("    " + "  ".join("-" * w for w in widths))
    return lines


def _typed(answer: str) -> str:
    """A slip as a student types it, quoted; one typed in LaTeX as the mathematics it is."""
    return latex_text(answer) if "\\" in answer or "{" in answer else repr(answer)


def show_text(data: dict) -> str:
    """What ``derive show`` prints: the sheet's words and formulas as Unicode (no LaTeX, no
    markup; ``--json`` keeps the LaTeX)."""
    lines = [f"{data['part']}: {prose_text(data['title'])}" + ("  (takes answers)" if data["answer"] else ""),
             "", "Statement:", f"  {prose_text(data['statement'])}"]
    if data["notation"]:
        lines += ["", "Notation:"] + [f"  {prose_text(n)}" for n in data["notation"]]
    if data["steps"]:
        lines += ["", "Derivation:"]
        for n, step in enumerate(data["steps"], 1):
            lines += [f"  {n}. {latex_text(step['equation'])}",
                      f"     because {prose_text(step['why'])}  [{step['outcome']}]"]
            if step.get("detail"):
                lines.append(f"     {prose_text(step['detail'])}")
    lines += ["", "Result:"] + [f"  {latex_text(r)}" for r in data["results"]]
    if data["instance"]:
        lines += [f"  {prose_text(data['instance_label'])}", f"  {latex_text(data['instance'])}"]
    if data["tables"]:
        lines += ["", "Worked quantities:"]
        for table in data["tables"]:
            lines += _table_text(table)
    lines += ["", f"Verification: {data['outcome']}"]
    for check in data["checks"]:
        lines.append(f"  {prose_text(check['heading'])}: {check['outcome']}")
        lines += [f"    {prose_text(line)}" for line in check["lines"]]
        lines += [f"      {prose_text(line)}" for line in check["counterexample"]]
    if data["slips"]:
        lines += ["", "Slips the checker names:"]
        lines += [f"  {_typed(s['answer'])} ({prose_text(s['why'])}): {s['status']}" for s in data["slips"]]
    if data["figures"]:
        lines += ["", "Figures (on the sheet):"] + [f"  {f['name']}: {prose_text(f['caption'])}"
                                                    for f in data["figures"]]
    return "\n".join(lines)


def cmd_show(args) -> int:
    parts = registry.select(args.parts)
    shown = [show_data(p, seed=args.seed, budget=args.budget, cases=args.cases) for p in parts]
    if args.json:
        print(json.dumps(shown[0] if len(shown) == 1 else shown, indent=2, default=str))
    else:
        print("\n\n".join(show_text(d) for d in shown))
    return 1 if any(d["outcome"] in ("refuted", "failed") for d in shown) else 0
