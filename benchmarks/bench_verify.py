"""Time `derive verify` and `derive build`, cold (a fresh process) and warm (again in the
same process, SymPy's caches filled), per part. Target: verifying the softmax and
activation families in under 20 s on the 2-core reference machine.

    python benchmarks/bench_verify.py [FAMILY ...] [--no-build]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cold_verify(part_id: str) -> tuple[float, float]:
    """Wall time of a fresh `derive verify PART` process, and the time it reports itself."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "derive", "verify", part_id, "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    inner = sum(r["seconds"] for r in json.loads(out.stdout)) if out.stdout.strip() else float("nan")
    return wall, inner


def main() -> int:
    args = argparse.ArgumentParser()
    args.add_argument("families", nargs="*", default=["softmax", "activation"])
    args.add_argument("--no-build", action="store_true")
    opts = args.parse_args()
    sys.path.insert(0, str(ROOT))
    from derive import select, verify_part

    parts = select(opts.families)
    rows = []
    for part in parts:
        cold_wall, cold_inner = cold_verify(part.id)
        verify_part(part)  # fill caches
        started = time.perf_counter()
        verify_part(part)
        warm = time.perf_counter() - started
        rows.append((part.id, cold_wall, cold_inner, warm))

    print(f"{'part':<30} {'cold wall':>10} {'cold verify':>12} {'warm verify':>12}")
    for part_id, cold_wall, cold_inner, warm in rows:
        print(f"{part_id:<30} {cold_wall:>9.2f}s {cold_inner:>11.2f}s {warm:>11.2f}s")
    total_cold = sum(r[2] for r in rows)
    total_warm = sum(r[3] for r in rows)
    print(f"{'total':<30} {sum(r[1] for r in rows):>9.2f}s {total_cold:>11.2f}s {total_warm:>11.2f}s")

    started = time.perf_counter()
    whole = subprocess.run([sys.executable, "-m", "derive", "verify", *opts.families], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    whole_wall = time.perf_counter() - started
    print(f"\n`derive verify {' '.join(opts.families)}` in one fresh process: {whole_wall:.2f} s "
          f"(target < 20 s: {'met' if whole_wall < 20 else 'MISSED'}; exit {whole.returncode})")

    if not opts.no_build:
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            cold = subprocess.run([sys.executable, "-m", "derive", "build", *opts.families, "--out", out],
                                  cwd=ROOT, capture_output=True, text=True, check=False)
            cold_build = time.perf_counter() - started
            from derive import families
            from derive.render.writer import build
            fams = [f for f in families() if f.name in opts.families]
            reports = {p.id: verify_part(p) for f in fams for p in f.parts}
            started = time.perf_counter()
            build(fams, reports, Path(out), formats={"html", "tex", "pdf"})
            warm_render = time.perf_counter() - started
        print(f"`derive build {' '.join(opts.families)}` cold (fresh process, verify + render + pdf): "
              f"{cold_build:.2f} s (exit {cold.returncode}); warm render only (reports in hand): {warm_render:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
