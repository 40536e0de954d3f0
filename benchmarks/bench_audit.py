"""The audit on our own written solutions: first-wrong-step F1 by family, and the time of a
40-display document.

F1 is the harmonic mean of exact localisation (documents with an error whose first wrong
step is found exactly: same chain, same step) and silence (valid documents with no step
flagged). The examples are tests/answers/audit_examples.py, labelled by hand.

Run: python benchmarks/bench_audit.py
Targets: F1 >= 0.75 in every family, no valid document flagged; a 40-display document
in under 30 s on the 2-core machine.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "answers"))

from audit_examples import EXAMPLES  # noqa: E402

from derive import audit  # noqa: E402
from derive.answers.read.document import find_displays  # noqa: E402


def f1(found: int, errors: int, silent: int, valid: int) -> float:
    loc = found / errors if errors else 1.0
    sil = silent / valid if valid else 1.0
    return 0.0 if loc + sil == 0 else 2 * loc * sil / (loc + sil)


def table() -> bool:
    rows = defaultdict(lambda: [0, 0, 0, 0])   # found, errors, silent, valid
    start = time.perf_counter()
    for ex in EXAMPLES:
        got = audit(ex.text, part=ex.part, given=ex.given).first_wrong
        row = rows[ex.family]
        if ex.wrong is None:
            row[3] += 1
            row[2] += got is None
            if got is not None:
                print(f"  flagged a valid document: {ex.name} at {got}")
        else:
            row[1] += 1
            row[0] += got == ex.wrong
            if got != ex.wrong:
                print(f"  missed: {ex.name}: found {got}, labelled {ex.wrong}")
    print(f"{'family':<11} {'found':>9} {'silent':>9} {'F1':>6}")
    total = [0, 0, 0, 0]
    for family in sorted(rows):
        r = rows[family]
        total = [a + b for a, b in zip(total, r)]
        print(f"{family:<11} {r[0]:>4}/{r[1]:<4} {r[2]:>4}/{r[3]:<4} {f1(*r):>6.2f}")
    print(f"{'all':<11} {total[0]:>4}/{total[1]:<4} {total[2]:>4}/{total[3]:<4} {f1(*total):>6.2f}")
    print(f"{len(EXAMPLES)} documents audited in {time.perf_counter() - start:.1f} s")
    return total[2] == total[3] and f1(*total) >= 0.75


def forty_displays() -> float:
    pieces, count = [], 0
    while count < 40:
        for ex in EXAMPLES:
            if ex.given or ex.part:
                continue
            n = len(find_displays(ex.text))
            if count + n > 40:
                continue
            pieces.append(ex.text)
            count += n
            if count == 40:
                break
    doc = "\n\n".join(pieces)
    assert len(find_displays(doc)) == 40
    start = time.perf_counter()
    report = audit(doc)
    seconds = time.perf_counter() - start
    steps = sum(len(c.steps) for c in report.chains)
    print(f"40 displays, {len(report.chains)} chains, {steps} terms: {seconds:.2f} s")
    return seconds


if __name__ == "__main__":
    ok = table()
    seconds = forty_displays()
    sys.exit(0 if ok and seconds < 30 else 1)
