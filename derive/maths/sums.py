"""Identities between expressions with sums over symbolic ranges, decided for every size.

Two forms of one sum differ in ways SymPy's ``simplify`` does not undo: the index runs from 0
or from 1 (the sum over i = 0..m-1 of g_{i+1} against the one over j = 1..m of g_j), the
dummy has another name, constants sit inside or outside, a Kronecker delta or an Iverson
bracket picks one term. :func:`canonical` rewrites every sum into one normal form:

- each sum has one index, running from 0 (the index is shifted), named by its depth
  (``_k0`` outermost, then ``_k1``), so equal sums are equal SymPy objects;
- bodies are expanded and split into one sum per term, with the factors that do not depend
  on the index taken out;
- a delta or bracket that fixes the index, ``[k = e]``, replaces the sum by its term at e,
  when e provably lies in the range (the ranges of the free indices are given);
- a sum of a body free of its index is the count of the range times the body, when the
  range is provably not reversed (so an empty range never counts negatively).

Each rewrite is an identity for every value of the symbols (with the usual value 0 of an
empty sum), so ``canonical(a) - canonical(b) == 0`` proves ``a == b`` for all sizes.
:func:`identical` then treats the remaining distinct sums as unknowns and simplifies.
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

__all__ = ["canonical", "entry_as_written", "identical"]

Ranges = Mapping[sp.Symbol, tuple]   # a free index and its (lowest, highest) values


def identical(a, b, ranges: Ranges | None = None, facts: Mapping | None = None) -> bool:
    """True only if a == b for every value of their symbols (sizes included): their
    canonical forms differ by an expression that simplifies to 0 with each remaining sum
    taken as an unknown. ``facts`` are known values of sums (the entries of a probability
    vector sum to 1), used after both sides are canonical. False means not proved (not that
    they differ)."""
    ranges = dict(ranges or {})
    a, b = (_floors_in_range(expression(x), ranges) for x in (a, b))
    known = {canonical(k): v for k, v in (facts or {}).items()}
    difference = sp.expand(canonical(a, ranges) - canonical(b, ranges))
    if known:
        difference = sp.expand(difference.xreplace(known))
    if difference == 0:
        return True
    sums = _outer_sums(difference)
    unknowns = {s: sp.Dummy(f"S{k}") for k, s in enumerate(sorted(sums, key=sp.default_sort_key))}
    rest = difference.xreplace(unknowns)
    if any(isinstance(n, sp.Sum) for n in sp.preorder_traversal(rest)):
        return False
    # A rational function of the unknowns first (cheap), then SymPy's general simplification.
    if sp.expand(sp.numer(sp.together(rest))) == 0:
        return True
    if rest.has(sp.Piecewise):   # a closed form by cases (a geometric sum at ratio 1): each case
        folded = sp.piecewise_fold(rest)
        if isinstance(folded, sp.Piecewise):
            return all(sp.simplify(_under(e, c)) == 0 for e, c in folded.args)
    return sp.simplify(rest) == 0


def entry_as_written(value, position: tuple):
    """Entry ``position`` of a matrix expression in the convention where entries are
    numbered as written, from 1: the sums SymPy writes for a product's entry run over
    0..n-1 and become 1..n (their bodies name entries by the same symbols, so only the
    range moves). ``position`` is in that convention too."""
    before = value.atoms(sp.Sum)

    def written(limit):
        k, lo, hi = limit
        return (k, 1, hi + 1) if lo == 0 else limit
    return value[position].replace(
        lambda e: isinstance(e, sp.Sum) and e not in before and any(lo == 0 for _, lo, _ in e.limits),
        lambda e: sp.Sum(e.function, *(written(limit) for limit in e.limits)))


def canonical(expr, ranges: Ranges | None = None):
    """``expr`` with every sum in the normal form of this module's docstring."""
    out = expression(expr)
    for _ in range(3):   # a sum read backwards or re-anchored may free a factor: again to a fixed point
        again = _Canonical(dict(ranges or {}))(out, 0)
        if again == out:
            break
        out = again
    return out.replace(lambda e: e.is_Add and e.has(sp.Sum), _merged) if isinstance(out, sp.Basic) else out


def _anchored(body, index, top):
    """The sum over index = 0..top, its index renamed so that the first entry it reaches
    is entry ``index`` itself (sum of g_{k+1} over 0..m-1 is the sum of g_k over 1..m):
    equal sums written with different shifts get one form, and a term beside the sum that
    is its next entry can join it (_merged)."""
    for entry in sorted(body.atoms(sp.Indexed, MatrixElement), key=sp.default_sort_key):
        positions = entry.indices if isinstance(entry, sp.Indexed) else (entry.i, entry.j)
        for at in positions:
            at = sp.expand(at)
            if index in at.free_symbols and at.is_polynomial(index) and sp.degree(at, index) == 1 \
                    and at.coeff(index) == -1:
                # The entries run backwards (g_{t-k}): the same sum read from the other end.
                try:
                    return _anchored(body.xreplace({index: top - index}), index, top)
                except (IndexError, ValueError):
                    return sp.Sum(body, (index, 0, top))
            if index in at.free_symbols and at.is_polynomial(index) and sp.degree(at, index) == 1 \
                    and at.coeff(index) == 1:
                shift = sp.expand(at - index)
                try:
                    moved = body.xreplace({index: index - shift})
                except (IndexError, ValueError):   # an entry SymPy checks would leave its matrix
                    break
                return sp.Sum(moved, (index, shift, sp.expand(top + shift)))
    return sp.Sum(body, (index, 0, top))


def _merged(add):
    """An Add whose sums take in a term beside them that is the entry just before their
    first or just after their last (g_1 + the sum of g_k over 2..m is the sum over 1..m),
    when the range is provably not reversed."""
    terms = list(add.args)
    changed = True
    while changed:
        changed = False
        for n, term in enumerate(terms):
            coefficient, total = term.as_coeff_Mul()
            if not isinstance(total, sp.Sum) or len(total.limits) != 1:
                continue
            k, lo, hi = total.limits[0]
            if not (hi - lo + 1).is_nonnegative:
                continue
            for m, other in enumerate(terms):
                if m == n:
                    continue
                for end, limits in ((lo - 1, (k, lo - 1, hi)), (hi + 1, (k, lo, hi + 1))):
                    try:
                        beside = total.function.xreplace({k: end})
                    except (IndexError, ValueError):   # past the end of a matrix SymPy checks
                        continue
                    if sp.expand(other - coefficient * beside) == 0:
                        terms[n] = coefficient * sp.Sum(total.function, limits)
                        del terms[m]
                        changed = True
                        break
                if changed:
                    break
            if changed:
                break
    return sp.Add(*terms)


def expression(value):
    """A SymPy expression built by the engine (a number becomes one); text is refused, so no
    user input is ever parsed here."""
    if isinstance(value, str):
        raise TypeError("an expression must be built by the answer reader, not given as text")
    return sp.sympify(value, strict=True)


def _outer_sums(expr) -> set:
    found = set()

    def walk(e):
        if isinstance(e, sp.Sum):
            found.add(e)
            return
        for arg in e.args:
            walk(arg)
    walk(expr)
    return found


def dummy(depth: int) -> sp.Symbol:
    return sp.Symbol(f"_k{depth}", integer=True, nonnegative=True)


class _Canonical:
    def __init__(self, ranges: dict):
        self.ranges = ranges

    def __call__(self, e, depth: int):
        if isinstance(e, sp.Sum):
            return self._sum(e, depth)
        if not e.args or not any(isinstance(n, sp.Sum) for n in sp.preorder_traversal(e)):
            return e
        return e.func(*(self(a, depth) if isinstance(a, sp.Basic) else a for a in e.args))

    def _sum(self, s: sp.Sum, depth: int):
        body, limits = s.function, list(s.limits)
        dummies = {k for k, _, _ in limits}
        if len(limits) > 1 and not any((lo.free_symbols | hi.free_symbols) & dummies for _, lo, hi in limits):
            # Independent ranges: the order of summation is free; take the one the body's
            # entries fix (the index in the first axis outermost), whatever the names.
            limits.sort(key=lambda limit: _places(body, limit[0]), reverse=True)
        # SymPy's first limit is the innermost sum: nest them, inner first.
        for k, lo, hi in limits[:-1]:
            body = sp.Sum(body, (k, lo, hi))
        k, lo, hi = limits[-1]
        index = dummy(depth)
        body = body.xreplace({k: index + lo})
        top = sp.expand(hi - lo)
        self.ranges[index] = (sp.S.Zero, top)
        try:
            body = sp.expand(self(body, depth + 1))
            return sp.Add(*(self._term(t, index, top) for t in sp.Add.make_args(body)))
        finally:
            del self.ranges[index]

    def _term(self, term, index, top):
        """The sum over index = 0..top of one product term."""
        outside, inside = [], []
        for f in sp.Mul.make_args(term):
            (inside if index in f.free_symbols else outside).append(f)
        factor = sp.Mul(*outside)
        if not inside:
            count = top + 1
            if count.is_nonnegative:
                return factor * count
            return factor * sp.Sum(sp.S.One, (index, 0, top))
        picked = self._picked(inside, index, top)
        if picked is not None:
            return factor * picked
        body = sp.Mul(*inside)
        closed = _closed_form(body, index, top)
        if closed is not None:
            return factor * closed
        return factor * _anchored(body, index, top)

    def _picked(self, factors, index, top):
        """The term a delta or [index = e] selects, when e is provably in 0..top."""
        for n, f in enumerate(factors):
            found = _equality(f)
            if found is None:
                continue
            a, b, weight = found
            if not (a - b).is_polynomial(index) or sp.degree(a - b, index) != 1:
                continue   # only k + c = e, solved for k, picks one term
            solved = sp.solve(sp.Eq(a, b), index, dict=False)
            if len(solved) != 1:
                continue
            value = sp.expand(solved[0])
            if index in value.free_symbols or not _integer(value, self.ranges):
                continue
            if not (self._at_least(value, 0) and self._at_least(top - value, 0)):
                continue
            rest = sp.Mul(weight, *(factors[:n] + factors[n + 1:]))
            return rest.xreplace({index: value})
        return None

    def _at_least(self, expr, bound) -> bool:
        """expr >= bound for every value of the free indices in their ranges (affine only)."""
        low = sp.expand(expr - bound)
        # Innermost first: a range's ends may name the indices outside it, replaced later.
        for symbol, (lowest, highest) in reversed(list(self.ranges.items())):
            if symbol not in low.free_symbols:
                continue
            coefficient = low.coeff(symbol)
            if coefficient.free_symbols or not low.is_polynomial(symbol) or sp.degree(low, symbol) != 1:
                return False
            low = sp.expand(low.xreplace({symbol: lowest if coefficient > 0 else highest}))
        return bool(low.is_nonnegative)


def _floors_in_range(expr, ranges):
    """floor(p/q) is 0 where the ranges give 0 <= p <= q - 1 for a positive q (the group
    floor(f/F) of a filter f in 0..F-1)."""
    def zero(e):
        p, q = sp.fraction(sp.together(e.args[0]))
        if not (q.is_positive and _integer(p, ranges) and _integer(q, ranges)):
            return False
        checker = _Canonical(dict(ranges))
        return checker._at_least(p, 0) and checker._at_least(q - 1 - p, 0)
    return expr.replace(lambda e: isinstance(e, sp.floor) and zero(e), lambda e: sp.S.Zero)


def _under(expr, condition):
    """expr where an equation holds (b = 1 put in for the case 1/b = 1)."""
    if isinstance(condition, sp.Eq):
        for symbol in sorted(condition.free_symbols, key=str):
            solved = sp.solve(condition, symbol)
            if len(solved) == 1:
                return expr.subs(symbol, solved[0])
    return expr


def _closed_form(body, index, top):
    """SymPy's closed form of a sum of a body free of entries (k, k^2, beta^(t-k)), when the
    range is provably not reversed (the closed form then agrees with the empty-sum value at
    top = -1); None otherwise."""
    if body.atoms(sp.Indexed, MatrixElement, sp.Piecewise, sp.KroneckerDelta) or not (top + 1).is_nonnegative:
        return None
    total = sp.Sum(body, (index, 0, top)).doit()
    return None if total.has(sp.Sum) else total


def _places(body, index) -> tuple:
    """Where an index stands in the body's entries: (tensor, axis) pairs, sorted."""
    found = set()
    for entry in body.atoms(sp.Indexed, MatrixElement):
        positions = entry.indices if isinstance(entry, sp.Indexed) else (entry.i, entry.j)
        name = str(entry.base if isinstance(entry, sp.Indexed) else entry.parent)
        found |= {(name, axis) for axis, at in enumerate(positions)
                  if isinstance(at, sp.Basic) and index in at.free_symbols}
    return tuple(sorted(found))


def _equality(f):
    """(a, b, v) for a factor that is v where a = b and 0 elsewhere: a Kronecker delta or an
    Iverson bracket [a = b] (v = 1), or SymPy's merged form of v [a = b]."""
    if isinstance(f, sp.KroneckerDelta):
        return f.args[0], f.args[1], sp.S.One
    if isinstance(f, sp.Piecewise) and len(f.args) == 2:
        (value, condition), (zero, otherwise) = f.args
        if zero == 0 and otherwise == sp.true and isinstance(condition, sp.Eq):
            return condition.lhs, condition.rhs, value
    return None


def _integer(value, ranges) -> bool:
    """An integer for every value of the integer symbols: SymPy knows, or value is a
    polynomial with integer coefficients in integer symbols (sizes, indices)."""
    if value.is_integer:
        return True
    symbols = sorted(value.free_symbols, key=str)
    if not symbols or not all(s in ranges or s.is_integer for s in symbols):
        return False
    if not value.is_polynomial(*symbols):
        return False
    return all(c.is_integer for c in sp.Poly(value, *symbols).coeffs())
