"""Answer-checking speed: single-check latency (warm worker), throughput of grading 1,000
mixed answers, and a naive baseline (SymPy ``simplify(a - b) == 0`` on the same parsed
answers at the smallest proof size) for the ratio.

Run: python benchmarks/bench_check.py [--answers 1000] [--baseline 120]
Targets: median < 20 ms warm, 1,000 answers < 30 s, >= 10x the baseline's throughput.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derive import all_parts  # noqa: E402
from derive import checking  # noqa: E402
from derive.answers.worker import _WORKER, check  # noqa: E402
from derive.answers.equivalence import vocabulary  # noqa: E402
from derive.errors import DeriveError, ProofTimeout  # noqa: E402
from derive.answers.grading import grade_rows  # noqa: E402
from derive.answers.parse import parse_answer  # noqa: E402
from derive.verify.proof import time_limit  # noqa: E402

# Templates per part: {k} becomes a per-answer integer, so most answers are distinct trees
# (no verdict cache hits) while staying correct, wrong or invalid as labelled.
TEMPLATES = {
    "softmax.ce_grad": ["s - y", "yhat - y + ({k} - {k}) s", "{k} (s - y)", "y - s", "s - {k} y",
                        r"\hat{y} - y", "s^T - y^T", "s s"],
    "softmax.jacobian": ["diag(s) - s s^T", r"s_i(\delta_{ij} - s_j)", "diag(s) - {k} s s^T",
                         "s s^T - diag(s)", "diag(s)", "diag(s) - s^T s"],
    "softmax.mse_grad": ["2 (diag(s) - s s^T)(s - y)", "2 s_j ((s_j - y_j) - sum_m s_m (s_m - y_m))",
                         "{k} (diag(s) - s s^T)(s - y)", "s - y"],
    "softmax.two_class": ["sigma(z_1 - z_2)", "sigma({k} z_1 - {k} z_2)", "1/(1 + exp(z_2 - z_1))"],
    "activation.sigmoid_grad": ["sigma(z)(1 - sigma(z))", r"\sigma(z) - \sigma^2(z)", "{k} sigma(z)(1 - sigma(z))",
                                "exp(-z)/(1 + exp(-z))^2", "sigma(z)(1 + sigma(z))", "9^9^9^9"],
    "activation.tanh_grad": ["1 - tanh(z)^2", "{k} - tanh(z)^2", r"1-\tanh^2(z)", "__import__('os')"],
    "activation.tanh_sigmoid": ["2 sigma(2z) - 1", "{k} sigma(2z) - 1"],
    "activation.sigmoid_grad_max": ["1/4", "1/{k}", "0.25"],
    "optim.gd_step_bound": ["0 < eps < 2/lambda_max", r"0 < \epsilon < \frac{{k}}{\lambda_{\max}}",
                            "eps < 2/lambda_max"],
    "optim.gd_closed_form": ["(I - eps H)^t w_0", "(I - {k} eps H)^t w_0", "w_0^T (I - eps H)^t"],
    "optim.adam_bias": [r"(1-\beta_1^t)\mathbb{E}[g]", "(1 - beta_1^t)^{k} mu", "E[g]"],
    "dropout.mask_gram": ["p^2 X^T X + p(1-p) diag(X^T X)", "p^{k} X^T X + p(1-p) diag(X^T X)", "p^2 X^T X"],
    "dropout.ridge_solution": ["inv(X^T X + (1-p)/p diag(X^T X)) X^T y",
                               "(X^T X + {k} (1-p)/p diag(X^T X))^{-1} X^T y"],
    "dropout.unit_grad": ["w_i p_i (1-p_i) x_i^2", r"(1-p)\circ p \circ w \circ x^{\circ {k}}"],
    "optim.adam_unroll": [r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i} g_i",
                          r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i+{k}} g_i"],
}


def answer_pool(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    known = {p.id for p in all_parts()}
    items = [(pid, t) for pid, ts in TEMPLATES.items() if pid in known for t in ts]
    pool = []
    for _ in range(n):
        pid, template = items[rng.integers(len(items))]
        pool.append((pid, template.replace("{k}", str(int(rng.integers(2, 10_000))))))
    return pool


def warm() -> None:
    """Start the worker and compile each part's target once (what "warm" means)."""
    known = {p.id for p in all_parts()}
    for pid, templates in TEMPLATES.items():
        if pid in known:
            for template in templates[:3]:   # a correct and a wrong answer compile everything
                check(pid, template.replace("{k}", "3"))


def naive(pid: str, text: str, budget: float) -> str:
    """The baseline: parse, build SymPy at the smallest proof size, simplify the difference."""
    from derive import get_part
    part = get_part(pid)
    try:
        answer = parse_answer(text, vocabulary(part))
    except DeriveError:
        return "invalid"
    ns = part.namespace(part.proof_sizes()[0])
    try:
        with time_limit(budget):
            a, b = answer.to_sympy(ns.objects, ns.sizes), part.result(ns)
            d = sp.Matrix(a) - sp.Matrix(b) if isinstance(b, sp.MatrixBase) else a - b
            subs = {**ns.definitions(), **ns.constraints()}
            d = d.subs(subs) if subs else d
            zero = all(sp.simplify(e) == 0 for e in (d if isinstance(d, sp.MatrixBase) else [d]))
            return "correct" if zero else "incorrect"
    except ProofTimeout:
        return "timeout"
    except (ValueError, TypeError, sp.ShapeError):
        return "incorrect"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--answers", type=int, default=1000)
    ap.add_argument("--latency", type=int, default=300, help="answers timed one by one")
    ap.add_argument("--baseline", type=int, default=120, help="answers given to the naive baseline")
    ap.add_argument("--baseline-budget", type=float, default=10.0, help="seconds per baseline answer")
    args = ap.parse_args()
    rng = np.random.default_rng(2026)
    # Time every answer for real: no verdict cache (a class repeating answers is faster).
    checking.CACHE_VERDICTS = False

    started = time.perf_counter()
    warm()
    warmup = time.perf_counter() - started

    singles = answer_pool(args.latency, rng)
    times = []
    for pid, text in singles:
        t = time.perf_counter()
        check(pid, text)
        times.append(time.perf_counter() - t)
    times_ms = np.array(times) * 1000

    pool = answer_pool(args.answers, rng)
    rows = [{"student": f"s{n}", "part": pid, "answer": text} for n, (pid, text) in enumerate(pool)]
    t = time.perf_counter()
    verdicts = grade_rows(rows)
    grade_s = time.perf_counter() - t
    counts = {s: sum(v.status == s for v in verdicts) for s in ("correct", "incorrect", "invalid", "undecided")}

    checking.CACHE_VERDICTS = True
    _WORKER.stop()   # the next check forks a worker that caches verdicts
    warm()
    t = time.perf_counter()
    grade_rows(rows)
    cached_s = time.perf_counter() - t

    # The ratio compares both methods on the same answers, measured back to back (the
    # machine may be shared, so the full-run throughput is not the fair comparison).
    base = pool[: args.baseline]
    checking.CACHE_VERDICTS = False
    _WORKER.stop()
    warm()
    t = time.perf_counter()
    grade_rows(rows[: args.baseline])
    ours_subset_s = time.perf_counter() - t
    t = time.perf_counter()
    base_out = [naive(pid, text, args.baseline_budget) for pid, text in base]
    base_s = time.perf_counter() - t
    ours = {n: verdicts[n].status for n in range(len(base))}
    disagree = [(pool[n], b, ours[n]) for n, b in enumerate(base_out)
                if b in ("correct", "incorrect") and b != ours[n]]
    ours_rate = len(pool) / grade_s
    base_rate = len(base) / base_s
    subset_rate = len(base) / ours_subset_s

    print(f"{'measure':<44} {'value':>12}")
    print(f"{'warm-up (worker start + compile targets)':<44} {warmup:>10.2f} s")
    print(f"{'single check median (warm)':<44} {np.median(times_ms):>9.1f} ms")
    print(f"{'single check p95':<44} {np.percentile(times_ms, 95):>9.1f} ms")
    print(f"{'single check worst':<44} {times_ms.max():>9.1f} ms")
    print(f"{f'grade {len(pool)} mixed answers':<44} {grade_s:>10.2f} s")
    print(f"{'  verdicts':<44} {counts}")
    print(f"{'  throughput':<44} {ours_rate:>8.1f} /s")
    print(f"{'  same, verdict cache on (repeated answers)':<44} {cached_s:>10.2f} s")
    print(f"{f'naive simplify baseline, {len(base)} answers':<44} {base_s:>10.2f} s")
    print(f"{'  throughput':<44} {base_rate:>8.1f} /s")
    print(f"{'  timeouts (budget %g s)' % args.baseline_budget:<44} {base_out.count('timeout'):>12}")
    print(f"{'  disagreements with the checker':<44} {len(disagree):>12}")
    for (pid, text), b, o in disagree:
        print(f"    {pid} {text!r}: baseline {b}, checker {o}")
    print(f"{f'checker on the same {len(base)} answers':<44} {ours_subset_s:>10.2f} s")
    print(f"{'speed-up over baseline (same answers)':<44} {subset_rate / base_rate:>10.1f} x")
    _WORKER.stop()


if __name__ == "__main__":
    main()
