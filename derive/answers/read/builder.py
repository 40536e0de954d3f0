"""Stage 3 of answer parsing: the Lark LALR grammar (grammar.lark) over the resolver's
tokens, and the transformer that turns its tree into :mod:`~derive.answers.read.nodes`
nodes, checking shapes and limits on the way.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
from lark import Lark, Token, Transformer
from lark.lexer import Lexer

from .limits import Limits
from .nodes import (ELEMENTWISE, SCALAR, WILD, Bin, Call, Comp, Const, Delta,
                          Idx, Iverson, Matrix, Name, Neg, Node, Num, Pow, Relation, Sum, Transpose, is_scalar,
                          settle, show_shape, unify, walk)
from ...errors import AnswerLimitError, AnswerShapeError, AnswerSyntaxError, RecognisedSlip
from ...model.verdict import Diagnosis
from .vocabulary import Vocabulary

__all__ = ["Builder", "TOKEN_WORDS", "lark_parser"]


class _ListLexer(Lexer):
    """The resolver has already made the tokens, so Lark's lexer only hands them on."""

    def __init__(self, conf):
        pass

    def lex(self, data):
        yield from data


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    return Lark(grammar, parser="lalr", lexer=_ListLexer, maybe_placeholders=False)


TOKEN_WORDS = {"NUMBER": "a number", "NAME": "a name", "CONST": "a constant", "FUNC": "a function",
               "SUM": "a sum", "DELTA": "delta", "IDX": "an index letter", "SUBSCRIPT": "a subscript",
               "SUB": "_", "PLUS": "+", "MINUS": "-", "STAR": "*", "SLASH": "/", "AT": "@",
               "ODOT": "odot", "POW": "^", "TRANSPOSE": "a transpose", "COMMA": ",", "LPAR": "(",
               "RPAR": ")", "LBRACK": "[", "RBRACK": "]", "LBRACE": "{", "RBRACE": "}",
               "ABSL": "|", "ABSR": "|", "NORML": "‖", "NORMR": "‖", "FRAC": "\\frac",
               "SQRT": "\\sqrt", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "EQ": "=", "AND": "and",
               "HPOW": "^\\circ", "IND": "\\mathbb{1}", "BANG": "a factorial (!)",
               "$END": "the end"}


class Builder(Transformer):
    """Lark tree -> answer_tree nodes, checking shapes and limits on the way."""

    def __init__(self, text: str, vocab: Vocabulary, limits: Limits):
        super().__init__()
        self.text = text
        self.vocab = vocab
        self.limits = limits

    def fail(self, message, pos, cls=AnswerShapeError):
        raise cls(message, self.text, pos)

    @staticmethod
    def pos(x) -> int:
        return x.start_pos if isinstance(x, Token) else x.pos

    # atoms
    def number(self, c):
        tok = c[0]
        try:
            value = Fraction(tok.value)
        except (ValueError, ZeroDivisionError):
            self.fail(f"{tok.value!r} is not a number", tok.start_pos, AnswerSyntaxError)
        return Num(value, tok.start_pos)

    def name(self, c):
        tok = c[0]
        return Name(tok.value, tok.start_pos, self.vocab.entry(tok.value).matrix_shape)

    def const(self, c):
        tok = c[0]
        return Const(tok.value, tok.start_pos, WILD if tok.value == "I" else SCALAR)

    def index(self, c):
        return Idx(c[0].value, c[0].start_pos)

    def component(self, c):
        name, sub = c
        return Comp(name.value, sub.value, name.start_pos)

    def delta(self, c):
        d, sub = c
        return Delta(sub.value[0], sub.value[1], d.start_pos)

    def group(self, c):
        return c[1]

    def row(self, c):
        return [x for x in c if not isinstance(x, Token)]

    def matrix(self, c):
        rows = [x for x in c if isinstance(x, list)]
        pos = c[0].start_pos
        if any(len(r) != len(rows[0]) for r in rows):
            self.fail(f"the rows of a matrix must have one length, got {[len(r) for r in rows]}", pos)
        if len(rows) > MAX_MATRIX or len(rows[0]) > MAX_MATRIX:
            self.fail(f"a matrix literal may have at most {MAX_MATRIX} rows and columns", pos,
                      AnswerLimitError)
        for e in (e for r in rows for e in r):
            if not is_scalar(e.shape):
                self.fail(f"the entries of a matrix must be scalars, got {show_shape(e.shape)}", e.pos)
        shape = (len(rows), len(rows[0]))
        return Matrix(tuple(tuple(r) for r in rows), pos, shape)

    def iverson(self, c):
        a, b = c[1], c[3]
        for side in (a, b):
            if not is_scalar(side.shape):
                self.fail(f"[a = b] compares scalars, not {show_shape(side.shape)}", side.pos)
        op = c[2].value if c[2] is not None and c[2].type != "EQ" else "="
        return Iverson(a, b, c[0].start_pos, op=op)

    def indicator(self, c):
        """delta(y_i = j) and 1[y_i = j]: the Iverson bracket under another name."""
        return self.iverson([c[0], c[2], None, c[4]])

    def abs(self, c):
        return self._call("abs", [c[1]], c[0].start_pos)

    def norm(self, c):
        return self._call("norm", [c[1]], c[0].start_pos)

    def frac(self, c):
        return self._bin("/", c[2], c[5], c[0].start_pos)

    def sqrt(self, c):
        return self._call("sqrt", [c[2]], c[0].start_pos)

    def args(self, c):
        return [x for x in c if not isinstance(x, Token)]

    def call(self, c):
        func = c[0]
        rest = [x for x in c[1:] if not isinstance(x, Token)]
        args = rest[0] if rest and isinstance(rest[0], list) else rest
        if func.value == "sum" and len(args) == 1:
            return self._call("sum", args, func.start_pos)
        return self._call(func.value, args, func.start_pos)

    def callpow(self, c):
        func, _, exponent = c[0], c[1], c[2]
        last = [x for x in c[3:] if not isinstance(x, Token)][0]   # (args), {expr} or a bare one
        args = last if isinstance(last, list) else [last]
        inner = self._call(func.value, args, func.start_pos)
        if func.value == "inv" or (isinstance(exponent, Neg) and isinstance(exponent.x, Num)
                                   and exponent.x.value == 1):
            self.fail(f"{func.value}^{{-1}}(x) is ambiguous; write the inverse function out, "
                      f"or 1/{func.value}(x)", func.start_pos, AnswerSyntaxError)
        return self._pow(inner, exponent, func.start_pos)

    def sum_all(self, c):
        return self._call("sum", [c[2]], c[0].start_pos)

    def bare(self, c):
        return c[0]

    def sum_call(self, c):
        """sum(body, i, lo, hi); the grammar reads any sum(body, ...) (index notation sums
        over several letters), so the shape of the arguments is checked here."""
        func = c[0]
        body, *rest = [x for x in c if not isinstance(x, Token)]
        if len(rest) != 3 or not isinstance(rest[0], Idx):
            where = rest[0].pos if rest and not isinstance(rest[0], Idx) else c[-1].start_pos
            self.fail("sum(...) takes sum(body, i, lo, hi) with an index letter i and its bounds",
                      where, AnswerSyntaxError)
        idx, lo, hi = rest
        return self._sum(idx.letter, lo, hi, body, func.start_pos)

    def sum_letters(self, c):
        self.fail("a sum runs over one index; write one sum per index, e.g. "
                  "\\sum_{i=1}^{n} \\sum_{j=1}^{n}", c[0].start_pos, AnswerSyntaxError)

    def sum_free(self, c):
        toks = [x for x in c if isinstance(x, Token)]
        idx = next(t for t in toks if t.type == "IDX")
        body = c[-1]
        return self._sum(idx.value, None, None, body, c[0].start_pos)

    def sum_range(self, c):
        idx = next(t for t in c if isinstance(t, Token) and t.type == "IDX")
        nodes = [x for x in c if not isinstance(x, Token)]
        lo, hi, body = nodes
        if isinstance(hi, Idx):   # ^i, an outer index, bounds only index notation's sums
            self.fail(f"the index {hi.letter} may appear only in a subscript (s_{hi.letter}) or as a "
                      "sum's variable", hi.pos, AnswerSyntaxError)
        return self._sum(idx.value, lo, hi, body, c[0].start_pos)

    # operators
    def add(self, c):
        return self._bin("+", c[0], c[2], c[1].start_pos)

    def sub(self, c):
        return self._bin("-", c[0], c[2], c[1].start_pos)

    def mul(self, c):
        return self._bin("*", c[0], c[2], c[1].start_pos)

    def jux(self, c):
        return self._bin("*", c[0], c[1], self.pos(c[1]))

    def div(self, c):
        return self._bin("/", c[0], c[2], c[1].start_pos)

    def matmul(self, c):
        return self._bin("@", c[0], c[2], c[1].start_pos)

    def hadamard(self, c):
        return self._bin("odot", c[0], c[2], c[1].start_pos)

    def neg(self, c):
        x = c[1]
        return Neg(x, c[0].start_pos, x.shape)

    def uplus(self, c):
        return c[1]

    def factorial(self, c):
        """n! and (n + 1)!: the factorial, postfix as written."""
        return self._call("factorial", [c[0]], c[1].start_pos)

    def transpose(self, c):
        x = c[0]
        if x.shape == WILD:
            return x
        return Transpose(x, x.pos, (x.shape[1], x.shape[0]))

    def pow(self, c):
        return self._pow(c[0], c[2], c[0].pos)

    def hpow(self, c):
        base, exponent = c[0], c[2]
        if not is_scalar(exponent.shape):
            self.fail("an exponent must be a scalar", exponent.pos)
        value = _constant(exponent)
        if value is not None and (not math.isfinite(value) or abs(value) > self.limits.max_exponent):
            self.fail(f"the exponent is too large (at most {self.limits.max_exponent:g} in absolute "
                      "value)", exponent.pos, AnswerLimitError)
        return Pow(base, exponent, base.pos, base.shape, elementwise=True)

    def relop(self, c):
        return c[0]

    def both(self, c):
        a, b = c[0], c[2]
        for side in (a, b):
            if not isinstance(side, (Relation, Bin)) or (isinstance(side, Bin) and side.op != "and"):
                self.fail("'and' joins conditions such as 0 < eps and eps < 2", side.pos)
        return Bin("and", a, b, c[1].start_pos, SCALAR)

    def chain(self, c):
        operands = c[0::2]
        ops = tuple(t.value for t in c[1::2])
        for o in operands:
            if not is_scalar(o.shape):
                self.fail(f"an inequality compares scalars, not {show_shape(o.shape)}", o.pos)
        for tok in c[3::2]:
            if tok.value[0] != ops[0][0]:
                self.fail("an inequality chain must go one way (a < b < c or a > b > c)", tok.start_pos)
        return Relation(ops, tuple(operands), c[0].pos)

    # checks
    def _bin(self, op, a, b, pos):
        sa, sb = a.shape, b.shape
        if op in "+-":
            shape = unify(sa, sb)
            # 1 - p with a vector p is entrywise, as written in elementwise formulas; a
            # scalar and a matrix stay apart (1 - eps H usually means I - eps H).
            for x, y in ((sa, sb), (sb, sa)):
                if shape is None and is_scalar(x) and y != WILD and 1 in y:
                    shape = y
            if shape is None:
                self._inner_product_slip(a, b, pos)
                hint = ("; write I for the identity matrix" if (is_scalar(sa) or is_scalar(sb))
                        and WILD not in (sa, sb) else "")
                word = "add" if op == "+" else "subtract"
                self.fail(f"cannot {word} {show_shape(sb)} {'to' if op == '+' else 'from'} "
                          f"{show_shape(sa)}{hint}", pos)
            return Bin(op, settle(a, shape), settle(b, shape), pos, shape)
        if op == "/":
            if isinstance(a, Num) and isinstance(b, Num) and b.value != 0:
                return Num(a.value / b.value, a.pos)   # 3/8 and 0.375 are the same number
            if not is_scalar(sb):
                self.fail(f"cannot divide by {show_shape(sb)}; use inv(A) or A^{{-1}} for a matrix "
                          "inverse", pos)
            return Bin(op, a, b, pos, sa)
        if op == "odot":
            if is_scalar(sa) or is_scalar(sb):
                return Bin(op, a, b, pos, sb if is_scalar(sa) else sa)
            shape = unify(sa, sb)
            if shape is None:
                self.fail(f"elementwise product needs equal shapes, got {show_shape(sa)} and "
                          f"{show_shape(sb)}", pos)
            return Bin(op, settle(a, shape), settle(b, shape), pos, shape)
        # '*' (also juxtaposition) and '@' are both the matrix product between arrays.
        op = "*"
        if is_scalar(sa) or is_scalar(sb):
            return Bin(op, a, b, pos, sb if is_scalar(sa) else sa)
        if sa == WILD and sb == WILD:
            return Bin(op, a, b, pos, WILD)
        if (sa == WILD and sb[0] == 1) or (sb == WILD and sa[1] == 1):
            self.fail("I here would be a 1×1 identity (a row or column vector beside it); write 1, "
                      "or put I next to a square matrix", pos)
        if sa == WILD:
            a = settle(a, (sb[0], sb[0]))
            sa = a.shape
        if sb == WILD:
            b = settle(b, (sa[1], sa[1]))
            sb = b.shape
        if sa[1] != sb[0]:
            hint = ""
            if sa[1] == 1 and sb[1] == 1:
                hint = "; for vectors write s s^T (outer), s^T s (inner) or s odot s (elementwise)"
            self.fail(f"cannot multiply {show_shape(sa)} by {show_shape(sb)}: the inner sizes "
                      f"{sa[1]} and {sb[0]} differ{hint}", pos)
        shape = (sa[0], sb[1])
        return Bin(op, a, b, pos, SCALAR if shape == (1, 1) else shape)

    def _inner_product_slip(self, a, b, pos):
        """diag(s) - s^T s: the inner product (a scalar) where the outer product s s^T (a
        matrix of the other side's size) fits: a transpose slip, not a missing I."""
        scalar, matrix = (a, b) if is_scalar(a.shape) else (b, a)
        if not is_scalar(scalar.shape) or matrix.shape[0] != matrix.shape[1]:
            return
        for node in walk(scalar):
            if (isinstance(node, Bin) and node.op == "*" and isinstance(node.a, Transpose)
                    and node.a.x.shape == (matrix.shape[0], 1) and node.b.shape == (matrix.shape[0], 1)):
                from .latex import AnswerTreePrinter
                printer = AnswerTreePrinter(self.vocab.latex_names())
                u, v = printer(node.a.x), printer(node.b)
                raise RecognisedSlip(f"${u}^\\top {v}$ is the inner product, a scalar; the outer product "
                                f"${u} {v}^\\top$ gives {show_shape(matrix.shape)}, as needed here", self.text,
                                node.pos, Diagnosis("transpose", f"${u}^\\top {v}$ is the inner product (a "
                                                    f"scalar); the outer product ${u} {v}^\\top$ is the matrix"))

    def _call(self, func, args, pos):
        nargs = len(args)
        if func == "log" and nargs > 2:
            self.fail(f"log takes one argument (log x) or two (log(x, b) to base b), got {nargs}", pos)
        if func in REWRITTEN and (func != "log" or nargs == 2):
            return self._rewritten(func, args, pos)
        if func in ("max", "min"):
            if nargs == 1:
                return Call(func, tuple(args), pos, SCALAR)
            for a in args:
                if not is_scalar(a.shape):
                    self.fail(f"{func}(a, b, ...) takes scalars; {func}(v) takes one vector", a.pos)
            return Call(func, tuple(args), pos, SCALAR)
        if nargs != 1:
            self.fail(f"{func} takes one argument, got {nargs}", pos)
        x = args[0]
        s = x.shape
        if s == WILD:
            self.fail(f"the size of I inside {func}(...) is not fixed; write it as a product", pos)
        if func in ELEMENTWISE:
            return Call(func, (x,), pos, s)
        if func == "softmax":
            if s[1] != 1:
                self.fail(f"softmax takes a column vector, got {show_shape(s)}", pos)
            return Call(func, (x,), pos, s)
        if func == "diag":
            if is_scalar(s):
                self.fail("diag takes a vector or a square matrix, got a scalar", pos)
            if s[1] == 1 or s[0] == 1:
                n = s[0] if s[1] == 1 else s[1]
                return Call(func, (x,), pos, (n, n))
            if s[0] != s[1]:
                self.fail(f"diag takes a vector or a square matrix, got {show_shape(s)}", pos)
            return Call(func, (x,), pos, s)
        if func in ("trace", "inv"):
            if s[0] != s[1] or is_scalar(s):
                self.fail(f"{func} takes a square matrix, got {show_shape(s)}", pos)
            return Call(func, (x,), pos, SCALAR if func == "trace" else s)
        if func in ("norm", "sum"):
            return Call(func, (x,), pos, SCALAR)
        self.fail(f"unknown function {func}", pos, AnswerSyntaxError)

    def _rewritten(self, func, args, pos):
        """Functions written with the others: log(x, b) = log x / log b; root(x, n) and cbrt(x)
        take the real branch (the cube root of -8 is -2), even roots only of x >= 0;
        factorial(n) and binomial(n, k) of whole constants up to MAX_FACTORIAL are exact numbers."""
        arity = {"log": 2, "root": 2, "cbrt": 1, "factorial": 1, "binomial": 2}[func]
        if len(args) != arity:
            self.fail(f"{func} takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}", pos)
        for a in args:
            if not is_scalar(a.shape):
                self.fail(f"{func} takes scalars, got {show_shape(a.shape)}", a.pos)
        if func == "log":
            return Bin("/", Call("log", (args[0],), pos, SCALAR), Call("log", (args[1],), pos, SCALAR),
                       pos, SCALAR)
        if func in ("root", "cbrt"):
            x = args[0]
            n = 3 if func == "cbrt" else self._whole(args[1], func, 2, self.limits.max_exponent)
            power = Pow(x if n % 2 == 0 else Call("abs", (x,), pos, SCALAR), Num(Fraction(1, n), pos),
                        pos, SCALAR)
            return power if n % 2 == 0 else Bin("*", Call("sign", (x,), pos, SCALAR), power, pos, SCALAR)
        if any(_constant(a) is None for a in args):
            # of a symbol (factorial(n), binomial(n + 1, k)): Gamma's, decided by SymPy's gammasimp
            return Call(func, tuple(args), pos, SCALAR)
        values = [self._whole(a, func, 0, MAX_FACTORIAL) for a in args]
        if func == "factorial":
            return Num(Fraction(math.factorial(values[0])), pos)
        if values[1] > values[0]:
            return Num(Fraction(0), pos)
        return Num(Fraction(math.comb(values[0], values[1])), pos)

    def _whole(self, node, func, low, high) -> int:
        value = _constant(node)
        if value is None or not math.isfinite(value) or value != int(value) or not low <= value <= high:
            self.fail(f"{func} takes a whole number from {low:g} to {high:g} here, written as a "
                      "constant", node.pos, AnswerLimitError if value is not None and value > high
                      else AnswerSyntaxError)
        return int(value)

    def _pow(self, base, exponent, pos):
        if (isinstance(exponent, Name) and exponent.name == "T" and not is_scalar(base.shape)
                and base.shape != WILD):
            # A part may name a variable T (a temperature); ^T of a vector or matrix is still
            # its transpose (a power of a non-square array is meaningless).
            return Transpose(base, base.pos, (base.shape[1], base.shape[0]))
        if not is_scalar(exponent.shape):
            self.fail(f"an exponent must be a scalar, got {show_shape(exponent.shape)}", exponent.pos)
        value = _constant(exponent)
        if value is not None and (not math.isfinite(value) or abs(value) > self.limits.max_exponent):
            self.fail(f"the exponent is too large (at most {self.limits.max_exponent:g} in absolute "
                      "value)", exponent.pos, AnswerLimitError)
        s = base.shape
        if not is_scalar(s) and s != WILD and s[0] != s[1]:
            self.fail(f"only square matrices have powers; got {show_shape(s)} (did you mean a "
                      "transpose, ^T?)", pos)
        if not is_scalar(s) and value == -1:
            return Call("inv", (base,), pos, s)   # A^{-1} and inv(A) are one thing
        return Pow(base, exponent, pos, s)

    def _sum(self, index, lo, hi, body, pos):
        for bound in (lo, hi):
            if bound is not None and not is_scalar(bound.shape):
                self.fail("sum bounds must be scalars", bound.pos)
        lo_v, hi_v = _constant(lo) if lo is not None else None, _constant(hi) if hi is not None else None
        terms = hi_v - lo_v + 1 if lo_v is not None and hi_v is not None else 1
        # Nested sums multiply their work: bound the product, not each sum alone.
        inner = max((n.terms for n in walk(body) if isinstance(n, Sum)), default=1)
        if terms * inner > self.limits.max_sum_range:
            self.fail(f"sums of more than {self.limits.max_sum_range} terms in all", pos, AnswerLimitError)
        return Sum(index, lo, hi, body, pos, body.shape, int(max(terms, 1) * inner))


# Parse-time evaluation of constant sub-trees, only to enforce the exponent limit.
# Functions the builder writes with the others (see Builder._rewritten), and the largest
# whole number factorial and binomial take (170! is the largest a float can hold).
REWRITTEN = ("log", "root", "cbrt", "factorial", "binomial")
MAX_MATRIX = 12
MAX_FACTORIAL = 170


def _constant(node: Node) -> float | None:
    try:
        with np.errstate(all="ignore"):
            return _const_eval(node)
    except (OverflowError, ZeroDivisionError, ValueError):
        return math.inf


def _const_eval(node):
    if isinstance(node, Num):
        return float(node.value)
    if isinstance(node, Const) and node.name in ("e", "pi"):
        return math.e if node.name == "e" else math.pi
    if isinstance(node, Neg):
        v = _const_eval(node.x)
        return None if v is None else -v
    if isinstance(node, Bin) and node.op in "+-*/":
        a, b = _const_eval(node.a), _const_eval(node.b)
        if a is None or b is None:
            return None
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.inf}[node.op]
    if isinstance(node, Pow):
        a, b = _const_eval(node.base), _const_eval(node.exp)
        if a is None or b is None:
            return None
        if abs(b) > 1000 or (abs(a) > 1 and abs(b) * math.log(abs(a)) > 700):
            return math.inf
        return float(abs(a) ** b) * (1 if a >= 0 else 1)
    return None
