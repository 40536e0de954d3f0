"""Time rendering alone (verification reports in hand): the sheet context, each output
format, and a whole build, per family. Prints a table.

    python benchmarks/bench_render.py [FAMILY ...]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from derive import families, verify_part
    from derive import render, sheets

    names = sys.argv[1:] or ["softmax", "activation"]
    fams = [f for f in families() if f.name in names]
    reports = {p.id: verify_part(p, cases=5) for f in fams for p in f.parts}
    render.build(fams, reports, tempfile.mkdtemp(), formats={"html", "tex"})   # warm imports
    formats = [("html",), ("tex",), ("tex", "pdf")] if render.pdflatex() else [("html",), ("tex",)]
    print(f"{'family':<12} {'parts':>5} {'context':>8} " + " ".join(f"{'+'.join(f):>8}" for f in formats))
    for family in fams:
        context = timed(lambda: sheets.family_sheet(family, reports))
        cells = []
        for fmt in formats:
            with tempfile.TemporaryDirectory() as out:
                cells.append(timed(lambda: render.build([family], reports, out, formats=set(fmt))))
        print(f"{family.name:<12} {len(family.parts):>5} {context:>7.2f}s " + " ".join(f"{c:>7.2f}s" for c in cells))
    with tempfile.TemporaryDirectory() as out:
        whole = timed(lambda: render.build(fams, reports, out))
    print(f"\nwhole build of {', '.join(f.name for f in fams)} (all formats, index): {whole:.2f} s"
          f"{'' if render.pdflatex() else ' (no pdflatex: no PDFs)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
