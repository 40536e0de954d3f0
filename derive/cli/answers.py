"""The answer commands: ``derive check`` and ``derive grade``."""
from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections import Counter

from ..answers.serve.grading import default_jobs, grade_file
from ..answers.decide.judge import expected_latex
from ..model.verdict import EXIT_STATUS, INVALID, Verdict
from ..answers.serve.free import equivalent
from ..pipeline.variants import check, variant, verified_draw
from ..errors import DeriveError, InvalidArgument
from ..model import registry
from .progress import BatchProgress
from .terminal import latex_text, prose_text

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
                              usage="derive check [options] PART_ID ANSWER\n"
                              "       derive check [options] --expected EXPR ANSWER",
                              description="Check ANSWER (plain text or LaTeX) against PART_ID. "
                              "Exit status: 0 correct, 1 incorrect, 2 invalid or unknown part, "
                              "3 undecided. An answer that starts with '-' is read as the answer "
                              "(derive check softmax.ce_grad -y/s) unless it is one of the options "
                              "below; to be sure, put the options first and -- before the answer "
                              "(derive check --json PART -- -h).")
    p.__class__ = _AnswerParser   # subparsers make ArgumentParsers; only check needs this
    p.add_argument("part", metavar="PART_ID")
    # Several words are taken so that an unquoted answer gets a clear message, not a usage error.
    p.add_argument("answer", metavar="ANSWER", nargs="*",
                   help="the answer, plain text or LaTeX, as one argument: quote it in the shell")
    p.add_argument("--expected", metavar="EXPR", default=None,
                   help="check ANSWER against this expression instead of a part: "
                   "derive check --expected 'sqrt(x^2)' 'abs(x)'")
    p.add_argument("--var", action="append", default=[], metavar="NAME=DOMAIN",
                   help="with --expected: declare a variable, e.g. x=positive, v=vector:3, "
                   "A=matrix:3:3 or H=matrix:3:3:spd (repeatable; undeclared names are real scalars)")
    p.add_argument("--syntax", choices=("text", "latex", "auto"), default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--reveal", action="store_true", help="also show the expected answer")
    p.add_argument("--variant", metavar="S", default=None,
                   help="judge against the variant of PART_ID for the seed S (a student id; derive variant)")
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


def _one_answer(args) -> str | None:
    """The answer as one argument. An answer the shell split into words (derive check PART
    -y + s) is refused with the command to type, not joined: the shell may already have
    changed it (a * expands to file names, quotes and spaces are gone)."""
    words = args.answer
    if len(words) > 1:
        said = " ".join(words)
        raise InvalidArgument(
            f"derive check takes the answer as one argument, but the shell split it into {len(words)} "
            f"words: {' '.join(shlex.quote(w) for w in words)}; put the whole answer in quotes: "
            f"derive check {args.part} {shlex.quote(said)}")
    return words[0] if words else None


def _check_expected(args) -> Verdict:
    if args.answer:
        raise InvalidArgument("with --expected give one ANSWER, not a PART_ID and an answer; got "
                              f"{args.part!r} and {' '.join(args.answer)!r}"
                              + ("" if len(args.answer) == 1 else "; put the whole answer in quotes"))
    return equivalent(args.expected, args.part, variables=_declarations(args.var) or None,
                      syntax=args.syntax, seed=args.seed, timeout=args.timeout)


def cmd_check(args) -> int:
    try:
        if args.expected is not None:
            verdict = _check_expected(args)
        elif args.var:
            raise InvalidArgument("--var declares the variables of an --expected expression; "
                                  "a part declares its own")
        elif not args.answer:
            raise InvalidArgument("derive check needs PART_ID and ANSWER (or --expected EXPR ANSWER)")
        else:
            verdict = check(args.part, _one_answer(args), syntax=args.syntax, seed=args.seed,
                            timeout=args.timeout, variant=args.variant)
    except DeriveError as exc:
        verdict = Verdict(INVALID, str(exc), part=args.part)
        if not args.json:
            raise
    out = verdict.to_json()
    if getattr(args, "variant", None) is not None:
        out["variant"] = args.variant
    if args.reveal and args.expected is not None:
        out["expected"] = args.expected
    elif args.reveal:
        try:
            out["expected"] = expected_latex(registry.get_part(args.part) if args.variant is None
                                             else variant(args.part, args.variant).part)
        except DeriveError:
            pass
    if args.json:
        print(json.dumps(out, default=str))
    else:
        print(verdict_text(verdict, out.get("expected"), plain_expected=args.expected is not None))
    return EXIT_STATUS[verdict.status]


SHOWN_ENTRIES = 6   # a vector on the terminal: its first entries, then how many there are


def _number(value) -> str:
    if isinstance(value, str):
        return latex_text(value) if "\\" in value or "{" in value else value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _vector(value, limit: int = SHOWN_ENTRIES) -> str:
    """(0.1, 0.2, …, 12 entries): a long vector or matrix cut to its first entries."""
    if not isinstance(value, (list, tuple)):
        return _number(value)
    flat = _flat(value)
    shape = "×".join(str(n) for n in _shape(value))
    if len(flat) <= limit:
        return "(" + ", ".join(_vector(v, limit) for v in value) + ")"
    return "(" + ", ".join(_number(v) for v in flat[:limit]) + f", … {len(flat)} entries, {shape})"


def _flat(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    return [value]


def _shape(value) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        return (len(value),) + (_shape(value[0]) if value else ())
    return ()


def _name(name: str) -> str:
    """A variable as the user spelled it: LaTeX spellings converted, plain ones (C_in) kept."""
    return latex_text(name) if "\\" in name or "{" in name else name


def _differing(answer, expected) -> str | None:
    """'first difference at entry 2: yours 0.5, expected 0.3 (3 of 4 entries differ)'."""
    if not isinstance(answer, list) or not isinstance(expected, list) or _shape(answer) != _shape(expected):
        return None
    shape, mine, want = _shape(answer), _flat(answer), _flat(expected)
    differ = [k for k, (a, e) in enumerate(zip(mine, want)) if a != e]
    if not differ:
        return None
    k = differ[0]
    where = str(k + 1) if len(shape) == 1 else f"({k // shape[1] + 1}, {k % shape[1] + 1})"
    return (f"first difference at entry {where}: yours {_number(mine[k])}, expected {_number(want[k])} "
            f"({len(differ)} of {len(mine)} entries differ)")


def counterexample_lines(counter: dict, *, stated: bool = False) -> list[str]:
    """The counterexample for a person: the sizes, each value cut to its first entries, the
    first entry that differs and how many do, and for an index answer the tensors' shapes
    only; ``derive check --json`` has the whole record."""
    lines = []
    if counter.get("sizes"):
        lines.append(", ".join(f"{_name(k)} = {v}" for k, v in counter["sizes"].items()))
    if "tensors" in counter:   # an index answer: sizes in the message, one entry, seeded tensors
        entry = counter.get("entry") or {}
        at = ", ".join(f"{k} = {v}" for k, v in entry.items())
        lines.append(f"entry {at}: your answer {_number(counter['answer'])}, expected {_number(counter['expected'])}"
                     if at else f"your answer {_number(counter['answer'])}, expected {_number(counter['expected'])}")
        if "differing" in counter:
            lines.append(f"{counter['differing']} of {counter['entries']} entries differ")
        shapes = ", ".join(f"{n} ({'×'.join(str(d) for d in _shape(v))})" for n, v in counter["tensors"].items())
        lines.append(f"seeded random integer tensors {shapes}: every value with --json")
        return lines
    values = counter.get("values") or {}
    if stated:   # the message already gives the point and both values: only what it does not
        values, counter = {}, {k: v for k, v in counter.items() if k != "sizes"}
        lines = []
    if values:
        lines.append(", ".join(f"{_name(k)} = {_vector(v)}" for k, v in values.items()))
    answer, expected = counter.get("answer"), counter.get("expected")
    if isinstance(answer, bool) and stated:   # the message named the end and the expected set
        return lines
    if isinstance(answer, bool):   # two conditions compared as sets
        lines.append(f"there your condition {'holds' if answer else 'fails'}, the expected one "
                     f"{'holds' if expected else 'fails'}")
        if counter.get("expected_set"):
            lines.append(f"expected condition: {latex_text(counter['expected_set'])}")
        if counter.get("example"):
            lines.append("for example at " + ", ".join(f"{_name(k)} = {_number(v)}"
                                                        for k, v in counter["example"].items()))
        return lines
    if answer is not None and not stated:
        lines.append(f"your answer: {_vector(answer)}")
    if expected is not None and not stated:
        lines.append(f"expected:    {_vector(expected)}")
    differing = _differing(answer, expected)
    if differing:
        lines.append(differing)
    if counter.get("difference") is not None:
        lines.append(f"difference {counter['difference']}"
                     + (f", confirmed at {counter['precision']}" if counter.get("precision") else ""))
    return lines


_TUPLE = r"\(-?\d+(?:, -?\d+)*\)"
_SIZE_LIST = re.compile(rf"\((?P<names>[A-Za-z_]\w*(?:, [A-Za-z_]\w*)+)\) = (?P<tuples>{_TUPLE}(?:(?:, | and ){_TUPLE})*)")
SHOWN_SIZES = 3   # size tuples listed before a long list is summarised by each size's range


def summarise_sizes(text: str) -> str:
    """A long list of size tuples, "(B, C, ...) = (1, 1, ...), (1, 2, ...), ...", as its
    count and each size's range: the sizes that matter, not 2,000 characters of them."""
    def short(match):
        names = match.group("names").split(", ")
        tuples = [tuple(int(x) for x in t.split(", ")) for t in re.findall(r"\(([-\d, ]+)\)", match.group("tuples"))]
        if len(tuples) <= SHOWN_SIZES or any(len(t) != len(names) for t in tuples):
            return match.group()
        ranges = ", ".join(f"{n} = {min(v)}" if min(v) == max(v) else f"{n} = {min(v)}..{max(v)}"
                           for n, v in zip(names, zip(*tuples)))
        return f"{len(tuples)} sizes ({ranges}; all listed by --json)"
    return _SIZE_LIST.sub(short, text)


def _first_word_out(message: str, status: str) -> str:
    """The message without a leading status word ("Correct: proved ..." under "correct —")."""
    head, sep, rest = message.partition(": ")
    if sep and head.lower() == status:
        message = rest
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    return message


def verdict_text(verdict: Verdict, expected: str | None = None, *, plain_expected: bool = False) -> str:
    """``derive check`` on a terminal: the status once, then the message, the answer as
    understood, the diagnosis and the counterexample, all as Unicode, never LaTeX."""
    if verdict.status == INVALID:
        # About what the user typed: spellings must stay exactly as they are to be typed.
        body = _first_word_out(verdict.message, verdict.status)
    else:
        body = summarise_sizes(prose_text(_first_word_out(verdict.message, verdict.status)))
    lines = [f"{verdict.status} — {body}"]
    if verdict.parsed:
        lines.append(f"  understood: {latex_text(verdict.parsed)}")
    if verdict.diagnosis:
        kind, detail = verdict.diagnosis.kind, prose_text(verdict.diagnosis.detail)
        lines.append(f"  diagnosis: {kind}" if not detail or detail in body else f"  diagnosis: {kind} — {detail}")
    if verdict.counterexample:
        stated = ("your answer is" in body or "your condition is" in body or "expected condition is" in body
                  ) and "in the counterexample" not in body
        summary = counterexample_lines(verdict.counterexample, stated=stated)
        if summary:
            lines.append("  counterexample:")
            lines += [f"    {line}" for line in summary]
    if expected is not None:
        lines.append(f"  expected: {expected if plain_expected else latex_text(expected)}")
    return "\n".join(lines)


def add_grade_commands(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade a file of submissions",
                              description="Grade SUBMISSIONS (CSV or JSONL with columns student, "
                              "part, answer, optionally variant (the seed of the variant answered, e.g. the student id); other columns are kept) into DIR/verdicts.* and "
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
                                       progress=BatchProgress("grading", "answers"), warn=_warn,
                                       variants=verified_draw)
    counts = Counter(v.status for v in verdicts)
    print(table)
    print(page)
    print(f"{len(verdicts)} answers: " + ", ".join(f"{counts[k]} {k}" for k in
                                                   ("correct", "incorrect", "invalid", "undecided")),
          file=sys.stderr)
    return 0
