"""Checking under load: several processes checking at once, each with several threads sharing
that process's worker pool (``derive.check``'s own pool), against each answer's verdict when
it is checked alone.

    python benchmarks/load_check.py [--processes 4] [--threads 4] [--checks 2000]
                                    [--timeout 5] [--mix 30:25:10:35] [--baseline DIR]

    # issue 20's load run, this tree against today's version (a worktree of f00ea81)
    python benchmarks/load_check.py --checks 600 --baseline /work/baseline-f00ea81

The answers are a seeded mix of right, wrong and hostile answers from the test tables
(tests/answers: test_checking, test_adversarial, test_equivalent's hostile strings) and of
templated answers (side_by_side.TEMPLATES, a per-answer integer making most of them distinct);
``--mix`` gives their shares (right:wrong:hostile:templated). For each code tree (this one and,
with ``--baseline DIR``, another checkout, each in subprocesses with their own PYTHONPATH):

1. the single caller's verdict on every distinct answer: one caller, one worker, one answer
   at a time, with the same time limit;
2. the load run: ``--processes`` processes start together (each imports derive and loads the
   problems first, then waits for the signal), each with ``--threads`` threads calling
   ``derive.check(part, answer, timeout=...)`` one answer after another, ``--checks`` calls in
   all; the first calls start the processes' workers, as in a freshly started server.

Reports per tree: the verdicts that differ from the single caller's (listed), the ``undecided``
ones saying "busy" (no worker came free within the limit) or a timeout ("took longer than"),
the wait for a worker (a call's time minus the time spent in the worker's round trip, read by
wrapping ``_Worker.run``; where a tree has no such method, the call's time minus the single
caller's time for that answer, marked "estimated") with its median, p95 and max (also over
the calls that got a worker, i.e. not "busy"), time per call, and throughput. "started" is
seconds from the start signal to the call. Issue 20's target: the time limit covers the wait for a worker, so a
caller either gets a worker at once or a clear ``undecided: busy`` at the limit, and no other
verdict changes under load.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

import numpy as np

from side_by_side import (Child, answer_pool, cell, changes, child_main, describe, in_child,
                          machine, ratio, status_counts, table, trees, use_tree)


# ----------------------------------------------------------------------------- in a child
def timing_worker_runs():
    """Wrap ``_Worker.run`` to add its time to a per-thread total; None when the tree has none."""
    from derive.answers.serve import worker
    inner = getattr(getattr(worker, "_Worker", None), "run", None)
    if inner is None:
        return None
    spent = threading.local()

    def run(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return inner(self, *args, **kwargs)
        finally:
            spent.seconds = getattr(spent, "seconds", 0.0) + time.perf_counter() - started
    worker._Worker.run = run
    return spent


def call(checker, spent, pid: str, text: str, timeout: float) -> dict:
    if spent is not None:
        spent.seconds = 0.0
    started = time.perf_counter()
    try:
        v = checker(pid, text, timeout=timeout)
        status, message = v.status, getattr(v, "message", "") or ""
    except Exception as exc:   # a raise is a finding too: shown as its own status
        status, message = f"raised {type(exc).__name__}", str(exc)[:200]
    seconds = time.perf_counter() - started
    return {"status": status, "message": message[:300], "seconds": seconds,
            "inside": spent.seconds if spent is not None else None, "at": started}


def single(tree: str, payload: dict) -> list[dict]:
    """Each distinct answer alone: one caller, one worker."""
    use_tree(tree)
    from derive import all_parts
    from derive.answers.serve.worker import WorkerPool
    all_parts()
    spent = timing_worker_runs()
    with WorkerPool(1) as pool:
        return [call(pool.check, spent, pid, text, payload["timeout"]) for pid, text in payload["answers"]]


def load(tree: str, payload: dict) -> dict:
    """This process's share of the load run: threads calling derive.check, started together."""
    use_tree(tree)
    import derive
    from derive.answers.serve import worker
    derive.all_parts()
    spent = timing_worker_runs()
    results: dict[int, dict] = {}
    print("ready", flush=True)
    sys.stdin.readline()   # the parent's "go", once every process is ready
    begun = time.perf_counter()

    def thread(share):
        for n, pid, text in share:
            results[n] = call(derive.check, spent, pid, text, payload["timeout"])
    threads = [threading.Thread(target=thread, args=(share,)) for share in payload["shares"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results.values():
        r["at"] -= begun
    return {"results": results, "wall": time.perf_counter() - begun,
            "pool": getattr(getattr(worker, "_POOL", None), "size", None)}


# ----------------------------------------------------------------------------- in the parent
def mix(args, tables: dict, known: set[str], rng: np.random.Generator) -> list[tuple[str, str, str]]:
    """``--checks`` (kind, part, answer) calls in a seeded order."""
    shares = dict(zip(("right", "wrong", "hostile", "templated"), map(float, args.mix.split(":"))))
    counts = {k: int(round(args.checks * v / sum(shares.values()))) for k, v in shares.items()}
    counts["templated"] += args.checks - sum(counts.values())
    calls = [("templated", pid, text) for pid, text in answer_pool(counts.pop("templated"), rng, known)]
    for kind, n in counts.items():
        pairs = [tuple(p) for p in tables[kind] if p[0] in known]
        calls += [(kind, *pairs[i]) for i in rng.integers(len(pairs), size=n)] if pairs and n else []
    return [calls[i] for i in rng.permutation(len(calls))]


def run_tree(args, tree, calls: list, distinct: list) -> dict:
    """The single caller's verdicts, then the load run, for one tree."""
    print(f"  single caller, {len(distinct)} distinct answers ...", file=sys.stderr, flush=True)
    alone = in_child(__file__, "single", tree, {"answers": distinct, "timeout": args.timeout})
    ref = {(pid, text): r for (pid, text), r in zip(distinct, alone)}
    numbered = [(n, pid, text) for n, (_, pid, text) in enumerate(calls)]
    children = []
    for p in range(args.processes):
        mine = numbered[p::args.processes]
        children.append(Child(__file__, "load", tree, {
            "timeout": args.timeout, "shares": [mine[t::args.threads] for t in range(args.threads)]},
            pipes=True))
    for child in children:
        if child.proc.stdout.readline().strip() != "ready":
            raise SystemExit("a load process did not start")
    print(f"  load run, {args.processes} processes x {args.threads} threads ...", file=sys.stderr, flush=True)
    for child in children:
        child.proc.stdin.write("go\n")
        child.proc.stdin.flush()
    for child in children:
        child.proc.stdout.read()
    parts = [child.result() for child in children]
    results = {int(n): r for part in parts for n, r in part["results"].items()}
    under = [results[n] for n in range(len(calls))]
    return {"ref": ref, "under": under, "wall": max(p["wall"] for p in parts),
            "pool": parts[0]["pool"], "alone": sum(r["seconds"] for r in alone)}


def summary(calls: list, run: dict) -> dict:
    ref, under = run["ref"], run["under"]
    waits, estimated = [], False
    for (_, pid, text), r in zip(calls, under):
        if r["inside"] is not None:
            waits.append(r["seconds"] - r["inside"])
        else:
            estimated = True
            waits.append(max(0.0, r["seconds"] - ref[(pid, text)]["seconds"]))
    messages = [r["message"] for r in under if r["status"] == "undecided"]
    served = np.array([w for w, r in zip(waits, under) if not r["message"].startswith("busy")] or [0.0])
    differ = [(pid, text, ref[(pid, text)], r) for (_, pid, text), r in zip(calls, under)
              if r["status"] != ref[(pid, text)]["status"]]
    return {"waits": np.array(waits), "served": served, "estimated": estimated, "differ": differ,
            "busy": sum(m.startswith("busy") for m in messages),
            "timeouts": sum("took longer than" in m for m in messages),
            "seconds": np.array([r["seconds"] for r in under])}


def report(args, runs: dict, calls: list) -> None:
    names = list(runs)
    two = len(names) == 2
    s = {n: summary(calls, runs[n]) for n in names}

    def row(label, values, fmt, compare=True):
        return [label, *(fmt(v) for v in values)] + ([ratio(values[0], values[1]) if compare else ""]
                                                     if two else [])
    sec = lambda v: f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"   # noqa: E731
    est = {n: " (estimated)" if s[n]["estimated"] else "" for n in names}
    rows = [
        row("worker pool per process (derive.check's)", [runs[n]["pool"] for n in names], str, False),
        row("wall time of the load run", [runs[n]["wall"] for n in names], sec),
        row("throughput", [len(calls) / runs[n]["wall"] for n in names], lambda v: f"{v:.1f} checks/s"),
        row("the same answers one by one, single caller (sum)", [runs[n]["alone"] for n in names], sec),
        row("verdicts differing from the single caller's", [len(s[n]["differ"]) for n in names], str, False),
        row("undecided: busy", [s[n]["busy"] for n in names], str, False),
        row("undecided: timeout (took longer than the limit)", [s[n]["timeouts"] for n in names], str, False),
        row("wait for a worker: median", [np.median(s[n]["waits"]) for n in names], sec),
        row("wait for a worker: p95", [np.percentile(s[n]["waits"], 95) for n in names], sec),
        row("wait for a worker: max", [s[n]["waits"].max() for n in names], sec),
        row("wait for a worker, calls that got one: p95", [np.percentile(s[n]["served"], 95) for n in names], sec),
        row("wait for a worker, calls that got one: max", [s[n]["served"].max() for n in names], sec),
        row("time per call: median", [np.median(s[n]["seconds"]) for n in names], sec),
        row("time per call: p95", [np.percentile(s[n]["seconds"], 95) for n in names], sec),
        row("time per call: max", [s[n]["seconds"].max() for n in names], sec),
    ]
    print(table(["load run" + "".join(f"; {n}: wait{e}" for n, e in est.items() if e), *names,
                 *(["ratio (this / baseline)"] if two else [])], rows))

    kinds = list(dict.fromkeys(k for k, _, _ in calls))
    print("\nCalls per kind: " + ", ".join(f"{k} {sum(c[0] == k for c in calls)}" for k in kinds)
          + f" ({len({(p, t) for _, p, t in calls})} distinct answers).\n")
    counts = {}
    for n in names:
        counts[f"{n}, single caller"] = status_counts(runs[n]["ref"][(p, t)]["status"] for _, p, t in calls)
        counts[f"{n}, under load"] = status_counts(r["status"] for r in runs[n]["under"])
    statuses = list(dict.fromkeys(k for c in counts.values() for k in c))
    print(table(["verdicts of the calls", *statuses], [[k, *(c.get(x, 0) for x in statuses)]
                                                         for k, c in counts.items()]))
    for n in names:
        differ = s[n]["differ"]
        print(f"\n{n}: {len(differ)} of {len(calls):,} verdicts differ from the single caller's"
              + (f" ({min(len(differ), args.show)} shown):\n" if differ else "."))
        if differ:
            print(table(["part", "answer", "alone -> under load", "message under load", "started",
                         "call took"],
                        [[pid, "`" + cell(text, 50) + "`", f"{a['status']} -> {b['status']}",
                          cell(b["message"], 80), f"{b['at']:.1f} s", f"{b['seconds']:.2f} s"]
                         for pid, text, a, b in differ[:args.show]], "----::"))
    if two:
        key = lambda pid, text: f"{pid}\t{text}"   # noqa: E731
        by = {n: {key(p, t): {"part": p, "answer": t, **r} for (p, t), r in runs[n]["ref"].items()}
              for n in names}
        changed, shown = changes(by[names[1]], by[names[0]], args.show)
        print(f"\nSingle caller: {changed} of {len(by[names[0]])} distinct answers changed status "
              "(baseline -> this tree)" + (f":\n\n{shown}" if changed else "."))


def main() -> None:
    if child_main({"single": single, "load": load}):
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=4, help="processes checking at once (default 4)")
    ap.add_argument("--threads", type=int, default=4, help="threads per process sharing its pool (default 4)")
    ap.add_argument("--checks", type=int, default=2000, help="checks in all (default 2,000)")
    ap.add_argument("--timeout", type=float, default=5.0, help="time limit per check, seconds (default 5)")
    ap.add_argument("--mix", default="30:25:10:35", help="right:wrong:hostile:templated shares")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--show", type=int, default=20, help="differing verdicts listed per tree (default 20)")
    ap.add_argument("--baseline", metavar="DIR", help="another checkout of derive to run the same way")
    args = ap.parse_args()
    roots = trees(args.baseline)
    known = set.intersection(*(set(in_child(__file__, "info", t)["parts"]) for t in roots.values()))
    tables = in_child(__file__, "tables", roots["this tree"])
    calls = mix(args, tables, known, np.random.default_rng(args.seed))
    distinct = list(dict.fromkeys((pid, text) for _, pid, text in calls))
    runs = {}
    for name, tree in roots.items():
        print(f"{name} ({tree}):", file=sys.stderr, flush=True)
        runs[name] = run_tree(args, tree, calls, distinct)
    print(machine())
    for name, tree in roots.items():
        print(f"- {describe(name, tree)}")
    print(f"\n{args.checks:,} checks by {args.processes} processes x {args.threads} threads, "
          f"time limit {args.timeout:g} s.\n")
    report(args, runs, calls)


if __name__ == "__main__":
    main()
