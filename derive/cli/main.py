"""The ``derive`` command: list, verify and build (and check/grade when available).

Every deliberate error reaches the user as one line on stderr and a non-zero exit,
never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Mapping

from ..model import registry
from .answers import add_check_commands, add_grade_commands
from .audit import add_audit_command
from .export import add_export_command
from .serve import add_serve_command
from .show import add_show_command
from .variants import add_variant_command, cmd_build_variants
from ..errors import DeriveError, InvalidArgument, OutputError
from ..model.claim import FAILED, REFUTED, size_label
from ..pipeline import finish_all, verify_all
from ..verify.cache import ReportCache
from .progress import Progress

FORMATS = ("html", "tex", "pdf")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Exit statuses of build and verify (check and grade document their own).
EXIT_REFUTED, EXIT_BAD_INPUT, EXIT_NO_PDF = 1, 2, 3


def _dimension(d) -> str | int:
    """A shape entry as the listing shows it: a size name ("C"), a number (3), or a size
    derived from others, printed as its formula."""
    return d if isinstance(d, (str, int)) else str(d)


def _variables(part) -> list[dict]:
    return [{"name": v.name, "shape": [_dimension(d) for d in v.shape], "domain": v.domain.description,
             "spellings": list(v.spellings)} for v in part.variables]


def _parameters(part) -> list[dict]:
    return [{"name": p.name, "default": p.default, "allowed": p.allowed(), "what": p.what}
            for p in part.parameters.params] if part.parameters is not None else []


def cmd_list(args) -> int:
    parts = registry.select(args.parts)
    if args.variants:
        parts = [p for p in parts if p.parameters is not None]
        if args.json:
            print(json.dumps([{"id": p.id, "parameters": _parameters(p)} for p in parts], indent=2, default=str))
            return 0
        for p in parts:
            print(f"{p.id}  {'answer' if p.answer else '      '}  {p.title}")
            for q in p.parameters.params:
                print(f"    {q.name:<8} {q.what or q.name}: {q.allowed()} (the catalogue's {q.default})")
        return 0
    if args.json:
        print(json.dumps([{"id": p.id, "title": p.title, "family": p.family, "answer": p.answer,
                           "variables": _variables(p)} for p in parts], indent=2))
        return 0
    width = max(len(p.id) for p in parts)
    for p in parts:
        names = ", ".join(v.name + (f"[{','.join(str(_dimension(d)) for d in v.shape)}]" if v.shape else "")
                          for v in p.variables)
        print(f"{p.id:<{width}}  {'answer' if p.answer else '      '}  {p.title}"
              + (f"  ({names})" if names else ""))
    return 0


def _format_error(value) -> str:
    return "-" if value is None else f"{value:.1e}"


def cmd_verify(args) -> int:
    parts = registry.select(args.parts)
    with Progress() as progress:
        reports = verify_all(parts, seed=args.seed, budget=args.budget, cases=args.cases, stage=progress.stage)
    if args.json:
        print(json.dumps([r.to_json() for r in reports.values()], indent=2, default=str))
    else:
        print(f"{'part':<30} {'outcome':<20} {'time':>6} {'proved at':<30} {'cases':>5} {'worst err':>9} {'tol':>7}")
        for r in reports.values():
            closed = r.claims[0]
            numeric = r.numeric()
            sizes = _size_range(closed.sizes)
            print(f"{r.part.id:<30} {r.outcome:<20} {r.seconds:>5.2f}s {sizes:<30} "
                  f"{numeric.cases if numeric else 0:>5} {_format_error(numeric and numeric.worst_error):>9} "
                  f"{_format_error(numeric and numeric.tolerance):>7}")
            for claim in r.claims:
                if claim.kind not in ("closed form", "step", "result") and claim is not numeric:
                    print(f"    + {claim.kind} ({claim.statement}): {claim.outcome}, {claim.cases} cases"
                          + (f", worst {claim.worst_error:.1e} (tol {claim.tolerance:.0e})"
                             if claim.worst_error is not None and claim.tolerance else ""))
                if claim.outcome in (REFUTED, FAILED) or (claim.kind in ("closed form", "step", "result")
                                                          and claim.outcome != "proved"):
                    label = f"{claim.kind} {claim.statement}" if claim.kind in ("step", "result") else claim.kind
                    print(f"    {label}: {claim.outcome}. {claim.detail}")
                    if claim.counterexample:
                        print(f"    counterexample: {json.dumps(claim.counterexample, default=str)}")
        total = sum(r.seconds for r in reports.values())
        counts = {}
        for r in reports.values():
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        print(f"{len(reports)} parts in {total:.1f} s: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    bad = [r for r in reports.values() if r.outcome in (REFUTED, FAILED)]
    return EXIT_REFUTED if bad else 0


def _size_range(sizes) -> str:
    if not sizes:
        return "-"
    first, last = size_label(sizes[0]), size_label(sizes[-1])
    if len(sizes) == 1:
        return first
    if isinstance(sizes[-1], Mapping) and len(sizes[-1]) == 1:  # one dimension: C=2 .. 6
        return f"{first} .. {next(iter(sizes[-1].values()))}"
    return f"{len(sizes)} sizes, {first} .. {last}"


def _formats(text: str) -> set[str]:
    chosen = {f.strip() for f in text.split(",") if f.strip()}
    unknown = sorted(chosen - set(FORMATS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)}; choose from {', '.join(FORMATS)} (comma-separated)")
    return chosen


def cmd_build(args) -> int:
    from ..render.writer import build
    out = Path(args.out)
    if args.solutions and not args.variants:
        raise InvalidArgument("--solutions goes with --variants ROSTER (the catalogue's sheets always have them)")
    _ensure_writable(out)  # before minutes of verification, not after
    if args.variants:
        return cmd_build_variants(args)
    parts = registry.select(args.parts)
    chosen = {p.id for p in parts}
    families = [f for f in registry.families() if any(p.id in chosen for p in f.parts)]
    cache = None if args.fresh else ReportCache(out / ".cache")
    built = [p for f in families for p in f.parts]
    with Progress() as progress:
        records = finish_all(built, seed=args.seed, budget=args.budget, cases=args.cases,
                             stage=progress.stage, cache=cache)
        written = build(families, records, out, formats=args.format, progress=progress.note, stage=progress.stage)
        progress.note(f"built {len(written)} files in {progress.elapsed():.1f} s into {out}/")
    refuted = [r.part.id for r in records.values() if r.outcome in (REFUTED, FAILED)]
    # A declared slip the checker accepts is a wrong claim about a wrong answer.
    refuted += [f"{r.part.id} (slip {v['answer']!r} is judged {v['status']})" for r in records.values()
                for v in r.slips if v["status"] != "incorrect"]
    no_pdf = getattr(written, "pdf_failures", [])
    if no_pdf:
        _say(f"derive: {len(no_pdf)} PDF{'s' * (len(no_pdf) != 1)} not written (every HTML and .tex sheet "
             f"was): {no_pdf[0]}" + (f" (exit status {EXIT_NO_PDF})" if not refuted or args.allow_refuted else ""))
    if refuted:
        # The sheets are written anyway, so the refutation can be read on them.
        _say(f"derive: {len(refuted)} part{'s' * (len(refuted) != 1)} refuted or failed: {', '.join(refuted)}"
             + ("" if args.allow_refuted else "; the sheets show why (exit status 1; --allow-refuted exits 0)"))
        if not args.allow_refuted:
            return EXIT_REFUTED
    return EXIT_NO_PDF if no_pdf else 0


def _ensure_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write into output folder {str(out)!r}: {exc.strerror or exc}; "
                          "choose a writable folder with --out") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="derive", description="Machine-verified solutions to "
                                  "deep-learning course problems.")
    top.add_argument("--problems", action="append", default=[], metavar="FILE",
                     help="also load the parts of this problem module (repeatable)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the parts")
    p.add_argument("parts", nargs="*", help="part ids or family names (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--variants", action="store_true",
                   help="only the parts with parameters (variants), each with its parameters' ranges")
    p.set_defaults(run=cmd_list)

    def verification_options(p):
        p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
        p.add_argument("--budget", type=float, default=10.0, help="seconds for each symbolic proof at one size (default 10)")
        p.add_argument("--cases", type=int, default=None, help="numeric cases per part (default: the part's)")

    p = sub.add_parser("verify", help="prove and cross-check parts")
    p.add_argument("parts", nargs="*", help="part ids or family names (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    verification_options(p)
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("build", help="verify and write the solution sheets")
    p.add_argument("parts", nargs="*", help="families or parts to build (default: all)")
    p.add_argument("--out", default="build", help="output folder (default: build)")
    p.add_argument("--format", type=_formats, default=set(FORMATS),
                   help="comma-separated subset of html,tex,pdf (default: all)")
    p.add_argument("--fresh", action="store_true",
                   help="verify every part again instead of reusing unchanged reports from OUT/.cache")
    p.add_argument("--allow-refuted", action="store_true",
                   help="exit 0 even when a part is refuted (the sheets are written either way)")
    p.add_argument("--variants", metavar="ROSTER", default=None,
                   help="a CSV with an id column: one sheet per student, with that student's verified "
                   "variant of each part with parameters (PARTS narrows them)")
    p.add_argument("--solutions", action="store_true",
                   help="with --variants: the sheets carry each variant's derivation and verification")
    verification_options(p)
    p.set_defaults(run=cmd_build)

    add_check_commands(sub)
    add_grade_commands(sub)
    add_show_command(sub)
    add_variant_command(sub)
    add_audit_command(sub)
    add_export_command(sub)
    add_serve_command(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        for path in args.problems:
            registry.load_file(path)
        return args.run(args)
    except DeriveError as exc:
        _say(f"derive: error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say("derive: interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
