"""Evaluating an answer tree on NumPy arrays, batched over random points: each value has
shape (B, rows, cols), so a scalar is (B, 1, 1) and a column vector (B, n, 1)."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ...verify.numeric import real_binomial

from .limits import DEFAULT_LIMITS
from ...errors import AnswerEvaluationError, AnswerRangeError
from .nodes import Comp, ELEMENTWISE, IVERSON_TESTS, Node, Sum, WILD, is_scalar

# A sum whose bounds depend on a size is bounded when evaluated, as a constant one is when parsed.
MAX_SUM_TERMS = DEFAULT_LIMITS.max_sum_range


class Evaluator:
    """Evaluates a tree on batched arrays: values[name] has shape (B, rows, cols)."""

    def __init__(self, values: Mapping[str, np.ndarray], ranges: Mapping[str, str],
                 sizes: Mapping[str, int]):
        self.values = values
        self.ranges = ranges      # index letter -> dimension name
        self.sizes = sizes        # dimension name -> int
        self.index: dict[str, int] = {}

    def __call__(self, node: Node) -> np.ndarray:
        return getattr(self, "_" + type(node).__name__)(node)

    def _Num(self, n):
        return np.asarray(float(n.value)).reshape(1, 1, 1)

    def _Name(self, n):
        return self.values[n.name]

    def _Const(self, n):
        if n.name == "e":
            return np.asarray(np.e).reshape(1, 1, 1)
        if n.name == "pi":
            return np.asarray(np.pi).reshape(1, 1, 1)
        size = self.sizes.get(n.shape[0]) if n.shape != WILD else None
        if size is None:
            raise AnswerEvaluationError("the size of I is not fixed by the expression")
        return np.eye(size)[None]

    def _idx(self, k):
        if isinstance(k, int):
            return k - 1
        if isinstance(k, tuple) and k[0] == "shift":   # ("shift", i, 1): the entry at i + 1
            return self.index[k[1]] + k[2]
        if isinstance(k, tuple) and k[0] == "size":    # ("size", m, -1): the entry at m - 1
            return int(self.sizes[k[1]]) - 1 + k[2]
        if isinstance(k, tuple) and k[0] == "affine":  # t - i: letters as written (from 1), sizes
            return sum(c * (self.index[n] + 1 if n in self.index else int(self.sizes[n])) for n, c in k[1]) + k[2] - 1
        if isinstance(k, tuple):   # ("label", y, i): the value of y_i, numbered from 1
            _, name, inner = k
            labels = self._Comp(Comp(name, (inner,))).reshape(-1)
            whole = np.array([float(v) for v in labels])
            if not np.all(whole == np.round(whole)):
                raise AnswerEvaluationError(f"{name} is used as a label, but its entries are not whole numbers")
            return (whole - 1).astype(int)
        return self.index[k]

    def _Comp(self, n):
        arr = self.values[n.name]
        ids = [self._idx(k) for k in n.indices]
        if any(isinstance(i, np.ndarray) for i in ids):
            return self._gather(arr, ids, n.name)
        if len(ids) == 1:
            i, j = (ids[0], 0) if arr.shape[2] == 1 else (0, ids[0])
        else:
            i, j = ids
        if not (0 <= i < arr.shape[1] and 0 <= j < arr.shape[2]):
            raise AnswerEvaluationError(f"index out of range in {n.name}")
        return arr[:, i:i + 1, j:j + 1]

    def _gather(self, arr, ids, name):
        """Entries at per-point indices (a label differs from point to point)."""
        if len(ids) == 1:
            ids = [ids[0], 0] if arr.shape[2] == 1 else [0, ids[0]]
        b = max(np.size(i) for i in ids)
        rows, cols = (np.broadcast_to(np.asarray(i), (b,)) for i in ids)
        if np.any(rows < 0) or np.any(rows >= arr.shape[1]) or np.any(cols < 0) or np.any(cols >= arr.shape[2]):
            raise AnswerEvaluationError(f"a label indexes past the end of {name}")
        full = np.broadcast_to(arr, (b,) + arr.shape[1:])
        return full[np.arange(b), rows, cols].reshape(b, 1, 1)

    def _Delta(self, n):
        # a label's index (delta_{y_i, j}) differs from point to point: one value per point
        same = np.asarray(self._idx(n.i) == self._idx(n.j), dtype=float)
        return same.reshape(-1, 1, 1)

    def _Idx(self, n):
        return np.asarray(float(self.index[n.letter] + 1)).reshape(1, 1, 1)

    def _Neg(self, n):
        return -self(n.x)

    def _Iverson(self, n):
        return IVERSON_TESTS[n.op](self(n.a), self(n.b)).astype(float)

    def _Bin(self, n):
        a, b = self(n.a), self(n.b)
        op = n.op
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "/":
            return a / b
        if op in ("odot", "and"):   # conditions evaluate to 0/1, so 'and' is a product
            return a * b
        if is_scalar(n.a.shape) or is_scalar(n.b.shape):
            return a * b
        return np.matmul(a, b)

    def _Pow(self, n):
        base, ex = self(n.base), self(n.exp)
        if is_scalar(n.base.shape) or n.elementwise:
            return np.power(base, ex)
        return _matrix_power(np.broadcast_to(base, (max(base.shape[0], ex.shape[0]),) + base.shape[1:]),
                             np.broadcast_to(ex, (max(base.shape[0], ex.shape[0]), 1, 1)))

    def _Matrix(self, n):
        vals = [[self(e) for e in row] for row in n.rows]
        b = max(v.shape[0] for row in vals for v in row)
        rows = [np.concatenate([np.broadcast_to(v, (b, 1, 1)) for v in row], axis=2) for row in vals]
        return np.concatenate(rows, axis=1)

    def _Transpose(self, n):
        return np.swapaxes(self(n.x), 1, 2)

    def _Call(self, n):
        f = n.func
        if f in ELEMENTWISE:
            return ELEMENTWISE[f](self(n.args[0]))
        args = [self(a) for a in n.args]
        x = args[0]
        if f == "binomial":
            return real_binomial(args[0], args[1])
        if f == "softmax":
            e = np.exp(x - x.max(axis=(1, 2), keepdims=True))
            return e / e.sum(axis=(1, 2), keepdims=True)
        if f == "diag":
            if x.shape[1] == 1 or x.shape[2] == 1:
                v = x.reshape(x.shape[0], -1)
                return v[:, :, None] * np.eye(v.shape[1])[None]
            return x * np.eye(x.shape[1])[None]
        if f == "trace":
            return np.trace(x, axis1=1, axis2=2).reshape(-1, 1, 1)
        if f == "inv":
            return np.linalg.inv(x)
        if f == "norm":
            return np.sqrt((x * x).sum(axis=(1, 2))).reshape(-1, 1, 1)
        if f == "sum":
            return x.sum(axis=(1, 2)).reshape(-1, 1, 1)
        if f in ("max", "min"):
            pick = np.maximum if f == "max" else np.minimum
            if len(args) == 1:
                red = x.max if f == "max" else x.min
                return red(axis=(1, 2)).reshape(-1, 1, 1)
            out = args[0]
            for a in args[1:]:
                out = pick(out, a)
            return out
        raise AnswerEvaluationError(f"no numeric form for {f}")

    def _bounds(self, n: Sum) -> range:
        if n.lo is None:
            dim = self.ranges[n.index]
            return range(self.sizes[dim])
        lo, hi = self(n.lo), self(n.hi)
        lo_v, hi_v = float(np.ravel(lo)[0]), float(np.ravel(hi)[0])
        if not (np.all(lo == lo_v) and np.all(hi == hi_v)) or lo_v != int(lo_v) or hi_v != int(hi_v):
            raise AnswerEvaluationError("sum bounds must be whole numbers")
        if hi_v - lo_v + 1 > MAX_SUM_TERMS:
            raise AnswerRangeError(f"the sum over {n.index} has {int(hi_v - lo_v + 1)} terms at "
                                   f"{', '.join(f'{k} = {v}' for k, v in self.sizes.items())}; at most "
                                   f"{MAX_SUM_TERMS} are allowed", n.pos)
        return range(int(lo_v) - 1, int(hi_v))

    def _Sum(self, n):
        total = None
        saved = self.index.get(n.index)
        try:
            for k in self._bounds(n):
                self.index[n.index] = k
                v = self(n.body)
                total = v if total is None else total + v
        finally:
            if saved is None:
                self.index.pop(n.index, None)
            else:
                self.index[n.index] = saved
        if total is None:   # an empty range sums to zero
            return np.zeros((1, 1, 1))
        return total

    def _Relation(self, n):
        vals = [self(o) for o in n.operands]
        ok = np.ones(np.broadcast_shapes(*[v.shape for v in vals]), dtype=bool)
        for op, a, b in zip(n.ops, vals, vals[1:]):
            ok &= {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op](a, b)
        return ok.astype(float)


def _matrix_power(base: np.ndarray, ex: np.ndarray) -> np.ndarray:
    out = np.empty(base.shape)
    for b in range(base.shape[0]):
        p = float(ex[b, 0, 0])
        m = base[b]
        if p == int(p) and abs(p) <= 1000:
            k = int(p)
            out[b] = np.linalg.matrix_power(np.linalg.inv(m) if k < 0 else m, abs(k))
        elif np.allclose(m, m.T):
            w, v = np.linalg.eigh(m)
            out[b] = (v * np.power(w, p)) @ v.T
        else:
            out[b] = np.nan
    return out
