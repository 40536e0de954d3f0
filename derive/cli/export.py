"""``derive export prairielearn|gradescope PARTS --out ...``: answer parts as PrairieLearn
question folders or a Gradescope autograder zip (:mod:`derive.export`)."""
from __future__ import annotations

import sys

from ..export import gradescope, prairielearn


def add_export_command(subparsers) -> None:
    p = subparsers.add_parser("export", help="write answer parts for PrairieLearn or Gradescope",
                              description="Write answer parts as PrairieLearn questions (a course folder "
                              "with questions/ and serverFilesCourse/) or as a Gradescope autograder zip; "
                              "both grade with derive's checker.")
    formats = p.add_subparsers(dest="platform", required=True, metavar="PLATFORM")
    pl = formats.add_parser("prairielearn", help="one question folder per part, derive in serverFilesCourse/")
    pl.add_argument("parts", nargs="+", metavar="PART", help="part ids or families (their answer parts)")
    pl.add_argument("--out", required=True, metavar="DIR", help="the course folder to write into")
    pl.add_argument("--no-vendor", action="store_true",
                    help="leave out lark and hypothesis (the course installs them in serverFilesCourse/)")
    pl.set_defaults(run=cmd_prairielearn)
    gs = formats.add_parser("gradescope", help="an autograder zip: setup.sh, run_autograder, derive")
    gs.add_argument("parts", nargs="+", metavar="PART", help="part ids or families (their answer parts)")
    gs.add_argument("--out", required=True, metavar="ZIP", help="the autograder file, e.g. autograder.zip")
    gs.add_argument("--points", type=float, default=1.0, help="points per part (default 1)")
    gs.set_defaults(run=cmd_gradescope)


def cmd_prairielearn(args) -> int:
    folders = prairielearn(args.parts, args.out, vendor=not args.no_vendor)
    for folder in folders:
        print(folder)
    print(f"derive: {len(folders)} PrairieLearn question{'s' * (len(folders) != 1)} and derive in "
          f"{args.out}/serverFilesCourse/", file=sys.stderr)
    return 0


def cmd_gradescope(args) -> int:
    target = gradescope(args.parts, args.out, points=args.points)
    print(target)
    return 0
