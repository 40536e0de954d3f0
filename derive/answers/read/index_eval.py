"""Exact, fast evaluation of an index formula on integer tensors.

The same convention as derive.maths.tensors.evaluate (an entry outside its tensor, or at a
non-integer index, is 0), but the formula is compiled once into Python closures over ints
and Fractions, so a check compares hundreds of entries at a dozen sizes in well under a
second where walking the SymPy tree per entry takes several. Only the node types an index
answer or a part's index form contains are compiled (numbers, symbols, tensor entries,
+, *, integer powers, bounded sums, floor, mod, min, max); anything else raises InvalidArgument.

>>> i, n = sp.symbols("i n", integer=True)
>>> x = sp.IndexedBase("x")
>>> compile_index(sp.Sum(x[i + 1], (i, 0, n - 1)))({"n": 3}, {"x": [1, 2, 3, 4]})
9
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import sympy as sp

from ...errors import InvalidArgument
from ...maths.tensors import Ordered, plain

__all__ = ["compile_index", "nested_ints"]

Compiled = Callable[[dict, dict], object]
# A sum runs over a tensor axis or a few more; a bound such as 10^9 is refused, not looped.
MAX_SUM_RANGE = 1000


def _number(x):
    """An int when whole: index arithmetic and lookups work on ints."""
    if isinstance(x, Fraction) and x.denominator == 1:
        return x.numerator
    return x


def compile_index(expr) -> Compiled:
    """``expr`` as a function of (scope: name -> int, tensors: name -> nested lists of ints)."""
    expr = plain(expr)
    return _compile(expr)


def _compile(e) -> Compiled:
    if isinstance(e, Ordered):   # pragma: no cover - plain() removed them
        return _compile(e.value)
    if isinstance(e, sp.Integer):
        value = int(e)
        return lambda scope, tensors: value
    if isinstance(e, sp.Rational):
        value = Fraction(int(e.p), int(e.q))
        return lambda scope, tensors: value
    if isinstance(e, sp.Symbol):
        name = e.name

        def symbol(scope, tensors):
            try:
                return scope[name]
            except KeyError:
                raise InvalidArgument(f"{name} has no value here (free indices and sizes: "
                                      f"{sorted(scope)})") from None
        return symbol
    if isinstance(e, sp.Indexed):
        name = e.base.label.name
        indices = [_compile(k) for k in e.indices]

        def entry(scope, tensors):
            cell = tensors[name]
            for k in indices:
                at = _number(k(scope, tensors))
                if not isinstance(at, int) or not 0 <= at < len(cell):
                    return 0
                cell = cell[at]
            return cell
        return entry
    if isinstance(e, sp.Sum):
        body = _compile(e.function)
        # SymPy's first limit is the innermost: loop from the last, so an inner bound may
        # use an outer index.
        limits = [(lim[0].name, _compile(lim[1]), _compile(lim[2])) for lim in reversed(e.limits)]

        def total(scope, tensors, k=0):
            if k == len(limits):
                return body(scope, tensors)
            name, low, high = limits[k]
            lo, hi = _number(low(scope, tensors)), _number(high(scope, tensors))
            if hi - lo >= MAX_SUM_RANGE:
                raise InvalidArgument(f"the sum over {name} runs from {lo} to {hi}; a sum in an index "
                                      f"answer may run over at most {MAX_SUM_RANGE} values")
            out = 0
            inner = dict(scope)
            for value in range(math.ceil(lo), math.floor(hi) + 1):
                inner[name] = value
                out += total(inner, tensors, k + 1)
            return out
        return lambda scope, tensors: _number(total(scope, tensors))
    if isinstance(e, sp.Add):
        terms = [_compile(a) for a in e.args]
        return lambda scope, tensors: _number(sum(t(scope, tensors) for t in terms))
    if isinstance(e, sp.Mul):
        factors = [_compile(a) for a in e.args]

        def product(scope, tensors):
            out = 1
            for f in factors:
                out = out * f(scope, tensors)
                if out == 0:
                    return 0
            return _number(out)
        return product
    if isinstance(e, sp.Pow) and e.exp.is_Integer:
        base, power = _compile(e.base), int(e.exp)

        def raised(scope, tensors):
            b = base(scope, tensors)
            if power < 0:
                if b == 0:
                    raise ZeroDivisionError(f"{sp.sstr(e)} divides by zero here")
                return _number(Fraction(1) / Fraction(b) ** -power)
            return _number(b ** power)
        return raised
    if isinstance(e, (sp.floor, sp.ceiling)):
        inner = _compile(e.args[0])
        rounding = math.floor if isinstance(e, sp.floor) else math.ceil
        return lambda scope, tensors: rounding(inner(scope, tensors))
    if isinstance(e, sp.Mod):
        top, bottom = _compile(e.args[0]), _compile(e.args[1])
        return lambda scope, tensors: _number(top(scope, tensors) % bottom(scope, tensors))
    if isinstance(e, (sp.Min, sp.Max)):
        args = [_compile(a) for a in e.args]
        pick = min if isinstance(e, sp.Min) else max
        return lambda scope, tensors: pick(a(scope, tensors) for a in args)
    raise InvalidArgument(f"cannot evaluate {type(e).__name__} ({sp.sstr(e)}) exactly in an index formula")


def nested_ints(array) -> list:
    """A SymPy Array of Integers as nested Python lists of ints (what the closures index)."""
    if array.rank() == 1:
        return [int(x) for x in array]
    return [nested_ints(array[i]) for i in range(array.shape[0])]
