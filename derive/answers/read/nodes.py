"""The whitelisted tree a submitted answer is parsed into, and what can be done with it.

Every node is a frozen dataclass built by :mod:`~derive.answers.read.parse` from the user's text;
nothing the user typed ever reaches eval or sympify. A tree can be

* evaluated on NumPy arrays (:mod:`.evaluate`), batched over random points: each value is
  an array of shape (B, rows, cols), so a scalar is (B, 1, 1) and a column vector
  (B, n, 1). This is what makes a check fast;
* turned into SymPy (``to_sympy``) for an exact proof at explicit sizes;
* printed as LaTeX (``latex``) to show what was understood.

Shapes are (rows, cols) pairs of dimension names or 1; the identity ``I`` has the
wildcard shape ("*", "*") until an operation fixes its size.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ...verify.numeric import real_factorial

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
    # Hyperbolic and trigonometric functions and their inverses (sech z = 1/cosh z, ...).
    "sinh": np.sinh, "cosh": np.cosh, "sech": lambda x: 1.0 / np.cosh(x),
    "csch": lambda x: 1.0 / np.sinh(x), "coth": lambda x: 1.0 / np.tanh(x),
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "sec": lambda x: 1.0 / np.cos(x),
    "csc": lambda x: 1.0 / np.sin(x), "cot": lambda x: 1.0 / np.tan(x),
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "log10": np.log10,
    # sigma'(z) and tanh'(z), as typed with a prime.
    "dsigma": lambda x: 0.25 / np.cosh(0.5 * x) ** 2, "dtanh": lambda x: 1.0 / np.cosh(x) ** 2,
    # n! of a symbol (factorial(n), (n+1)!, binomial(n, k) written with it): Gamma(n + 1).
    "factorial": real_factorial,
}
STRUCTURAL = ("softmax", "diag", "trace", "inv", "norm", "max", "min", "sum")
FUNCTIONS = tuple(ELEMENTWISE) + STRUCTURAL


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


# What an Iverson bracket's relation tests, on NumPy arrays and mpmath numbers alike.
IVERSON_TESTS = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Iverson(Node):
    """[a = b]: 1 where a equals b, else 0 (e.g. [y_i = j] with class labels y); also
    [a < b], [a <= b], [a > b], [a >= b], as written solutions use them."""
    a: Node
    b: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)
    op: str = "="


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
class Matrix(Node):
    """A matrix literal [[1, 2], [3, 4]] (LaTeX pmatrix, bmatrix): rows of scalar entries."""
    rows: tuple
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
class Entry(Node):
    """An entry of a tensor in index notation: X_{a,c,s i+h} or X(a, c, s*i+h). Each index is
    an expression of index letters and sizes, counted from 0; an entry outside the tensor is 0."""
    name: str
    indices: tuple
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)


@dataclass(frozen=True)
class IndexSum(Node):
    """A sum in index notation over one or more letters (\\sum_{a,i,j}, sum(body, a, i, j)),
    each from 0; without bounds an index runs over the axes it addresses, with them (one
    letter only) from lo to hi inclusive."""
    letters: tuple
    lo: Node | None
    hi: Node | None
    body: Node
    pos: int = field(default=0, compare=False)
    shape: tuple = field(default=SCALAR, compare=False, repr=False)
    places: tuple = field(default=(), compare=False, repr=False)   # where each letter is written


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
    if isinstance(node, (Sum, IndexSum)):
        return tuple(c for c in (node.lo, node.hi, node.body) if c is not None)
    if isinstance(node, Entry):
        return node.indices
    if isinstance(node, Relation):
        return node.operands
    if isinstance(node, Matrix):
        return tuple(e for row in node.rows for e in row)
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
    # The identity takes a square matrix's size, never a scalar's (1 + I has no meaning).
    if s == WILD and t[0] == t[1] and not is_scalar(t):
        return t
    if t == WILD and s[0] == s[1] and not is_scalar(s):
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
