"""First-order linear recurrences x_t = a x_{t-1} + b_t solved with a symbolic t, and
closed forms checked by induction on t.

The solution is derived, not looked up: SymPy's ``rsolve`` gives the homogeneous
solution h_t, and variation of constants (c_t = x_t / h_t telescopes) gives the rest
as a sum. ``by_induction`` then proves base case and inductive step symbolically.

>>> import sympy as sp
>>> t, b = sp.Symbol("t", integer=True, nonnegative=True), sp.Symbol("beta", positive=True)
>>> g = sp.IndexedBase("g")
>>> solve_first_order(b, lambda i: (1 - b) * g[i], 0, t)
(1 - beta)*Sum(beta**(t - i)*g[i], (i, 1, t))
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ..errors import InvalidArgument, ProofTimeout
from ..model.functions import as_sympy
from ..model.claim import FAILED, PROVED, Claim
from .zero import is_zero, time_limit

__all__ = ["Induction", "by_induction", "expect_linear", "instantiate", "peel_last",
           "solve_first_order", "without_degenerate_branches"]


def peel_last(expr, t: sp.Symbol):
    """Split the last term off every sum whose upper limit is t:
    sum_{i=a}^{t} f(i) = sum_{i=a}^{t-1} f(i) + f(t)."""
    def peel(s):
        i, lo, hi = s.limits[0]
        return sp.Sum(s.function, (i, lo, hi - 1)) + s.function.subs(i, hi)
    return expr.replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1 and e.limits[0][2] == t, peel)


def _previous_powers(expr, t: sp.Symbol):
    """Write every power x^(t + c) as x^(c + 1) q_x, with q_x an opaque stand-in for x^(t - 1).

    After this the inductive step is plain algebra: SymPy would otherwise fold A A^(t-1)
    back into A^t and never see the cancellation.
    """
    stand_ins: dict = {}

    def stand_in(base):
        if base not in stand_ins:
            name = f"q{len(stand_ins)}"
            stand_ins[base] = (sp.MatrixSymbol(name, *base.shape) if isinstance(base, sp.MatrixExpr)
                               else sp.Dummy(name))
        return stand_ins[base]

    def shift(e):
        c = e.exp - (t - 1)
        return c.is_Integer and c >= 0 and t not in e.base.free_symbols

    def rewrite(e):
        c = int(e.exp - (t - 1))
        q = stand_in(e.base)
        if isinstance(e, sp.MatPow):
            return sp.MatMul(*([e.base] * c + [q])) if c else q
        return e.base ** c * q

    return expr.replace(lambda e: isinstance(e, (sp.Pow, sp.MatPow)) and shift(e), rewrite)


def by_induction(closed, update: Callable[[Any, sp.Symbol], Any], initial, t: sp.Symbol,
                 start: int = 0, budget: float = 10.0) -> tuple[bool | None, str]:
    """Prove x_t = closed(t) for the recurrence x_t = update(x_{t-1}, t), x_start = initial.

    Works on scalars with sums over 1..t and powers such as (1 - eps)^t, and on matrix
    expressions with powers A^t. Returns (True, "") when base case and step are proved.
    """
    def zero(d):
        if isinstance(d, sp.MatrixExpr):
            d = sp.expand(d.doit()).doit()
            return True if (d == 0 or getattr(d, "is_ZeroMatrix", False)) else None
        return is_zero(sp.simplify(d), None)  # inside this function's own time limit

    try:
        with time_limit(budget):
            base = closed.subs(t, start).doit() - initial
            if zero(base) is not True:
                return None, f"base case t = {start} not shown: {base}"
            step = peel_last(closed, t) - update(closed.subs(t, t - 1), t)
            step = _previous_powers(step, t)
            if zero(step) is not True:
                return None, f"inductive step not shown: {step}"
    except ProofTimeout:
        return None, f"induction exceeded {budget:g} s"
    return True, ""


def solve_first_order(a, forcing: Callable[[sp.Symbol], Any], initial, t: sp.Symbol,
                      index: str = "i"):
    """Solve x_t = a x_{t-1} + forcing(t), x_0 = initial, for symbolic t (a free of t).

    The answer a^t x_0 + sum_{i=1}^t a^{t-i} forcing(i) is derived and then proved by
    induction; InvalidArgument if a depends on t or the proof fails.
    """
    if t in as_sympy(a).free_symbols:
        raise InvalidArgument(f"solve_first_order needs a coefficient free of {t}, got {a}")
    x = sp.Function("x")
    homogeneous = sp.rsolve(x(t) - a * x(t - 1), x(t))
    constants = homogeneous.free_symbols - as_sympy(a).free_symbols - {t}
    if len(constants) != 1:
        raise InvalidArgument(f"rsolve gave {homogeneous} for x_t = {a} x_(t-1); expected C a^t")
    constant = constants.pop()
    h = homogeneous.subs(constant, 1)
    # c_t = x_t / h_t obeys c_t - c_{t-1} = forcing(t) / h_t: telescope from c_0 = x_0 / h_0.
    i = sp.Symbol(index, integer=True, positive=True)
    increment = sp.powsimp(sp.simplify(forcing(i) / h.subs(t, i)))
    summand = sp.powsimp(sp.factor(h * increment), force=True)
    outside, inside = summand.as_independent(i, as_Add=False)
    solution = sp.powsimp(h * initial / h.subs(t, 0), force=True) + outside * sp.Sum(inside, (i, 1, t))
    ok, why = by_induction(solution, lambda prev, tt: a * prev + forcing(tt), initial, t)
    if ok is not True:
        raise InvalidArgument(f"derived solution {solution} failed its induction check: {why}")
    return solution


def instantiate(expr, t: sp.Symbol, n: int, sequence: sp.IndexedBase, values) -> sp.Expr:
    """expr at t = n with the sums written out and sequence[k] replaced by values[k - 1]."""
    out = expr.subs(t, n).doit()
    return out.replace(lambda e: isinstance(e, sp.Indexed) and e.base == sequence,
                       lambda e: values[int(e.indices[0]) - 1])


def as_sequence(expr, name: str) -> sp.Expr:
    """Write entries ``g[i, 0]`` of a symbolic-size vector g as a sequence g[i] (so t may move)."""
    base = sp.IndexedBase(name)
    return as_sympy(expr).replace(lambda e: isinstance(e, MatrixElement) and getattr(e.parent, "name", None) == name,
                        lambda e: base[e.i])


def expect_linear(expr, sequence: sp.IndexedBase, mean: Callable[[Any], Any]):
    """E[expr] for expr linear in the random terms sequence[i], by linearity of expectation.

    Each sequence[i] is replaced by mean(i); InvalidArgument if expr is not linear in them
    (then the expectation would need moments, not just means).
    """
    for s in expr.atoms(sp.Sum):
        terms = [e for e in s.function.atoms(sp.Indexed) if e.base == sequence]
        for term in terms:
            if sp.diff(s.function, term).has(sequence):
                raise InvalidArgument(f"{s.function} is not linear in {term}; linearity does not apply")
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == sequence,
                        lambda e: mean(e.indices[0]))


def without_degenerate_branches(expr, symbol: sp.Symbol, low, high):
    """Resolve Piecewise branches whose condition fixes ``symbol`` outside (low, high).

    sum_{i=1}^t beta^(t-i) comes back as Piecewise((t, Eq(1/beta, 1)), (..., True));
    for 0 < beta < 1 the first branch never applies.
    """
    def excluded(cond):
        if not isinstance(cond, sp.Eq) or symbol not in cond.free_symbols:
            return False
        roots = sp.solve(cond.lhs - cond.rhs, symbol)
        return bool(roots) and all(not (low < r < high) for r in roots)

    return expr.replace(lambda e: isinstance(e, sp.Eq) and excluded(e), lambda e: sp.false)


@dataclass(frozen=True)
class Induction:
    """A part's closed form checked by induction on t, with every size symbolic.

    ``closed(ns)``, ``update(ns, previous, t)`` and ``initial(ns)`` are formulas of the
    part's general namespace; ``t`` names the step counter (a size or a variable).
    Listed in ``Part.checks``; ``run`` returns a Claim.
    """
    statement: str
    closed: Callable
    update: Callable
    initial: Callable
    t: str | sp.Symbol = "t"
    sequence: str | None = None

    def run(self, part, seed: int = 0, cases: int | None = None):
        started = time.perf_counter()
        ns = part.general
        t = self.t if isinstance(self.t, sp.Symbol) else getattr(ns, self.t)
        prepare = (lambda e: as_sequence(e, self.sequence)) if self.sequence else (lambda e: e)
        try:
            closed = prepare(self.closed(ns))
            ok, why = by_induction(closed, lambda prev, tt: prepare(self.update(ns, prev, tt)),
                                   prepare(self.initial(ns)), t, budget=20.0)
        except (TypeError, ValueError, AttributeError, NotImplementedError) as exc:
            ok, why = None, f"induction could not be set up: {type(exc).__name__}: {exc}"
        return Claim(part.id, "induction", self.statement, PROVED if ok else FAILED,
                     f"induction on {t} with symbolic sizes: base case and inductive step "
                     "simplified to zero by SymPy", ("symbolic",),
                     seconds=time.perf_counter() - started, detail=why)
