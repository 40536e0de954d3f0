r"""The centre loss of Wen et al. (2016) on a mini-batch: L_c = 1/2 sum_i ||x_i - c_{y_i}||^2,
and the paper's centre update Delta c_j = sum_i [y_i = j](c_j - x_i) / (1 + sum_i [y_i = j]).

The same functions take SymPy columns (for derivations at explicit sizes) or NumPy vectors
(for oracles); labels are classes 1..K, as in the catalogue. Bad input (a label outside the
classes, vectors of different sizes) raises :class:`~derive.errors.InvalidArgument`.

>>> import numpy as np
>>> center_loss([np.array([1.0, 2.0])], [np.array([0.0, 0.0])], [1])
2.5
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp

from ..errors import InvalidArgument

__all__ = ["center_loss", "center_update", "check_batch", "indicator", "picked", "simplify_indicators"]


class indicator(sp.Function):
    """[a = b]: 1 if a equals b, else 0 (Iverson's bracket; the paper writes delta(a = b))."""

    @classmethod
    def eval(cls, a, b):
        if a.is_number and b.is_number:
            return sp.S.One if a == b else sp.S.Zero

    def _latex(self, printer):
        a, b = self.args
        return rf"[{printer._print(a)} = {printer._print(b)}]"

    def _eval_rewrite_as_Piecewise(self, a, b, **kwargs):
        return sp.Piecewise((1, sp.Eq(a, b)), (0, True))

    def _numpycode(self, printer):
        # 1.0 * (a == b): a float array of 0s and 1s in NumPy, 0 or 1 for mpmath numbers
        a, b = (printer._print(arg) for arg in self.args)
        return f"(1.0*(({a}) == ({b})))"

    _mpmathcode = _pythoncode = _lambdacode = _numpycode


def simplify_indicators(expr):
    """Apply [a = j][a = k] = [j = k][a = j] and [a = j]^2 = [a = j] to an expanded expression,
    so a sum over classes picked out by an indicator collapses to the one class it picks."""
    def term(t):
        factors = sp.Mul.make_args(t)
        seen: dict = {}
        rest = []
        for f in factors:
            base, power = f.as_base_exp()
            if isinstance(base, indicator) and power.is_Integer and power > 0:
                a, b = base.args
                if a in seen and seen[a] != b:
                    if (seen[a] - b).is_number:
                        return sp.S.Zero           # a cannot equal two different numbers
                    rest.append(indicator(seen[a], b))
                    continue
                seen[a] = b
                continue
            rest.append(f)
        return sp.Mul(*rest, *[indicator(a, b) for a, b in seen.items()])
    return sp.Add(*[term(t) for t in sp.Add.make_args(sp.expand(expr))])


def _size(v) -> int:
    return v.shape[0] if isinstance(v, sp.MatrixBase) else int(np.size(v))


def check_batch(points: Sequence, centres: Sequence, labels: Sequence[int]) -> None:
    """Raise InvalidArgument unless every label is a class 1..K and every vector has one size."""
    if len(points) != len(labels):
        raise InvalidArgument(f"{len(points)} points but {len(labels)} labels; give one label per point")
    if not centres:
        raise InvalidArgument("no centres: give one centre per class 1..K")
    k = len(centres)
    for n, label in enumerate(labels, 1):
        if isinstance(label, bool) or not float(label).is_integer() or not 1 <= int(label) <= k:
            raise InvalidArgument(f"label y_{n} = {label!r} is outside the classes 1..{k}")
    sizes = {f"x_{n}": _size(p) for n, p in enumerate(points, 1)}
    sizes.update({f"c_{j}": _size(c) for j, c in enumerate(centres, 1)})
    if len(set(sizes.values())) > 1:
        raise InvalidArgument(f"mismatched vector sizes {sizes}; every point and centre needs the same size")


def _squared_norm(v):
    return (v.T * v)[0, 0] if isinstance(v, sp.MatrixBase) else float(np.dot(v, v))


def center_loss(points: Sequence, centres: Sequence, labels: Sequence[int]):
    """L_c = 1/2 sum_i ||x_i - c_{y_i}||^2 (labels are classes 1..K)."""
    check_batch(points, centres, labels)
    return sum((_squared_norm(p - centres[int(y) - 1]) for p, y in zip(points, labels)), 0) / 2


def center_update(points: Sequence, centres: Sequence, labels: Sequence[int], j: int):
    """The paper's Delta c_j = sum_i [y_i = j](c_j - x_i) / (1 + sum_i [y_i = j])."""
    check_batch(points, centres, labels)
    if not 1 <= j <= len(centres):
        raise InvalidArgument(f"class j = {j!r} is outside the classes 1..{len(centres)}")
    members = [p for p, y in zip(points, labels) if int(y) == j]
    return sum((centres[j - 1] - p for p in members), 0 * centres[j - 1]) / (1 + len(members))


def picked(label, centres: Sequence):
    """c_{y} written with indicators, for a symbolic label y: sum_k [y = k] c_k."""
    return sum((indicator(label, k) * c for k, c in enumerate(centres, 1)), 0 * centres[0])
