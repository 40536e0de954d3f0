"""Parse a submitted answer (plain text or LaTeX) into the whitelisted tree of
:mod:`derive.answer_tree`.

Three stages, none of which evaluates user text:

1. ``_scan`` cuts the text into lexemes (words, numbers, operators), turning LaTeX
   commands into the same lexemes plain text gives (``\\epsilon`` -> word "epsilon",
   ``\\hat{y}`` -> word "yhat", ``\\cdot`` -> "*").
2. ``_Resolver`` uses the part's :class:`Vocabulary` to decide what each word is: a
   declared name in any of its spellings (``yhat``, ``softmax(z)``, ``lambda_max``),
   a function, an index letter, or a product of juxtaposed names (``pX``). It folds
   subscripts into one token and decides whether a bar opens or closes.
3. A Lark LALR grammar (answer_grammar.lark) gives the structure, and ``_Builder``
   turns it into nodes, checking shapes and limits on the way.

>>> from types import SimpleNamespace as V
>>> vocab = Vocabulary.from_variables([V(name="s", shape=("C",), spellings=("yhat",)),
...                                    V(name="y", shape=("C",), spellings=())])
>>> parse_answer("yhat - y", vocab).latex()
's - y'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import sympy as sp
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import Lexer

from .answer_tree import (ELEMENTWISE, SCALAR, WILD, AnswerShapeError, Bin, Call, Comp, Const, Delta,
                          Evaluator, Idx, Iverson, LatexPrinter, Name, Neg, Node, Num, Pow, Relation,
                          Sum, SympyBuilder, Transpose, children, is_scalar, settle, show_shape, unify,
                          walk)
from .errors import AnswerSyntaxError

__all__ = ["Answer", "AnswerLimitError", "AnswerShapeError", "DEFAULT_LIMITS", "Limits",
           "Vocabulary", "VocabularyEntry", "parse_answer"]


class AnswerLimitError(AnswerSyntaxError):
    """An answer past a size limit (length, nesting, exponent, number of digits)."""


@dataclass(frozen=True)
class Limits:
    max_length: int = 1000
    max_nesting: int = 30        # brackets inside brackets
    max_depth: int = 120         # depth of the parsed tree
    max_tokens: int = 400
    max_exponent: float = 100    # |constant exponent|
    max_digits: int = 30         # significant digits of a number literal
    max_sum_range: int = 1000    # terms of a sum with constant bounds


DEFAULT_LIMITS = Limits()

FUNCTION_ALIASES = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "abs": "abs",
    "sigma": "sigma", "sigmoid": "sigma", "tanh": "tanh", "relu": "relu", "ReLU": "relu",
    "Heaviside": "heaviside", "heaviside": "heaviside", "step": "heaviside",
    "softmax": "softmax", "diag": "diag", "trace": "trace", "tr": "trace", "Tr": "trace",
    "inv": "inv", "norm": "norm", "max": "max", "min": "min", "floor": "floor",
    "ceil": "ceil", "sign": "sign", "sgn": "sign",
}
# Weaker function words: SymPy prints Heaviside as H or theta, but a part may name a
# variable H; declared names always win over these.
WEAK_FUNCTIONS = {"H": "heaviside", "theta": "heaviside"}
GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda "
         "mu nu xi pi rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta "
         "Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
UNICODE_GREEK = dict(zip("αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ",
                         ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                          "pi rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi "
                          "Sigma Phi Psi Omega").split()))
LATEX_WORDS = set(GREEK) | {"exp", "log", "ln", "tanh", "max", "min", "det", "tr", "sgn"}
LATEX_OPS = {"cdot": "*", "times": "*", "ast": "*", "odot": "odot", "circ": "odot",
             "top": "T", "intercal": "T", "le": "<=", "leq": "<=", "leqslant": "<=",
             "ge": ">=", "geq": ">=", "geqslant": ">=", "lt": "<", "gt": ">",
             "|": "‖", "Vert": "‖", "vert": "|", "{": "(", "}": ")", "wedge": "and", "land": "and"}
LATEX_SPACES = {",", ";", ":", "!", " ", "quad", "qquad", "displaystyle"}
LATEX_FONTS = {"operatorname", "mathrm", "text", "textrm", "mathit", "mathbf", "boldsymbol",
               "bm", "mathbb", "mathcal", "mathsf", "mathtt", "vec"}
LATEX_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde",
                 "bar": "bar", "overline": "bar"}
LATEX_SIZES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
               "biggl", "biggr", "Biggl", "Biggr"}
OPENERS = {"(", "[", "{"}
CLOSERS = {")": "(", "]": "[", "}": "{"}
FUNCTION_LIST = ("exp, log/ln, sqrt, abs, sigma/sigmoid, tanh, relu, heaviside/step, softmax, "
                 "diag, trace/tr, inv, norm, max, min, floor, ceil, sign, sum")
ALLOWED = "names of this part, numbers, + - * / ^ ( ) and the functions " + FUNCTION_LIST


# --------------------------------------------------------------------------- vocabulary
@dataclass(frozen=True)
class VocabularyEntry:
    """One name a part declares: canonical name, shape, other spellings, LaTeX form."""
    name: str
    shape: tuple = ()
    spellings: tuple = ()
    latex: str | None = None
    role: str = "variable"  # or "size"

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def matrix_shape(self) -> tuple:
        if not self.shape:
            return SCALAR
        if len(self.shape) == 1:
            return (self.shape[0], 1)
        return tuple(self.shape)


@dataclass(frozen=True)
class Vocabulary:
    """The names a part declares, the size symbols and the index letters it allows."""
    entries: tuple
    indices: tuple = ()
    _words: dict = field(default=None, compare=False, repr=False)
    _phrases: dict = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        words: dict[str, str] = {}
        phrases: dict[tuple, str] = {}
        for entry in self.entries:
            for spelling in (entry.name,) + tuple(entry.spellings) + _usual_aliases(entry.name):
                try:
                    key = spelling_key(spelling)
                except AnswerSyntaxError:
                    continue   # a spelling outside the answer language can never be typed
                if not key:
                    continue
                if len(key) == 1:
                    words.setdefault(key[0], entry.name)
                else:
                    phrases.setdefault(key, entry.name)
        object.__setattr__(self, "_words", words)
        object.__setattr__(self, "_phrases", phrases)

    @classmethod
    def from_variables(cls, variables: Iterable[Any], *, sizes: Sequence[str] = (),
                       indices: Sequence[str] | None = None) -> "Vocabulary":
        """Build from objects with ``name``, ``shape`` and ``spellings`` (e.g. model.Variable).

        Every dimension named in a shape is a size symbol; ``indices`` defaults to those
        of i, j, k, l, m that are not already names.
        """
        entries = []
        taken = set()
        for v in variables:
            shape = tuple(getattr(v, "shape", ()) or ())
            entries.append(VocabularyEntry(v.name, shape, tuple(getattr(v, "spellings", ()) or ()),
                                           getattr(v, "latex", None)))
            taken.add(v.name)
        dims = list(sizes)
        for e in entries:
            dims += [d for d in e.shape if isinstance(d, str)]
        for d in dict.fromkeys(dims):
            if d not in taken:
                entries.append(VocabularyEntry(d, (), (), None, "size"))
                taken.add(d)
        if indices is None:
            indices = tuple(c for c in "ijklm" if c not in taken)
        return cls(tuple(entries), tuple(indices))

    def entry(self, name: str) -> VocabularyEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def word(self, w: str) -> str | None:
        return self._words.get(w)

    def describe(self) -> str:
        parts = []
        for e in self.entries:
            kind = "size" if e.role == "size" else ("scalar", "vector", "matrix")[e.rank]
            spelled = [s for s in e.spellings if s != e.name]
            parts.append(f"{e.name} ({kind}" + (", also " + ", ".join(spelled) if spelled else "") + ")")
        out = "; ".join(parts)
        if self.indices:
            out += "; index letters " + ", ".join(self.indices)
        return out

    def latex_names(self) -> dict[str, str]:
        return {e.name: e.latex or _latex_of_name(e) for e in self.entries}


def _usual_aliases(name: str) -> tuple:
    """Spellings everyone uses for a few names (eps is also epsilon and varepsilon)."""
    base, sep, sub = name.partition("_")
    if base in ("eps", "epsilon", "varepsilon"):
        return tuple(b + sep + sub for b in ("eps", "epsilon", "varepsilon") if b != base)
    return ()


def _latex_of_name(entry: VocabularyEntry) -> str:
    base, _, sub = entry.name.partition("_")
    if base not in GREEK and len(base) > 2:
        for s in entry.spellings:
            if "\\" in s and "(" not in s:
                return s
    tex = "\\" + base if base in GREEK else (base if len(base) <= 2 else rf"\mathrm{{{base}}}")
    if sub:
        sub_tex = "\\" + sub if sub in ("max", "min") else sub
        tex += "_{" + sub_tex + "}"
    return tex


@lru_cache(maxsize=4096)
def spelling_key(spelling: str) -> tuple:
    """The lexeme keys of a spelling: `\\lambda_{\\max}` and `lambda_max` both give (lambda, _, max)."""
    syntax = "latex" if ("\\" in spelling or "{" in spelling) else "text"
    return tuple(lx.key for lx in _normalise(_scan(spelling, syntax, DEFAULT_LIMITS)))


# --------------------------------------------------------------------------- stage 1: scan
@dataclass
class Lexeme:
    kind: str     # word, num, op, cmd
    value: str
    pos: int
    atomic: bool = False     # a word from a LaTeX command: never split into letters
    side: str | None = None  # "open"/"close" for bars written with \left / \right
    braced: bool = False     # came from _{...}: every letter is a subscript
    raw: str | None = None   # the source text of a word made from a LaTeX command

    @property
    def key(self) -> str:
        return self.value


_NUM_TEXT = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NUM_LATEX = re.compile(r"\d+\.?\d*|\.\d+")


def _fail(message: str, text: str, pos: int, cls=AnswerSyntaxError):
    raise cls(message, text, pos)


def _scan(text: str, syntax: str, limits: Limits) -> list[Lexeme]:
    out: list[Lexeme] = []
    i, n = 0, len(text)
    latex = syntax == "latex"
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "\\":
            if not latex:
                _fail("a LaTeX command in plain-text syntax; write it in text (sqrt, sigma) "
                      "or choose syntax 'latex' or 'auto'", text, i)
            i = _scan_command(text, i, out, limits)
            continue
        if c in "0123456789" or (c == "." and i + 1 < n and text[i + 1] in "0123456789"):
            raw_sub = latex and out and out[-1].value in ("^", "_") and out[-1].kind == "op"
            if raw_sub and c != ".":
                m = re.compile(r"\d").match(text, i)   # LaTeX: x^12 is x^1 2
            else:
                m = (_NUM_LATEX if latex else _NUM_TEXT).match(text, i)
            num = m.group(0)
            digits = len(re.sub(r"[^0-9]", "", num.split("e")[0].split("E")[0]).lstrip("0"))
            if digits > limits.max_digits:
                _fail(f"a number with more than {limits.max_digits} digits", text, i, AnswerLimitError)
            if m.lastindex == 2 and m.group(2) and abs(int(m.group(2)[1:])) > 300:
                _fail("a number's exponent must be between -300 and 300", text, i, AnswerLimitError)
            out.append(Lexeme("num", num, i))
            i = m.end()
            continue
        if c.isascii() and c.isalpha():
            j = i
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            out.append(Lexeme("word", text[i:j], i))
            i = j
            continue
        if c in UNICODE_GREEK:
            out.append(Lexeme("word", UNICODE_GREEK[c], i, atomic=True))
            i += 1
            continue
        two = text[i:i + 2]
        if two == "**":
            out.append(Lexeme("op", "^", i)); i += 2; continue
        if two == ".*":
            out.append(Lexeme("op", "odot", i)); i += 2; continue
        if two == ".T" and not (i + 2 < n and text[i + 2].isalnum()):
            out.append(Lexeme("op", "T", i)); i += 2; continue
        if two in ("<=", ">="):
            out.append(Lexeme("op", two, i)); i += 2; continue
        if c == "!":
            _fail("factorials (!) are not allowed; write the product out", text, i)
        simple = {"+": "+", "-": "-", "−": "-", "*": "*", "·": "*", "×": "*", "/": "/", "^": "^",
                  "@": "@", "⊙": "odot", "(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}",
                  ",": ",", "_": "_", "<": "<", ">": ">", "≤": "<=", "≥": ">=", "=": "=",
                  "|": "|", "‖": "‖", "'": "T", "ᵀ": "T"}
        if c in simple:
            if c in "{}" and not latex:
                _fail("braces { } belong to LaTeX; use ( ) in plain text or choose syntax 'latex'",
                      text, i)
            out.append(Lexeme("op", simple[c], i))
            i += 1
            continue
        if c == "~" and out and out[-1].kind == "word" and out[-1].pos + len(out[-1].value) == i:
            out[-1] = Lexeme("word", out[-1].value + "tilde", out[-1].pos, atomic=True,
                             raw=text[out[-1].pos:i + 1])   # w~ is w-tilde, as in \tilde{w}
            i += 1
            continue
        if c == "$":   # math delimiters around a LaTeX answer carry no meaning
            i += 1
            continue
        if c == ".":
            _fail("'.' is allowed only in numbers and in .T (transpose) and .* (elementwise)", text, i)
        _fail(f"the character {c!r} is not allowed; use {ALLOWED}", text, i)
    return out


def _scan_command(text: str, i: int, out: list[Lexeme], limits: Limits) -> int:
    before = len(out)
    end = _scan_one_command(text, i, out, limits)
    for lx in out[before:]:
        if lx.kind == "word" and lx.atomic and lx.raw is None:
            lx.raw = text[i:end]
    return end


def _scan_one_command(text: str, i: int, out: list[Lexeme], limits: Limits) -> int:
    n = len(text)
    j = i + 1
    if j < n and not text[j].isalpha():
        name = text[j]
        j += 1
    else:
        while j < n and text[j].isalpha():
            j += 1
        name = text[i + 1:j]
    if name in LATEX_SPACES:
        return j
    if name in LATEX_SIZES:
        k = j
        while k < n and text[k].isspace():
            k += 1
        side = "open" if name in ("left", "bigl", "Bigl", "biggl", "Biggl") else (
            "close" if name in ("right", "bigr", "Bigr", "biggr", "Biggr") else None)
        if k < n and text[k] == ".":
            return k + 1
        if k < n and text[k] == "\\":
            m = re.compile(r"\\(\||[a-zA-Z]+|\{|\})").match(text, k)
            if m and m.group(1) in ("|", "Vert", "lVert", "rVert", "vert", "lvert", "rvert", "{", "}",
                                    "lfloor", "rfloor", "lceil", "rceil", "langle", "rangle"):
                before = len(out)
                end = _scan_command(text, k, out, limits)
                for lx in out[before:]:
                    if lx.value in ("|", "‖"):
                        lx.side = side
                return end
            return j
        if k < n and text[k] in "|":
            out.append(Lexeme("op", "|", k, side=side))
            return k + 1
        return j
    if name in ("lVert", "rVert", "lvert", "rvert"):
        out.append(Lexeme("op", "‖" if name[1] == "V" else "|", i, side="open" if name[0] == "l" else "close"))
        return j
    if name in ("lfloor", "lceil"):
        out.append(Lexeme("word", name[1:], i, atomic=True))
        out.append(Lexeme("op", "(", i))
        return j
    if name in ("rfloor", "rceil"):
        out.append(Lexeme("op", ")", i))
        return j
    if name in LATEX_OPS:
        out.append(Lexeme("op", LATEX_OPS[name], i))
        return j
    if name in ("frac", "dfrac", "tfrac"):
        out.append(Lexeme("cmd", "frac", i))
        # \frac12 and \frac ab: unbraced arguments are single characters.
        for _ in range(2):
            while j < n and text[j] == " ":
                j += 1
            if j < n and text[j].isascii() and text[j].isalnum():
                kind = "num" if text[j].isdigit() else "word"
                out += [Lexeme("op", "{", j), Lexeme(kind, text[j], j), Lexeme("op", "}", j)]
                j += 1
            else:
                break
        return j
    if name == "sqrt":
        if j < n and text[j] == "[":
            _fail("only square roots are allowed; write other roots as powers, x^{1/3}", text, j)
        out.append(Lexeme("cmd", "sqrt", i))
        return j
    if name == "sum":
        out.append(Lexeme("word", "sum", i, atomic=True))
        return j
    if name in LATEX_FONTS or name in LATEX_ACCENTS:
        arg, end = _latex_argument(text, j, limits)
        if arg is None:
            _fail(f"\\{name} needs an argument in braces, e.g. \\{name}{{x}}", text, i)
        if name in LATEX_ACCENTS:
            inner = arg.strip()
            inner = inner[1:] if inner.startswith("\\") and inner[1:] in GREEK else inner
            if not inner.isalpha():
                _fail(f"\\{name} takes a letter or a Greek letter, e.g. \\{name}{{y}}", text, i)
            out.append(Lexeme("word", inner + LATEX_ACCENTS[name], i, atomic=True))
            return end
        inner = arg.strip()
        if inner.startswith("\\"):
            before = len(out)
            _scan_command(inner, 0, out, limits)
            for lx in out[before:]:
                lx.pos = i
            return end
        if not re.fullmatch(r"[A-Za-z]+", inner):
            _fail(f"\\{name}{{...}} must contain letters only", text, i)
        out.append(Lexeme("word", inner, i, atomic=True))
        return end
    if name in LATEX_WORDS:
        out.append(Lexeme("word", name, i, atomic=True))
        return j
    _fail(f"the LaTeX command \\{name} is not supported; allowed are \\frac, \\sqrt, \\sum, "
          "\\left, \\right, \\cdot, \\odot, \\top, \\hat, \\operatorname, \\mathrm, Greek letters "
          "and \\exp, \\log, \\tanh, \\max, \\min", text, i)


def _latex_argument(text: str, j: int, limits: Limits):
    n = len(text)
    while j < n and text[j].isspace():
        j += 1
    if j >= n:
        return None, j
    if text[j] == "{":
        depth, k = 0, j
        while k < n:
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    return text[j + 1:k], k + 1
            k += 1
        return None, j
    if text[j] == "\\":
        m = re.compile(r"\\[a-zA-Z]+").match(text, j)
        return (m.group(0), m.end()) if m else (None, j)
    return text[j], j + 1


def _normalise(lexemes: list[Lexeme]) -> list[Lexeme]:
    """`_{x}` -> `_ x` and `^{x}` -> `^ x` when x is one lexeme, so spellings compare simply."""
    out: list[Lexeme] = []
    k = 0
    while k < len(lexemes):
        lx = lexemes[k]
        out.append(lx)
        if (lx.kind == "op" and lx.value in ("_", "^") and k + 3 < len(lexemes) + 0
                and lexemes[k + 1].value == "{" and lexemes[k + 1].kind == "op"
                and k + 3 <= len(lexemes) - 1 and lexemes[k + 3].value == "}"
                and lexemes[k + 3].kind == "op" and lexemes[k + 2].kind in ("word", "num", "op")
                and (lexemes[k + 2].kind != "op" or lexemes[k + 2].value == "T")):
            inner = lexemes[k + 2]
            out.append(Lexeme(inner.kind, inner.value, inner.pos, inner.atomic, inner.side, True))
            k += 4
            continue
        k += 1
    return out


# --------------------------------------------------------------------------- stage 2: resolve
_OP_TOKENS = {"+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH", "@": "AT", "odot": "ODOT",
              "^": "POW", ",": "COMMA", "(": "LPAR", ")": "RPAR", "[": "LBRACK", "]": "RBRACK",
              "{": "LBRACE", "}": "RBRACE", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE", "=": "EQ",
              "_": "SUB", "T": "TRANSPOSE", "and": "AND"}
# After these a bar opens (|x|); after anything else it closes.
_BAR_OPENS_AFTER = {None, "PLUS", "MINUS", "STAR", "SLASH", "AT", "ODOT", "POW", "COMMA", "LPAR",
                    "LBRACK", "LBRACE", "ABSL", "NORML", "LT", "LE", "GT", "GE", "EQ", "FUNC", "SUB",
                    "FRAC", "SQRT", "SUM"}


class _Resolver:
    def __init__(self, text: str, lexemes: list[Lexeme], vocab: Vocabulary, syntax: str):
        self.text = text
        self.lx = lexemes
        self.vocab = vocab
        self.syntax = syntax
        self.tokens: list[Token] = []
        self.spelled: dict[str, str] = {}
        self.bars: list[str] = []   # open | and ‖, innermost last

    def fail(self, message, pos):
        _fail(message, self.text, pos)

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

    def word(self, k: int) -> int:
        lx = self.lx[k]
        hit = self.phrase(k)
        if hit:
            name, m = hit
            end = self.lx[k + m - 1]
            self.spelled.setdefault(name, self.text[lx.pos:end.pos + len(end.value)])
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
            self.emit(kind, value, pos)
            if last and kind in ("NAME", "DELTA"):
                k_next = self.after_name(k + 1, value if kind == "NAME" else None)
        return k_next

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
        if lx.kind == "op" and lx.value == "{":
            k += 1
            while k < len(self.lx) and not (self.lx[k].kind == "op" and self.lx[k].value == "}"):
                inner = self.lx[k]
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
                self.fail("this subscript's { is never closed", lx.pos)
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
            if item.isdigit():
                if int(item) < 1:
                    self.fail("entries are numbered from 1", pos)
                out.append(int(item))
            elif item in self.vocab.indices:
                out.append(item)
            else:
                self.fail(f"{item!r} is not an index letter here; use "
                          f"{', '.join(self.vocab.indices) or 'whole numbers'}", pos)
        if len(out) != rank:
            self.fail(f"{what} takes {rank} {'index' if rank == 1 else 'indices'}, "
                      f"got {len(out)}", under.pos)
        self.emit("SUBSCRIPT", tuple(out), under.pos)
        return k

    def bad_subscript(self, pos):
        self.fail("a subscript must be index letters (" + ", ".join(self.vocab.indices)
                  + ") or whole numbers, e.g. s_i, X_{ij}, z_1", pos)


# --------------------------------------------------------------------------- stage 3: grammar
class _ListLexer(Lexer):
    def __init__(self, conf):
        pass

    def lex(self, data):
        yield from data


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("answer_grammar.lark")).read_text()
    return Lark(grammar, parser="lalr", lexer=_ListLexer, maybe_placeholders=False)


_TOKEN_WORDS = {"NUMBER": "a number", "NAME": "a name", "CONST": "a constant", "FUNC": "a function",
                "SUM": "a sum", "DELTA": "delta", "IDX": "an index letter", "SUBSCRIPT": "a subscript",
                "SUB": "_", "PLUS": "+", "MINUS": "-", "STAR": "*", "SLASH": "/", "AT": "@",
                "ODOT": "odot", "POW": "^", "TRANSPOSE": "a transpose", "COMMA": ",", "LPAR": "(",
                "RPAR": ")", "LBRACK": "[", "RBRACK": "]", "LBRACE": "{", "RBRACE": "}",
                "ABSL": "|", "ABSR": "|", "NORML": "‖", "NORMR": "‖", "FRAC": "\\frac",
                "SQRT": "\\sqrt", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "EQ": "=", "AND": "and",
                "HPOW": "^\\circ",
                "$END": "the end"}


class _Builder(Transformer):
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

    def iverson(self, c):
        a, b = c[1], c[3]
        for side in (a, b):
            if not is_scalar(side.shape):
                self.fail(f"[a = b] compares scalars, not {show_shape(side.shape)}", side.pos)
        return Iverson(a, b, c[0].start_pos)

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
        args = c[4] if isinstance(c[4], list) else [c[4]]
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
        func = c[0]
        body, idx, lo, hi = c[2], c[4], c[6], c[8]
        return self._sum(idx.value, lo, hi, body, func.start_pos)

    def sum_free(self, c):
        toks = [x for x in c if isinstance(x, Token)]
        idx = next(t for t in toks if t.type == "IDX")
        body = c[-1]
        return self._sum(idx.value, None, None, body, c[0].start_pos)

    def sum_range(self, c):
        idx = next(t for t in c if isinstance(t, Token) and t.type == "IDX")
        nodes = [x for x in c if not isinstance(x, Token)]
        lo, hi, body = nodes
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
                hint = ("; write I for the identity matrix" if is_scalar(sa) or is_scalar(sb) else "")
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

    def _call(self, func, args, pos):
        nargs = len(args)
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

    def _pow(self, base, exponent, pos):
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


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class Answer:
    """A parsed answer: the tree, what it uses, and how to evaluate or print it."""
    text: str
    syntax: str
    tree: Node
    vocabulary: Vocabulary
    free_indices: tuple          # sorted letters not bound by a sum: axes of the value
    index_ranges: Mapping        # index letter -> dimension name
    spelled: Mapping             # canonical name -> how the user wrote it

    @property
    def is_relation(self) -> bool:
        return isinstance(self.tree, Relation) or (isinstance(self.tree, Bin) and self.tree.op == "and")

    @property
    def names(self) -> frozenset:
        return frozenset(n.name for n in walk(self.tree) if isinstance(n, (Name, Comp)))

    @property
    def shape(self) -> tuple:
        """(rows, cols) of the value, with free indices as axes (i -> rows, j -> cols)."""
        if self.free_indices:
            dims = [self.index_ranges[i] for i in self.free_indices]
            return (dims[0], dims[1] if len(dims) > 1 else 1)
        return self.tree.shape

    def latex(self) -> str:
        return LatexPrinter(self.vocabulary.latex_names())(self.tree)

    def _sizes_from(self, env: Mapping[str, Any]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for e in self.vocabulary.entries:
            if e.role == "size" and e.name in env and np.ndim(env[e.name]) == 0:
                sizes[e.name] = int(env[e.name])
        for e in self.vocabulary.entries:
            if e.shape and e.name in env:
                arr = np.asarray(env[e.name])
                for d, n in zip(e.shape, arr.shape[-len(e.shape):] if arr.ndim else ()):
                    if isinstance(d, str):
                        sizes.setdefault(d, int(n))
        return sizes

    def evaluate(self, env: Mapping[str, Any], sizes: Mapping[str, int] | None = None):
        """Value at one point: env maps canonical names to floats or arrays (vectors 1-D).

        Returns a float, or a 2-D array (a vector answer gives a column (n, 1)).
        """
        batched = {e.name: to_batched(env[e.name], e) for e in self.vocabulary.entries if e.name in env}
        out = self.evaluate_batch(batched, sizes or self._sizes_from(env))
        out = out[0]
        return float(out[0, 0]) if out.shape == (1, 1) and not self.free_indices and is_scalar(
            self.tree.shape) else out

    def evaluate_batch(self, values: Mapping[str, np.ndarray], sizes: Mapping[str, int]) -> np.ndarray:
        """Values at B points at once: values[name] has shape (B, rows, cols); result (B, r, c)."""
        values = dict(values)
        for name, n in sizes.items():
            values.setdefault(name, np.asarray(float(n)).reshape(1, 1, 1))
        ev = Evaluator(values, self.index_ranges, sizes)
        with np.errstate(all="ignore"):
            if not self.free_indices:
                return np.asarray(ev(self.tree), dtype=float)
            dims = [sizes[self.index_ranges[i]] for i in self.free_indices]
            rows = dims[0]
            cols = dims[1] if len(dims) > 1 else 1
            out = None
            for r in range(rows):
                for c in range(cols):
                    ev.index[self.free_indices[0]] = r
                    if len(dims) > 1:
                        ev.index[self.free_indices[1]] = c
                    v = np.asarray(ev(self.tree), dtype=float)
                    if out is None:
                        out = np.empty((v.shape[0], rows, cols))
                    out[:, r, c] = v[:, 0, 0]
            return out

    def to_sympy(self, env: Mapping[str, Any], sizes: Mapping[str, Any] | None = None):
        """SymPy form; env maps canonical names to Symbols, explicit Matrices or MatrixSymbols.

        With free indices the result is an explicit Matrix over their ranges (sizes must be
        whole numbers then).
        """
        sizes = dict(sizes or {})
        for e in self.vocabulary.entries:
            obj = env.get(e.name)
            if e.shape and obj is not None:
                for d, n in zip(e.shape, obj.shape if len(e.shape) == 2 else obj.shape[:1]):
                    if isinstance(d, str):
                        sizes.setdefault(d, int(n) if getattr(n, "is_Integer", False) else n)
        full_env = dict(env)
        for e in self.vocabulary.entries:
            if e.role == "size" and e.name not in full_env:
                value = sizes.get(e.name)
                if value is None:
                    value = sp.Symbol(e.name, integer=True, positive=True)
                full_env[e.name] = sp.Integer(value) if isinstance(value, int) else value
        builder = SympyBuilder(full_env, self.index_ranges, sizes)
        if not self.free_indices:
            return builder(self.tree)
        dims = [sizes[self.index_ranges[i]] for i in self.free_indices]
        rows, cols = dims[0], (dims[1] if len(dims) > 1 else 1)

        def entry(r, c):
            builder.index[self.free_indices[0]] = r
            if len(dims) > 1:
                builder.index[self.free_indices[1]] = c
            return builder(self.tree)
        return sp.Matrix(rows, cols, entry)


def to_batched(value, entry: VocabularyEntry) -> np.ndarray:
    """One point's value as a (1, rows, cols) array: vectors become columns."""
    arr = np.asarray(value, dtype=float)
    if entry.rank == 0:
        return arr.reshape(1, 1, 1)
    if entry.rank == 1:
        return arr.reshape(1, -1, 1)
    return arr.reshape((1,) + arr.shape[-2:])


def _detect(text: str) -> str:
    return "latex" if ("\\" in text or "{" in text or "}" in text) else "text"


def _check_nesting(text: str, tokens: list[Token], limits: Limits):
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
                want = _TOKEN_WORDS[pairs[tok.type]]
                raise AnswerSyntaxError(f"this {tok.value} has no matching {want}", text, tok.start_pos)
            stack.pop()
    if stack:
        tok = stack[-1]
        raise AnswerSyntaxError(f"this {tok.value} is never closed", text, tok.start_pos)


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


def parse_answer(text: str, vocabulary: Vocabulary, *, syntax: str = "auto",
                 limits: Limits = DEFAULT_LIMITS) -> Answer:
    """Parse ``text`` into an :class:`Answer` over the names of ``vocabulary``.

    Raises AnswerSyntaxError (with ``position``) for anything outside the answer language.
    """
    if not isinstance(text, str):
        raise AnswerSyntaxError(f"an answer must be a string, got {type(text).__name__}")
    if syntax not in ("auto", "text", "latex"):
        raise AnswerSyntaxError(f"syntax must be 'auto', 'text' or 'latex', got {syntax!r}")
    if len(text) > limits.max_length:
        raise AnswerLimitError(f"the answer is {len(text)} characters long; at most "
                               f"{limits.max_length} are allowed", text[:80] + "...", 0)
    stripped = text.strip()
    if not stripped:
        raise AnswerSyntaxError("the answer is empty; type an expression such as s - y", text, 0)
    if syntax == "auto":
        syntax = _detect(text)
    lexemes = _normalise(_scan(text, syntax, limits))
    if len(lexemes) > limits.max_tokens:
        raise AnswerLimitError(f"the answer has more than {limits.max_tokens} symbols", text,
                               lexemes[limits.max_tokens].pos)
    resolver = _Resolver(text, lexemes, vocabulary, syntax)
    tokens = resolver.run()
    _check_nesting(text, tokens, limits)
    try:
        tree = _parser().parse(tokens)
    except UnexpectedToken as exc:
        tok = exc.token
        expected = sorted({_TOKEN_WORDS.get(t, t) for t in exc.expected if not t.startswith("__")})
        if tok.type == "$END":
            raise AnswerSyntaxError("the answer ends too early; expected " + ", ".join(expected[:8]),
                                    text, len(text.rstrip())) from None
        what = _TOKEN_WORDS.get(tok.type, tok.type)
        if tok.type == "IDX":
            msg = (f"the index {tok.value} may appear only in a subscript (s_{tok.value}) or as a "
                   "sum's variable")
        elif tok.type == "SUB":
            msg = "_ may follow only a vector or matrix name (s_i) or sum"
        elif tok.type == "EQ":
            msg = ("'=' may appear only in [a = b] and sum limits; type just the expression, "
                   "without a left-hand side such as 'J ='")
        else:
            msg = f"unexpected {what} here; expected " + ", ".join(expected[:8])
        raise AnswerSyntaxError(msg, text, tok.start_pos) from None
    except UnexpectedInput as exc:  # pragma: no cover - UnexpectedToken covers LALR
        raise AnswerSyntaxError("cannot read the answer", text, getattr(exc, "pos_in_stream", 0)) from None
    if _tree_depth(tree) > limits.max_depth:
        raise AnswerLimitError(f"the answer is nested more than {limits.max_depth} levels deep", text, 0)
    try:
        node = _Builder(text, vocabulary, limits).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, AnswerSyntaxError):
            raise exc.orig_exc from None
        raise
    if node.shape == WILD:
        raise AnswerShapeError("the size of I is not fixed by the answer", text, node.pos)
    ranges, free = _index_ranges(node, vocabulary, text)
    return Answer(text, syntax, node, vocabulary, free, ranges, dict(resolver.spelled))
