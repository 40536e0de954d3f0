"""The answer commands: ``derive check`` and ``derive grade``."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from ..answers.grading import _Progress, default_jobs, grade_file
from ..answers.judge import expected_latex
from ..answers.verdict import EXIT_STATUS, INVALID, Verdict
from ..answers.free import equivalent
from ..answers.worker import check
from ..errors import DeriveError, InvalidArgument
from ..model import registry

class _AnswerParser(argparse.ArgumentParser):
    """A parser for which an argument that starts with '-' but is none of the command's
    options is a positional argument, so ``derive check PART -y/s`` reads the answer -y/s."""

    def _parse_optional(self, arg_string):
        if arg_string.startswith("-") and arg_string != "--" and not self._is_option(arg_string):
            return None
        return super()._parse_optional(arg_string)

    def _is_option(self, arg_string: str) -> bool:
        name = arg_string.split("=", 1)[0]
        if name in self._option_string_actions:
            return True
        # An unambiguous abbreviation of a long option (--rev for --reveal) stays an option.
        return name.startswith("--") and len(name) > 2 and any(
            option.startswith(name) for option in self._option_string_actions)


def add_check_commands(subparsers) -> None:
    p = subparsers.add_parser("check", help="check an answer to a part",
                              description="Check ANSWER (plain text or LaTeX) against PART_ID. "
                              "Exit status: 0 correct, 1 incorrect, 2 invalid or unknown part, "
                              "3 undecided. An answer that starts with '-' is read as the answer "
                              "(derive check softmax.ce_grad -y/s) unless it is one of the options "
                              "below; to be sure, put the options first and -- before the answer "
                              "(derive check --json PART -- -h).")
    p.__class__ = _AnswerParser   # subparsers make ArgumentParsers; only check needs this
    p.add_argument("part", metavar="PART_ID")
    p.add_argument("answer", metavar="ANSWER", nargs="?",
                   help="the answer, plain text or LaTeX; quote it in the shell")
    p.add_argument("--expected", metavar="EXPR", default=None,
                   help="check ANSWER against this expression instead of a part: "
                   "derive check --expected 'sqrt(x^2)' 'abs(x)'")
    p.add_argument("--var", action="append", default=[], metavar="NAME=DOMAIN",
                   help="with --expected: declare a variable, e.g. x=positive, v=vector:3, "
                   "A=matrix:3:3 or H=matrix:3:3:spd (repeatable; undeclared names are real scalars)")
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


def _declarations(specs: list[str]) -> dict:
    """--var NAME=DOMAIN or NAME=vector:N[:DOMAIN] or NAME=matrix:R:C[:DOMAIN] -> variables."""
    out = {}
    for spec in specs:
        name, eq, value = spec.partition("=")
        if not eq or not name or not value:
            raise InvalidArgument(f"--var {spec!r} must look like NAME=DOMAIN (x=positive) or "
                                  "NAME=matrix:R:C (A=matrix:3:3)")
        kind, *rest = value.split(":")
        if kind in ("scalar", "vector", "matrix"):
            try:
                out[name] = (kind, *[int(r) if r.isdigit() else r for r in rest])
            except ValueError:
                raise InvalidArgument(f"--var {spec!r}: sizes must be whole numbers") from None
        else:
            out[name] = value
    return out


def _check_expected(args) -> Verdict:
    if args.answer is not None:
        raise InvalidArgument("with --expected give one ANSWER, not a PART_ID and an answer; got "
                              f"{args.part!r} and {args.answer!r}")
    return equivalent(args.expected, args.part, variables=_declarations(args.var) or None,
                      syntax=args.syntax, seed=args.seed, timeout=args.timeout)


def cmd_check(args) -> int:
    try:
        if args.expected is not None:
            verdict = _check_expected(args)
        elif args.var:
            raise InvalidArgument("--var declares the variables of an --expected expression; "
                                  "a part declares its own")
        elif args.answer is None:
            raise InvalidArgument("derive check needs PART_ID and ANSWER (or --expected EXPR ANSWER)")
        else:
            verdict = check(args.part, args.answer, syntax=args.syntax, seed=args.seed,
                            timeout=args.timeout)
    except DeriveError as exc:
        verdict = Verdict(INVALID, str(exc), part=args.part)
        if not args.json:
            raise
    out = verdict.to_json()
    if args.reveal and args.expected is not None:
        out["expected"] = args.expected
    elif args.reveal:
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
                              "DIR/summary.html. A row that cannot be read is graded invalid "
                              "with the reason, and a warning names it. DIR is replaced as a "
                              "whole, so it must be new or hold only a previous grading.")
    p.add_argument("submissions", metavar="SUBMISSIONS")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help=f"worker processes checking in parallel (default: the machine's cores, "
                   f"here {default_jobs()})")
    add_answer_options(p)
    p.set_defaults(run=cmd_grade)


def _jobs(text: str) -> int:
    """argparse type: a whole number of worker processes, 1 to 64."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be a whole number of processes, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--jobs must be between 1 and 64, got {value}")
    return value


def _warn(message: str) -> None:
    print(f"derive: warning: {message}", file=sys.stderr, flush=True)


def cmd_grade(args) -> int:
    table, page, verdicts = grade_file(args.submissions, args.out, seed=args.seed,
                                       timeout=args.timeout, jobs=args.jobs,
                                       progress=_Progress(), warn=_warn)
    counts = Counter(v.status for v in verdicts)
    print(table)
    print(page)
    print(f"{len(verdicts)} answers: " + ", ".join(f"{counts[k]} {k}" for k in
                                                   ("correct", "incorrect", "invalid", "undecided")),
          file=sys.stderr)
    return 0
