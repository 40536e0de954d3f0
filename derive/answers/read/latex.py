"""Printing an answer tree as LaTeX, to show the student what was understood.

The tree is printed as typed (nothing is simplified or reordered), but every piece that has
a SymPy form (names, numbers, functions, entries, deltas, matrix literals, the entrywise
product) is printed by the sheets' printer, :class:`derive.render.printing.DeriveLatexPrinter`:
the SymPy object is built over placeholders that stand for the already printed arguments. So
feedback and sheets spell everything alike (the step function is ``H(z)`` in both).
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from ...model import functions as F
from ...render.printing import DeriveLatexPrinter
from .nodes import Bin, Call, Neg, Num, Pow, Relation, Sum, is_scalar

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "odot": 2, "and": 0, "neg": 1.5, "pow": 4, "atom": 5}

# The answer language's functions with a SymPy head of one argument, printed by the shared printer.
_SYMPY_HEADS = {"log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "sigma": F.sigma,
                "tanh": sp.tanh, "relu": F.relu, "heaviside": sp.Heaviside, "sign": sp.sign,
                "floor": sp.floor, "ceil": sp.ceiling, "sinh": sp.sinh, "cosh": sp.cosh,
                "sech": sp.sech, "csch": sp.csch, "coth": sp.coth, "sin": sp.sin, "cos": sp.cos,
                "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot, "asin": sp.asin,
                "acos": sp.acos, "atan": sp.atan, "asinh": sp.asinh, "acosh": sp.acosh,
                "atanh": sp.atanh, "diag": F.Diag, "softmax": F.Softmax}
# Functions whose SymPy form is not one head (log10 is log(x)/log(10), sigma' a product), and
# exp, which SymPy writes e^{z}: typed exp(z) stays \exp(z), so what was understood reads back
# as the same tree (e^{z} is a power of e; of a vector z, not even an answer).
_OWN_TEX = {"exp": r"\exp", "log10": r"\log_{10}", "dsigma": r"\sigma'", "dtanh": r"\tanh'",
            "trace": r"\operatorname{tr}", "max": r"\max", "min": r"\min", "sum": r"\sum"}


class AnswerTreePrinter:
    """LaTeX of an answer tree, delegating every SymPy-shaped piece to the shared printer."""

    def __init__(self, names: Mapping[str, str]):
        self.names = dict(names)

    def shared(self, build, *pieces: str, matrix: bool = False) -> str:
        """The shared printer's LaTeX of ``build(*holes)``, each hole printed as its piece."""
        keys = [f"answer hole {k}" for k in range(len(pieces))]
        if matrix:
            n = sp.Symbol("n")
            holes = [sp.MatrixSymbol(k, n, n) for k in keys]
        else:
            holes = [sp.Symbol(k) for k in keys]
        printer = DeriveLatexPrinter(None, {**self.names, **dict(zip(keys, pieces))})
        return printer.doprint(build(*holes))

    def name(self, n: str) -> str:
        return self.shared(lambda: sp.Symbol(n))

    def idx(self, k) -> str:
        if isinstance(k, tuple) and k[0] == "affine":   # t - i
            text = " ".join(f"{'-' if c < 0 else '+'} {abs(c) if abs(c) != 1 else ''}{self.names.get(n, n)}"
                            for n, c in k[1])
            text += f" {'-' if k[2] < 0 else '+'} {abs(k[2])}" if k[2] else ""
            return text.lstrip("+ ").replace("- ", "-", 1) if text.startswith("-") else text.lstrip("+ ")
        if isinstance(k, tuple) and k[0] in ("shift", "size"):   # ("shift", i, 1): i + 1; m - 1
            if k[0] == "size" and k[2] == 0:
                return self.names.get(k[1], k[1])
            return f"{self.names.get(k[1], k[1])} {'+' if k[2] >= 0 else '-'} {abs(k[2])}"
        if isinstance(k, tuple):   # ("label", y, i): the entry of y at i, as in c_{y_i}
            return self.shared(lambda i: F.ColumnVector(k[1], sp.Symbol("n"), 1)[i], str(k[2]))
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
        return self.shared(lambda: sp.Rational(n.value.numerator, n.value.denominator))

    def _Name(self, n):
        return self.name(n.name)

    def _Const(self, n):
        return self.shared(lambda: {"e": sp.E, "pi": sp.pi, "I": sp.Identity(sp.Symbol("n"))}[n.name])

    def _Comp(self, n):
        subscripts = [self.idx(k) for k in n.indices]
        if len(subscripts) == 1:   # a vector's entry: s_{i}
            return self.shared(lambda i: F.ColumnVector(n.name, sp.Symbol("n"), 1)[i], *subscripts)
        if len(subscripts) == 2:   # a matrix's entry: A_{i j}
            return self.shared(lambda i, j: sp.MatrixSymbol(n.name, sp.Symbol("n"), sp.Symbol("n"))[i, j],
                               *subscripts)
        return self.shared(lambda *ks: sp.IndexedBase(sp.Symbol(n.name))[ks], *subscripts)

    def _Delta(self, n):
        return self.shared(sp.KroneckerDelta, self.idx(n.i), self.idx(n.j))

    def _Idx(self, n):
        return n.letter

    def _Neg(self, n):
        return "-" + self.wrap(n.x, 2)

    def _Iverson(self, n):
        op = {"=": "=", "<": "<", "<=": r"\le", ">": ">", ">=": r"\ge"}[n.op]
        return f"\\left[{self(n.a)} {op} {self(n.b)}\\right]"

    def _Bin(self, n):
        if n.op == "/":
            return rf"\frac{{{self(n.a)}}}{{{self(n.b)}}}"
        if n.op in "+-":
            right = self.wrap(n.b, 2 if n.op == "-" else 1.5)
            left = self.wrap(n.a, 1)
            return f"{left} {n.op} {right}"
        if n.op == "and":
            return f"{self(n.a)} \\wedge {self(n.b)}"
        left = self.wrap(n.a, 2)
        right = self.wrap(n.b, 2.5)
        if n.op == "odot":   # the entrywise product, as the sheets write it
            return self.shared(lambda a, b: sp.HadamardProduct(a, b), left, right, matrix=True)
        sym = r" \cdot " if n.op == "*" and isinstance(n.b, Num) else " "
        return left + sym + right

    def _Pow(self, n):
        if n.elementwise:
            return f"{self.wrap(n.base, 5)}^{{\\circ {self.wrap(n.exp, 5)}}}"
        base = n.base
        if (isinstance(base, Call) and base.func in _SYMPY_HEADS and len(base.args) == 1
                and base.func != "sqrt" and is_scalar(base.shape)):
            # a function's power as the sheets write it: \tanh^{2}{\left(z \right)}
            head = _SYMPY_HEADS[base.func]
            return self.shared(lambda x, e: sp.Pow(head(x), e, evaluate=False), self(base.args[0]), self(n.exp))
        return f"{self.wrap(base, 5)}^{{{self(n.exp)}}}"

    def _Matrix(self, n):
        pieces = [self(e) for row in n.rows for e in row]
        width = len(n.rows[0])
        return self.shared(lambda *xs: sp.Matrix(len(n.rows), width, xs), *pieces)

    def _Transpose(self, n):
        return f"{self.wrap(n.x, 5)}^\\top"

    def _Call(self, n):
        f = n.func
        args = ", ".join(self(a) for a in n.args)
        if f in _SYMPY_HEADS and len(n.args) == 1:
            return self.shared(_SYMPY_HEADS[f], args)
        if f == "binomial":
            return self.shared(sp.binomial, *(self(a) for a in n.args))
        if f == "factorial":   # n!, (n - k)!: postfix, as written
            return f"{self.wrap(n.args[0], 5)}!"
        if f == "norm":
            return rf"\left\|{args}\right\|"
        if f == "inv":
            return f"{self.wrap(n.args[0], 5)}^{{-1}}"
        return rf"{_OWN_TEX.get(f, f)}\left({args}\right)"

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
