"""Stage 2 of answer parsing: decide what each lexeme is and emit Lark tokens.

The part's :class:`~derive.answers.read.vocabulary.Vocabulary` says whether a word is a declared name
in any of its spellings, a function, an index letter, or a product of juxtaposed names
(``pX``). Subscripts are folded into one token here, and a bar is decided to open or close,
because neither can be told by an LALR grammar without the names.
"""
from __future__ import annotations

from lark import Token

from .lexer import FUNCTION_ALIASES, FUNCTION_LIST, WEAK_FUNCTIONS, Lexeme
from ...errors import AnswerSyntaxError
from .vocabulary import Vocabulary

__all__ = ["DERIVATIVES", "Resolver"]

# f' for the activations whose derivative has a name in the answer language.
DERIVATIVES = {"sigma": "dsigma", "tanh": "dtanh"}


_OP_TOKENS = {"+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH", "@": "AT", "odot": "ODOT",
              "^": "POW", ",": "COMMA", "(": "LPAR", ")": "RPAR", "[": "LBRACK", "]": "RBRACK",
              "{": "LBRACE", "}": "RBRACE", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE", "=": "EQ",
              "_": "SUB", "T": "TRANSPOSE", "and": "AND", "indicator": "IND", "!": "BANG"}
# After these a bar opens (|x|); after anything else it closes.
_BAR_OPENS_AFTER = {None, "PLUS", "MINUS", "STAR", "SLASH", "AT", "ODOT", "POW", "COMMA", "LPAR",
                    "LBRACK", "LBRACE", "ABSL", "NORML", "LT", "LE", "GT", "GE", "EQ", "FUNC", "SUB",
                    "FRAC", "SQRT", "SUM"}


class Resolver:
    """Lexemes of one answer -> Lark tokens; ``spelled`` records how each name was written."""

    def __init__(self, text: str, lexemes: list[Lexeme], vocab: Vocabulary, syntax: str):
        self.text = text
        self.lx = lexemes
        self.vocab = vocab
        self.syntax = syntax
        self.tokens: list[Token] = []
        self.spelled: dict[str, str] = {}
        self.bars: list[str] = []   # open | and ‖, innermost last

    def fail(self, message, pos):
        raise AnswerSyntaxError(message, self.text, pos)

    def emit(self, kind, value, pos):
        self.tokens.append(Token(kind, value, start_pos=pos, line=1, column=pos + 1))

    @property
    def last(self):
        return self.tokens[-1].type if self.tokens else None

    def run(self) -> list[Token]:
        k = 0
        while k < len(self.lx):
            k = self.step(k)
        return self.tokens

    def stream(self):
        """The tokens as they are resolved, so that a grammar reading them stops at the first
        one it cannot take before a later word is looked at (the errors come in text order)."""
        k = 0
        while k < len(self.lx):
            start = len(self.tokens)
            k = self.step(k)
            yield from self.tokens[start:]

    def step(self, k: int) -> int:
        lx = self.lx[k]
        if lx.kind == "num":
            self.emit("NUMBER", lx.value, lx.pos)
            return k + 1
        if lx.kind == "cmd":
            self.emit({"frac": "FRAC", "sqrt": "SQRT"}[lx.value], lx.value, lx.pos)
            return k + 1
        if lx.kind == "op":
            return self.operator(k)
        return self.word(k)

    def operator(self, k: int) -> int:
        lx = self.lx[k]
        v = lx.value
        if v in ("|", "‖"):
            opens = lx.side == "open" or (lx.side is None and (
                self.last in _BAR_OPENS_AFTER or not self.bars or self.bars[-1] != v)
                and not (self.bars and self.bars[-1] == v and self.last not in _BAR_OPENS_AFTER))
            if opens:
                self.bars.append(v)
                self.emit("ABSL" if v == "|" else "NORML", v, lx.pos)
            else:
                if not self.bars or self.bars[-1] != v:
                    self.fail(f"this {v} closes nothing; write |x| for abs and \\|v\\| for a norm", lx.pos)
                self.bars.pop()
                self.emit("ABSR" if v == "|" else "NORMR", v, lx.pos)
            return k + 1
        if v == "^" and k + 1 < len(self.lx):
            nxt = self.lx[k + 1]
            # x^{\circ 2}: the elementwise (Hadamard) power.
            if nxt.kind == "op" and nxt.value == "odot":
                self.emit("HPOW", "^", lx.pos)
                return k + 2
            if (nxt.kind == "op" and nxt.value == "{" and k + 2 < len(self.lx)
                    and self.lx[k + 2].kind == "op" and self.lx[k + 2].value == "odot"):
                self.emit("HPOW", "^", lx.pos)
                self.emit("LBRACE", "{", nxt.pos)
                return k + 3
            if nxt.kind == "op" and nxt.value == "T":
                self.emit("TRANSPOSE", "T", lx.pos)
                return k + 2
            if (nxt.kind == "word" and nxt.value.startswith("T") and self.vocab.word("T") is None
                    and not nxt.atomic):
                self.emit("TRANSPOSE", "T", lx.pos)
                if len(nxt.value) > 1:
                    self.lx[k + 1] = Lexeme("word", nxt.value[1:], nxt.pos + 1)
                    return k + 1
                return k + 2
        if v == "T":
            self.emit("TRANSPOSE", "T", lx.pos)
            return k + 1
        self.emit(_OP_TOKENS[v], v, lx.pos)
        return k + 1

    def phrase(self, k: int) -> tuple[str, int] | None:
        """The longest multi-lexeme spelling starting at lexeme k."""
        best = None
        for key, name in self.vocab._phrases.items():
            m = len(key)
            if k + m <= len(self.lx) and tuple(x.key for x in self.lx[k:k + m]) == key:
                if best is None or m > best[1]:
                    best = (name, m)
        return best

    def _source(self, start: int, last: Lexeme) -> str:
        """The text from ``start`` through lexeme ``last`` as the user typed it: a LaTeX command
        is longer than its word (\\max is "max"), and braces it opened are closed."""
        stop = last.pos + len(last.raw or last.value)
        if last.raw is None and self.text[last.pos:last.pos + 1] == "\\":
            stop += 1
        while self.text.count("{", start, stop) > self.text.count("}", start, stop) and stop < len(self.text):
            stop += 1
        return self.text[start:stop].strip()

    def word(self, k: int) -> int:
        lx = self.lx[k]
        hit = self.phrase(k)
        if hit:
            name, m = hit
            end = self.lx[k + m - 1]
            self.spelled.setdefault(name, self._source(lx.pos, end))
            self.emit("NAME", name, lx.pos)
            return self.after_name(k + m, name)
        pieces = [lx.value] if lx.atomic else self.segment(lx.value, lx.pos)
        offset = 0
        k_next = k + 1
        for n_piece, piece in enumerate(pieces):
            pos = lx.pos + (0 if lx.atomic else offset)
            offset += len(piece)
            last = n_piece == len(pieces) - 1
            kind, value = self.classify(piece, pos, atomic=lx.atomic)
            if kind == "NAME":
                self.spelled.setdefault(value, lx.raw if lx.atomic and lx.raw else piece)
            if last and kind == "FUNC" and value in DERIVATIVES and self.prime(k + 1):
                # sigma'(z) is the derivative sigma(z)(1 - sigma(z)), not a transpose.
                self.emit(kind, DERIVATIVES[value], pos)
                k_next = k + 2
                continue
            self.emit(kind, value, pos)
            if last and kind in ("NAME", "DELTA"):
                k_next = self.after_name(k + 1, value if kind == "NAME" else None)
        return k_next

    def prime(self, k: int) -> bool:
        """Is lexeme k a prime ' (as opposed to ^T or a transpose sign)?"""
        return (k < len(self.lx) and self.lx[k].kind == "op" and self.lx[k].value == "T"
                and self.text[self.lx[k].pos] == "'")

    def dictionary(self, piece: str) -> bool:
        return (self.vocab.word(piece) is not None or piece in FUNCTION_ALIASES
                or piece in WEAK_FUNCTIONS or piece == "and"
                or piece in ("sum", "delta", "odot", "e", "pi", "I") or piece in self.vocab.indices)

    def segment(self, word: str, pos: int) -> list[str]:
        """Split juxtaposed names ('pX' -> p, X) into the fewest known pieces."""
        n = len(word)
        best: list = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 24), end):
                if best[start] is not None and self.dictionary(word[start:end]):
                    cand = best[start] + [word[start:end]]
                    if best[end] is None or len(cand) < len(best[end]):
                        best[end] = cand
        if best[n] is None:
            self.unknown(word, pos)
        return best[n]

    def unknown(self, word, pos):
        self.fail(f"unknown name {word!r}; this part knows {self.vocab.describe()}; "
                  f"functions: {FUNCTION_LIST}", pos)

    def classify(self, piece: str, pos: int, atomic: bool) -> tuple[str, str]:
        name = self.vocab.word(piece)
        if name is not None:
            return "NAME", name
        if piece in FUNCTION_ALIASES:
            return "FUNC", FUNCTION_ALIASES[piece]
        if piece in WEAK_FUNCTIONS:
            return "FUNC", WEAK_FUNCTIONS[piece]
        if piece == "and":
            return "AND", "and"
        if piece == "sum":
            return "SUM", "sum"
        if piece == "delta":
            return "DELTA", "delta"
        if piece == "odot":
            return "ODOT", "odot"
        if piece in ("e", "pi", "I"):
            return "CONST", piece
        if piece in self.vocab.indices:
            return "IDX", piece
        self.unknown(piece, pos)

    def after_name(self, k: int, name: str | None) -> int:
        """Fold a subscript after a name (s_i, X_{ij}, delta_ij) into one SUBSCRIPT token."""
        if k >= len(self.lx) or not (self.lx[k].kind == "op" and self.lx[k].value == "_"):
            return k
        under = self.lx[k]
        if name is None:
            rank, what = 2, "delta"
        else:
            entry = self.vocab.entry(name)
            rank, what = entry.rank, name
            if rank == 0:
                self.fail(f"{name} is a {'size' if entry.role == 'size' else 'scalar'} and takes no "
                          f"subscript; names of this part: {self.vocab.describe()}", under.pos)
        k += 1
        if k >= len(self.lx):
            self.fail("a subscript is missing after _", under.pos)
        items: list = []
        lx = self.lx[k]
        latex = self.syntax == "latex"
        # g_{i+1} (LaTeX) or g_(i+1) (plain text): a braced subscript.
        closer = "}" if lx.kind == "op" and lx.value == "{" else (
            ")" if lx.kind == "op" and lx.value == "(" and not latex else None)
        if closer is not None:
            k += 1
            while k < len(self.lx) and not (self.lx[k].kind == "op" and self.lx[k].value == closer):
                inner = self.lx[k]
                ref = self.label_reference(k)
                if ref is not None:   # c_{y_i}: the entry of c at the label y_i
                    items.append((ref[0], inner.pos))
                    k = ref[1]
                    continue
                shift = self.shifted_index(k)
                if shift is not None:   # g_{i+1}: the entry one after the i-th, g_{m-1}
                    items.append((shift, inner.pos))
                    k += 3
                    continue
                affine = self.affine_index(k, closer)
                if affine is not None:   # g_{t-i}, g_{m+1-i}: a whole-number combination
                    items.append((affine[0], inner.pos))
                    k = affine[1]
                    continue
                if inner.kind == "word" and not inner.atomic:
                    items += [(c, inner.pos + t) for t, c in enumerate(inner.value)]
                elif inner.kind == "num" and inner.value.isdigit():
                    digits = inner.value
                    items += ([(digits, inner.pos)] if rank == 1 or len(digits) != rank
                              else [(d, inner.pos + t) for t, d in enumerate(digits)])
                elif not (inner.kind == "op" and inner.value == ","):
                    self.bad_subscript(inner.pos)
                k += 1
            if k >= len(self.lx):
                self.fail(f"this subscript's {lx.value} is never closed", lx.pos)
            k += 1
        elif lx.kind == "word" and not lx.atomic:
            take = len(lx.value) if lx.braced else (1 if latex else rank)
            letters = lx.value[:take]
            if len(letters) < take and not latex:
                self.bad_subscript(lx.pos)
            items = [(c, lx.pos + t) for t, c in enumerate(letters)]
            if len(lx.value) > take:
                self.lx[k] = Lexeme("word", lx.value[take:], lx.pos + take)
            else:
                k += 1
        elif lx.kind == "num" and lx.value.isdigit():
            digits = lx.value
            items = ([(digits, lx.pos)] if rank == 1 or len(digits) != rank
                     else [(d, lx.pos + t) for t, d in enumerate(digits)])
            k += 1
        else:
            self.bad_subscript(lx.pos)
        out = []
        for item, pos in items:
            if isinstance(item, tuple):
                out.append(item)
            elif item.isdigit():
                if int(item) < 1:
                    self.fail("entries are numbered from 1", pos)
                out.append(int(item))
            elif item in self.vocab.indices:
                out.append(item)
            elif self.is_size(item):   # g_m: the last entry
                out.append(("size", item, 0))
            else:
                self.fail(f"{item!r} is not an index letter here; use "
                          f"{', '.join(self.vocab.indices) or 'whole numbers'}", pos)
        if len(out) != rank:
            self.fail(f"{what} takes {rank} {'index' if rank == 1 else 'indices'}, "
                      f"got {len(out)}", under.pos)
        self.emit("SUBSCRIPT", tuple(out), under.pos)
        return k

    def shifted_index(self, k: int):
        """("shift", letter, offset) for i+1 or i-2 inside a subscript, else None."""
        if k + 3 >= len(self.lx):
            return None
        letter, sign, amount = self.lx[k], self.lx[k + 1], self.lx[k + 2]
        if not (letter.kind == "word" and not letter.atomic
                and (letter.value in self.vocab.indices or self.is_size(letter.value))
                and sign.kind == "op" and sign.value in "+-" and amount.kind == "num"
                and amount.value.isdigit() and len(amount.value) <= 3):
            return None
        after = self.lx[k + 3]
        if not (after.kind == "op" and after.value in (",", "}", ")")):
            return None   # more follows (t + 1 - i): a combination, read by affine_index
        offset = int(amount.value) if sign.value == "+" else -int(amount.value)
        if letter.value not in self.vocab.indices:   # g_{m-1}: counted from the size
            return ("size", letter.value, offset)
        return ("shift", letter.value, offset)

    def affine_index(self, k: int, closer: str):
        """(("affine", ((name, coefficient), ...), constant), next lexeme) for a subscript such
        as t-i or m+1-i: index letters and sizes with whole coefficients and a constant, up to
        the next comma or the closing bracket; None for anything else (read as before)."""
        terms: dict[str, int] = {}
        constant, sign, j, parts, operand = 0, 1, k, 0, True
        while j < len(self.lx):
            lx = self.lx[j]
            if lx.kind == "op" and lx.value in (",", closer):
                break
            if lx.kind == "op" and lx.value in "+-":
                sign = 1 if lx.value == "+" else -1
                j, operand = j + 1, True
                continue
            if not operand:
                return None   # two terms side by side (X_{i j}): separate indices, not a sum
            operand = False
            coefficient = 1
            if lx.kind == "num" and lx.value.isdigit() and len(lx.value) <= 3:
                coefficient = int(lx.value)
                nxt = self.lx[j + 1] if j + 1 < len(self.lx) else None
                if not (nxt is not None and nxt.kind == "word" and not nxt.atomic and len(nxt.value) == 1):
                    constant += sign * coefficient
                    sign, j, parts = 1, j + 1, parts + 1
                    continue
                j += 1
                lx = self.lx[j]
            if not (lx.kind == "word" and not lx.atomic and len(lx.value) == 1
                    and (lx.value in self.vocab.indices or self.is_size(lx.value))):
                return None
            name = lx.value if lx.value in self.vocab.indices else self.vocab.word(lx.value)
            terms[name] = terms.get(name, 0) + sign * coefficient
            sign, j, parts = 1, j + 1, parts + 1
        if parts < 2 or not terms or j == k:
            return None
        return ("affine", tuple(sorted(terms.items())), constant), j

    def is_size(self, word: str) -> bool:
        """A size of the part (m, C, n) used as an entry's position."""
        name = self.vocab.word(word)
        return name is not None and self.vocab.entry(name).role == "size"

    def label_reference(self, k: int):
        """(("label", vector, index), next lexeme) for y_i inside a subscript, else None.

        The vector's entries are labels numbered from 1 (a class, a position)."""
        if k + 2 >= len(self.lx):
            return None
        word, under, sub = self.lx[k], self.lx[k + 1], self.lx[k + 2]
        name = self.vocab.word(word.value) if word.kind == "word" else None
        if name is None or not (under.kind == "op" and under.value == "_"):
            return None
        if self.vocab.entry(name).rank != 1:
            self.fail(f"only a vector's entry can be a label in a subscript; {name} is not a vector",
                      word.pos)
        if sub.kind == "word" and len(sub.value) == 1 and sub.value in self.vocab.indices:
            index = sub.value
        elif sub.kind == "num" and sub.value.isdigit() and int(sub.value) >= 1:
            index = int(sub.value)
        else:
            self.bad_subscript(sub.pos)
        self.spelled.setdefault(name, word.value)
        return ("label", name, index), k + 3

    def bad_subscript(self, pos):
        self.fail("a subscript must be index letters (" + ", ".join(self.vocab.indices)
                  + ") or whole numbers, e.g. s_i, X_{ij}, z_1", pos)
