"""``derive variant PART --seed S`` and ``derive build --variants roster.csv``: a student's own
variant of a part, verified before it is shown, and one sheet per student of a roster."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import NotParametrised
from ..model import registry
from ..pipeline.variants import build_variants, read_roster, variant
from .progress import Progress
from .show import show_data, show_text


def _say(message: str) -> None:
    print(f"derive: {message}", file=sys.stderr, flush=True)


def add_variant_command(subparsers) -> None:
    p = subparsers.add_parser("variant", help="a student's own verified variant of a part",
                              description="Draw the variant of PART for the seed S (any text, such as a "
                              "student id: the same S gives the same variant everywhere), verify it like "
                              "the part itself, and print its statement and derived solution.")
    p.add_argument("part", metavar="PART", help="a part id with parameters (derive list --variants)")
    p.add_argument("--seed", required=True, metavar="S", help="the variant's seed: any text, e.g. a student id")
    p.add_argument("--json", action="store_true", help="print JSON: the values drawn and what the sheet says")
    p.add_argument("--budget", type=float, default=10.0, help="seconds for each symbolic proof (default 10)")
    p.add_argument("--cases", type=int, default=None, help="numeric cases (default: the part's)")
    p.set_defaults(run=cmd_variant)


def values_line(made) -> str:
    return ", ".join(f"{k} = {v}" for k, v in made.values.items())


def cmd_variant(args) -> int:
    made = variant(args.part, args.seed, budget=args.budget, cases=args.cases, say=_say)
    data = show_data(made.part, budget=args.budget, cases=args.cases, report=made.record.report)
    if args.json:
        print(json.dumps({"variant": made.to_json(), **data}, indent=2, default=str))
    else:
        redrawn = f"; redrawn {len(made.redrawn)} time(s) after failing verification" if made.redrawn else ""
        print(f"variant of {made.part_id} for seed {made.seed!r} (attempt {made.attempt}{redrawn}): "
              f"{values_line(made)}\n")
        print(show_text(data))
    return 1 if made.outcome in ("refuted", "failed") else 0


def variant_parts(patterns: list[str]) -> list:
    """The parts to vary: those named (each must have parameters), or every part that has."""
    if not patterns:
        return [p for p in registry.all_parts() if p.parameters is not None]
    parts = registry.select(patterns)
    named = [p for p in parts if p.parameters is None and p.id in patterns]
    if named:
        raise NotParametrised(named[0].id, [p.id for p in registry.all_parts() if p.parameters is not None])
    chosen = [p for p in parts if p.parameters is not None]
    if not chosen:
        raise NotParametrised(patterns[0], [p.id for p in registry.all_parts() if p.parameters is not None])
    return chosen


def cmd_build_variants(args) -> int:
    students = read_roster(args.variants)
    parts = variant_parts(args.parts)
    out = Path(args.out)
    with Progress() as progress:
        listing = build_variants(students, parts, out, formats=args.format, solutions=args.solutions,
                                 budget=args.budget, cases=args.cases, stage=progress.stage,
                                 say=progress.note)
        redrawn = sum(len(v["redrawn"]) for s in listing["students"] for v in s["variants"])
        progress.note(f"wrote {len(students)} {'solution' if args.solutions else 'problem'} sheet"
                      f"{'s' * (len(students) != 1)} of {len(parts)} part{'s' * (len(parts) != 1)} into {out}/ "
                      f"(index.html, variants.json); {redrawn} variant{'s' * (redrawn != 1)} redrawn after "
                      f"failing verification")
    bad = [f"{v['part']} for {s['student']!r}" for s in listing["students"] for v in s["variants"]
           if v["outcome"] in ("refuted", "failed")]
    if bad:
        _say(f"refuted variants: {', '.join(bad)}")
        return 1
    return 0
