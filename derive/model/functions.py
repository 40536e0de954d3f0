"""Mathematical building blocks that work both on explicit SymPy matrices (for proofs
at concrete sizes) and on matrix symbols of symbolic size (for the general notation a
sheet shows). A problem module writes a formula once, with these, and the engine
evaluates it in both worlds.
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr


class sigma(sp.Function):
    """The logistic sigmoid, kept as one symbol so results read sigma(z)(1 - sigma(z))."""

    def fdiff(self, argindex=1):
        return sigma(self.args[0]) * (1 - sigma(self.args[0]))

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.Rational(1, 2)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real


class relu(sp.Function):
    """max(0, z); its derivative is the Heaviside step (undefined at 0)."""

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0])

    def _eval_rewrite_as_Piecewise(self, arg, **kwargs):
        return sp.Piecewise((arg, arg > 0), (0, True))


class Notation(sp.Symbol):
    r"""A symbol with a plain ``name`` that a sheet prints as its ``latex``: a quantity written in
    notation (a graph node's gradient, $\partial l / \partial \sigma^2$) that no part declares
    as a variable. Its class sorts before ``Symbol`` (SymPy orders atoms by class name, then by
    name), so in a sum it stands where a symbol named by its LaTeX (``\frac...``) would.

    >>> Notation("dl_dmu", r"\frac{\partial l}{\partial \mu}").latex
    '\\frac{\\partial l}{\\partial \\mu}'
    """

    def __new__(cls, name: str, latex: str, **assumptions):
        obj = sp.Symbol.__xnew__(cls, name, **assumptions)
        obj.latex = latex
        return obj

    def __getnewargs_ex__(self):
        return (self.name, self.latex), self.assumptions0


class ColumnVector(sp.MatrixSymbol):
    """A column-vector symbol that accepts one index: ``z[i]`` is the i-th entry."""

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            return MatrixElement(self, key, 0)
        if isinstance(key[0], sp.Basic) and not key[0].is_Integer and key[1] == 0:
            # A symbolic position (m, the last entry as written from 1) is formal: SymPy's
            # 0-based range check would refuse g[m, 0] though general forms count from 1.
            return MatrixElement(self, key[0], 0)
        return super().__getitem__(key)

    def valid_index(self, i, j):
        return True   # positions of a general vector are formal (see __getitem__)


class Softmax(MatrixExpr):
    """softmax(z) of a symbolic-size vector, for notation only (proofs use explicit sizes)."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _entry(self, i, j, **kwargs):
        k = sp.Dummy("k", integer=True)
        z = self.args[0]
        return sp.exp(z[i, 0]) / sp.Sum(sp.exp(z[k, 0]), (k, 0, z.shape[0] - 1))


class Diag(MatrixExpr):
    """diag(x) of a symbolic-size vector or square matrix, for notation."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def shape(self):
        n = self.args[0].shape[0]
        return (n, n)

    def _entry(self, i, j, **kwargs):
        # a vector's entries on the diagonal, or a square matrix's diagonal kept
        arg = self.args[0]
        return sp.KroneckerDelta(i, j) * (arg[i, 0] if arg.shape[1] == 1 else arg[i, j])


def is_explicit(x) -> bool:
    return isinstance(x, sp.MatrixBase)


def diag(x):
    """diag of a vector is the diagonal matrix; diag of a square matrix keeps its diagonal."""
    if is_explicit(x):
        if x.shape[1] == 1:
            return sp.diag(*x)
        return sp.diag(*[x[i, i] for i in range(x.shape[0])])
    return Diag(x)


def softmax(z):
    """softmax of a column vector: explicit entries, or the symbol softmax(z)."""
    if is_explicit(z):
        e = z.applyfunc(sp.exp)
        return e / sum(e)
    return Softmax(z)


def elementwise(f, x):
    """Apply a scalar function entry by entry (explicit matrices only)."""
    return x.applyfunc(f)


def total(x):
    """Sum of all entries of an explicit matrix."""
    return sum(x)


def hadamard(a, b):
    if is_explicit(a) and is_explicit(b):
        return a.multiply_elementwise(b)
    return sp.hadamard_product(a, b)


def delta(i, j):
    return sp.KroneckerDelta(i, j)


class SquaredNorm(MatrixExpr):
    """||x||^2 of a symbolic-size vector as a 1 x 1 matrix expression, printed as a norm."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def shape(self):
        return (1, 1)

    def _entry(self, i, j, **kwargs):
        arg = self.args[0]
        return (arg.T * arg)[0, 0]


def squared_norm(x):
    """||x||^2 = x^T x: a scalar at explicit sizes, the symbol ||x||^2 in general."""
    if is_explicit(x):
        return (x.T * x)[0, 0]
    return SquaredNorm(x)


def held_product(*factors):
    """A product SymPy must not merge, so a step shows the factors it is about."""
    return sp.Mul(*[sp.UnevaluatedExpr(f) for f in factors], evaluate=False)


def held_fraction(numerator, denominator):
    """numerator / denominator with nothing cancelled yet (the cancelling is the next step)."""
    return sp.Mul(numerator, sp.Pow(denominator, -1, evaluate=False), evaluate=False)


def identity(n):
    """The n x n identity: explicit at an integer n, the symbol I at a symbolic one."""
    return sp.eye(n) if isinstance(n, int) else sp.Identity(n)


def zero_vector(n):
    """The zero column of length n: explicit at an integer n, the symbol 0 at a symbolic one."""
    return sp.zeros(n, 1) if isinstance(n, int) else sp.ZeroMatrix(n, 1)


def as_sympy(x):
    """A number or SymPy object as SymPy. ``strict`` refuses strings, so no text is ever parsed."""
    return sp.sympify(x, strict=True)


def is_condition(x) -> bool:
    """True for a relation, a combination of relations, or a set: compared as a set, not as a
    number. (A SymPy Symbol is also a Boolean, hence the Expr test.)"""
    return isinstance(x, (sp.logic.boolalg.Boolean, sp.Set)) and not isinstance(x, sp.Expr)
