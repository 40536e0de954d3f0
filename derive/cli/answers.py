"""The answer commands: ``derive check`` and ``derive grade``."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from ..answers.grading import _Progress, grade_file
from ..answers.judge import expected_latex
from ..answers.verdict import EXIT_STATUS, INVALID, Verdict
from ..answers.worker import check
from ..errors import DeriveError
from ..model import registry

def add_check_commands(subparsers) -> None:
    p = subparsers.add_parser("check", help="check an answer to a part",
                              description="Check ANSWER (plain text or LaTeX) against PART_ID. "
                              "Exit status: 0 correct, 1 incorrect, 2 invalid or unknown part, "
                              "3 undecided. Put -- before an answer that starts with '-'.")
    p.add_argument("part", metavar="PART_ID")
    p.add_argument("answer", metavar="ANSWER")
    p.add_argument("--syntax", choices=("text", "latex", "auto"), default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--reveal", action="store_true", help="also show the expected answer")
    add_answer_options(p)
    p.set_defaults(run=cmd_check)


def _seconds(text: str) -> float:
    """argparse type: a finite positive number of seconds, at most an hour."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (0 < value <= 3600):  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"timeout must be a number of seconds in (0, 3600], got {text!r}")
    return value


def add_answer_options(p) -> None:
    """The options every command that checks answers takes (check, grade)."""
    p.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    p.add_argument("--timeout", type=_seconds, default=5.0,
                   help="hard limit per answer in seconds (default 5)")


def cmd_check(args) -> int:
    try:
        verdict = check(args.part, args.answer, syntax=args.syntax, seed=args.seed,
                        timeout=args.timeout)
    except DeriveError as exc:
        verdict = Verdict(INVALID, str(exc), part=args.part)
        if not args.json:
            raise
    out = verdict.to_json()
    if args.reveal:
        try:
            out["expected"] = expected_latex(registry.get_part(args.part))
        except DeriveError:
            pass
    if args.json:
        print(json.dumps(out, default=str))
    else:
        print(f"{verdict.status}: {verdict.message}")
        if verdict.parsed:
            print(f"  understood: {verdict.parsed}")
        if verdict.diagnosis:
            print(f"  diagnosis: {verdict.diagnosis}")
        if verdict.counterexample:
            print(f"  counterexample: {json.dumps(verdict.counterexample, default=str)}")
        if "expected" in out:
            print(f"  expected: {out['expected']}")
    return EXIT_STATUS[verdict.status]


def add_grade_commands(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade a file of submissions",
                              description="Grade SUBMISSIONS (CSV or JSONL with columns student, "
                              "part, answer; other columns are kept) into DIR/verdicts.* and "
                              "DIR/summary.html.")
    p.add_argument("submissions", metavar="SUBMISSIONS")
    p.add_argument("--out", required=True, metavar="DIR")
    add_answer_options(p)
    p.set_defaults(run=cmd_grade)


def cmd_grade(args) -> int:
    table, page, verdicts = grade_file(args.submissions, args.out, seed=args.seed,
                                       timeout=args.timeout, progress=_Progress())
    counts = Counter(v.status for v in verdicts)
    print(table)
    print(page)
    print(f"{len(verdicts)} answers: " + ", ".join(f"{counts[k]} {k}" for k in
                                                   ("correct", "incorrect", "invalid", "undecided")),
          file=sys.stderr)
    return 0
