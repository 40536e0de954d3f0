r"""Reading answers in index notation for tensor parts (the conv gradients).

``\sum_{a,i,j} G_{a,f,i,j} X_{a,c,s i+h,s j+w}``, the plain ``sum(G(a,f,i,j)*X(a,c,s*i+h,s*j+w), a, i, j)``
and ``\sum_{i=0}^{N-K} G_i X_{i+j}`` all become one SymPy index expression: IndexedBase
entries with expression indices and bounded ``Sum``\ s, which derive.maths.tensors evaluates
entry by entry (an entry outside its tensor, or at a non-integer index, is 0).

The text is read as every answer is: the lexer, a resolver (here :class:`.index_tree.IndexResolver`,
which knows tensors, sizes and index letters), the one grammar (``grammar.lark``) and a
builder (:class:`.index_tree.IndexBuilder`) into the tree of :mod:`.nodes`, whose tensor
entries and sums over letters become the SymPy index expression (only whitelisted objects:
exact numbers, declared tensors, declared sizes, single-letter indices, +, -, *, /, integer
powers, sums); no user text reaches eval, sympify or parse_expr.

A sum written without bounds (``\sum_{a,i,j}``) runs over every valid index: the range of
an index is read from the axes it indexes directly (``G_{a,f,i,j}`` gives i the range
0..H_out-1); where it indexes several axes the smallest range is taken, which loses
nothing because an entry outside its tensor contributes 0.

>>> vocab = IndexVocabulary({"x": ("N",), "w": ("K",)}, ("N", "K"), {}, ("j",))
>>> answer = parse_index_answer(r"\sum_{i} w_i x_{i+j}", vocab)
>>> from derive.maths.tensors import plain   # the index expressions as SymPy sums
>>> answer.latex(), plain(answer.expr)
('\\sum_{i} w_{i} x_{i + j}', Sum(w[i]*x[i + j], (i, 0, K - 1)))
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Mapping, Sequence

import sympy as sp

from ...errors import AnswerLimitError, AnswerSyntaxError
from .lexer import normalise, scan, spelling_key
from .index_tree import (INDEX_HINTS, INDEX_WORDS, UNBOUNDED as _UNBOUNDED, IndexBuilder, IndexResolver,
                         index_expression, index_symbol, shared_vocabulary)
from .limits import DEFAULT_LIMITS, Limits, check_text
from .nodes import Idx, IndexSum, Node, walk
from .parse import built, grammar_tree
from .vocabulary import Vocabulary
from ...render.printing import DeriveLatexPrinter

__all__ = ["IndexAnswer", "IndexVocabulary", "parse_index_answer"]



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

    @cached_property
    def shared(self) -> Vocabulary:
        """The same names as the shared reader's vocabulary (its resolver and builder read it)."""
        return shared_vocabulary(self)

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
    tree: Node = None         # what the shared reader built (Entry and IndexSum nodes)

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
    resolver = IndexResolver(text, lexemes, vocab, syntax)
    grammar = grammar_tree(text, resolver.stream(), limits, words=INDEX_WORDS, hints=INDEX_HINTS)
    tree = built(IndexBuilder(text, vocab, limits), grammar)
    written = index_expression(tree, text)
    expr = _bound_sums(written, vocab, text, tree)
    named = set(vocab.sizes) | set(vocab.tensors)
    letters = sorted(x.name for x in expr.free_symbols if isinstance(x, sp.Symbol) and x.name not in named)
    stray = [x for x in letters if x not in vocab.free]
    if stray:
        raise AnswerSyntaxError(f"the index {stray[0]} is neither summed nor one of the free indices "
                                f"({', '.join(vocab.free)}) of the expected answer; sum over it or "
                                "use the free indices' letters", text, _position(text, stray[0], tree))
    return IndexAnswer(text, syntax, expr, tuple(x for x in vocab.free if x in letters), dict(resolver.spelled),
                       written, tree)


def _position(text: str, letter: str, tree: Node) -> int:
    """Where the index letter is first written (as an index or a sum's letter)."""
    found = [n.pos for n in walk(tree) if isinstance(n, Idx) and n.letter == letter]
    found += [at for n in walk(tree) if isinstance(n, IndexSum) for x, at in zip(n.letters, n.places)
              if x == letter]
    return min(found) if found else max(text.find(letter), 0)


def _bound_sums(expr, vocab: IndexVocabulary, text: str, tree: Node):
    """Give each sum written without bounds the range of the axes its index addresses."""
    if not isinstance(expr, sp.Basic) or not expr.has(_UNBOUNDED):
        return expr
    if isinstance(expr, sp.Sum):
        body = _bound_sums(expr.function, vocab, text, tree)
        limits = []
        for index, low, high in expr.limits:
            if high == _UNBOUNDED:
                dims = _axes_of(body, index, vocab)
                if not dims:
                    raise AnswerSyntaxError(f"the sum over {index} has no bounds and {index} indexes no "
                                            f"tensor axis directly, so its range is unknown; write "
                                            f"\\sum_{{{index}=0}}^{{...}} with bounds", text,
                                            _position(text, str(index), tree))
                high = sp.Min(*(index_symbol(d) for d in dims)) - 1 if len(dims) > 1 else index_symbol(dims[0]) - 1
            limits.append((index, low, high))
        return sp.Sum(body, *limits)
    return expr.func(*(_bound_sums(a, vocab, text, tree) for a in expr.args))


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
