"""The whitelisted tree a submitted answer is parsed into, and what can be done with it.

Every node is a frozen dataclass built by :mod:`derive.parsing` from the user's text;
nothing the user typed ever reaches eval or sympify. A tree can be

* evaluated on NumPy arrays (``evaluate``), batched over random points: each value is
  an array of shape (B, rows, cols), so a scalar is (B, 1, 1) and a column vector
  (B, n, 1). This is what makes a check fast;
* turned into SymPy (``to_sympy``) for an exact proof at explicit sizes;
* printed as LaTeX (``latex``) to show what was understood.

Shapes are (rows, cols) pairs of dimension names or 1; the identity ``I`` has the
wildcard shape ("*", "*") until an operation fixes its size.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Mapping

import numpy as np
import sympy as sp

from . import functions as F
from .errors import AnswerSyntaxError

SCALAR = (1, 1)
WILD = ("*", "*")

# Elementwise functions of the answer language and their NumPy forms.
ELEMENTWISE = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sigma": lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)),  # stable logistic, no overflow
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "heaviside": lambda x: np.heaviside(x, 0.5),
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
}
STRUCTURAL = ("softmax", "diag", "trace", "inv", "norm", "max", "min", "sum")
FUNCTIONS = tuple(ELEMENTWISE) + STRUCTURAL


class AnswerShapeError(AnswerSyntaxError):
    """An answer whose parts do not fit together (e.g. adding a vector to a matrix)."""


class AnswerEvaluationError(ValueError):
    """A value could not be computed at a point (e.g. a sum bound past a vector's end)."""


# --------------------------------------------------------------------------- nodes
@dataclass(frozen=True)
class Node:
    pass


def _meta():
    """The shape a node's builder fills in; not part of a node's identity."""
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Num(Node):
    value: Fraction
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


@dataclass(frozen=True)
class Name(Node):
    name: str
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()


@dataclass(frozen=True)
class Const(Node):
    name: str  # "e", "pi" or "I" (identity)
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()


@dataclass(frozen=True)
class Comp(Node):
    """An entry of a vector or matrix: s_i, X_{ij}, z_1 (indices are letters or 1-based ints)."""
    name: str
    indices: tuple
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


@dataclass(frozen=True)
class Idx(Node):
    """The value of an index letter (1-based), e.g. the i in beta^(t - i) inside a sum."""
    letter: str
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


@dataclass(frozen=True)
class Delta(Node):
    i: Any
    j: Any
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


@dataclass(frozen=True)
class Iverson(Node):
    """[a = b]: 1 where a equals b, else 0 (e.g. [y_i = j] with class labels y)."""
    a: Node
    b: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


@dataclass(frozen=True)
class Neg(Node):
    x: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()


@dataclass(frozen=True)
class Bin(Node):
    """op is one of + - * / @ odot; '*' is also juxtaposition (scalar or matrix product)."""
    op: str
    a: Node
    b: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()


@dataclass(frozen=True)
class Pow(Node):
    """base^exp; ``elementwise`` is the Hadamard power x^{\\circ 2} of a vector or matrix."""
    base: Node
    exp: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()
    elementwise: bool = False


@dataclass(frozen=True)
class Transpose(Node):
    x: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()


@dataclass(frozen=True)
class Sum(Node):
    """sum over index from lo to hi (1-based, inclusive); no bounds means the index's range."""
    index: str
    lo: Node | None
    hi: Node | None
    body: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = _meta()
    terms: int = field(default=1, compare=False, repr=False)   # work bound, for limits


@dataclass(frozen=True)
class Relation(Node):
    """A chain a < b <= c: ops[k] relates operands[k] and operands[k + 1]."""
    ops: tuple
    operands: tuple
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


def children(node: Node) -> tuple:
    if isinstance(node, (Neg, Transpose)):
        return (node.x,)
    if isinstance(node, (Bin, Iverson)):
        return (node.a, node.b)
    if isinstance(node, Pow):
        return (node.base, node.exp)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Sum):
        return tuple(c for c in (node.lo, node.hi, node.body) if c is not None)
    if isinstance(node, Relation):
        return node.operands
    return ()


def walk(node: Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(children(n))


# --------------------------------------------------------------------------- shapes
def is_scalar(shape) -> bool:
    return tuple(shape) == SCALAR


def show_shape(shape) -> str:
    if is_scalar(shape):
        return "a scalar"
    r, c = shape
    if shape == WILD:
        return "the identity"
    if c == 1:
        return f"a column vector of size {r}"
    if r == 1:
        return f"a row vector of size {c}"
    return f"a {r}×{c} matrix"


def unify(s: tuple, t: tuple) -> tuple | None:
    """The common shape of s and t, letting the identity's wildcard take any square size."""
    if s == t:
        return s
    if s == WILD and t[0] == t[1]:
        return t
    if t == WILD and s[0] == s[1]:
        return s
    return None


def settle(node: Node, shape: tuple) -> Node:
    """Give identity-shaped sub-expressions (I, 2I, -I) the size the context fixed."""
    if node.shape != WILD or shape == WILD:
        return node
    if isinstance(node, Const):
        return replace(node, shape=shape)
    if isinstance(node, Neg):
        return replace(node, x=settle(node.x, shape), shape=shape)
    if isinstance(node, Bin):
        return replace(node, a=settle(node.a, shape), b=settle(node.b, shape), shape=shape)
    if isinstance(node, Pow):
        return replace(node, base=settle(node.base, shape), shape=shape)
    if isinstance(node, (Transpose,)):
        return replace(node, x=settle(node.x, shape), shape=shape)
    if isinstance(node, Call):
        return replace(node, args=tuple(settle(a, shape) for a in node.args), shape=shape)
    if isinstance(node, Sum):
        return replace(node, body=settle(node.body, shape), shape=shape)
    return node


# --------------------------------------------------------------------------- NumPy evaluation
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
        return self.index[k]

    def _Comp(self, n):
        arr = self.values[n.name]
        ids = [self._idx(k) for k in n.indices]
        if len(ids) == 1:
            i, j = (ids[0], 0) if arr.shape[2] == 1 else (0, ids[0])
        else:
            i, j = ids
        if not (0 <= i < arr.shape[1] and 0 <= j < arr.shape[2]):
            raise AnswerEvaluationError(f"index out of range in {n.name}")
        return arr[:, i:i + 1, j:j + 1]

    def _Delta(self, n):
        return np.asarray(float(self._idx(n.i) == self._idx(n.j))).reshape(1, 1, 1)

    def _Idx(self, n):
        return np.asarray(float(self.index[n.letter] + 1)).reshape(1, 1, 1)

    def _Neg(self, n):
        return -self(n.x)

    def _Iverson(self, n):
        return (self(n.a) == self(n.b)).astype(float)

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

    def _Transpose(self, n):
        return np.swapaxes(self(n.x), 1, 2)

    def _Call(self, n):
        f = n.func
        if f in ELEMENTWISE:
            return ELEMENTWISE[f](self(n.args[0]))
        args = [self(a) for a in n.args]
        x = args[0]
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
        if hi_v - lo_v > 10_000:
            raise AnswerEvaluationError("sum range too long")
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


# --------------------------------------------------------------------------- SymPy
class SympyBuilder:
    """Builds SymPy from a tree; env maps names to Symbols, explicit Matrices or MatrixSymbols."""

    def __init__(self, env: Mapping[str, Any], ranges: Mapping[str, str], sizes: Mapping[str, Any]):
        self.env = env
        self.ranges = ranges
        self.sizes = sizes
        self.index: dict[str, Any] = {}

    def __call__(self, node):
        out = getattr(self, "_" + type(node).__name__)(node)
        if is_scalar(node.shape) and isinstance(out, (sp.MatrixBase, sp.MatrixExpr)) and out.shape == (1, 1):
            return out[0, 0]
        return out

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
        return k - 1 if isinstance(k, int) else self.index[k]

    def _Comp(self, n):
        m = self.env[n.name]
        ids = [self._idx(k) for k in n.indices]
        if len(ids) == 1:
            return m[ids[0], 0] if m.shape[1] == 1 else m[0, ids[0]]
        return m[ids[0], ids[1]]

    def _Delta(self, n):
        return sp.KroneckerDelta(self._idx(n.i), self._idx(n.j))

    def _Idx(self, n):
        k = self.index[n.letter]   # an int (explicit sum) or a SymPy index expression
        return (sp.Integer(k) if isinstance(k, int) else k) + 1

    def _Neg(self, n):
        return -self(n.x)

    def _Iverson(self, n):
        return sp.Piecewise((1, sp.Eq(self(n.a), self(n.b))), (0, True))

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

    def _Transpose(self, n):
        return self(n.x).T

    def _Call(self, n):
        f = n.func
        args = [self(a) for a in n.args]
        x = args[0]
        simple = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "sigma": F.sigma,
                  "tanh": sp.tanh, "relu": F.relu, "heaviside": sp.Heaviside, "sign": sp.sign,
                  "floor": sp.floor, "ceil": sp.ceiling}
        if f in simple:
            if isinstance(x, sp.MatrixBase):
                return x.applyfunc(simple[f])
            if is_scalar(n.args[0].shape):
                return simple[f](x)
            raise AnswerEvaluationError(f"{f} of a symbolic-size matrix has no SymPy form here")
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
            return sp.sqrt((x.T * x)[0, 0]) if x.shape[1] == 1 else sp.sqrt(sp.Trace(x.T * x))
        if f == "sum":
            if isinstance(x, sp.MatrixBase):
                return sum(x, sp.S.Zero)
            raise AnswerEvaluationError("sum of a symbolic-size matrix has no SymPy form here")
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
                    self.index[n.index] = k
                    total = total + self(n.body)
                return total
            k = sp.Symbol(n.index, integer=True)
            self.index[n.index] = k - 1
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


# --------------------------------------------------------------------------- LaTeX
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "odot": 2, "and": 0, "neg": 1.5, "pow": 4, "atom": 5}
_FUNC_TEX = {"exp": r"\exp", "log": r"\log", "sigma": r"\sigma", "tanh": r"\tanh",
             "relu": r"\operatorname{relu}", "heaviside": r"\operatorname{step}", "sign": r"\operatorname{sign}",
             "softmax": r"\operatorname{softmax}", "diag": r"\operatorname{diag}",
             "trace": r"\operatorname{tr}", "max": r"\max", "min": r"\min", "sum": r"\sum"}


class LatexPrinter:
    def __init__(self, names: Mapping[str, str]):
        self.names = names

    def name(self, n: str) -> str:
        return self.names.get(n, n)

    def idx(self, k) -> str:
        return str(k)

    def prec(self, node) -> float:
        if isinstance(node, Bin):
            return _PREC[node.op]
        if isinstance(node, Neg):
            return _PREC["neg"]
        if isinstance(node, Pow):
            return _PREC["pow"]
        if isinstance(node, (Sum, Relation)):
            return 1
        if isinstance(node, Num) and node.value.denominator != 1:
            return 2
        return _PREC["atom"]

    def wrap(self, node, level: float) -> str:
        s = self(node)
        return rf"\left({s}\right)" if self.prec(node) < level else s

    def __call__(self, node) -> str:
        return getattr(self, "_" + type(node).__name__)(node)

    def _Num(self, n):
        v = n.value
        if v.denominator == 1:
            return str(v.numerator)
        return rf"\frac{{{v.numerator}}}{{{v.denominator}}}"

    def _Name(self, n):
        return self.name(n.name)

    def _Const(self, n):
        return {"e": "e", "pi": r"\pi", "I": "I"}[n.name]

    def _Comp(self, n):
        base = self.name(n.name)
        sub = "".join(self.idx(k) for k in n.indices)
        if "_" in base:
            return rf"\left({base}\right)_{{{sub}}}"
        return f"{base}_{{{sub}}}"

    def _Delta(self, n):
        return rf"\delta_{{{self.idx(n.i)}{self.idx(n.j)}}}"

    def _Idx(self, n):
        return n.letter

    def _Neg(self, n):
        return "-" + self.wrap(n.x, 2)

    def _Iverson(self, n):
        return f"\\left[{self(n.a)} = {self(n.b)}\\right]"

    def _Bin(self, n):
        if n.op == "/":
            return rf"\frac{{{self(n.a)}}}{{{self(n.b)}}}"
        if n.op in "+-":
            right = self.wrap(n.b, 2 if n.op == "-" else 1.5)
            left = self.wrap(n.a, 1)
            return f"{left} {n.op} {right}"
        if n.op == "and":
            return f"{self(n.a)} \\wedge {self(n.b)}"
        sym = {"*": " ", "@": " ", "odot": r" \odot "}[n.op]
        left = self.wrap(n.a, 2)
        right = self.wrap(n.b, 2.5)
        if n.op == "*" and isinstance(n.b, Num):
            sym = r" \cdot "
        return left + sym + right

    def _Pow(self, n):
        if n.elementwise:
            return f"{self.wrap(n.base, 5)}^{{\\circ {self.wrap(n.exp, 5)}}}"
        return f"{self.wrap(n.base, 5)}^{{{self(n.exp)}}}"

    def _Transpose(self, n):
        return f"{self.wrap(n.x, 5)}^\\top"

    def _Call(self, n):
        f = n.func
        args = ", ".join(self(a) for a in n.args)
        if f == "sqrt":
            return rf"\sqrt{{{args}}}"
        if f == "abs":
            return rf"\left|{args}\right|"
        if f == "norm":
            return rf"\left\|{args}\right\|"
        if f == "inv":
            return f"{self.wrap(n.args[0], 5)}^{{-1}}"
        if f in ("floor", "ceil"):
            return rf"\left\l{f}{args}\right\r{f}"
        return rf"{_FUNC_TEX.get(f, f)}\left({args}\right)"

    def _Sum(self, n):
        if n.lo is None:
            head = rf"\sum_{{{n.index}}}"
        else:
            head = rf"\sum_{{{n.index}={self(n.lo)}}}^{{{self(n.hi)}}}"
        return f"{head} {self.wrap(n.body, 2)}"

    def _Relation(self, n):
        ops = {"<": "<", "<=": r"\le", ">": ">", ">=": r"\ge"}
        out = self(n.operands[0])
        for op, o in zip(n.ops, n.operands[1:]):
            out += f" {ops[op]} {self(o)}"
        return out
