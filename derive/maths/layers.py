"""Dense layers with an elementwise sigmoid, written once for both worlds: explicit SymPy
matrices (where the sigmoid is applied entry by entry, for proofs) and matrix symbols of
symbolic size (where sigma(i W + b) stays one readable expression for the sheet)."""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..model.functions import sigma

__all__ = ["Inner", "SigmoidOf", "dot", "ones_like", "sigmoid_layer"]


class SigmoidOf(MatrixExpr):
    """sigma applied entry by entry to a matrix expression, for notation only."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer):
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


def sigmoid_layer(inputs, weights, bias):
    """sigma(inputs weights + bias): entry by entry when explicit, SigmoidOf(...) in general."""
    pre = inputs * weights + bias
    return pre.applyfunc(sigma) if isinstance(pre, sp.MatrixBase) else SigmoidOf(pre)


def ones_like(m):
    """A matrix of ones shaped like m: explicit at explicit sizes, the symbol 1 in general."""
    return sp.ones(*m.shape) if isinstance(m, sp.MatrixBase) else sp.OneMatrix(*m.shape)


class Inner(sp.Function):
    """a^T b of two symbolic-size column vectors, for notation only (printed a^\\top b)."""

    def _latex(self, printer, exp=None):
        a, b = (printer._print(x) for x in self.args)
        if isinstance(self.args[0], sp.MatAdd):
            a = rf"\left({a}\right)"
        tex = rf"{a}^\top {b}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex


def dot(a, b):
    """a^T b as a scalar: the explicit sum at explicit sizes, a^T b in the sheet's notation."""
    return (a.T * b)[0, 0] if isinstance(a, sp.MatrixBase) else Inner(a, b)
