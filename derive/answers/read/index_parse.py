r"""Reading answers in index notation for tensor parts (the conv gradients).

``\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+h,s j+w}``, the plain ``sum(G(a,f,i,j)*X(a,c,s*i+h,s*j+w), a, i, j)``
and ``\sum_{i=0}^{N-K} G_i X_{i+j}`` all become one SymPy index expression: IndexedBase
entries with expression indices and bounded ``Sum``\ s, which derive.maths.tensors evaluates
entry by entry (an entry outside its tensor, or at a non-integer index, is 0).

The text goes through the answer lexer (stage 1 of the main parser) and then through the
small recursive-descent reader below, which builds only whitelisted SymPy objects (exact
numbers, declared tensors, declared sizes, single-letter indices, +, -, *, /, integer
powers, sums); no user text reaches eval, sympify or parse_expr.

A sum written without bounds (``\sum_{a,i,j}``) runs over every valid index: the range of
an index is read from the axes it indexes directly (``G_{a,f,i,j}`` gives i the range
0..H_out-1); where it indexes several axes the smallest range is taken, which loses
nothing because an entry outside its tensor contributes 0.

>>> vocab = IndexVocabulary({"x": ("N",), "w": ("K",)}, ("N", "K"), {}, ("j",))
>>> parse_index_answer(r"\sum_{i} w_i x_{i+j}", vocab).expr
Sum(w[i]*x[i + j], (i, 0, K - 1))
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

import sympy as sp

from ...errors import AnswerSyntaxError
from ...maths.tensors import Ordered
from ...render.printing import DeriveLatexPrinter
from .lexer import Lexeme, normalise, scan, spelling_key
from .limits import DEFAULT_LIMITS, AnswerLimitError, Limits, check_text

__all__ = ["IndexAnswer", "IndexVocabulary", "parse_index_answer"]

_UNBOUNDED = sp.Symbol("unbounded_sum_range")   # placeholder until the ranges are read


def index_symbol(letter: str) -> sp.Symbol:
    return sp.Symbol(letter, integer=True)


@dataclass(frozen=True)
class IndexVocabulary:
    """Tensors (name -> shape of size names), sizes, spellings (key tuple -> name) and the
    free indices of the expected answer, in the order of its axes."""
    tensors: Mapping[str, tuple]
    sizes: tuple
    spellings: Mapping[tuple, str]
    free: tuple

    def names(self) -> list[str]:
        return list(self.tensors) + list(self.sizes)

    def describe(self) -> str:
        tensors = ", ".join(f"{t}_{{{','.join(map(str, shape))}}}" for t, shape in self.tensors.items())
        return (f"tensors {tensors}; sizes {', '.join(self.sizes)}; free indices "
                f"{', '.join(self.free) or 'none'}")


@dataclass(frozen=True)
class IndexAnswer:
    text: str
    syntax: str
    expr: sp.Expr
    free: tuple            # free index letters the answer uses (a subset of the part's)
    spelled: Mapping       # canonical name -> how the user wrote it
    written: sp.Expr = None   # expr before sums without bounds got their ranges

    def latex(self) -> str:
        """What was understood, as written: ``\\sum_{a,i,j}`` stays without bounds."""
        return _WrittenPrinter().doprint(self.written if self.written is not None else self.expr)


class _WrittenPrinter(DeriveLatexPrinter):
    """The sheets' printer, with sums as typed (``\\sum_{a,i,j}``, ``\\sum_{i=0}^{N - K}``) and
    entries as X_{a,c,h,w}."""

    def _print_Sum(self, expr):
        # SymPy keeps the innermost limit first; the outermost is printed first.
        heads, run = [], []
        for index, low, high in reversed(expr.limits):
            if high == _UNBOUNDED:
                run.append(index.name)
                continue
            if run:
                heads.append(r"\sum_{" + ",".join(run) + "}")
                run = []
            heads.append(rf"\sum_{{{index.name}={self._print(low)}}}^{{{self._print(high)}}}")
        if run:
            heads.append(r"\sum_{" + ",".join(run) + "}")
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = rf"\left({body}\right)"
        return " ".join(heads) + " " + body

    def _print_Indexed(self, expr):
        return f"{expr.base.label.name}_{{{','.join(self._index(k) for k in expr.indices)}}}"

    def _index(self, k) -> str:
        """An index sum leads with a positive term: w - j s, not - j s + w."""
        if not isinstance(k, sp.Add):
            return self._print(k)
        terms = sorted(k.as_ordered_terms(), key=lambda t: t.could_extract_minus_sign())
        out = self._print(terms[0])
        for t in terms[1:]:
            out += " - " + self._print(-t) if t.could_extract_minus_sign() else " + " + self._print(t)
        return out


def parse_index_answer(text: str, vocab: IndexVocabulary, *, syntax: str = "auto",
                       limits: Limits = DEFAULT_LIMITS) -> IndexAnswer:
    """Parse ``text`` into an :class:`IndexAnswer`; AnswerSyntaxError (with the position)
    for anything outside the language or an index whose range cannot be known."""
    check_text(text, syntax, limits)
    if not text.strip():
        raise AnswerSyntaxError(r"the answer is empty; type an expression such as \sum_{a,i,j} G_{a,f,i,j}",
                                text, 0)
    if syntax == "auto":
        syntax = "latex" if any(ch in text for ch in "\\{}") else "text"
    lexemes = normalise(scan(text, syntax, limits))
    if len(lexemes) > limits.max_tokens:
        raise AnswerLimitError(f"the answer has more than {limits.max_tokens} symbols", text,
                               lexemes[limits.max_tokens].pos)
    reader = _Reader(text, lexemes, vocab, limits)
    expr = reader.expr()
    if reader.k < len(lexemes):
        reader.fail(f"unexpected {lexemes[reader.k].value!r} here", lexemes[reader.k].pos)
    written, expr = expr, _bound_sums(expr, vocab, text)
    named = set(vocab.sizes) | set(vocab.tensors)
    letters = sorted(x.name for x in expr.free_symbols if isinstance(x, sp.Symbol) and x.name not in named)
    stray = [x for x in letters if x not in vocab.free]
    if stray:
        raise AnswerSyntaxError(f"the index {stray[0]} is neither summed nor one of the free indices "
                                f"({', '.join(vocab.free)}) of the expected answer; sum over it or "
                                "use the free indices' letters", text, _position(text, stray[0]))
    return IndexAnswer(text, syntax, expr, tuple(x for x in vocab.free if x in letters), dict(reader.spelled),
                       written)


def _position(text: str, letter: str) -> int:
    found = text.find(letter)
    return max(found, 0)


class _Reader:
    """Recursive descent over lexemes: expr, term (products, juxtaposition), signed, power, atom."""

    def __init__(self, text: str, lexemes: Sequence[Lexeme], vocab: IndexVocabulary, limits: Limits):
        self.text, self.lx, self.vocab, self.limits = text, list(lexemes), vocab, limits
        self.k = 0
        self.depth = 0
        self.spelled: dict[str, str] = {}
        self.bound: list[str] = []
        self.last_split: tuple | None = None
        self.phrases = sorted(vocab.spellings.items(), key=lambda kv: -len(kv[0]))

    # --- helpers ------------------------------------------------------------------------
    def fail(self, message: str, pos: int | None = None):
        if pos is None:
            pos = self.lx[self.k].pos if self.k < len(self.lx) else len(self.text.rstrip())
        raise AnswerSyntaxError(message, self.text, pos)

    def peek(self, offset: int = 0) -> Lexeme | None:
        k = self.k + offset
        return self.lx[k] if k < len(self.lx) else None

    def is_op(self, value: str, offset: int = 0) -> bool:
        lx = self.peek(offset)
        return lx is not None and lx.kind == "op" and lx.value == value

    def expect(self, value: str):
        if not self.is_op(value):
            self.fail(f"expected {value!r} here")
        self.k += 1

    def closing(self, opener: str) -> str:
        return {"(": ")", "{": "}", "[": "]"}[opener]

    # --- grammar ------------------------------------------------------------------------
    def expr(self) -> sp.Expr:
        self.depth += 1
        if self.depth > self.limits.max_nesting:
            self.fail(f"the answer is nested more than {self.limits.max_nesting} deep")
        out = self.term()
        while self.is_op("+") or self.is_op("-"):
            minus = self.peek().value == "-"
            self.k += 1
            t = self.term()
            out = out - t if minus else out + t
        self.depth -= 1
        return out

    def starts_atom(self) -> bool:
        lx = self.peek()
        if lx is None:
            return False
        if lx.kind in ("num", "word", "cmd"):
            return True
        return lx.kind == "op" and lx.value in ("(", "{", "[")

    def term(self) -> sp.Expr:
        out = self.signed()
        while True:
            if self.is_op("*"):
                self.k += 1
                out = out * self.signed()
            elif self.is_op("/"):
                self.k += 1
                den = self.signed()
                if den == 0:
                    self.fail("division by zero")
                out = out / den
            elif self.starts_atom():
                out = out * self.power()
            else:
                return out

    def signed(self) -> sp.Expr:
        if self.is_op("-"):
            self.k += 1
            return -self.signed()
        if self.is_op("+"):
            self.k += 1
            return self.signed()
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.is_op("^"):
            self.k += 1
            at = self.k
            exponent = self.signed_exponent()
            if not (exponent.is_Integer and abs(int(exponent)) <= self.limits.max_exponent):
                self.fail(f"powers in index answers take a whole-number exponent of at most "
                          f"{self.limits.max_exponent:g}", self.lx[at].pos)
            return base ** exponent
        return base

    def signed_exponent(self) -> sp.Expr:
        if self.is_op("-"):
            self.k += 1
            return -self.signed_exponent()
        return self.atom()

    def atom(self) -> sp.Expr:
        lx = self.peek()
        if lx is None:
            self.fail("the answer ends too early; expected a number, a tensor entry or a sum")
        if lx.kind == "num":
            self.k += 1
            value = Fraction(lx.value)
            return sp.Rational(value.numerator, value.denominator)
        if lx.kind == "op" and lx.value in ("(", "{", "["):
            self.k += 1
            inner = self.expr()
            self.expect(self.closing(lx.value))
            return inner
        if lx.kind == "cmd" and lx.value == "frac":
            self.k += 1
            self.expect("{")
            top = self.expr()
            self.expect("}")
            self.expect("{")
            bottom = self.expr()
            self.expect("}")
            if bottom == 0:
                self.fail("division by zero", lx.pos)
            return top / bottom
        if lx.kind == "word" and lx.value == "sum":
            return self.sum()
        if lx.kind == "word":
            return self.word()
        self.fail(f"unexpected {lx.value!r} here; expected a number, a tensor entry, a size or a sum")

    def name_at(self) -> tuple[str, int] | None:
        """The declared name spelled at the current lexeme, and how many lexemes it spans."""
        for key, name in self.phrases:
            m = len(key)
            if tuple(x.key for x in self.lx[self.k:self.k + m]) == key:
                # X_{...} is the tensor X subscripted, not a spelling such as H_out: a phrase
                # must not swallow a subscript's brace.
                return name, m
        return None

    def word(self) -> sp.Expr:
        lx = self.peek()
        hit = self.name_at()
        if hit is not None:
            name, span = hit
            self.spelled.setdefault(name, "".join(x.raw or x.value for x in self.lx[self.k:self.k + span]))
            self.k += span
            if name in self.vocab.tensors:
                return self.entry(name, lx.pos)
            return index_symbol(name)
        value = lx.value
        if value.isalpha() and self.is_op("_", 1):
            self.fail(f"{value} is not a tensor of this part; it knows {self.vocab.describe()}", lx.pos)
        if len(value) == 1 and value.isalpha():
            self.k += 1
            return index_symbol(value)
        if not lx.atomic and value.isalpha() and all(self._is_letter(ch) for ch in value):
            # "si" typed without a space: the product of its letters, when each is a size,
            # a free index or an index a sum binds here ("import" is none of these).
            self.k += 1
            self.last_split = tuple(index_symbol(ch) for ch in value)
            return sp.Mul(*self.last_split)
        self.fail(f"unknown name {value!r}; this part knows {self.vocab.describe()}", lx.pos)

    def _is_letter(self, ch: str) -> bool:
        return ch in self.vocab.sizes or ch in self.vocab.free or ch in self.bound

    def entry(self, name: str, pos: int) -> sp.Expr:
        rank = len(self.vocab.tensors[name])
        if self.is_op("_"):
            self.k += 1
            indices = self.subscript(rank)
        elif self.is_op("("):
            self.k += 1
            indices = self.arguments()
        else:
            example = ",".join("ijkl"[:rank]) if rank <= 4 else ",".join(f"i_{k}" for k in range(rank))
            self.fail(f"{name} is a tensor with {rank} ind{'ex' if rank == 1 else 'ices'}: write an "
                      f"entry such as {name}_{{{example}}} or {name}({example.replace(',', ', ')})", pos)
        if len(indices) != rank:
            self.fail(f"{name} has {rank} ind{'ex' if rank == 1 else 'ices'} (shape "
                      f"{', '.join(map(str, self.vocab.tensors[name]))}), got {len(indices)}", pos)
        return sp.IndexedBase(name)[tuple(indices)]

    def subscript(self, rank: int) -> list:
        lx = self.peek()
        if lx is None:
            self.fail("a subscript is missing after _")
        if lx.kind == "op" and lx.value in ("{", "("):
            # X_{ij}: one word of single letters, as many as the tensor has axes.
            nxt = self.peek(1)
            if (rank > 1 and nxt is not None and nxt.kind == "word" and self.is_op(self.closing(lx.value), 2)
                    and len(nxt.value) == rank and nxt.value.isalpha() and self.name_at_offset(1) is None):
                self.k += 3
                return [index_symbol(ch) for ch in nxt.value]
            self.k += 1
            out = self.arguments(close=self.closing(lx.value))
            return out
        if lx.kind == "word" and rank > 1 and len(lx.value) == rank and lx.value.isalpha() \
                and self.name_at() is None:
            self.k += 1
            return [index_symbol(ch) for ch in lx.value]
        if lx.kind in ("word", "num"):
            return [self.atom()]
        self.fail("expected the indices after _, such as _{a,f,i,j} or _i")

    def name_at_offset(self, offset: int):
        self.k += offset
        try:
            return self.name_at()
        finally:
            self.k -= offset

    def arguments(self, close: str = ")") -> list:
        out = [self.index_expr()]
        while self.is_op(","):
            self.k += 1
            out.append(self.index_expr())
        self.expect(close)
        return out

    def index_expr(self) -> sp.Expr:
        """A tensor index, kept in the order typed for printing (s i + h, not h + i s): an
        :class:`Ordered` sum of products; with a division, a plain expression."""
        start, terms, negative = self.k, [], False
        if self.is_op("-") or self.is_op("+"):
            negative = self.peek().value == "-"
            self.k += 1
        while True:
            factors = self.term_factors()
            if factors is None:
                self.k = start
                return self.expr()
            terms.append(((-1,) if negative else ()) + tuple(factors))
            if not (self.is_op("+") or self.is_op("-")):
                break
            negative = self.peek().value == "-"
            self.k += 1
        if len(terms) == 1 and len(terms[0]) == 1:
            return terms[0][0]
        return Ordered(*terms)

    def term_factors(self) -> list | None:
        factors = []

        def add(parse):
            self.last_split = None
            factor = parse()
            split, self.last_split = self.last_split, None
            # "si" typed as one word stays two factors, printed as typed.
            factors.extend(split if split is not None and factor == sp.Mul(*split) else [factor])
        add(self.signed)
        while True:
            if self.is_op("*"):
                self.k += 1
                add(self.signed)
            elif self.is_op("/"):
                return None
            elif self.starts_atom():
                add(self.power)
            else:
                return factors

    def letter(self) -> str:
        lx = self.peek()
        if lx is None or lx.kind != "word" or len(lx.value) != 1 or not lx.value.isalpha():
            self.fail("expected an index letter here, such as i")
        if lx.value in self.vocab.sizes or lx.value in self.vocab.tensors:
            self.fail(f"{lx.value} names a {'size' if lx.value in self.vocab.sizes else 'tensor'} of this "
                      "part, so it cannot be a summation index", lx.pos)
        self.k += 1
        return lx.value

    def sum(self) -> sp.Expr:
        start = self.peek().pos
        self.k += 1
        if self.is_op("("):
            return self.sum_call(start)
        if not self.is_op("_"):
            self.fail(r"a sum needs its indices: \sum_{a,i,j} (every valid index), \sum_{i=0}^{N-K}, "
                      "or sum(body, i, lo, hi)", start)
        self.k += 1
        letters, low, high = [], None, None
        if self.is_op("{") or self.is_op("("):
            close = self.closing(self.peek().value)
            self.k += 1
            letters = self.letters_list()
            if self.is_op("="):
                if len(letters) != 1:
                    self.fail("a lower bound goes with one index: \\sum_{i=0}^{N-K}")
                self.k += 1
                low = self.expr()
            self.expect(close)
        else:
            letters = self.letters_list()
        if self.is_op("^"):
            if low is None:
                self.fail("an upper bound needs a lower one: \\sum_{i=0}^{N-K}")
            self.k += 1
            high = self.power_limit()
        elif low is not None:
            self.fail("a lower bound needs an upper one: \\sum_{i=0}^{N-K}")
        self.bound += letters
        body = self.term()
        del self.bound[-len(letters):]
        return self._make_sum(body, letters, low, high)

    def letters_list(self) -> list[str]:
        lx = self.peek()
        # \sum_{aij}: one word of single letters.
        if lx is not None and lx.kind == "word" and len(lx.value) > 1 and lx.value.isalpha() \
                and self.name_at() is None:
            self.k += 1
            return [self._check_letter(ch, lx.pos) for ch in lx.value]
        out = [self.letter()]
        while self.is_op(","):
            self.k += 1
            out.append(self.letter())
        return out

    def _check_letter(self, ch: str, pos: int) -> str:
        if ch in self.vocab.sizes or ch in self.vocab.tensors:
            self.fail(f"{ch} names a size or tensor of this part, so it cannot be a summation index", pos)
        return ch

    def power_limit(self) -> sp.Expr:
        lx = self.peek()
        if lx is not None and (lx.kind == "num" or (lx.kind == "op" and lx.value in ("{", "("))
                               or (lx.kind == "word" and lx.value != "sum")):
            return self.atom()   # ^{N-K}, ^N, ^i (an outer index)
        self.fail("expected the sum's upper bound, such as ^{N-K}")

    def sum_call(self, start: int) -> sp.Expr:
        """sum(body, i, lo, hi) with bounds, or sum(body, a, i, j) over every valid index."""
        self.k += 1
        body = self.expr()
        rest = []
        while self.is_op(","):
            self.k += 1
            at = self.k
            rest.append((at, self.expr()))
        self.expect(")")
        if not rest:
            self.fail("sum(...) needs its index: sum(body, i, lo, hi) or sum(body, a, i, j)", start)
        letters = [e for _, e in rest]
        if all(isinstance(e, sp.Symbol) and e.name not in self.vocab.sizes for e in letters) \
                and not (len(rest) == 3 and _looks_like_bounds(letters[1:], self.vocab)):
            return self._make_sum(body, [e.name for e in letters], None, None)
        if len(rest) == 3 and isinstance(letters[0], sp.Symbol) and letters[0].name not in self.vocab.sizes:
            return self._make_sum(body, [letters[0].name], letters[1], letters[2])
        self.fail("sum(...) takes sum(body, i, lo, hi) or sum(body, a, i, j) with index letters",
                  self.lx[rest[0][0]].pos)

    def _make_sum(self, body, letters, low, high) -> sp.Expr:
        if len(set(letters)) != len(letters):
            self.fail(f"an index is summed twice in one sum: {', '.join(letters)}")
        lo, hi = (low, high) if low is not None else (sp.S.Zero, _UNBOUNDED)
        # SymPy's first limit is the innermost: the last index written.
        return sp.Sum(body, *((index_symbol(name), lo, hi) for name in reversed(letters)))


def _looks_like_bounds(exprs, vocab: IndexVocabulary) -> bool:
    """In sum(body, i, x, y): x, y are bounds when either is a number or uses a size."""
    sizes = set(vocab.sizes)
    return any(not isinstance(e, sp.Symbol) or e.name in sizes for e in exprs)


def _bound_sums(expr, vocab: IndexVocabulary, text: str):
    """Give each sum written without bounds the range of the axes its index addresses."""
    if not isinstance(expr, sp.Basic) or not expr.has(_UNBOUNDED):
        return expr
    if isinstance(expr, sp.Sum):
        body = _bound_sums(expr.function, vocab, text)
        limits = []
        for index, low, high in expr.limits:
            if high == _UNBOUNDED:
                dims = _axes_of(body, index, vocab)
                if not dims:
                    raise AnswerSyntaxError(f"the sum over {index} has no bounds and {index} indexes no "
                                            f"tensor axis directly, so its range is unknown; write "
                                            f"\\sum_{{{index}=0}}^{{...}} with bounds", text,
                                            _position(text, str(index)))
                high = sp.Min(*(index_symbol(d) for d in dims)) - 1 if len(dims) > 1 else index_symbol(dims[0]) - 1
            limits.append((index, low, high))
        return sp.Sum(body, *limits)
    return expr.func(*(_bound_sums(a, vocab, text) for a in expr.args))


def _axes_of(body, index: sp.Symbol, vocab: IndexVocabulary) -> list[str]:
    dims = []
    for entry in body.atoms(sp.Indexed):
        shape = vocab.tensors.get(entry.base.label.name, ())
        for axis, k in enumerate(entry.indices):
            if k == index and axis < len(shape) and str(shape[axis]) not in dims:
                dims.append(str(shape[axis]))
    return dims


def vocabulary_for(variables, sizes: Sequence[str], free: Sequence[str]) -> IndexVocabulary:
    """The index vocabulary of a tensor part: its tensors, every size (derived ones too) and
    the expected answer's free indices."""
    tensors, spellings, names = {}, {}, []
    for v in variables:
        if v.shape:
            tensors[v.name] = tuple(str(d) for d in v.shape)
            names += [str(d) for d in v.shape]
        for spelling in (v.name,) + tuple(v.spellings or ()):
            _add_spelling(spellings, spelling, v.name)
    size_names = tuple(dict.fromkeys([n for n in names + list(sizes) if n not in tensors]))
    for n in size_names:
        _add_spelling(spellings, n, n)
    return IndexVocabulary(tensors, size_names, spellings, tuple(free))


def _add_spelling(spellings: dict, spelling: str, name: str):
    try:
        key = spelling_key(spelling)
    except AnswerSyntaxError:
        return
    if key:
        spellings.setdefault(key, name)
