"""Building SymPy from an answer tree, for an exact proof at explicit (or symbolic) sizes."""
from __future__ import annotations

from typing import Any, Mapping

import sympy as sp

from ...maths.sums import entry_as_written
from ...model import functions as F
from ...errors import AnswerEvaluationError
from .builder import MAX_FACTORIAL
from .nodes import Comp, is_scalar


_ENTRY = sp.Symbol("_x")


class SympyBuilder:
    """Builds SymPy from a tree; env maps names to Symbols, explicit Matrices or MatrixSymbols.

    Entry positions are 0-based matrix positions (g_1 is ``g[0, 0]``), except with
    ``as_written``: then g_i is ``g[i, 0]`` for the i the answer writes (1 to m), the
    convention of the parts' general forms, whose sums print as they read (the sum over
    k = 1..m of g_k). A proof for every size compares the two in that convention."""

    def __init__(self, env: Mapping[str, Any], ranges: Mapping[str, str], sizes: Mapping[str, Any],
                 as_written: bool = False):
        self.env = env
        self.ranges = ranges
        self.sizes = sizes
        self.index: dict[str, Any] = {}
        self.first = 1 if as_written else 0   # the position of a vector's first entry

    def __call__(self, node):
        out = getattr(self, "_" + type(node).__name__)(node)
        if is_scalar(node.shape) and isinstance(out, (sp.MatrixBase, sp.MatrixExpr)) and out.shape == (1, 1):
            return self._only_entry(out)
        return out

    def _only_entry(self, matrix):
        """The entry of a 1 x 1 matrix (its sums counted as this builder counts)."""
        return entry_as_written(matrix, (0, 0)) if self.first and isinstance(matrix, sp.MatrixExpr) else matrix[0, 0]

    def _Num(self, n):
        return sp.Rational(n.value.numerator, n.value.denominator)

    def _Name(self, n):
        return self.env[n.name]

    def _Const(self, n):
        if n.name == "e":
            return sp.E
        if n.name == "pi":
            return sp.pi
        size = self.sizes.get(n.shape[0])
        if isinstance(size, int):
            return sp.eye(size)
        return sp.Identity(size)

    def _idx(self, k):
        if isinstance(k, tuple) and k[0] == "label":   # y_i as a position: class y_i
            _, name, inner = k
            return self._Comp(Comp(name, (inner,))) - 1 + self.first
        if isinstance(k, tuple) and k[0] == "size":   # ("size", m, -1): the entry at m - 1
            return self.sizes[k[1]] - 1 + k[2] + self.first
        if isinstance(k, tuple) and k[0] == "affine":  # t - i: letters as written, sizes
            written = sum(c * (self.index[n] + 1 - self.first if n in self.index else self.sizes[n])
                          for n, c in k[1])
            return written + k[2] - 1 + self.first
        if isinstance(k, tuple):   # ("shift", i, 1): the entry at i + 1
            return self.index[k[1]] + k[2]
        return k - 1 + self.first if isinstance(k, int) else self.index[k]

    def _Comp(self, n):
        m = self.env[n.name]
        labels = [k for k in n.indices if isinstance(k, tuple) and k[0] == "label"]
        if labels:
            return self._labelled(n, m)
        ids = [self._idx(k) for k in n.indices]
        for i, size in zip(ids, m.shape if len(ids) == 2 else [m.shape[0] if m.shape[1] == 1 else m.shape[1]]):
            # an explicit position past either end (g_0, g_{m+1}) is no entry: never wrap around
            if (isinstance(i, (int, sp.Integer)) and isinstance(size, (int, sp.Integer))
                    and not self.first <= i < size + self.first):
                raise AnswerEvaluationError(f"index out of range in {n.name}")
        if len(ids) == 1:
            return m[ids[0], 0] if m.shape[1] == 1 else m[0, ids[0]]
        return m[ids[0], ids[1]]

    def _labelled(self, n, m):
        """c_{y_i}: the sum over every label value c of [y_i = c] times that entry."""
        if not isinstance(m, sp.MatrixBase) or len(n.indices) != 1:
            raise AnswerEvaluationError("a label subscript needs an explicit vector")
        _, name, inner = n.indices[0]
        label = self._Comp(type(n)(name, (inner,)))
        entries = list(m)
        return sum((sp.Piecewise((e, sp.Eq(label, c + 1)), (0, True)) for c, e in enumerate(entries)),
                   sp.S.Zero)

    def _Delta(self, n):
        return sp.KroneckerDelta(self._idx(n.i), self._idx(n.j))

    def _Idx(self, n):
        k = self.index[n.letter]   # an int (explicit sum) or a SymPy index expression
        return (sp.Integer(k) if isinstance(k, int) else k) + 1 - self.first

    def _Neg(self, n):
        return -self(n.x)

    def _Iverson(self, n):
        holds = {"=": sp.Eq, "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[n.op]
        return sp.Piecewise((1, holds(self(n.a), self(n.b))), (0, True))

    def _Bin(self, n):
        a, b = self(n.a), self(n.b)
        if n.op in "+-" and is_scalar(n.a.shape) != is_scalar(n.b.shape):
            # scalar +- vector is entrywise: the scalar times a vector of ones
            ones = lambda shape: (sp.ones(*shape) if all(isinstance(d, int) for d in shape)
                                  else sp.OneMatrix(*shape))
            if is_scalar(n.a.shape):
                a = a * ones(b.shape)
            else:
                b = b * ones(a.shape)
        if self.first and (isinstance(a, sp.MatrixExpr) or isinstance(b, sp.MatrixExpr)):
            # Matrix expressions built as they are written: SymPy's own + and * call doit,
            # which tries to evaluate every sum inside in closed form (slow, and not needed:
            # the proof takes entries).
            if n.op in "+-":
                return sp.MatAdd(a, b if n.op == "+" else sp.MatMul(-1, b))
            if n.op == "*":
                return sp.MatMul(a, b)
        if n.op == "+":
            return a + b
        if n.op == "-":
            return a - b
        if n.op == "/":
            return a / b
        if n.op == "odot":
            if is_scalar(n.a.shape) or is_scalar(n.b.shape):
                return a * b
            return F.hadamard(a, b)
        if n.op == "and":
            return sp.And(a, b)
        return a * b

    def _Pow(self, n):
        base, ex = self(n.base), self(n.exp)
        if is_scalar(n.base.shape):
            return sp.Pow(base, ex)
        if n.elementwise:
            if isinstance(base, sp.MatrixBase):
                return base.applyfunc(lambda e: e ** ex)
            return sp.HadamardPower(base, ex)
        if ex == -1:
            return base.inv() if isinstance(base, sp.MatrixBase) else sp.Inverse(base)
        if isinstance(base, sp.MatrixBase) and base.is_diagonal():
            return sp.diag(*[base[i, i] ** ex for i in range(base.shape[0])])
        return base ** ex

    def _Matrix(self, n):
        return sp.Matrix([[self(e) for e in row] for row in n.rows])

    def _Transpose(self, n):
        return self(n.x).T

    def _Call(self, n):
        f = n.func
        args = [self(a) for a in n.args]
        x = args[0]
        simple = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "sigma": F.sigma,
                  "tanh": sp.tanh, "relu": F.relu, "heaviside": sp.Heaviside, "sign": sp.sign,
                  "floor": sp.floor, "ceil": sp.ceiling, "sinh": sp.sinh, "cosh": sp.cosh,
                  "sech": sp.sech, "csch": sp.csch, "coth": sp.coth, "sin": sp.sin, "cos": sp.cos,
                  "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot, "asin": sp.asin,
                  "acos": sp.acos, "atan": sp.atan, "asinh": sp.asinh, "acosh": sp.acosh,
                  "atanh": sp.atanh, "log10": lambda x: sp.log(x, 10),
                  "dsigma": lambda x: F.sigma(x) * (1 - F.sigma(x)),
                  "dtanh": lambda x: 1 - sp.tanh(x) ** 2, "factorial": _factorial}
        if f in simple:
            if isinstance(x, sp.MatrixBase):
                return x.applyfunc(simple[f])
            if is_scalar(n.args[0].shape):
                return simple[f](x)
            if isinstance(x, sp.MatrixExpr):   # entrywise: entry (i, j) is f of x's entry
                return x.applyfunc(sp.Lambda(_ENTRY, simple[f](_ENTRY)))
            raise AnswerEvaluationError(f"{f} of a symbolic-size matrix has no SymPy form here")
        if f == "binomial":
            for a in args:
                if getattr(a, "is_Integer", False) and abs(int(a)) > MAX_FACTORIAL:
                    raise AnswerEvaluationError(f"a binomial past {MAX_FACTORIAL} has no exact value here")
            return sp.binomial(*args)
        if f == "softmax":
            return F.softmax(x)
        if f == "diag":
            if isinstance(x, sp.MatrixBase) and x.shape[0] == 1:
                x = x.T
            return F.diag(x)
        if f == "trace":
            return sp.Trace(x).doit() if isinstance(x, sp.MatrixBase) else sp.Trace(x)
        if f == "inv":
            return x.inv() if isinstance(x, sp.MatrixBase) else sp.Inverse(x)
        if f == "norm":
            if isinstance(x, sp.MatrixBase):
                return sp.sqrt(sum(e ** 2 for e in x))
            return sp.sqrt(self._only_entry(x.T * x)) if x.shape[1] == 1 else sp.sqrt(sp.Trace(x.T * x))
        if f == "sum":
            if isinstance(x, sp.MatrixBase):
                return sum(x, sp.S.Zero)
            # every entry, at the positions this builder counts from
            r, c = sp.Symbol("_r", integer=True), sp.Symbol("_c", integer=True)
            rows, cols = x.shape
            body = x[r, c] if cols != 1 else x[r, 0]
            limits = [(r, self.first, rows - 1 + self.first)]
            if cols != 1:
                limits.append((c, self.first, cols - 1 + self.first))
            return sp.Sum(body, *limits)
        if f in ("max", "min"):
            pick = sp.Max if f == "max" else sp.Min
            if len(args) == 1:
                return pick(*list(x))
            return pick(*args)
        raise AnswerEvaluationError(f"no SymPy form for {f}")

    def _Sum(self, n):
        saved = self.index.get(n.index)
        if n.lo is None:
            lo, hi = 1, self.sizes[self.ranges[n.index]]
        else:
            lo, hi = self(n.lo), self(n.hi)
        try:
            if isinstance(lo, (int, sp.Integer)) and isinstance(hi, (int, sp.Integer)):
                total = sp.S.Zero
                for k in range(int(lo) - 1, int(hi)):
                    self.index[n.index] = k + self.first
                    total = total + self(n.body)
                return total
            k = sp.Symbol(n.index, integer=True)
            self.index[n.index] = k - 1 + self.first
            return sp.Sum(self(n.body), (k, lo, hi))
        finally:
            if saved is None:
                self.index.pop(n.index, None)
            else:
                self.index[n.index] = saved

    def _Relation(self, n):
        vals = [self(o) for o in n.operands]
        rel = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan, ">=": sp.GreaterThan}
        return sp.And(*[rel[op](a, b) for op, a, b in zip(n.ops, vals, vals[1:])])


def _factorial(x):
    """x!, refusing the exact value of a huge whole number (a sum's index may reach it)."""
    if getattr(x, "is_Integer", False) and abs(int(x)) > MAX_FACTORIAL:
        raise AnswerEvaluationError(f"a factorial past {MAX_FACTORIAL}! has no exact value here")
    return sp.factorial(x)
