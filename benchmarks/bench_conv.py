"""Benchmarks of the conv backward pass.

    python benchmarks/bench_conv.py [--repeat 5] [--skip-verify]

1. ``derive verify`` of the seven backward parts, in a fresh process (wall and CPU seconds;
   the target is under 30 s on the 2-core reference machine), with the per-part times.
2. The derived 2-D gradient formulas (the index forms of conv.grad_weight_2d and
   conv.grad_input_2d, vectorised in NumPy: one slice per kernel tap) against JAX autodiff of
   jax.lax.conv_general_dilated on a 4 x 16 x 32 x 32 input, 16 filters of 3 x 3, for a few
   stride / padding / dilation / groups settings: the scaled error and the time ratio
   (median of --repeat runs; JAX jitted and warmed up first, so compilation is excluded).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from derive.verify.conv_oracles import (Hyper, forward, grad_input_vectorised,  # noqa: E402
                                        grad_weight_vectorised, jax_available, jax_gradients)
from derive.verify.numeric import scaled_error  # noqa: E402

PARTS = ["conv.grad_weight_2d", "conv.grad_input_2d", "conv.grad_bias", "conv.grad_weight_1d",
         "conv.grad_input_1d", "conv.toeplitz", "conv.low_rank"]
SETTINGS = [Hyper(1, 1, 1, 1), Hyper(2, 1, 1, 1), Hyper(1, 2, 2, 1), Hyper(1, 1, 1, 4), Hyper(1, 1, 1, 16)]


def bench_verify() -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "derive", "verify", *PARTS, "--json"], cwd=ROOT,
                         capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"derive verify ({len(PARTS)} conv backward parts): {wall:.1f} s wall, {cpu:.1f} s CPU, "
          f"exit {run.returncode} (target < 30 s)")
    try:
        reports = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout[-2000:], run.stderr[-2000:])
        return
    for report in reports if isinstance(reports, list) else reports.get("parts", []):
        print(f"  {report.get('part', report.get('id')):24} {report.get('outcome'):10} {report.get('seconds', 0):6.2f} s")


def _median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_formula(repeat: int) -> None:
    if not jax_available():
        print("JAX not installed: the formula-against-JAX benchmark is skipped (pip install jax)")
        return
    rng = np.random.default_rng(0)
    print(f"\nderived formula (NumPy, vectorised) vs JAX autodiff, X 4x16x32x32, W 16x(16/g)x3x3, median of {repeat}")
    print(f"{'s':>2} {'P':>2} {'d':>2} {'g':>3} {'err dW':>9} {'err dX':>9} {'numpy ms':>9} {'jax ms':>8} {'ratio':>6}")
    for hp in SETTINGS:
        x = rng.normal(size=(4, 16, 32, 32))
        w = rng.normal(size=(16, 16 // hp.groups, 3, 3))
        b = rng.normal(size=16)
        g = rng.normal(size=forward(x, w, b, hp).shape)
        reference = jax_gradients(x, w, b, g, hp)          # compiles and warms up
        grad_w = grad_weight_vectorised(x, g, w.shape, hp)
        grad_x = grad_input_vectorised(g, w, x.shape, hp)
        numpy_time = _median_seconds(lambda: (grad_weight_vectorised(x, g, w.shape, hp),
                                              grad_input_vectorised(g, w, x.shape, hp)), repeat)
        jax_time = _median_seconds(lambda: jax_gradients(x, w, b, g, hp), repeat)
        print(f"{hp.stride:>2} {hp.padding:>2} {hp.dilation:>2} {hp.groups:>3} "
              f"{scaled_error(grad_w, reference['W']):9.1e} {scaled_error(grad_x, reference['X']):9.1e} "
              f"{1e3 * numpy_time:9.1f} {1e3 * jax_time:8.1f} {numpy_time / jax_time:6.2f}")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--repeat", type=int, default=5)
    args.add_argument("--skip-verify", action="store_true")
    options = args.parse_args()
    if not options.skip_verify:
        bench_verify()
    bench_formula(options.repeat)


if __name__ == "__main__":
    main()
