"""Gradient methods on the quadratic f(w) = 1/2 w^T H w, derived in SymPy.

On a quadratic, gradient descent and damped Newton are linear maps w -> A w that act on
each eigenvector of H by their own factor. These tools derive what a sheet states about
such a method from its update rule: the gradient by differentiation, the iterates by
iterating, the factor of an update that is a multiple of w, and the constant step that
minimises the slower of two modes. The NumPy side that runs the methods (the
independent oracle) is :mod:`derive.verify.dynamics`.

>>> import sympy as sp
>>> h, e = sp.Matrix([[2, 0], [0, 3]]), sp.Symbol("e")
>>> linear_factor(lambda w: w - e * h.inv() * quadratic_gradient(h, w), 2, "Newton")
1 - e
"""
from __future__ import annotations

from typing import Callable

import sympy as sp

from ..errors import ProblemDefinitionError

__all__ = ["iterate", "linear_factor", "minimax_step", "quadratic_gradient"]


def quadratic_gradient(h: sp.Matrix, w: sp.Matrix) -> sp.Matrix:
    """grad f(w) for f(w) = 1/2 w^T H w, differentiated by SymPy (explicit H)."""
    x = sp.Matrix([sp.Symbol(f"x_{k}", real=True) for k in range(h.shape[0])])
    f = (x.T * h * x)[0, 0] / 2
    return sp.Matrix([f]).jacobian(x).T.xreplace(dict(zip(x, w)))


def iterate(update: Callable, w_0, steps: int):
    """``update`` applied ``steps`` times from ``w_0``, expanded after every step."""
    w = w_0
    for _ in range(steps):
        w = sp.expand(update(w))
    return w


def linear_factor(update: Callable[[sp.Matrix], sp.Matrix], n: int, name: str):
    """The scalar c with update(w) = c w for every w in R^n.

    ProblemDefinitionError (naming ``name``) if the update is not such a multiple, e.g.
    if it mixes coordinates.
    """
    w = sp.Matrix([sp.Symbol(f"w_{k}", real=True) for k in range(n)])
    new = update(w)
    ratios = {sp.cancel(new[k] / w[k]) for k in range(n)}
    if len(ratios) != 1 or any(r.free_symbols & set(w) for r in ratios):
        raise ProblemDefinitionError(f"{name} is not a multiple of w here: {ratios}")
    return ratios.pop()


def minimax_step(factor: Callable, low, high):
    """argmin and min over e > 0 of max(|factor(e, low)|, |factor(e, high)|), for a factor
    linear in e and positive symbols low < high (e.g. 1 - e lambda at the extreme eigenvalues).

    The objective is convex and piecewise linear, so its minimum sits at a kink: where the
    two lines cross or one vanishes. The kinks are compared with high = low (1 + d), d > 0.
    """
    e, d = sp.Symbol("e", positive=True), sp.Symbol("d", positive=True)
    lines = [factor(e, low), factor(e, high)]
    kinks = set(sp.solve(lines[0] ** 2 - lines[1] ** 2, e)) | {r for l in lines for r in sp.solve(l, e)}
    ordered = {high: low * (1 + d)}

    def worst(k):
        return sp.Max(*[sp.factor(s * l.subs(e, k).xreplace(ordered)) for l in lines for s in (1, -1)])
    values = {k: worst(k) for k in kinks}
    best = [k for k in kinks if all(sp.factor(values[o] - values[k]).is_nonnegative for o in kinks)]
    if len(best) != 1:
        raise ProblemDefinitionError(f"minimax_step: no single best kink among {values}")
    return best[0], sp.simplify(values[best[0]].subs(d, high / low - 1))
