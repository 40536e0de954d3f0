"""Parse a submitted answer (plain text or LaTeX) into the whitelisted tree of
:mod:`~derive.answers.read.nodes`.

Three stages, none of which evaluates user text:

1. :mod:`.lexer` cuts the text into lexemes (words, numbers, operators),
   turning LaTeX commands into the same lexemes plain text gives (``\\epsilon`` -> word
   "epsilon", ``\\hat{y}`` -> word "yhat", ``\\cdot`` -> "*").
2. :mod:`.resolver` uses the part's :class:`Vocabulary` (from
   :mod:`.vocabulary`) to decide what each word is: a declared name in any of its
   spellings (``yhat``, ``softmax(z)``, ``lambda_max``), a function, an index letter, or a
   product of juxtaposed names (``pX``). It folds subscripts into one token and decides
   whether a bar opens or closes.
3. A Lark LALR grammar (grammar.lark) gives the structure, and
   :mod:`.builder` turns it into nodes, checking shapes and limits on the way.

This module runs the stages, checks what spans them (length, bracket nesting, index
ranges) and wraps the result in an :class:`Answer`.

>>> from types import SimpleNamespace as V
>>> vocab = Vocabulary.from_variables([V(name="s", shape=("C",), spellings=("yhat",)),
...                                    V(name="y", shape=("C",), spellings=())])
>>> parse_answer("yhat - y", vocab).latex()
's - y'
"""
from __future__ import annotations


from lark import Token
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

from .builder import TOKEN_WORDS, Builder, lark_parser
from .lexer import normalise, scan
from .limits import DEFAULT_LIMITS, Limits, check_text
from .resolver import Resolver
from .nodes import (WILD, Comp, Delta, Idx, Node, Sum, children, is_scalar, show_shape, walk)
from ...errors import AnswerLimitError, AnswerShapeError, AnswerSyntaxError, RecognisedSlip
from .vocabulary import Vocabulary, VocabularyEntry

# DEFAULT_LIMITS, Limits and VocabularyEntry live elsewhere and are re-exported so that
# importers keep one place to import from.
__all__ = ["Answer", "DEFAULT_LIMITS", "Limits",
           "Vocabulary", "VocabularyEntry", "parse_answer"]


from .answer import Answer


def _detect(text: str) -> str:
    return "latex" if ("\\" in text or "{" in text or "}" in text) else "text"


def _check_nesting(text: str, tokens: list[Token], limits: Limits, closed: bool = True):
    stack: list[Token] = []
    for tok in tokens:
        if tok.type in ("LPAR", "LBRACK", "LBRACE", "ABSL", "NORML"):
            stack.append(tok)
            if len(stack) > limits.max_nesting:
                raise AnswerLimitError(f"brackets nested more than {limits.max_nesting} deep", text,
                                       tok.start_pos)
        elif tok.type in ("RPAR", "RBRACK", "RBRACE", "ABSR", "NORMR"):
            pairs = {"RPAR": "LPAR", "RBRACK": "LBRACK", "RBRACE": "LBRACE", "ABSR": "ABSL",
                     "NORMR": "NORML"}
            if not stack or stack[-1].type != pairs[tok.type]:
                want = TOKEN_WORDS[pairs[tok.type]]
                raise AnswerSyntaxError(f"this {tok.value} has no matching {want}", text, tok.start_pos)
            stack.pop()
    if stack and closed:
        tok = stack[-1]
        raise AnswerSyntaxError(f"this {tok.value} is never closed", text, tok.start_pos)


def _nested(text: str, tokens, limits: Limits):
    """The tokens as they come, each bracket checked against its opener on the way."""
    taken: list[Token] = []
    for tok in tokens:
        taken.append(tok)
        if tok.type in _BRACKETS:
            _check_nesting(text, [t for t in taken if t.type in _BRACKETS], limits, closed=False)
        yield tok
    _check_nesting(text, taken, limits)


_BRACKETS = ("LPAR", "LBRACK", "LBRACE", "ABSL", "NORML", "RPAR", "RBRACK", "RBRACE", "ABSR", "NORMR")


def _tree_depth(tree) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        t, d = stack.pop()
        deepest = max(deepest, d)
        for ch in getattr(t, "children", ()):
            stack.append((ch, d + 1))
    return deepest


def _index_ranges(tree: Node, vocab: Vocabulary, text: str) -> tuple[dict, tuple]:
    """Which dimension each index letter runs over, and the free (unbound) letters."""
    ranges: dict[str, str] = {}
    free: set[str] = set()

    def visit(node, bound):
        if isinstance(node, Comp):
            entry = vocab.entry(node.name)
            shape = entry.shape
            for axis, k in enumerate(node.indices):
                if isinstance(k, tuple) and k[0] == "size":   # g_m: a fixed position
                    continue
                if isinstance(k, tuple) and k[0] == "affine":
                    # g_{t-i}: each letter in it must be bound by a sum with bounds
                    loose = [n for n, _ in k[1] if n in vocab.indices and n not in bound]
                    if loose:
                        raise AnswerShapeError(f"an index written as a combination ({loose[0]} in it) needs a "
                                               f"sum over {loose[0]} with bounds", text, node.pos)
                    continue
                if isinstance(k, tuple) and k[0] == "shift":
                    # g_{i+1}: i must be bound by a sum with bounds, which say where it runs
                    if k[1] not in bound:
                        raise AnswerShapeError(f"a shifted index ({k[1]} {'+' if k[2] >= 0 else '-'} "
                                               f"{abs(k[2])}) needs a sum over {k[1]} with bounds",
                                               text, node.pos)
                    continue
                if isinstance(k, tuple):   # c_{y_i}: i runs over y's entries
                    _, ref, k = k
                    if not isinstance(k, str):
                        continue
                    dim = vocab.entry(ref).shape[0]
                    if ranges.setdefault(k, dim) != dim:
                        raise AnswerShapeError(f"index {k} runs over {ranges[k]} in one place and "
                                               f"{dim} in another", text, node.pos)
                    if k not in bound:
                        free.add(k)
                    continue
                if isinstance(k, str):
                    dim = shape[axis]
                    if ranges.setdefault(k, dim) != dim:
                        raise AnswerShapeError(f"index {k} runs over {ranges[k]} in one place and "
                                               f"{dim} in another", text, node.pos)
                    if k not in bound:
                        free.add(k)
        if isinstance(node, Delta):
            for k in (node.i, node.j):
                if isinstance(k, str) and k not in bound:
                    free.add(k)
        if isinstance(node, Idx) and node.letter not in bound:
            free.add(node.letter)
        if isinstance(node, Sum):
            for c in (node.lo, node.hi):
                if c is not None:
                    visit(c, bound)
            visit(node.body, bound | {node.index})
            return
        for c in children(node):
            visit(c, bound)

    stack_guard = _node_depth(tree)
    if stack_guard > 400:
        raise AnswerLimitError("the answer is nested too deeply", text, 0)
    visit(tree, frozenset())
    # delta_ij compares two indices over the same range: one known range gives the other.
    for node in walk(tree):
        if isinstance(node, Delta) and isinstance(node.i, str) and isinstance(node.j, str):
            for a, b in ((node.i, node.j), (node.j, node.i)):
                if a in ranges and b not in ranges:
                    ranges[b] = ranges[a]
    for node in walk(tree):
        if isinstance(node, Sum) and node.lo is None and node.index not in ranges:
            raise AnswerShapeError(f"the sum over {node.index} has no range; write "
                                   f"sum_{{{node.index}=1}}^{{n}} or index a vector with {node.index}",
                                   text, node.pos)
        if isinstance(node, Idx) and node.letter in free and node.letter not in ranges:
            raise AnswerShapeError(f"the index {node.letter} is not bound by a sum and indexes no "
                                   "vector, so its range is unknown", text, node.pos)
        if isinstance(node, Delta):
            for k in (node.i, node.j):
                if isinstance(k, str) and k not in ranges:
                    raise AnswerShapeError(f"index {k} of delta does not index any vector, so its "
                                           "range is unknown", text, node.pos)
    if len(free) > 2:
        raise AnswerShapeError(f"at most two free indices (a matrix), got {', '.join(sorted(free))}",
                               text, tree.pos)
    if free and not is_scalar(tree.shape):
        raise AnswerShapeError("a component answer (with free indices) must be a scalar expression "
                               f"of its indices, got {show_shape(tree.shape)}", text, tree.pos)
    return ranges, tuple(sorted(free))


def _node_depth(node: Node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in children(n))
    return deepest


# What a plain answer's parse error says for these tokens, given the token's value.
PLAIN_HINTS = {
    "IDX": "the index {value} may appear only in a subscript (s_{value}) or as a sum's variable",
    "SUB": "_ may follow only a vector or matrix name (s_i) or sum",
    "EQ": ("'=' may appear only in [a = b] and sum limits; type just the expression, "
           "without a left-hand side such as 'J ='"),
}


def grammar_tree(text: str, tokens, limits: Limits, *, words: dict = TOKEN_WORDS, hints: dict | None = None):
    """The resolver's tokens read by the grammar (plain answers and index notation alike);
    AnswerSyntaxError at the first token the grammar cannot take, saying what it expected
    (in ``words``; ``hints`` replaces the message for a token type, given its value).

    ``tokens`` is a list (checked for nesting first) or an iterator the grammar pulls from,
    so that the resolver's errors and the grammar's come in the order of the text."""
    if isinstance(tokens, list):
        _check_nesting(text, tokens, limits)
    else:
        tokens = _nested(text, tokens, limits)
    hints = PLAIN_HINTS if hints is None else hints
    try:
        tree = lark_parser().parse(tokens)
    except UnexpectedToken as exc:
        tok = exc.token
        expected = sorted({words[t] for t in exc.expected if t in words})
        if tok.type == "$END":
            msg = hints.get("$END", "the answer ends too early; expected " + ", ".join(expected[:8]))
            raise AnswerSyntaxError(msg, text, len(text.rstrip())) from None
        if tok.type in hints:
            msg = hints[tok.type].format(value=tok.value)
        else:
            msg = f"unexpected {words.get(tok.type, tok.type)} here; expected " + ", ".join(expected[:8])
        raise AnswerSyntaxError(msg, text, tok.start_pos) from None
    except UnexpectedInput as exc:  # pragma: no cover - UnexpectedToken covers LALR
        raise AnswerSyntaxError("cannot read the answer", text, getattr(exc, "pos_in_stream", 0)) from None
    if _tree_depth(tree) > limits.max_depth:
        raise AnswerLimitError(f"the answer is nested more than {limits.max_depth} levels deep", text, 0)
    return tree


def built(builder: Builder, tree) -> Node:
    """The grammar's tree turned into nodes by ``builder``; its AnswerSyntaxError or
    RecognisedSlip as raised."""
    try:
        return builder.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, (AnswerSyntaxError, RecognisedSlip)):
            raise exc.orig_exc from None
        raise


def parse_answer(text: str, vocabulary: Vocabulary, *, syntax: str = "auto",
                 limits: Limits = DEFAULT_LIMITS) -> Answer:
    """Parse ``text`` into an :class:`Answer` over the names of ``vocabulary``.

    Raises AnswerSyntaxError (with ``position``) for anything outside the answer language,
    and RecognisedSlip (with ``diagnosis``) for an answer that does not fit together because
    of a slip the reader recognises: that answer is incorrect, not invalid.
    """
    check_text(text, syntax, limits)
    stripped = text.strip()
    if not stripped:
        raise AnswerSyntaxError("the answer is empty; type an expression such as s - y", text, 0)
    if syntax == "auto":
        syntax = _detect(text)
    lexemes = normalise(scan(text, syntax, limits))
    if len(lexemes) > limits.max_tokens:
        raise AnswerLimitError(f"the answer has more than {limits.max_tokens} symbols", text,
                               lexemes[limits.max_tokens].pos)
    resolver = Resolver(text, lexemes, vocabulary, syntax)
    tokens = resolver.run()
    tree = grammar_tree(text, tokens, limits)
    node = built(Builder(text, vocabulary, limits), tree)
    if node.shape == WILD:
        raise AnswerShapeError("the size of I is not fixed by the answer", text, node.pos)
    ranges, free = _index_ranges(node, vocabulary, text)
    return Answer(text, syntax, node, vocabulary, free, ranges, dict(resolver.spelled))
