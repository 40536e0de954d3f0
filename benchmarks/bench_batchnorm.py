"""How long `derive verify batchnorm` takes (the bar: under 20 s), and why the SymPy variance is
built in its moment form.

1. The command itself, cold, in a fresh process: wall time and the CPU time it used (on a
   shared machine the wall time grows with the load; CPU time does not).
2. Side by side, in this process, per part: verify_part with the variance built as
   (1/m) sum x_i^2 - mu^2 (what derive does) against the baseline (1/m) sum (x_i - mu)^2, the
   deviations form, and the CPU time of one cold answer check of batchnorm.grad_x (the
   checker compiles every definition at each m up to 12). Both forms are exact.

    python benchmarks/bench_batchnorm.py [--skip-baseline]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

BAR_SECONDS = 20.0


def command_time() -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "derive", "verify", "batchnorm"], capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
    return wall, cpu, done.returncode


def per_part(moments: bool) -> dict[str, tuple[float, float, str]]:
    """verify_part of every batchnorm part with the chosen variance form (both exact), and
    one cold answer check of grad_x (a fresh Part object, so no checker cache is warm)."""
    import dataclasses

    from derive.answers.decide.judge import judge
    from derive.maths import normalisation
    from derive.verify.claims import verify_part
    from problems import batchnorm

    original = normalisation.batch_variance

    def chosen(x, *, unbiased=False, moments_=moments, **_):
        return original(x, unbiased=unbiased, moments=moments_)

    # The problem module and normalised() both look the function up by name.
    normalisation.batch_variance, batchnorm.batch_variance = chosen, chosen
    try:
        out = {}
        for part in batchnorm.PARTS:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            report = verify_part(part, seed=0)
            out[part.id] = (time.perf_counter() - wall0, time.process_time() - cpu0, report.outcome)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        verdict = judge(dataclasses.replace(batchnorm.PARTS[2]), batchnorm.GRAD_X_ANSWER)
        out["check grad_x (answer)"] = (time.perf_counter() - wall0, time.process_time() - cpu0, verdict.status)
        return out
    finally:
        normalisation.batch_variance, batchnorm.batch_variance = original, original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-baseline", action="store_true", help="only time the command")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    wall, cpu, code = command_time()
    verdict = "under" if wall < BAR_SECONDS else "OVER"
    print(f"derive verify batchnorm: {wall:.1f} s wall, {cpu:.1f} s CPU, exit {code} ({verdict} the {BAR_SECONDS:.0f} s bar)")
    if args.skip_baseline:
        return 0
    moments, baseline = per_part(True), per_part(False)
    print(f"\n{'part':<28} {'moment form (derive)':>24} {'deviations (baseline)':>24}")
    for pid in moments:
        (_, c1, o1), (_, c2, o2) = moments[pid], baseline[pid]
        print(f"{pid:<28} {c1:>7.2f} s CPU {o1[:10]:>10} {c2:>7.2f} s CPU {o2[:10]:>10}")
    total1, total2 = (sum(v[1] for k, v in runs.items() if k.startswith("batchnorm."))
                      for runs in (moments, baseline))
    print(f"{'total verify':<28} {total1:>7.2f} s CPU {'':>10} {total2:>7.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
