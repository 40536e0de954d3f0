"""Answer-checking speed, side by side in one run on the same mixed answers:

1. time per check in this process, and the same through a warm worker (round trip). An
   earlier version also timed the old float-only decisions (``judge(..., exact=False)``)
   as a baseline; that judge is gone, so the column is no longer measured;
2. ``derive grade`` of 10,000 answers with ``--jobs 1`` against ``--jobs 2`` (reading the
   CSV, workers started cold, verdicts and summary written), on the same file.

Run: python benchmarks/bench_check.py [--answers 10000] [--latency 400] [--jobs 1,2]
Targets (a 2-core machine): median <= 5 ms per check with exact decisions; --jobs 2 at
least 1.7x faster than --jobs 1; 10,000 answers in under 15 s. Every timed answer is
judged for real, not found in the verdict cache: it is emptied before each check in
process, and the warm worker is warmed with another seed (the cache's key includes it).
Identical (part, answer) pairs are still checked once per batch, as ``derive grade`` does
(their number is printed).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derive import all_parts, get_part  # noqa: E402
from derive.answers.decide import judge as judging  # noqa: E402
from derive.answers.serve import grading as grading_module  # noqa: E402
from derive.answers.serve.grading import grade_file  # noqa: E402
from derive.answers.serve.worker import WorkerPool  # noqa: E402

# Templates per part: {k} becomes a per-answer integer, so most answers are distinct trees
# while staying correct, wrong or invalid as labelled.
TEMPLATES = {
    "softmax.ce_grad": ["s - y", "yhat - y + ({k} - {k}) s", "{k} (s - y)", "y - s", "s - {k} y",
                        r"\hat{y} - y", "s^T - y^T", "s s", "-y+s"],
    "softmax.jacobian": ["diag(s) - s s^T", r"s_i(\delta_{ij} - s_j)", "diag(s) - {k} s s^T",
                         "s s^T - diag(s)", "diag(s)", "diag(s) - s^T s"],
    "softmax.mse_grad": ["2 (diag(s) - s s^T)(s - y)", "2 s_j ((s_j - y_j) - sum_m s_m (s_m - y_m))",
                         "{k} (diag(s) - s s^T)(s - y)", "s - y"],
    "softmax.two_class": ["sigma(z_1 - z_2)", "sigma({k} z_1 - {k} z_2)", "1/(1 + exp(z_2 - z_1))"],
    "activation.sigmoid_grad": ["sigma(z)(1 - sigma(z))", r"\sigma(z) - \sigma^2(z)",
                                "{k} sigma(z)(1 - sigma(z))", "exp(-z)/(1 + exp(-z))^2",
                                "sigma(z)(1 + sigma(z))", "9^9^9^9"],
    "activation.tanh_grad": ["1 - tanh(z)^2", "{k} - tanh(z)^2", r"1-\tanh^2(z)", "__import__('os')"],
    "activation.tanh_sigmoid": ["2 sigma(2z) - 1", "{k} sigma(2z) - 1"],
    "activation.sigmoid_grad_max": ["1/4", "1/{k}", "0.25"],
    "optim.gd_step_bound": ["0 < eps < 2/lambda_max", r"0 < \epsilon < \frac{{k}}{\lambda_{\max}}",
                            "eps < 2/lambda_max"],
    "optim.gd_closed_form": ["(I - eps H)^t w_0", "(I - {k} eps H)^t w_0", "w_0^T (I - eps H)^t"],
    "optim.adam_bias": [r"(1-\beta_1^t)\mathbb{E}[g]", "(1 - beta_1^t)^{k} mu", "E[g]"],
    "dropout.mask_gram": ["p^2 X^T X + p(1-p) diag(X^T X)", "p^{k} X^T X + p(1-p) diag(X^T X)",
                          "p^2 X^T X"],
    "dropout.ridge_solution": ["inv(X^T X + (1-p)/p diag(X^T X)) X^T y",
                               "(X^T X + {k} (1-p)/p diag(X^T X))^{-1} X^T y"],
    "dropout.unit_grad": ["w_i p_i (1-p_i) x_i^2", r"(1-p)\circ p \circ w \circ x^{\circ {k}}"],
    "optim.adam_unroll": [r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i} g_i",
                          r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i+{k}} g_i"],
}


def answer_pool(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    known = {p.id for p in all_parts() if p.answer}
    items = [(pid, t) for pid, ts in TEMPLATES.items() if pid in known for t in ts]
    return [(pid, template.replace("{k}", str(int(rng.integers(2, 10_000)))))
            for pid, template in (items[i] for i in rng.integers(len(items), size=n))]


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


ESCAPED: list[str] = []   # in-process judge() calls that raised (the worker would catch them)


def judged(part, text):
    judging._VERDICTS.clear()   # judged for real, not found in the verdict cache
    try:
        return judging.judge(part, text)
    except Exception as exc:
        ESCAPED.append(f"{part.id} {text!r}: {type(exc).__name__}: {str(exc)[:80]}")


def latencies(pool: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Per-check milliseconds: in process, and through one warm worker."""
    parts = {pid: get_part(pid) for pid, _ in pool}
    for pid, text in pool:                     # compile every target once: "warm"
        judged(parts[pid], text)
    rows = {"exact decisions, in process": np.array(
        [timed(lambda: judged(parts[pid], text))[0] * 1000 for pid, text in pool])}
    judging._VERDICTS.clear()   # forked workers start with an empty cache
    with WorkerPool(1) as workers:
        for pid, text in pool:
            workers.check(pid, text, seed=1, timeout=30)
        rows["exact decisions, warm worker round trip"] = np.array(
            [timed(lambda: workers.check(pid, text, timeout=30))[0] * 1000 for pid, text in pool])
    return rows


class _MeasuredPool(WorkerPool):
    """The grading pool, noting each worker's time on a CPU and time runnable but waiting
    for one (/proc/PID/schedstat) before it stops: the wait is the shared machine's doing."""
    seen: list[tuple[float, float]] = []

    def stop(self) -> None:
        for pid in self.pids():
            try:
                on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
                _MeasuredPool.seen.append((int(on_cpu) / 1e9, int(waiting) / 1e9))
            except (OSError, ValueError):
                pass
        super().stop()


def grading(pool: list[tuple[str, str]], jobs_list: list[int]) -> dict[int, tuple]:
    grading_module.WorkerPool = _MeasuredPool
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        src = Path(tmp) / "subs.csv"
        with open(src, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["student", "part", "answer"])
            writer.writerows((f"s{n}", pid, text) for n, (pid, text) in enumerate(pool))
        for jobs in jobs_list:
            _MeasuredPool.seen = []
            seconds, (_, _, verdicts) = timed(lambda: grade_file(src, Path(tmp) / f"out{jobs}", jobs=jobs))
            counts = {s: sum(v.status == s for v in verdicts)
                      for s in ("correct", "incorrect", "invalid", "undecided")}
            out[jobs] = (seconds, counts, list(_MeasuredPool.seen))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--answers", type=int, default=10_000, help="answers graded (default 10,000)")
    ap.add_argument("--latency", type=int, default=400, help="answers timed one by one (default 400)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to compare (default 1,2)")
    args = ap.parse_args()
    jobs_list = [int(j) for j in args.jobs.split(",")]
    rng = np.random.default_rng(2026)
    lat = latencies(answer_pool(args.latency, rng))
    pool = answer_pool(args.answers, rng)
    unique = len(set(pool))
    grades = grading(pool, jobs_list)

    print(f"Machine: {len(os.sched_getaffinity(0))} cores, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (shared: other work may run).\n")
    print(f"| time per check ({args.latency} mixed answers) | median | p95 | worst |")
    print("| --- | ---: | ---: | ---: |")
    for name, ms in lat.items():
        print(f"| {name} | {np.median(ms):.2f} ms | {np.percentile(ms, 95):.2f} ms | {ms.max():.1f} ms |")
    if ESCAPED:
        print(f"\n{len(ESCAPED)} in-process judge() calls raised (timed all the same):")
        for line in sorted(set(ESCAPED))[:10]:
            print(f"- {line}")
    print(f"\n| derive grade, {args.answers:,} answers ({unique:,} distinct pairs) | wall time "
          "| answers/s | speed-up | workers on a CPU | busiest worker | workers waiting for a CPU "
          "| verdicts |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    base = grades[jobs_list[0]][0]
    for jobs, (seconds, counts, seen) in grades.items():
        shown = ", ".join(f"{v} {k}" for k, v in counts.items())
        on_cpu = [c for c, _ in seen] or [float("nan")]
        print(f"| --jobs {jobs} | {seconds:.2f} s | {args.answers / seconds:,.0f} | "
              f"{base / seconds:.2f}x | {sum(on_cpu):.1f} s | {max(on_cpu):.1f} s | "
              f"{sum(w for _, w in seen):.1f} s | {shown} |")
    print("\n(busiest worker: its CPU seconds, the wall time the batch would take with a free "
          "core per worker; waiting: runnable, but the CPU was taken by other work.)")
    exact_median = float(np.median(lat["exact decisions, in process"]))
    fastest = min(g[0] for g in grades.values())
    print("\n| target | measured | met |")
    print("| --- | ---: | :---: |")
    print(f"| median <= 5 ms per check, exact decisions | {exact_median:.2f} ms | "
          f"{'yes' if exact_median <= 5 else 'no'} |")
    if 1 in grades and 2 in grades:
        ratio = grades[1][0] / grades[2][0]
        print(f"| --jobs 2 >= 1.7x faster than --jobs 1 | {ratio:.2f}x | {'yes' if ratio >= 1.7 else 'no'} |")
        busiest = [max([c for c, _ in grades[j][2]] or [float("nan")]) for j in (1, 2)]
        print(f"| the same by the busiest worker's CPU time (a free core per worker) | "
              f"{busiest[0] / busiest[1]:.2f}x | {'yes' if busiest[0] / busiest[1] >= 1.7 else 'no'} |")
    print(f"| {args.answers:,} answers in < 15 s | {fastest:.2f} s | {'yes' if fastest < 15 else 'no'} |")


if __name__ == "__main__":
    main()
