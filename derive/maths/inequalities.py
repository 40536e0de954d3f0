"""Conditions on one variable, such as the step-size bound ``0 < eps < 2/lambda_max``,
compared as sets.

Two conditions make the same claim when they have the same solution set in the variable
they constrain, for every value of the other symbols their assumptions allow. The solution
sets come from SymPy's inequality solvers, so a bound is derived rather than typed in:

>>> import sympy as sp
>>> eps, lam = sp.Symbol("eps", real=True), sp.Symbol("lambda", positive=True)
>>> solution_set(sp.Abs(1 - eps * lam) < 1, eps)
Interval.open(0, 2/lambda)
>>> same_set(sp.And(0 < eps, eps < 2 / lam), (eps > 0) & (lam * eps < 2))
True
"""
from __future__ import annotations

from typing import Callable, Mapping

import sympy as sp
from sympy.logic.boolalg import Boolean, BooleanFalse, BooleanTrue
from sympy.solvers.inequalities import solve_univariate_inequality

from ..errors import InvalidArgument, ProofTimeout
from ..model.functions import is_condition
from .zero import is_zero, time_limit

__all__ = ["NotSolvable", "as_relational", "intersection_over", "is_condition", "same_set",
           "solution_set", "solution_set_at", "witness"]


class NotSolvable(InvalidArgument):
    """A condition SymPy cannot turn into a solution set in the requested variable."""



def _intersect(a: sp.Set, b: sp.Set) -> sp.Set:
    """Intersection that also resolves intervals with symbolic ends ordered by assumptions
    (SymPy leaves Intersection((0, oo), (-oo, 2/l)) unevaluated even for positive l)."""
    if isinstance(a, sp.Interval) and isinstance(b, sp.Interval):
        low, high = sp.Max(a.inf, b.inf), sp.Min(a.sup, b.sup)
        if not isinstance(low, sp.Max) and not isinstance(high, sp.Min):
            left_open = (a.left_open if low == a.inf else False) or (b.left_open if low == b.inf else False)
            right_open = (a.right_open if high == a.sup else False) or (b.right_open if high == b.sup else False)
            return sp.Interval(low, high, left_open, right_open)
    return sp.Intersection(a, b)


def solution_set(condition, variable: sp.Symbol) -> sp.Set:
    """The set of real ``variable`` values where ``condition`` holds (other symbols fixed).

    Raises NotSolvable when a relation cannot be solved for ``variable`` by SymPy.
    """
    if isinstance(condition, sp.Set):
        return condition
    if isinstance(condition, BooleanTrue):
        return sp.S.Reals
    if isinstance(condition, BooleanFalse):
        return sp.S.EmptySet
    if isinstance(condition, sp.Contains):
        if condition.args[0] != variable:
            raise NotSolvable(f"{condition} is not a condition on {variable}")
        return condition.args[1]
    if isinstance(condition, sp.And):
        out = sp.S.Reals
        for arg in condition.args:
            out = _intersect(out, solution_set(arg, variable))
        return out
    if isinstance(condition, sp.Or):
        return sp.Union(*[solution_set(arg, variable) for arg in condition.args])
    if isinstance(condition, sp.Not):
        return sp.Complement(sp.S.Reals, solution_set(condition.args[0], variable))
    if isinstance(condition, sp.core.relational.Relational):
        if variable not in condition.free_symbols:
            raise NotSolvable(f"{condition} does not involve {variable}")
        try:
            return solve_univariate_inequality(condition, variable, relational=False)
        except (NotImplementedError, ValueError, TypeError) as exc:
            raise NotSolvable(f"SymPy cannot solve {condition} for {variable}: {exc}") from exc
    raise NotSolvable(f"{condition!s} is not a relation, a combination of relations or a set")


def as_relational(condition, variable: sp.Symbol) -> Boolean:
    """The solution set of ``condition`` written back as relations (``0 < eps < 2/l``)."""
    return solution_set(condition, variable).as_relational(variable)


def _relations(condition) -> list:
    if isinstance(condition, sp.core.relational.Relational):
        return [condition]
    if isinstance(condition, Boolean):
        return [r for arg in condition.args for r in _relations(arg)]
    return []


def _candidates(a, b) -> list[sp.Symbol]:
    """Variables that every relation of both conditions involves: the constrained one."""
    relations = _relations(a) + _relations(b)
    if not relations:
        return []
    common = set.intersection(*(set(r.free_symbols) for r in relations))
    return sorted((s for s in common if s.is_real), key=lambda s: s.name)


def _ends_equal(x, y, budget) -> bool | None:
    if x == y:
        return True
    if x.is_infinite or y.is_infinite:
        return None
    # No inner time limit: same_set's own limit covers the whole comparison (nested limits
    # would cancel the outer one).
    return is_zero(x - y, None)


def _sets_equal(a: sp.Set, b: sp.Set, budget: float) -> bool | None:
    if a == b:
        return True
    if isinstance(a, sp.Interval) and isinstance(b, sp.Interval):
        if (a.left_open, a.right_open) != (b.left_open, b.right_open):
            return None
        return True if (_ends_equal(a.inf, b.inf, budget) and _ends_equal(a.sup, b.sup, budget)) else None
    if isinstance(a, sp.Union) and isinstance(b, sp.Union) and len(a.args) == len(b.args):
        return True if all(_sets_equal(x, y, budget) for x, y in zip(a.args, b.args)) else None
    if isinstance(a, sp.FiniteSet) and isinstance(b, sp.FiniteSet) and len(a) == len(b):
        return True if all(any(_ends_equal(x, y, budget) for y in b) for x in a) else None
    return None


def same_set(a, b, budget: float = 5.0, variable: sp.Symbol | None = None) -> bool | None:
    """True if the two conditions have equal solution sets in their constrained variable.

    None means "not proved" (SymPy could not solve or compare), never "different":
    :func:`witness` finds a value on which they disagree.
    """
    candidates = [variable] if variable is not None else _candidates(a, b)
    try:
        with time_limit(budget):
            for var in candidates:
                try:
                    sa, sb = solution_set(a, var), solution_set(b, var)
                except NotSolvable:
                    continue
                if _sets_equal(sa, sb, budget):
                    return True
    except ProofTimeout:
        return None
    return None


def intersection_over(condition: Callable[[sp.Symbol], Boolean], variable: sp.Symbol,
                      parameter: sp.Symbol, low, high) -> sp.Interval:
    """The values of ``variable`` for which ``condition(parameter)`` holds for every
    ``parameter`` in [low, high] (e.g. a step size that works for every eigenvalue).

    The solution set for one parameter value must be an interval whose ends are monotone
    in the parameter (SymPy decides the monotonicity); the intersection over the range
    then takes each end at whichever end of the range binds.
    """
    piece = solution_set(condition(parameter), variable)
    if not isinstance(piece, sp.Interval):
        raise NotSolvable(f"the solution set {piece} for one {parameter} is not an interval")
    positive = sp.Interval.open(0, sp.oo) if parameter.is_positive else sp.S.Reals
    ends = []
    for end, tighter in ((piece.inf, sp.Max), (piece.sup, sp.Min)):
        if parameter not in end.free_symbols:
            ends.append(end)
        elif sp.is_increasing(end, positive, parameter):
            ends.append(end.subs(parameter, high if tighter is sp.Max else low))
        elif sp.is_decreasing(end, positive, parameter):
            ends.append(end.subs(parameter, low if tighter is sp.Max else high))
        else:
            raise NotSolvable(f"the end {end} is not monotone in {parameter}")
    return sp.Interval(ends[0], ends[1], piece.left_open, piece.right_open)


def solution_set_at(condition, variable: sp.Symbol, point: Mapping) -> sp.Set:
    """The solution set in ``variable`` with the other symbols at the numbers ``point``
    (a symbol -> float map); the numbers enter as exact rationals."""
    exact = {k: sp.Rational(float(v)) for k, v in point.items()}
    return solution_set(condition.xreplace(exact), variable)


def witness(a, b, variable: sp.Symbol, point: Mapping) -> float | None:
    """A value of ``variable`` inside one condition's set but not the other's, at numeric
    values ``point`` of the other symbols; None if the sets agree there."""
    sa, sb = solution_set_at(a, variable, point), solution_set_at(b, variable, point)
    difference = sp.Union(sp.Complement(sa, sb), sp.Complement(sb, sa))
    pieces = difference.args if isinstance(difference, sp.Union) else (difference,)
    for piece in pieces:
        if isinstance(piece, sp.Interval) and piece.measure > 0:
            lo, hi = piece.inf, piece.sup
            inside = (lo + hi) / 2 if lo.is_finite and hi.is_finite else (hi - 1 if hi.is_finite else
                                                                           lo + 1 if lo.is_finite else 0)
            return float(inside)
        if isinstance(piece, sp.FiniteSet) and len(piece):
            return float(next(iter(piece)))
    return None
