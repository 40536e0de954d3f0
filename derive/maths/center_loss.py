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
from ..model.domains import Domain

__all__ = ["ClassLabels", "batch_around", "batch_sum", "center_loss", "center_update", "check_batch", "column",
           "derived_updates", "indicator", "linear_batch", "linear_gradient", "loss_gradient", "picked",
           "simplify_indicators", "update_formula"]


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


# ---------------------------------------------------------------- the derivations at explicit sizes
# The helpers below take a part's namespace ``v`` with the centre-loss variables of
# problems/backprop.py: x_i, c_y_i (size d), W, z_i, b (a linear layer), or x, c, y (one coordinate).
def column(name, k, n):
    return sp.Matrix([sp.Symbol(f"{name}_{{{k},{r + 1}}}", real=True) for r in range(n)])


def batch_around(v, point, inputs=None):
    """A batch of three at explicit sizes: the point x_i with centre c_{y_i}, a second point
    of the same class and a third of another class (centre c_2), so the derivation sees
    both kinds of neighbour. ``inputs`` maps a batch member's own symbols to its point."""
    make = inputs or (lambda k: column("x", k, v.d))
    return [point, make(2), make(3)], [v.c_y_i, column("c", 2, v.d)], [1, 1, 2]


def loss_gradient(wrt, batch):
    return sp.Matrix([center_loss(*batch)]).jacobian(wrt).T


class ClassLabels(Domain):
    """Class labels 1, 2 or 3 (parts using it have at least K = 3 classes). Sampled from
    1..3; any label 1..K is allowed, and answer checking tries them (``label_size``)."""

    label_size = "K"

    def __init__(self):
        super().__init__("class labels 1, 2 or 3", (("integer", True), ("positive", True)))

    def sample(self, rng, shape):
        return rng.integers(1, 4, size=shape).astype(float)


def derived_updates(v):
    """dL_c/dc_j by SymPy with c_{y_i} = sum_k [y_i = k] c_k, the indicators multiplied out,
    over 1 + (the number of points of class j): the paper's rule, for every class j."""
    loss = sum((x_ - picked(y_, list(v.c))) ** 2 for x_, y_ in zip(v.x, v.y)) / 2
    return sp.Matrix([simplify_indicators(sp.diff(loss, v.c[j - 1])) / (1 + sum(indicator(y_, j) for y_ in v.y))
                      for j in range(1, v.K + 1)])


def update_formula(v):
    """The paper's Delta c_j: written with indexed sums in general, for every class at explicit sizes."""
    if v.general:
        i, j = sp.symbols("i j", integer=True)
        x_, c_, y_ = (sp.IndexedBase(n) for n in "xcy")
        hit = indicator(y_[i], j)
        return sp.Sum(hit * (c_[j] - x_[i]), (i, 1, v.m)) / (1 + sp.Sum(hit, (i, 1, v.m)))
    hits = lambda j: [indicator(y_, j) for y_ in v.y]
    return sp.Matrix([sum(h * (v.c[j - 1] - x_) for h, x_ in zip(hits(j), v.x)) / (1 + sum(hits(j)))
                      for j in range(1, v.K + 1)])


def linear_batch(v):
    """The batch of three behind the linear layer x = W z + b."""
    return batch_around(v, v.W * v.z_i + v.b, lambda k: v.W * column("z", k, v.p) + v.b)


def batch_sum(v, term):
    """sum_i term(x_i - c_{y_i}, z_i) over the batch of three, or the written sum in general."""
    if v.general:
        return sp.Sum(term(v.x_i - v.c_y_i, v.z_i), (sp.Symbol("i", integer=True), 1, sp.Symbol("m")))
    points, centres, labels = linear_batch(v)
    inputs = [v.z_i, column("z", 2, v.p), column("z", 3, v.p)]
    return sum((term(x_ - centres[y_ - 1], z_) for x_, z_, y_ in zip(points, inputs, labels)),
               sp.zeros(*term(points[0], inputs[0]).shape))


def linear_gradient(name):
    """dL_c/d(name) entry by entry, for a parameter of the linear layer, over the batch of three."""
    def derived(v):
        loss, parameter = center_loss(*linear_batch(v)), v.objects[name]
        return sp.Matrix(*parameter.shape, lambda r, c: loss.diff(parameter[r, c]))
    return derived
