"""Index notation at explicit sizes: a formula written once with IndexedBase tensors, free
indices and bounded sums (what a sheet prints) is evaluated entry by entry on the SymPy
arrays or the NumPy arrays of one case.

An entry ``X[i, j]`` whose index falls outside the tensor, or is not an integer, is 0: that
is zero padding for an input and "out-of-range kernel indices contribute 0" for a kernel,
the convention the catalogue states for the conv gradients.

>>> i, j, n = sp.symbols("i j n", integer=True)
>>> x = sp.IndexedBase("x")
>>> float(evaluate(sp.Sum(x[i + j], (i, 0, n - 1)), {"x": np.arange(5.0)}, {n: 2, j: 3}))
7.0
"""
from __future__ import annotations

import itertools
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp
from sympy.core.symbol import Str
from sympy.printing.precedence import PRECEDENCE

from ..errors import InvalidArgument
from ..model.functions import as_sympy


_COMPILED: dict = {}


def _index_value(expr, scope: Mapping[str, int]):
    """An index expression's value for integer indices: an int, or a float when a division
    leaves a fraction (then no entry has that index).

    Each expression is compiled once, as numerator and denominator with integer
    coefficients, so (m + P - d j)/s is decided exactly: 6/3 is the index 2, 5/3 no index
    (float arithmetic would turn 5/3 + 1/3 into 2.0000000000000004).
    """
    if isinstance(expr, (int, sp.Integer)):
        return int(expr)
    if expr not in _COMPILED:
        symbols = sorted(expr.free_symbols, key=lambda x: x.name)
        numerator, denominator = sp.fraction(sp.together(plain(expr)))
        _COMPILED[expr] = ([x.name for x in symbols], sp.lambdify(symbols, numerator, "math"),
                           sp.lambdify(symbols, denominator, "math"))
    names, top, bottom = _COMPILED[expr]
    try:
        args = [scope[n] for n in names]
    except KeyError as missing:
        raise InvalidArgument(f"index {expr} is not determined by the free and summed indices "
                              f"{sorted(scope)}: {missing} has no value") from None
    num, den = top(*args), bottom(*args)
    if isinstance(num, int) and isinstance(den, int):
        return num // den if num % den == 0 else num / den
    value = num / den
    return int(value) if float(value).is_integer() else float(value)


def _entry(tensor, indices: Sequence, zero):
    position = []
    for k, n in zip(indices, tensor.shape):
        if not isinstance(k, int) or not 0 <= k < n:
            return zero
        position.append(k)
    return tensor[tuple(position)]


def evaluate(expr, tensors: Mapping[str, Any], env: Mapping[Any, int]):
    """The value of an index-notation formula with every free index and size given in ``env``
    (keyed by symbol or by name: symbols match by name, whatever their assumptions).

    ``tensors`` maps an IndexedBase's name to an explicit array (SymPy Array or NumPy);
    the result is a SymPy expression for SymPy arrays, a float for NumPy arrays.
    """
    scope0 = {(k if isinstance(k, str) else k.name): int(v) for k, v in env.items()}
    numeric = any(isinstance(t, np.ndarray) for t in tensors.values())
    zero = 0.0 if numeric else sp.S.Zero

    def walk(e, scope):
        if isinstance(e, sp.Indexed):
            name = e.base.label.name
            if name not in tensors:
                raise InvalidArgument(f"no values for tensor {name!r}; have {sorted(tensors)}")
            return _entry(tensors[name], [_index_value(k, scope) for k in e.indices], zero)
        if isinstance(e, sp.Sum):
            body, limits = e.function, e.limits
            names = [lim[0].name for lim in limits]
            ranges = []
            for index, low, high in limits:
                ranges.append(range(_index_value(low, scope), _index_value(high, scope) + 1))
            terms = []
            for values in itertools.product(*ranges):
                inner = dict(scope)
                inner.update(zip(names, values))
                terms.append(walk(body, inner))
            return sum(terms, zero) if numeric else sp.Add(*terms)
        if isinstance(e, (Named, Ordered)):
            return walk(e.value, scope)
        if isinstance(e, InRange):
            x, n = (_index_value(a, scope) for a in e.args)
            inside = isinstance(x, int) and 0 <= x < n
            return (1.0 if inside else zero) if numeric else (sp.S.One if inside else zero)
        if isinstance(e, sp.Symbol):
            if e.name in scope:
                return scope[e.name] if numeric else sp.Integer(scope[e.name])
            return tensors.get(e.name, e)
        if not e.args:
            return e
        if isinstance(e, sp.KroneckerDelta):
            same = _index_value(e.args[0], scope) == _index_value(e.args[1], scope)
            return (1.0 if same else zero) if numeric else (sp.S.One if same else zero)
        if isinstance(e, (sp.floor, sp.Mod, sp.ceiling)) or e.is_Relational:
            return e.func(*(walk(a, scope) for a in e.args))
        if isinstance(e, sp.Mul):
            # Indicator factors first: a product with a vanishing Kronecker delta is 0 without
            # looking up the rest, which keeps the sums of a derivation step cheap.
            deltas = [a for a in e.args if isinstance(a, (sp.KroneckerDelta, InRange))]
            for delta in deltas:
                if walk(delta, scope) == 0:
                    return zero
        args = [walk(a, scope) for a in e.args]
        if numeric:
            if isinstance(e, sp.Add):
                return sum(float(a) if isinstance(a, sp.Basic) else a for a in args)
            if isinstance(e, sp.Mul):
                out = 1.0
                for a in args:
                    out = out * (float(a) if isinstance(a, sp.Basic) else a)
                return out
            if isinstance(e, sp.Pow):
                base, power = (float(a) if isinstance(a, sp.Basic) else a for a in args)
                return base ** power
        return e.func(*args)

    return walk(as_sympy(expr), scope0)


def evaluate_all(expr, free: Sequence[sp.Symbol], shape: Sequence[int], tensors: Mapping[str, Any],
                 sizes: Mapping[sp.Symbol, int]) -> list:
    """Every entry of an index formula with free indices ``free`` over ``shape`` (row-major)."""
    if len(free) != len(shape):
        raise InvalidArgument(f"{len(free)} free indices {list(free)} for a shape {tuple(shape)}")
    out = []
    for position in itertools.product(*(range(n) for n in shape)):
        env = dict(sizes)
        env.update({k: int(v) for k, v in zip(free, position)})
        out.append(evaluate(expr, tensors, env))
    return out


def flat_column(cells) -> sp.Matrix:
    """Entries as one SymPy column: how a tensor result meets the matrix-shaped claims."""
    cells = list(cells)
    return sp.Matrix(len(cells), 1, cells)


def array_cells(array) -> list:
    """The entries of a SymPy Array (any rank) or a NumPy array, row-major."""
    if isinstance(array, np.ndarray):
        return list(array.reshape(-1))
    if isinstance(array, sp.NDimArray):
        return list(sp.flatten(array.tolist())) if array.rank() > 1 else list(array)
    return list(array)


def index_formula(form, free: Sequence[sp.Symbol], over: str):
    """A part formula from an index form ``form(sizes)``: in general the index expression
    itself (what the sheet prints); at explicit sizes its value at every free-index value
    over the shape of variable ``over``, as one column, with the namespace's arrays."""
    def formula(v):
        expr = form(v.sizes)
        if v.general:
            return expr
        tensors = {name: obj for name, obj in v.objects.items() if isinstance(obj, sp.NDimArray)}
        return flat_column(evaluate_all(expr, free, v.objects[over].shape, tensors, v.sizes))
    formula.form = form
    # What the answer checker needs to evaluate an answer the same way: the free indices,
    # in the order of the axes, and the tensor whose shape they run over.
    formula.free = tuple(free)
    formula.over = over
    return formula


class Ordered(sp.Expr):
    """An index expression that prints its terms in the order written: ``s i + d k - P``
    rather than SymPy's alphabetical ``d k - P + i s``. A term is an expression or a tuple
    of factors printed side by side; a leading -1 in a tuple makes the term negative.

    Only notation: every evaluation uses :attr:`value`, the plain sum.
    """

    def __new__(cls, *terms):
        packed = [sp.Tuple(*t) if isinstance(t, tuple) else as_sympy(t) for t in terms]
        packed = [t for t in packed if t != 0] or [sp.S.Zero]
        return sp.Expr.__new__(cls, *packed)

    @staticmethod
    def _term(t):
        return sp.Mul(*t.args) if isinstance(t, sp.Tuple) else t

    @property
    def value(self):
        return sp.Add(*(self._term(t) for t in self.args))

    def _eval_is_integer(self):
        return self.value.is_integer

    @property
    def precedence(self):
        # Read by SymPy's printers: (h + P - s i) / d keeps its brackets when folded inline.
        if len(self.args) > 1:
            return PRECEDENCE["Add"]
        return PRECEDENCE["Mul"] if isinstance(self.args[0], sp.Tuple) else PRECEDENCE["Atom"]

    def _latex(self, printer):
        out = []
        for n, t in enumerate(self.args):
            factors = list(t.args) if isinstance(t, sp.Tuple) else [t]
            negative = factors[0] == -1 or (len(factors) == 1 and factors[0].could_extract_minus_sign())
            if factors[0] == -1:
                factors = factors[1:] or [sp.S.One]   # the term -1 itself
            elif negative:
                factors = [-factors[0]]
            body = " ".join(printer.parenthesize(f, 50) for f in factors)
            out.append(("- " if negative else ("+ " if n else "")) + body)
        return " ".join(out)


class Named(sp.Expr):
    r"""A quantity a formula calls by its name: ``Named(r"\gamma(f)", floor(f g / F), "the group of
    filter $f$")`` prints as $\gamma(f)$ and evaluates as its definition.

    Group and stride arithmetic would otherwise put fractions inside the subscripts of
    subscripts; a sheet states each name's definition once, in the line above the formula
    that first uses it (``derive.render.printing.definitions``), printed from the same
    definition every evaluation and proof uses, so the names cannot drift from what is proved.
    """

    def __new__(cls, label, definition, meaning=""):
        # SymPy rebuilds a node from its args (Str), so both spellings are taken.
        label, meaning = (x if isinstance(x, Str) else Str(x) for x in (label, meaning))
        return sp.Expr.__new__(cls, label, as_sympy(definition), meaning)

    @property
    def label(self) -> str:
        return self.args[0].name

    @property
    def definition(self):
        return self.args[1]

    @property
    def meaning(self) -> str:
        return self.args[2].name

    @property
    def value(self):
        return plain(self.definition)

    def _eval_is_integer(self):
        return self.definition.is_integer

    def _latex(self, printer):
        return self.label


class InRange(sp.Expr):
    r"""The Iverson bracket $[x \in \{0, \dots, n - 1\}]$: 1 when the index ``x`` is an integer
    from 0 to n - 1, else 0. It spells out on the sheet the convention :func:`evaluate`
    applies to every tensor entry (an index outside its range, or not an integer, gives 0);
    evaluated on its own, it tests exactly that."""

    def __new__(cls, x, n):
        return sp.Expr.__new__(cls, as_sympy(x), as_sympy(n))

    def _eval_is_integer(self):
        return True

    def _latex(self, printer):
        x, n = (printer._print(a) for a in self.args)
        return rf"\left[{x} \in \left\{{0, \dots, {n} - 1\right\}}\right]"


def plain(expr):
    """``expr`` with every :class:`Ordered` replaced by its plain sum and every :class:`Named`
    by its definition."""
    if not isinstance(expr, sp.Basic) or not expr.has(Ordered, Named):
        return expr
    return expr.replace(lambda e: isinstance(e, (Ordered, Named)), lambda e: e.value)
