"""derive.equivalent against SymPy's Expr.equals, on the same cases in the same run.

Each case is (expected, answer, truth, declared variables): constant identities with nested
radicals, trigonometric and hyperbolic identities, removable singularities, real-domain
cases (sqrt(x^2) is |x|; an answer undefined where the expected expression is defined),
large powers, exact decimals, piecewise functions, and near misses (e^6 against
pi^4 + pi^5, e^(pi sqrt 163) against 640320^3 + 744). The truth of each case is written
by hand from the mathematics, not computed by either side.

Both sides get the same SymPy expressions (built by derive's parser, symbols real, or
positive where declared), so the baseline is SymPy's ``expected.equals(answer)`` with the
real-domain assumptions derive uses, under a per-case time limit (SIGALRM). A case is right
when derive says correct for a true case and incorrect for a false one (undecided and
invalid are wrong), and when equals returns True / False accordingly (None and a timeout
are wrong). derive is timed through its worker (the round trip ``equivalent`` makes, warm).

Run: python benchmarks/bench_equivalent.py [--limit 2.0] [--show-wrong]
Targets: derive at least 95% right and ahead of the baseline; median <= 20 ms per case.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derive import equivalent  # noqa: E402
from derive.answers.serve.free import EXPRESSION_LIMITS, expression_part  # noqa: E402
from derive.answers.read.parse import parse_answer  # noqa: E402
from derive.answers.read.vocabulary import Vocabulary  # noqa: E402
from derive.errors import ProofTimeout  # noqa: E402
from derive.maths.zero import time_limit  # noqa: E402

T, F = True, False
POS = {"x": "positive", "y": "positive"}
UNIT = {"x": "unit_interval"}

CASES = [
    # ---- constants: nested radicals and other closed forms
    ("(sqrt(108)+10)^(1/3) - (sqrt(108)-10)^(1/3)", "2", T, None),
    ("sqrt(5+2*sqrt(6))", "sqrt(2)+sqrt(3)", T, None),
    ("sqrt(3+2*sqrt(2))", "1+sqrt(2)", T, None),
    ("sqrt(7-4*sqrt(3))", "2-sqrt(3)", T, None),
    ("sqrt(10+sqrt(24)+sqrt(40)+sqrt(60))", "sqrt(2)+sqrt(3)+sqrt(5)", T, None),
    ("1/(sqrt(2)+1)", "sqrt(2)-1", T, None),
    ("(sqrt(3)+1)^2", "4+2*sqrt(3)", T, None),
    ("sqrt(12)", "2*sqrt(3)", T, None),
    ("sqrt(2)*sqrt(8)", "4", T, None),
    ("(9+4*sqrt(5))^(1/3)", "(1+sqrt(5))/2 + 1", T, None),
    ("(9+4*sqrt(5))^(1/3)", "(1+sqrt(5))/2 + 2", F, None),
    ("(sqrt(5)+2)^(1/3)", "(1+sqrt(5))/2", T, None),
    ("sqrt(5+2*sqrt(6))", "sqrt(2)+sqrt(3)+10^(-15)", F, None),
    ("sqrt(3+2*sqrt(2))", "sqrt(2)+0.9999999999", F, None),
    ("(sqrt(108)+10)^(1/3) - (sqrt(108)-10)^(1/3)", "2.000000000001", F, None),
    ("log(8)/log(2)", "3", T, None),
    ("exp(log(5))", "5", T, None),
    ("sin(pi/6)", "1/2", T, None),
    ("cos(pi/12)", "(sqrt(6)+sqrt(2))/4", T, None),
    ("tan(pi/8)", "sqrt(2)-1", T, None),
    ("sin(pi/5)", "sqrt(10-2*sqrt(5))/4", T, None),
    ("atan(1/2)+atan(1/3)", "pi/4", T, None),
    ("4*atan(1/5)-atan(1/239)", "pi/4", T, None),
    ("asin(1/2)", "pi/6", T, None),
    ("e^6", "pi^4+pi^5", F, None),
    ("exp(pi*sqrt(163))", "640320^3+744", F, None),
    ("pi", "355/113", F, None),
    ("sqrt(2)", "1.41421356237", F, None),
    ("e", "2.718281828459045", F, None),
    ("cosh(log(2))", "5/4", T, None),
    ("tanh(log(3))", "4/5", T, None),
    # ---- exact decimals
    ("1/2", "0.5", T, None),
    ("1/3", "0.33", F, None),
    ("3/8", "0.375", T, None),
    ("0.3", "0.1+0.2", T, None),
    ("1/1000", "1e-3", T, None),
    ("pi", "3.14159", F, None),
    ("x/4", "0.25*x", T, None),
    ("x/3", "0.333*x", F, None),
    # ---- trigonometric identities
    ("sin(x)^2+cos(x)^2", "1", T, None),
    ("sin(2*x)", "2*sin(x)*cos(x)", T, None),
    ("sin(2*x)", "2*sin(x)", F, None),
    ("cos(2*x)", "1-2*sin(x)^2", T, None),
    ("cos(2*x)", "cos(x)^2+sin(x)^2", F, None),
    ("cos(2*x)", "1-sin(x)^2", F, None),
    ("tan(x)", "sin(x)/cos(x)", T, None),
    ("1+tan(x)^2", "sec(x)^2", T, None),
    ("1+cot(x)^2", "csc(x)^2", T, None),
    ("1+tan(x)^2", "csc(x)^2", F, None),
    ("sin(x+y)", "sin(x)*cos(y)+cos(x)*sin(y)", T, None),
    ("sin(x+y)", "sin(x)+sin(y)", F, None),
    ("cos(x-y)", "cos(x)*cos(y)+sin(x)*sin(y)", T, None),
    ("cos(3*x)", "4*cos(x)^3-3*cos(x)", T, None),
    ("sin(3*x)", "3*sin(x)-4*sin(x)^3", T, None),
    ("sin(x)", "cos(pi/2-x)", T, None),
    ("sin(x)", "x - x^3/6", F, None),
    ("atan(x)+atan(1/x)", "pi/2", T, POS),
    ("asin(x)+acos(x)", "pi/2", T, UNIT),
    ("sin(x)^4-cos(x)^4", "sin(x)^2-cos(x)^2", T, None),
    ("tan(2*x)", "2*tan(x)/(1-tan(x)^2)", T, None),
    ("cot(x)", "cos(x)/sin(x)", T, None),
    ("sin(x)*cos(x)", "sin(2*x)/2 + 10^(-12)", F, None),
    # ---- hyperbolic
    ("cosh(x)^2-sinh(x)^2", "1", T, None),
    ("cosh(x)^2+sinh(x)^2", "1", F, None),
    ("cosh(x)^2+sinh(x)^2", "cosh(2*x)", T, None),
    ("tanh(x)", "sinh(x)/cosh(x)", T, None),
    ("sinh(2*x)", "2*sinh(x)*cosh(x)", T, None),
    ("exp(x)", "cosh(x)+sinh(x)", T, None),
    ("asinh(x)", "log(x+sqrt(x^2+1))", T, None),
    ("tanh(x)", "(exp(2*x)-1)/(exp(2*x)+1)", T, None),
    ("1-tanh(x)^2", "sech(x)^2", T, None),
    ("tanh(x/2)", "(cosh(x)-1)/sinh(x)", T, None),
    ("sigma(x)", "(1+tanh(x/2))/2", T, None),
    ("sigma(x)", "1/(1+exp(x))", F, None),
    # ---- removable singularities
    ("(x^2-1)/(x+1)", "x-1", T, None),
    ("x-1", "(x^2-1)/(x+1)", T, None),
    ("(x^3-8)/(x-2)", "x^2+2*x+4", T, None),
    ("(x^2-4)/(x-2)", "x-2", F, None),
    ("x/x", "1", T, None),
    ("(exp(2*x)-1)/(exp(x)-1)", "exp(x)+1", T, None),
    ("(x^2-y^2)/(x-y)", "x+y", T, None),
    ("(x^4-1)/(x^2-1)", "x^2+1", T, None),
    ("(x^4-1)/(x^2-1)", "x^2-1", F, None),
    ("sin(2*x)/sin(x)", "2*cos(x)", T, None),
    # ---- real domain: branches, where each side is defined
    ("sqrt(x^2)", "abs(x)", T, None),
    ("sqrt(x^2)", "x", F, None),
    ("sqrt(x^2)", "x", T, POS),
    ("x", "sqrt(x)^2", F, None),
    ("x", "sqrt(x)^2", T, POS),
    ("x", "exp(log(x))", F, None),
    ("log(x^2)", "2*log(x)", F, None),
    ("2*log(x)", "log(x^2)", T, None),
    ("log(x*y)", "log(x)+log(y)", T, POS),
    ("sqrt(x*y)", "sqrt(x)*sqrt(y)", T, POS),
    ("sqrt(x*y)", "sqrt(x)*sqrt(y)", F, None),
    ("abs(x*y)", "abs(x)*abs(y)", T, None),
    ("sqrt(x^4)", "x^2", T, None),
    ("(x^2)^(1/2)", "x", F, None),
    ("x^(1/2)*x^(1/2)", "x", T, POS),
    ("log10(x)", "log(x)/log(10)", T, None),
    ("exp(2*log(x))", "x^2", T, POS),
    ("sqrt(1-sin(x)^2)", "cos(x)", F, None),
    ("sqrt(1-sin(x)^2)", "abs(cos(x))", T, None),
    # ---- real-branch roots
    ("cbrt(-8)", "-2", T, None),
    ("cbrt(2+sqrt(5)) + cbrt(2-sqrt(5))", "1", T, None),
    ("root(x, 3)^3", "x", T, None),
    ("cbrt(x)", "-cbrt(-x)", T, None),
    ("cbrt(x)", "x^(1/3)", F, None),
    ("root(x, 5)", "x^(1/5)", T, POS),
    ("root(x^2, 3)", "cbrt(x)^2", T, None),
    ("cbrt(x^3)", "x", T, None),
    ("root(x^2, 2)", "x", F, None),
    ("cbrt(x*y)", "cbrt(x)*cbrt(y)", T, None),
    # ---- factorial and binomial (whole constants)
    ("factorial(5)", "120", T, None),
    ("binomial(10, 3)", "binomial(10, 7)", T, None),
    ("factorial(10)/(factorial(8)*factorial(2))", "binomial(10, 2)", T, None),
    ("binomial(5,0)+binomial(5,1)+binomial(5,2)+binomial(5,3)+binomial(5,4)+binomial(5,5)", "2^5", T, None),
    ("binomial(9, 4)", "binomial(8, 3) + binomial(8, 4)", T, None),
    ("binomial(9, 4)", "binomial(8, 3) + binomial(8, 5)", F, None),
    ("binomial(9, 4)", "binomial(8, 4)", F, None),
    ("factorial(20)", "2432902008176640001", F, None),
    ("factorial(6)*x", "720*x", T, None),
    ("(x+1)^4", "x^4+binomial(4,1)*x^3+binomial(4,2)*x^2+binomial(4,3)*x+1", T, None),
    # ---- matrix literals (plain text and LaTeX)
    ("[[1, 2], [3, 4]]", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", T, None),
    ("[[x, 1], [0, x]]^2", "[[x^2, 2*x], [0, x^2]]", T, None),
    ("[[x, 1], [0, x]]^2", "[[x^2, x], [0, x^2]]", F, None),
    ("[[cos(x), -sin(x)], [sin(x), cos(x)]]^T", "[[cos(-x), -sin(-x)], [sin(-x), cos(-x)]]", T, None),
    ("[[1, 2], [3, 4]]^T", "[[1, 2], [3, 4]]", F, None),
    # ---- large powers
    ("(x-a)^6000", "(a-x)^6000", T, None),
    ("(x-a)^6001", "-(a-x)^6001", T, None),
    ("(x-a)^6001", "(a-x)^6001", F, None),
    ("(2*x)^50", "2^50*x^50", T, None),
    ("(x+1)^40", "(1+x)^40", T, None),
    ("(x+1)^40", "(x+1)^39*(x+1.0000001)", F, None),
    ("x^100/x^98", "x^2", T, None),
    # ---- piecewise: abs, sign, floor, ceil, min, max
    ("max(x,y)", "(x+y+abs(x-y))/2", T, None),
    ("min(x,y)", "(x+y-abs(x-y))/2", T, None),
    ("max(x,y)", "(x+y+abs(x+y))/2", F, None),
    ("abs(x)", "x*sign(x)", T, None),
    ("floor(x)", "-ceil(-x)", T, None),
    ("floor(x+1)", "floor(x)+1", T, None),
    ("floor(2*x)", "2*floor(x)", F, None),
    ("relu(x)", "(x+abs(x))/2", T, None),
    ("relu(x)", "max(x,0)", T, None),
    ("abs(x-1)+abs(x+1)", "2*max(abs(x),1)", T, None),
    ("sign(x)", "x/abs(x)", T, None),
    # ---- algebra and exp/log
    ("(x+y)^2", "x^2+2*x*y+y^2", T, None),
    ("(x+y)^2", "x^2+y^2", F, None),
    ("(a+b)*(a-b)", "a^2-b^2", T, None),
    ("1/(1/x+1/y)", "x*y/(x+y)", T, None),
    ("x^2-5*x+6", "(x-2)*(x-3)", T, None),
    ("x^2-5*x+6", "(x-2)*(x+3)", F, None),
    ("exp(a+b)", "exp(a)*exp(b)", T, None),
    ("exp(a*b)", "exp(a)*exp(b)", F, None),
    ("(x+1)^3", "x^3+3*x^2+3*x+1", T, None),
    ("(x+1)^3", "x^3+3*x^2+3*x+1+10^(-9)", F, None),
    ("x + 10^(-12)", "x", F, None),
    ("(1+x)^2", "1+2*x+x^2+10^(-10)*x", F, None),
]


def sympy_pair(expected: str, answer: str, variables):
    """The SymPy expressions derive builds for both sides (real symbols, declared domains)."""
    part = expression_part(expected, variables)
    vocab = Vocabulary.from_variables(part.variables)
    tree = parse_answer(answer, vocab, limits=EXPRESSION_LIMITS)
    ns = part.general
    return part.result(ns), tree.to_sympy({n: getattr(ns, n) for n in tree.names})


def baseline(expected: str, answer: str, variables, limit: float):
    """SymPy's equals: True, False, None, or 'timeout' after ``limit`` seconds."""
    try:
        e, a = sympy_pair(expected, answer, variables)
    except Exception as exc:   # a case SymPy cannot even be given is wrong for the baseline
        return f"error: {type(exc).__name__}"
    try:
        with time_limit(limit):
            return e.equals(a)
    except ProofTimeout:
        return "timeout"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=float, default=2.0, help="per-case limit for SymPy (s)")
    ap.add_argument("--timeout", type=float, default=5.0, help="derive's hard limit per case (s)")
    ap.add_argument("--show-wrong", action="store_true")
    args = ap.parse_args()

    equivalent("x", "x")   # start the worker: both sides are measured warm
    rows = []
    for expected, answer, truth, variables in CASES:
        t0 = time.perf_counter()
        verdict = equivalent(expected, answer, variables=variables, timeout=args.timeout)
        ours_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        theirs = baseline(expected, answer, variables, args.limit)
        theirs_ms = (time.perf_counter() - t0) * 1000
        ours_right = verdict.status == ("correct" if truth else "incorrect")
        theirs_right = theirs is truth
        rows.append((expected, answer, truth, verdict, ours_ms, ours_right, theirs, theirs_ms,
                     theirs_right))

    n = len(rows)
    print(f"{n} cases ({sum(r[2] for r in rows)} true, {sum(not r[2] for r in rows)} false); "
          f"SymPy limit {args.limit:g} s per case, derive timeout {args.timeout:g} s\n")
    print(f"{'checker':<28} {'right':>12} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, right_k, ms_k in (("derive.equivalent (worker)", 5, 4), ("SymPy Expr.equals", 8, 7)):
        right = sum(r[right_k] for r in rows)
        times = sorted(r[ms_k] for r in rows)
        p95 = times[min(n - 1, int(round(0.95 * (n - 1))))]
        print(f"{name:<28} {right:>4}/{n} {100 * right / n:5.1f}% {statistics.median(times):>10.1f} "
              f"{p95:>8.1f} {times[-1]:>8.0f}")
    statuses = {}
    for r in rows:
        statuses[r[3].status] = statuses.get(r[3].status, 0) + 1
    outcomes = {}
    for r in rows:
        key = r[6] if isinstance(r[6], str) else repr(r[6])
        outcomes[key] = outcomes.get(key, 0) + 1
    print(f"\nderive statuses: {statuses}\nSymPy equals results: {outcomes}")
    if args.show_wrong:
        print("\nwrong cases:")
        for r in rows:
            if not r[5] or not r[8]:
                print(f"  {r[0]!r} vs {r[1]!r} (truth {r[2]}): derive {r[3].status} "
                      f"[{r[3].message[:90]}] {'ok' if r[5] else 'WRONG'}; sympy {r[6]} "
                      f"{'ok' if r[8] else 'WRONG'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
