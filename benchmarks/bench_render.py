"""Time rendering alone (each part's finished record in hand, from derive/pipeline): the
sheet context, each output format, and a whole build, per family. Prints a table.

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
    from derive import families
    from derive.pipeline.records import finish_all
    from derive.render import sheets, writer as render

    names = sys.argv[1:] or ["softmax", "activation"]
    fams = [f for f in families() if f.name in names]
    reports = finish_all([p for f in fams for p in f.parts], seed=0, budget=10.0, cases=5)
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
