r"""Index notation through the shared reader: what differs from a plain answer at stages 2
and 3, and the tree turned into the SymPy index expression the judge evaluates.

Stage 1 (:mod:`.lexer`) and the grammar (``grammar.lark``) are the plain answers' own. The
:class:`IndexResolver` decides what each word is with the part's index vocabulary: a tensor
(``TENSOR``, whose entry takes index expressions), a size (``NAME``), an index letter
(``IDX``; any single letter that is not a name), or juxtaposed letters (``si`` is s i when
each letter is a size, a free index or a summed one). It also reads a sum's letters
(``\sum_{a,i,j}``, ``\sum_{aij}``) and an entry's run of letters (``G_{afij}``) into tokens.
The :class:`IndexBuilder` makes :class:`~.nodes.Entry` and :class:`~.nodes.IndexSum` nodes,
and :func:`index_expression` gives the SymPy form: IndexedBase entries whose indices keep
the order typed (:class:`~derive.maths.tensors.Ordered`), sums with explicit or pending
bounds. Nothing the user typed reaches eval, sympify or parse_expr.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp
from lark import Token

from ...errors import AnswerSyntaxError
from ...maths.tensors import Ordered
from .builder import Builder, _constant
from .lexer import Lexeme
from .nodes import Bin, Entry, Idx, IndexSum, Name, Neg, Node, Num, Pow
from .resolver import Resolver
from .vocabulary import Vocabulary, VocabularyEntry

__all__ = ["INDEX_HINTS", "INDEX_WORDS", "IndexBuilder", "IndexResolver", "UNBOUNDED", "index_expression",
           "index_symbol", "shared_vocabulary"]

UNBOUNDED = sp.Symbol("unbounded_sum_range")   # a sum's upper bound until its range is read
# What index notation writes between its atoms (no @, odot, transpose, bars or comparisons).
_OPERATORS = {"+", "-", "*", "/", "^", "(", ")", "[", "]", "{", "}", ",", "_", "="}
_CLOSING = {"(": ")", "{": "}", "[": "]"}


# What the tokens are called when the grammar says what it expected in an index answer.
INDEX_WORDS = {"NUMBER": "a number", "NAME": "a size", "TENSOR": "a tensor entry", "SUM": "a sum",
               "IDX": "an index letter", "PLUS": "+", "MINUS": "-", "STAR": "*", "SLASH": "/",
               "POW": "^", "COMMA": ",", "LPAR": "(", "RPAR": ")", "LBRACK": "[", "RBRACK": "]",
               "LBRACE": "{", "RBRACE": "}", "FRAC": "\\frac", "SUB": "_", "EQ": "=", "$END": "the end"}
INDEX_HINTS = {
    "$END": "the answer ends too early; expected a number, a tensor entry, a size, an index letter or a sum",
    "SUB": "unexpected '_' here: _ follows a tensor's name (X_{{a,c,i,j}}) or a sum (\\sum_{{a,i,j}})",
    "EQ": "unexpected '=' here: '=' belongs only in a sum's lower bound (\\sum_{{i=0}}^{{N-K}}); type "
          "just the expression, without a left-hand side",
}


def index_symbol(letter: str) -> sp.Symbol:
    return sp.Symbol(letter, integer=True)


def shared_vocabulary(vocab) -> Vocabulary:
    """The index vocabulary as the shared resolver reads it: tensors with their shapes, sizes,
    and every spelling (lexeme key -> name) the part declares."""
    entries = tuple(VocabularyEntry(name, tuple(shape)) for name, shape in vocab.tensors.items())
    entries += tuple(VocabularyEntry(name, (), (), None, "size") for name in vocab.sizes)
    return Vocabulary(entries).with_keys(vocab.spellings)


class IndexResolver(Resolver):
    """Lexemes of an index answer -> the shared grammar's tokens (see the module docstring)."""

    def __init__(self, text: str, lexemes: list[Lexeme], vocab, syntax: str):
        super().__init__(text, lexemes, vocab.shared, syntax)
        self.index_vocab = vocab
        self.summed: set[str] = set()   # letters some sum binds (read so far)

    # --- what a word is -------------------------------------------------------------------
    def known(self, k: int) -> tuple[str, int] | None:
        """The declared name spelled at lexeme k (the longest spelling), and its lexemes."""
        hit = self.phrase(k)
        if hit is not None:
            return hit
        name = self.vocab.word(self.lx[k].value)
        return (name, 1) if name is not None else None

    def word(self, k: int) -> int:
        lx = self.lx[k]
        if lx.value == "sum":
            self.emit("SUM", "sum", lx.pos)
            return self.after_sum(k + 1, lx.pos)
        hit = self.known(k)
        if hit is not None:
            name, span = hit
            self.spelled.setdefault(name, "".join(x.raw or x.value for x in self.lx[k:k + span]))
            if name in self.index_vocab.tensors:
                self.emit("TENSOR", name, lx.pos)
                return self.after_tensor(k + span, name, lx.pos)
            self.emit("NAME", name, lx.pos)
            return k + span
        value = lx.value
        if value.isalpha() and self.is_op(k + 1, "_"):
            self.fail(f"{value} is not a tensor of this part; it knows {self.index_vocab.describe()}", lx.pos)
        if len(value) == 1 and value.isalpha():
            self.emit("IDX", value, lx.pos)
            return k + 1
        if not lx.atomic and value.isalpha() and all(self.is_letter(ch) for ch in value):
            # "si" typed without a space: the product of its letters, when each is a size, a
            # free index or an index a sum binds ("import" is none of these).
            for t, ch in enumerate(value):
                self.emit("NAME" if ch in self.index_vocab.sizes else "IDX", ch, lx.pos + t)
            return k + 1
        self.fail(f"unknown name {value!r}; this part knows {self.index_vocab.describe()}", lx.pos)

    def is_letter(self, ch: str) -> bool:
        vocab = self.index_vocab
        return ch in vocab.sizes or ch in vocab.free or ch in self.summed

    def is_op(self, k: int, *values: str) -> bool:
        return k < len(self.lx) and self.lx[k].kind == "op" and self.lx[k].value in values

    def operator(self, k: int) -> int:
        lx = self.lx[k]
        if lx.value not in _OPERATORS:
            self.fail(f"unexpected {lx.value!r} here; index notation writes + - * / ^, brackets, "
                      "tensor entries and sums", lx.pos)
        if lx.value == "^":   # a power, never a transpose or an elementwise power here
            self.emit("POW", "^", lx.pos)
            return k + 1
        return super().operator(k)

    def step(self, k: int) -> int:
        lx = self.lx[k]
        if lx.kind == "cmd" and lx.value != "frac":
            self.fail(f"unexpected {lx.value!r} here; index notation writes + - * / ^, \\frac, "
                      "brackets, tensor entries and sums", lx.pos)
        return super().step(k)

    # --- an entry's indices ------------------------------------------------------------------
    def after_tensor(self, k: int, name: str, pos: int) -> int:
        """X_{a,c,i+h}, X(a,c,i+h), G_{afij} (one letter per axis), G_i, G_0."""
        rank = len(self.index_vocab.tensors[name])
        if self.is_op(k, "("):
            return k
        if not self.is_op(k, "_"):
            example = ",".join("ijkl"[:rank]) if rank <= 4 else ",".join(f"i_{n}" for n in range(rank))
            self.fail(f"{name} is a tensor with {rank} ind{'ex' if rank == 1 else 'ices'}: write an "
                      f"entry such as {name}_{{{example}}} or {name}({example.replace(',', ', ')})", pos)
        under = self.lx[k]
        self.emit("SUB", "_", under.pos)
        k += 1
        if k >= len(self.lx):
            self.fail("a subscript is missing after _", under.pos)
        lx = self.lx[k]
        if lx.kind == "op" and lx.value in ("{", "("):
            inner = k + 1
            if (rank > 1 and inner < len(self.lx) and self.is_run(inner, rank)
                    and self.is_op(inner + 1, _CLOSING[lx.value])):
                self.letters(self.lx[inner], "LBRACE", "RBRACE")
                return inner + 2
            return k
        if lx.kind == "word" and rank > 1 and self.is_run(k, rank):
            self.letters(lx, "LBRACE", "RBRACE")
            return k + 1
        if lx.kind in ("word", "num"):
            # One atom is the index: G_i, G_0, G_{H_out}.
            self.emit("LBRACE", "{", lx.pos)
            k = self.step(k)
            self.emit("RBRACE", "}", lx.pos)
            return k
        self.fail("expected the indices after _, such as _{a,f,i,j} or _i", lx.pos)

    def is_run(self, k: int, length: int) -> bool:
        """Lexeme k is one word of ``length`` letters, none a declared name: one per axis."""
        lx = self.lx[k]
        return (lx.kind == "word" and len(lx.value) == length and lx.value.isalpha()
                and self.known(k) is None)

    def letters(self, lx: Lexeme, opening: str, closing: str):
        """A run of letters as comma-separated index letters in (synthetic) braces."""
        self.emit(opening, "{", lx.pos)
        for t, ch in enumerate(lx.value):
            if t:
                self.emit("COMMA", ",", lx.pos + t)
            self.emit("NAME" if ch in self.index_vocab.sizes else "IDX", ch, lx.pos + t)
        self.emit(closing, "}", lx.pos + len(lx.value) - 1)

    # --- a sum's letters ---------------------------------------------------------------------
    def after_sum(self, k: int, pos: int) -> int:
        r"""\sum_i, \sum_{a,i,j}, \sum_{aij}, \sum_{i=0}^{N-K}; sum(...) is left to the grammar."""
        if self.is_op(k, "("):
            return k
        if not self.is_op(k, "_"):
            self.fail(r"a sum needs its indices: \sum_{a,i,j} (every valid index), \sum_{i=0}^{N-K}, "
                      "or sum(body, i, lo, hi)", pos)
        self.emit("SUB", "_", self.lx[k].pos)
        k += 1
        braced = self.is_op(k, "{", "(")
        close = _CLOSING[self.lx[k].value] if braced else None
        start = k
        if braced:
            k += 1
        letters: list[tuple[str, int]] = []
        while True:
            if k >= len(self.lx) or self.lx[k].kind != "word":
                self.fail("expected an index letter here, such as i",
                          self.lx[k].pos if k < len(self.lx) else len(self.text.rstrip()))
            lx = self.lx[k]
            if len(lx.value) > 1 and lx.value.isalpha() and self.known(k) is None:
                letters += [(self.summation_letter(ch, lx.pos), lx.pos + t) for t, ch in enumerate(lx.value)]
            else:
                letters.append((self.summation_letter(lx.value, lx.pos), lx.pos))
            k += 1
            if not self.is_op(k, ","):
                break
            k += 1
        names = [x for x, _ in letters]
        if len(set(names)) != len(names):
            self.fail(f"an index is summed twice in one sum: {', '.join(names)}", self.lx[start].pos)
        self.summed.update(names)
        bounded = braced and self.is_op(k, "=")
        if bounded and len(letters) != 1:
            self.fail(r"a lower bound goes with one index: \sum_{i=0}^{N-K}", self.lx[k].pos)
        if self.is_op(k, "^") and not bounded:
            self.fail(r"an upper bound needs a lower one: \sum_{i=0}^{N-K}", self.lx[k].pos)
        if len(letters) == 1 and not braced:
            self.emit("IDX", names[0], letters[0][1])
            return k
        self.emit("LBRACE", "{", self.lx[start].pos)
        for n, (letter, at) in enumerate(letters):
            if n:
                self.emit("COMMA", ",", at)
            self.emit("IDX", letter, at)
        if bounded:
            if not self.is_op(self.closing(k, close) + 1, "^"):
                self.fail(r"a lower bound needs an upper one: \sum_{i=0}^{N-K}", self.lx[k].pos)
            return k   # = lo } ^ hi: the grammar reads the bounds
        if braced:
            if not self.is_op(k, close):
                self.fail(f"expected {close!r} here", self.lx[k].pos if k < len(self.lx) else len(self.text))
            self.emit("RBRACE", "}", self.lx[k].pos)
            return k + 1
        self.emit("RBRACE", "}", letters[-1][1])
        return k

    def closing(self, k: int, close: str) -> int:
        """The lexeme that closes the bracket open at k (the end if none does)."""
        opening, depth = {")": "(", "}": "{", "]": "["}[close], 1
        while k + 1 < len(self.lx) and depth:
            k += 1
            depth += self.is_op(k, opening) - self.is_op(k, close)
        return k if depth == 0 else len(self.lx)

    def summation_letter(self, ch: str, pos: int) -> str:
        vocab = self.index_vocab
        if ch in vocab.sizes or ch in vocab.tensors:
            self.fail(f"{ch} names a {'size' if ch in vocab.sizes else 'tensor'} of this part, so it "
                      "cannot be a summation index", pos)
        if len(ch) != 1 or not ch.isalpha():
            self.fail("expected an index letter here, such as i", pos)
        return ch


class IndexBuilder(Builder):
    """The grammar's tree of an index answer -> nodes: entries, sums over letters from 0,
    whole-number powers; everything is a scalar."""

    def __init__(self, text: str, vocab, limits):
        super().__init__(text, vocab.shared, limits)
        self.index_vocab = vocab

    def entry(self, c):
        tensor = c[0]
        args = next(x for x in c if isinstance(x, list))
        shape = self.index_vocab.tensors[tensor.value]
        rank = len(shape)
        if len(args) != rank:
            self.fail(f"{tensor.value} has {rank} ind{'ex' if rank == 1 else 'ices'} (shape "
                      f"{', '.join(map(str, shape))}), got {len(args)}", tensor.start_pos, AnswerSyntaxError)
        return Entry(tensor.value, tuple(args), tensor.start_pos)

    def sum_free(self, c):
        return self.sum_letters(c)

    def sum_letters(self, c):
        letters = [t for t in c if isinstance(t, Token) and t.type == "IDX"]
        return IndexSum(tuple(t.value for t in letters), None, None, c[-1], c[0].start_pos,
                        places=tuple(t.start_pos for t in letters))

    def sum_range(self, c):
        idx = next(t for t in c if isinstance(t, Token) and t.type == "IDX")
        lo, hi, body = [x for x in c if not isinstance(x, Token)]
        return IndexSum((idx.value,), lo, hi, body, c[0].start_pos, places=(idx.start_pos,))

    def sum_call(self, c):
        """sum(body, i, lo, hi) with bounds, or sum(body, a, i, j) over every valid index."""
        start = c[0].start_pos
        body, *rest = [x for x in c if not isinstance(x, Token)]
        letters = all(isinstance(e, Idx) for e in rest)
        if letters and not (len(rest) == 3 and _looks_like_bounds(rest[1:])):
            names = [e.letter for e in rest]
            if len(set(names)) != len(names):
                self.fail(f"an index is summed twice in one sum: {', '.join(names)}", start, AnswerSyntaxError)
            return IndexSum(tuple(names), None, None, body, start, places=tuple(e.pos for e in rest))
        if len(rest) == 3 and isinstance(rest[0], Idx):
            return IndexSum((rest[0].letter,), rest[1], rest[2], body, start, places=(rest[0].pos,))
        self.fail("sum(...) takes sum(body, i, lo, hi) or sum(body, a, i, j) with index letters",
                  rest[0].pos, AnswerSyntaxError)

    def sum_all(self, c):
        self.fail("sum(...) needs its index: sum(body, i, lo, hi) or sum(body, a, i, j)", c[0].start_pos,
                  AnswerSyntaxError)

    def pow(self, c):
        base, exponent = c[0], c[2]
        value = _constant(exponent)
        if value is None or value != int(value) or abs(value) > self.limits.max_exponent:
            self.fail(f"powers in index answers take a whole-number exponent of at most "
                      f"{self.limits.max_exponent:g}", exponent.pos, AnswerSyntaxError)
        return Pow(base, exponent, base.pos, base.shape)


def _looks_like_bounds(nodes) -> bool:
    """In sum(body, i, x, y): x, y are bounds when either is a number or uses a size (is not
    an index letter)."""
    return any(not isinstance(n, Idx) for n in nodes)


def index_expression(node: Node, text: str) -> sp.Expr:
    """The SymPy form of an index answer's tree: sums without bounds run to UNBOUNDED until
    the ranges are read (index_parse)."""
    return _Converter(text).expr(node)


class _Converter:
    def __init__(self, text: str):
        self.text = text

    def expr(self, node: Node) -> sp.Expr:
        if isinstance(node, Num):
            return sp.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            return index_symbol(node.name)
        if isinstance(node, Idx):
            return index_symbol(node.letter)
        if isinstance(node, Neg):
            return -self.expr(node.x)
        if isinstance(node, Pow):
            return self.expr(node.base) ** int(Fraction(_constant(node.exp)))
        if isinstance(node, Bin):
            a, b = self.expr(node.a), self.expr(node.b)
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "/":
                if b == 0:
                    raise AnswerSyntaxError("division by zero", self.text, node.pos)
                return a / b
            return a * b
        if isinstance(node, Entry):
            return sp.IndexedBase(node.name)[tuple(self.index(k) for k in node.indices)]
        if isinstance(node, IndexSum):
            lo, hi = ((self.expr(node.lo), self.expr(node.hi)) if node.lo is not None
                      else (sp.S.Zero, UNBOUNDED))
            # SymPy's first limit is the innermost: the last index written.
            return sp.Sum(self.expr(node.body), *((index_symbol(x), lo, hi) for x in reversed(node.letters)))
        what = _NOT_INDEX.get(type(node).__name__, type(node).__name__)
        raise AnswerSyntaxError(f"{what} is not part of index notation; it writes numbers, sizes, index "
                                "letters, tensor entries, sums, + - * / and whole powers", self.text, node.pos)

    def index(self, node: Node) -> sp.Expr:
        """A tensor index, kept in the order typed (s i + h, not h + i s): an Ordered sum of
        products; with a division, a plain expression."""
        terms = []
        for negative, term in _terms(node):
            factors = _factors(term)
            if factors is None:
                return self.expr(node)
            if factors and isinstance(factors[0], Neg) and not terms and not negative:
                negative, factors[0] = True, factors[0].x   # a leading sign: -h + s i
            terms.append(((-1,) if negative else ()) + tuple(self.expr(f) for f in factors))
        if len(terms) == 1 and len(terms[0]) == 1:
            return terms[0][0]
        return Ordered(*terms)


_NOT_INDEX = {"Iverson": "an Iverson bracket [a = b]", "Matrix": "a matrix", "Call": "a function",
              "Relation": "a comparison"}


def _terms(node: Node) -> list:
    """(negative, term) for the terms of a chain of + and -, in the order written."""
    if isinstance(node, Bin) and node.op in "+-":
        return _terms(node.a) + [(node.op == "-", node.b)]
    return [(False, node)]


def _factors(node: Node) -> list | None:
    """The factors of a product, in the order written; None for a division."""
    if isinstance(node, Bin) and node.op == "*":
        a, b = _factors(node.a), _factors(node.b)
        return None if a is None or b is None else a + b
    if isinstance(node, Bin) and node.op == "/":
        return None
    return [node]
