"""Time derive.maths.expectation against sympy.stats on the dropout expectations.

    python benchmarks/bench_expectation.py [--timeout 60] [--quick]

Each case is one SymPy expression in plain symbols; sympy.stats gets the same
expression with every random symbol replaced by a sympy.stats random variable.
sympy.stats runs in a child process killed after --timeout seconds (reported as
"> T s"); the child also checks that both engines give the same polynomial.
Times are wall-clock seconds of the expectation call alone (median of 3 for
derive, SymPy's cache cleared before each run; one fresh process for sympy.stats),
excluding imports and building the expression.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sympy as sp
from sympy.core.cache import clear_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derive.maths.expectation import Bernoulli, Normal, expectation, random_matrix  # noqa: E402


def _symbols(name: str, shape: tuple[int, ...]) -> sp.Matrix:
    rows, cols = shape if len(shape) == 2 else (shape[0], 1)
    index = (lambda i, j: f"{i + 1}") if len(shape) == 1 else (lambda i, j: f"{i + 1},{j + 1}")
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{{{index(i, j)}}}", real=True))


def dropout_loss(N: int, d: int):
    """E||y - (D * X) w||^2, D iid Bernoulli(p): random symbols N*d."""
    p = sp.Symbol("p", positive=True)
    D, law = random_matrix("D", (N, d), Bernoulli(p))
    X, w, y = _symbols("X", (N, d)), _symbols("w", (d,)), _symbols("y", (N,))
    r = y - D.multiply_elementwise(X) * w
    return (r.T * r)[0], law


def dropout_unit(n: int):
    """E[1/2 (t - sum_i delta_i w_i x_i)^2], delta_i ~ Bernoulli(p_i): one square, n randoms."""
    delta, law = random_matrix("delta", (n,), lambda i: Bernoulli(sp.Symbol(f"p_{i}", positive=True)))
    w, x, t = _symbols("w", (n,)), _symbols("x", (n,)), sp.Symbol("t", real=True)
    return sp.Rational(1, 2) * (t - sum(delta[i] * w[i] * x[i] for i in range(n))) ** 2, law


def gauss_additive(n: int):
    """E[1/2 (y_d - sum_k (w_k + delta_k) x_k)^2], delta_k ~ N(0, alpha w_k^2)."""
    alpha = sp.Symbol("alpha", positive=True)
    w, x, yd = _symbols("w", (n,)), _symbols("x", (n,)), sp.Symbol("y_d", real=True)
    delta, law = random_matrix("delta", (n,), lambda k: Normal(0, alpha * w[k - 1] ** 2))
    return sp.Rational(1, 2) * (yd - sum((w[k] + delta[k]) * x[k] for k in range(n))) ** 2, law


CASES = {
    "dropout_loss": (dropout_loss, [(1, 1), (2, 2), (3, 3), (4, 3), (4, 6), (4, 8), (4, 10), (4, 12), (8, 16)]),
    "dropout_unit": (dropout_unit, [(2,), (4,), (6,), (8,), (10,), (12,), (14,)]),
    "gauss_additive": (gauss_additive, [(1,), (2,), (3,), (4,), (8,)]),
}
QUICK = {"dropout_loss": 4, "dropout_unit": 3, "gauss_additive": 2}


def _to_stats(expr: sp.Expr, law: dict) -> sp.Expr:
    import sympy.stats as st

    def rv(sym, dist):
        if isinstance(dist, Bernoulli):
            return st.Bernoulli(sym.name, dist.p)
        return st.Normal(sym.name, dist.mean, sp.sqrt(dist.variance))

    return expr.xreplace({sym: rv(sym, dist) for sym, dist in law.items()})


def child(case: str, size: tuple[int, ...]) -> None:
    """Run in a subprocess: time sympy.stats.E and compare with derive."""
    import sympy.stats as st

    expr, law = CASES[case][0](*size)
    stats_expr = _to_stats(expr, law)
    start = time.perf_counter()
    value = st.E(stats_expr)
    elapsed = time.perf_counter() - start
    agree = sp.expand(value - expectation(expr, law)) == 0
    print(f"{elapsed:.6f} {'yes' if agree else 'NO'}")


def time_derive(case: str, size: tuple[int, ...]) -> tuple[float, int]:
    expr, law = CASES[case][0](*size)
    runs = []
    for _ in range(3):
        clear_cache()  # Expr.expand is memoised; a warm cache would time a lookup
        start = time.perf_counter()
        expectation(expr, law)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), len(law)


def time_stats(case: str, size: tuple[int, ...], timeout: float) -> tuple[str, str]:
    cmd = [sys.executable, __file__, "--child", case, *map(str, size)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return f"> {timeout:g}", "-"
    except subprocess.CalledProcessError as exc:
        return "error", exc.stderr.strip().splitlines()[-1][:40]
    elapsed, agree = out.stdout.split()
    return f"{float(elapsed):.3f}", agree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], tuple(int(a) for a in args.child[1:]))
        return
    print(f"{'case':<15} {'size':<8} {'randoms':>7} {'derive s':>9} {'sympy.stats s':>14} {'agree':>6}")
    for case, (_, sizes) in CASES.items():
        stats_dead = False
        for size in sizes[: QUICK[case]] if args.quick else sizes:
            ours, n_random = time_derive(case, size)
            if stats_dead:
                theirs, agree = "skipped", "-"
            else:
                theirs, agree = time_stats(case, size, args.timeout)
                stats_dead = theirs.startswith(">")
            label = "x".join(map(str, size))
            print(f"{case:<15} {label:<8} {n_random:>7} {ours:>9.4f} {theirs:>14} {agree:>6}", flush=True)


if __name__ == "__main__":
    main()
