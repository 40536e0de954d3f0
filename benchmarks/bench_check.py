"""Answer-checking speed of this checkout, side by side with a baseline checkout in the same run.

    python benchmarks/bench_check.py [--baseline DIR] [--answers 10000] [--latency 400]
                                     [--cold 5] [--jobs 1,2] [--rounds 1]

    # today's version as the baseline (issue 20): a detached worktree of f00ea81
    git -C /work/main worktree add /work/baseline-f00ea81 f00ea81
    python benchmarks/bench_check.py --baseline /work/baseline-f00ea81 --answers 2000 --latency 200 \
        --jobs 1 --rounds 2

DIR is another checkout of derive (e.g. a git worktree of an older commit). Each tree is
measured in its own subprocess with PYTHONPATH set to that tree, one after the other, on the
same answers (mixed right, wrong and invalid answers from side_by_side.TEMPLATES, seeded):

1. first check in a fresh worker: from starting a pool to the first verdict (the fork, and
   the worker's first judgement, e.g. compiling the part's target), ``--cold`` times, each
   with a new pool and another part, before this process has judged anything (the problem
   registry is loaded first, as in a running server);
2. time per check in this process, the verdict cache emptied before each check, every
   answer's target compiled once beforehand ("warm"); then the same through one warm worker
   (round trip), each timed check with its own seed so that the worker's verdict cache (its
   key includes the seed) never answers a repeated answer (the pool repeats answers);
3. ``derive grade`` of ``--answers`` answers with each ``--jobs`` value (reading the CSV,
   workers started cold, verdicts and summary written). Identical (part, answer) pairs are
   still checked once per batch, as ``derive grade`` does (their number is printed).

With ``--rounds R`` each tree is measured R times, the trees alternating which goes first
(A B, B A, ...), so that the shared machine's drift hits both: timings are pooled over the
rounds, grading is the round of median time. Prints one markdown table (rows: the measurements; columns: this tree, baseline, ratio), the
targets, the verdict status counts of the graded answers per tree, and the answers whose
status differs between the trees (up to 20). Without --baseline only this tree is measured.
Targets (issue 20, a 2-core machine): median per check in process at most 2x the baseline's
(today's: 4.3 ms, exact decisions); a first check in a fresh worker under 1 s. Earlier targets:
median <= 5 ms; --jobs 2 at least 1.7x faster than --jobs 1; 10,000 answers in under 15 s.
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from side_by_side import (Child, answer_pool, cell, changes, child_main, describe, in_child,
                          machine, ratio, status_counts, table, trees, use_tree)


# ----------------------------------------------------------------------------- in a child
def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def cold_starts(WorkerPool, answers: list) -> list[float]:
    """Seconds from a new one-worker pool to its first verdict, one pool per answer."""
    out = []
    for pid, text in answers:
        pool = WorkerPool(1)
        try:
            out.append(timed(lambda: pool.check(pid, text, seed=2, timeout=30))[0])
        finally:
            pool.stop()
    return out


def latencies(answers: list, judging, get_part, WorkerPool) -> tuple[dict, list[str]]:
    """Per-check milliseconds: in process, and through one warm worker; and what raised."""
    cache = getattr(judging, "_VERDICTS", {})
    escaped = []

    def judged(part, text):
        cache.clear()   # judged for real, not found in the verdict cache
        try:
            return judging.judge(part, text)
        except Exception as exc:   # the worker would catch it; timed all the same
            escaped.append(f"{part.id} {text!r}: {type(exc).__name__}: {str(exc)[:80]}")

    parts = {pid: get_part(pid) for pid, _ in answers}
    for pid, text in answers:                     # compile every target once: "warm"
        judged(parts[pid], text)
    escaped.clear()
    rows = {"in process": [timed(lambda: judged(parts[pid], text))[0] * 1000 for pid, text in answers]}
    cache.clear()   # forked workers start with an empty cache
    with WorkerPool(1) as workers:
        for pid, text in answers:
            workers.check(pid, text, seed=0, timeout=30)
        # A seed per timed check: the worker's cache (keyed by seed) never answers a repeat.
        rows["warm worker"] = [timed(lambda: workers.check(pid, text, seed=n, timeout=30))[0] * 1000
                               for n, (pid, text) in enumerate(answers, 1)]
    return rows, escaped


def grading(answers: list, jobs_list: list[int], grading_module, WorkerPool) -> dict:
    """Per --jobs value: wall seconds, verdict statuses and each worker's (CPU s, waiting s)."""
    seen: list[tuple[float, float]] = []

    class MeasuredPool(WorkerPool):
        """Notes each worker's time on a CPU and time runnable but waiting for one
        (/proc/PID/schedstat) before it stops: the wait is the shared machine's doing."""
        def stop(self) -> None:
            for pid in self.pids():
                try:
                    on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
                    seen.append((int(on_cpu) / 1e9, int(waiting) / 1e9))
                except (OSError, ValueError):
                    pass
            super().stop()

    grading_module.WorkerPool = MeasuredPool
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        src = Path(tmp) / "subs.csv"
        with open(src, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["student", "part", "answer"])
            writer.writerows((f"s{n}", pid, text) for n, (pid, text) in enumerate(answers))
        for jobs in jobs_list:
            seen.clear()
            seconds, (_, _, verdicts) = timed(
                lambda: grading_module.grade_file(src, Path(tmp) / f"out{jobs}", jobs=jobs))
            out[jobs] = {"seconds": seconds, "seen": list(seen),
                         "verdicts": [[v.status, getattr(v, "message", "") or ""] for v in verdicts]}
    return out


def measure(tree: str, payload: dict) -> dict:
    use_tree(tree)
    from derive import all_parts, get_part
    from derive.answers.decide import judge as judging
    from derive.answers.serve import grading as grading_module
    from derive.answers.serve.worker import WorkerPool
    all_parts()   # the registry is loaded before timing, as in a running server
    latency = [tuple(a) for a in payload["latency"]]
    out = {"cold": cold_starts(WorkerPool, [tuple(a) for a in payload["cold"]])}
    out["latency"], out["escaped"] = latencies(latency, judging, get_part, WorkerPool)
    out["grading"] = grading([tuple(a) for a in payload["answers"]], payload["jobs"],
                             grading_module, WorkerPool)
    return out


# ----------------------------------------------------------------------------- in the parent
def spread(pool: list, n: int) -> list:
    """Up to ``n`` answers to distinct parts first, for the cold starts."""
    firsts = {}
    for pid, text in pool:
        firsts.setdefault(pid, (pid, text))
    return (list(firsts.values()) + pool)[:n]


def merged(results: list[dict]) -> dict:
    """Rounds of one tree as one: the timings pooled, each grading the round of median time."""
    out = {"cold": [c for r in results for c in r["cold"]], "escaped": [e for r in results for e in r["escaped"]],
           "latency": {k: [x for r in results for x in r["latency"][k]] for k in results[0]["latency"]}}
    out["grading"] = {jobs: sorted((r["grading"][jobs] for r in results), key=lambda g: g["seconds"])[len(results) // 2]
                      for jobs in results[0]["grading"]}
    return out


def report(args, runs: dict, latency: list, answers: list, jobs_list: list[int]) -> None:
    names = list(runs)
    two = len(names) == 2

    def row(label, values, fmt):
        cells = [fmt(v) for v in values]
        return [label, *cells, ratio(values[0], values[1]) if two else None][:len(names) + 1 + two]

    ms = {n: {k: np.array(v) for k, v in runs[n]["latency"].items()} for n in names}
    cold = {n: np.array(runs[n]["cold"]) for n in names}
    rows = [
        row(f"median per check, in process ({len(latency)} answers x {args.rounds} rounds, cache emptied "
            "before each)",
            [np.median(ms[n]["in process"]) for n in names], lambda v: f"{v:.2f} ms"),
        row("p95 per check, in process", [np.percentile(ms[n]["in process"], 95) for n in names],
            lambda v: f"{v:.2f} ms"),
        row("median per check, through a warm worker (round trip)",
            [np.median(ms[n]["warm worker"]) for n in names], lambda v: f"{v:.2f} ms"),
        row("p95 per check, through a warm worker", [np.percentile(ms[n]["warm worker"], 95) for n in names],
            lambda v: f"{v:.2f} ms"),
        row(f"first check in a fresh worker, pool start to verdict (median of {len(cold[names[0]])})",
            [np.median(cold[n]) for n in names], lambda v: f"{v * 1000:.0f} ms"),
        row(f"first check in a fresh worker, worst of {len(cold[names[0]])}", [cold[n].max() for n in names],
            lambda v: f"{v * 1000:.0f} ms"),
    ]
    for jobs in jobs_list:
        seconds = [runs[n]["grading"][str(jobs)]["seconds"] for n in names]
        rows.append(row(f"derive grade --jobs {jobs}, {len(answers):,} answers: throughput",
                        [len(answers) / s for s in seconds], lambda v: f"{v:,.0f} answers/s"))
    print(table(["measurement", *names, *(["ratio (this / baseline)"] if two else [])], rows))
    if two:
        print("\n(ratio: above 1 is slower for a time, faster for a throughput.)")

    print("\n" + table(["derive grade", "--jobs", "wall time", "workers on a CPU", "busiest worker",
                        "workers waiting for a CPU"],
                       [[n, jobs, f"{g['seconds']:.2f} s", f"{sum(c for c, _ in g['seen']):.1f} s",
                         f"{max([c for c, _ in g['seen']] or [float('nan')]):.1f} s",
                         f"{sum(w for _, w in g['seen']):.1f} s"]
                        for n in names for jobs, g in ((j, runs[n]['grading'][str(j)]) for j in jobs_list)],
                       "--::::"))
    print("\n(busiest worker: its CPU seconds, the wall time the batch would take with a free core "
          "per worker; waiting: runnable, but the CPU was taken by other work.)")
    for n in names:
        if runs[n]["escaped"]:
            print(f"\n{n}: {len(runs[n]['escaped'])} in-process judge() calls raised (timed all the same):")
            for line in sorted(set(runs[n]["escaped"]))[:10]:
                print(f"- {cell(line, 160)}")

    median = {n: float(np.median(ms[n]["in process"])) for n in names}
    first = names[0]
    targets = []
    if two:
        r = median[first] / median[names[1]]
        targets.append([f"median per check in process <= 2x the baseline's ({median[names[1]]:.2f} ms)",
                        f"{r:.2f}x", "yes" if r <= 2 else "no"])
    worst = cold[first].max()
    targets.append(["first check in a fresh worker < 1 s (worst)", f"{worst * 1000:.0f} ms",
                    "yes" if worst < 1 else "no"])
    targets.append(["median per check <= 5 ms, exact decisions", f"{median[first]:.2f} ms",
                    "yes" if median[first] <= 5 else "no"])
    grades = {j: runs[first]["grading"][str(j)] for j in jobs_list}
    if 1 in grades and 2 in grades:
        speedup = grades[1]["seconds"] / grades[2]["seconds"]
        targets.append(["--jobs 2 >= 1.7x faster than --jobs 1", f"{speedup:.2f}x",
                        "yes" if speedup >= 1.7 else "no"])
    rate = max(len(answers) / g["seconds"] for g in grades.values())
    targets.append(["grading >= 667 answers/s (10,000 in 15 s)", f"{rate:,.0f}/s",
                    "yes" if rate >= 10_000 / 15 else "no"])
    print(f"\nTargets ({first}):\n")
    print(table(["target", "measured", "met"], targets, "-::"))

    distinct = {}
    for n in names:
        verdicts = runs[n]["grading"][str(jobs_list[0])]["verdicts"]
        distinct[n] = {f"{pid}\t{text}": {"part": pid, "answer": text, "status": s, "message": m}
                       for (pid, text), (s, m) in zip(answers, verdicts)}
    counts = {n: status_counts(v["status"] for v in distinct[n].values()) for n in names}
    kinds = list(dict.fromkeys(k for c in counts.values() for k in c))
    print(f"\nVerdicts on the {len(distinct[first]):,} distinct graded answers (--jobs {jobs_list[0]}):\n")
    print(table(["tree", *kinds], [[n, *(counts[n].get(k, 0) for k in kinds)] for n in names]))
    if two:
        changed, shown = changes(distinct[names[1]], distinct[first])
        print(f"\n{changed} of {len(distinct[first]):,} answers changed status (baseline -> this tree)"
              + (f"; {min(changed, 20)} shown:\n\n{shown}" if changed else "."))


def main() -> None:
    if child_main({"measure": measure}):
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", metavar="DIR", help="another checkout of derive to compare with")
    ap.add_argument("--answers", type=int, default=10_000, help="answers graded (default 10,000)")
    ap.add_argument("--latency", type=int, default=400, help="answers timed one by one (default 400)")
    ap.add_argument("--cold", type=int, default=5, help="first checks in fresh workers (default 5)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to compare (default 1,2)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure each tree this many times, alternating which goes first (default 1)")
    args = ap.parse_args()
    jobs_list = [int(j) for j in args.jobs.split(",")]
    roots = trees(args.baseline)
    known = set.intersection(*(set(in_child(__file__, "info", t)["parts"]) for t in roots.values()))
    rng = np.random.default_rng(2026)
    latency = answer_pool(args.latency, rng, known)
    answers = answer_pool(args.answers, rng, known)
    payload = {"latency": latency, "cold": spread(latency, args.cold), "answers": answers,
               "jobs": jobs_list}
    rounds = {name: [] for name in roots}
    for r in range(args.rounds):   # alternating order: drift on a shared machine hits both trees
        for name in (list(roots) if r % 2 == 0 else list(roots)[::-1]):
            print(f"round {r + 1}: measuring {name} ({roots[name]}) ...", file=sys.stderr, flush=True)
            rounds[name].append(Child(__file__, "measure", roots[name], payload).result())
    runs = {name: merged(results) for name, results in rounds.items()}
    print(machine())
    for name, tree in roots.items():
        print(f"- {describe(name, tree)}")
    print(f"\n{len(set(answers)):,} distinct (part, answer) pairs among the {len(answers):,} graded.\n")
    report(args, runs, latency, answers, jobs_list)


if __name__ == "__main__":
    main()
