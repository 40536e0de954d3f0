"""Printing an answer tree as LaTeX, to show the student what was understood."""
from __future__ import annotations

from typing import Mapping


from .nodes import Bin, Neg, Num, Pow, Relation, Sum


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "odot": 2, "and": 0, "neg": 1.5, "pow": 4, "atom": 5}
_FUNC_TEX = {"exp": r"\exp", "log": r"\log", "sigma": r"\sigma", "tanh": r"\tanh",
             "relu": r"\operatorname{relu}", "heaviside": r"\operatorname{step}", "sign": r"\operatorname{sign}",
             "softmax": r"\operatorname{softmax}", "diag": r"\operatorname{diag}",
             "trace": r"\operatorname{tr}", "max": r"\max", "min": r"\min", "sum": r"\sum",
             "sinh": r"\sinh", "cosh": r"\cosh", "coth": r"\coth", "sin": r"\sin", "cos": r"\cos",
             "tan": r"\tan", "sec": r"\sec", "csc": r"\csc", "cot": r"\cot", "asin": r"\arcsin",
             "acos": r"\arccos", "atan": r"\arctan", "sech": r"\operatorname{sech}",
             "csch": r"\operatorname{csch}", "asinh": r"\operatorname{arsinh}",
             "acosh": r"\operatorname{arcosh}", "atanh": r"\operatorname{artanh}",
             "log10": r"\log_{10}", "dsigma": r"\sigma'", "dtanh": r"\tanh'"}


class LatexPrinter:
    def __init__(self, names: Mapping[str, str]):
        self.names = names

    def name(self, n: str) -> str:
        return self.names.get(n, n)

    def idx(self, k) -> str:
        if isinstance(k, tuple):   # ("label", y, i)
            return f"{self.name(k[1])}_{{{k[2]}}}"
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

    def _Matrix(self, n):
        body = r" \\ ".join(" & ".join(self(e) for e in row) for row in n.rows)
        return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"

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
