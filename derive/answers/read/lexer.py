"""Stage 1 of answer parsing: cut plain text or LaTeX into lexemes, user text never evaluated.

LaTeX commands become the same lexemes plain text gives (``\\epsilon`` -> word "epsilon",
``\\hat{y}`` -> word "yhat", ``\\cdot`` -> "*"), so the later stages see one language.

>>> [lx.value for lx in scan(r"\\hat{y} \\cdot 2", "latex", DEFAULT_LIMITS)]
['yhat', '*', '2']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .limits import DEFAULT_LIMITS, Limits
from ...errors import AnswerLimitError, AnswerSyntaxError

__all__ = ["ALLOWED", "FUNCTION_ALIASES", "FUNCTION_LIST", "GREEK", "Lexeme", "WEAK_FUNCTIONS",
           "normalise", "scan", "spelling_key"]

FUNCTION_ALIASES = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "abs": "abs",
    "sigma": "sigma", "sigmoid": "sigma", "tanh": "tanh", "relu": "relu", "ReLU": "relu",
    "Heaviside": "heaviside", "heaviside": "heaviside", "step": "heaviside",
    "softmax": "softmax", "diag": "diag", "trace": "trace", "tr": "trace", "Tr": "trace",
    "inv": "inv", "norm": "norm", "max": "max", "min": "min", "floor": "floor",
    "ceil": "ceil", "sign": "sign", "sgn": "sign",
    "sinh": "sinh", "cosh": "cosh", "sech": "sech", "csch": "csch", "coth": "coth",
    "sin": "sin", "cos": "cos", "tan": "tan", "sec": "sec", "csc": "csc", "cot": "cot",
    "asin": "asin", "acos": "acos", "atan": "atan", "arcsin": "asin", "arccos": "acos",
    "arctan": "atan", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh",
    "arsinh": "asinh", "arcosh": "acosh", "artanh": "atanh", "log10": "log10",
    "cbrt": "cbrt", "root": "root", "factorial": "factorial", "binomial": "binomial",
    "binom": "binomial",
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
LATEX_WORDS = set(GREEK) | {"exp", "log", "ln", "tanh", "max", "min", "det", "tr", "sgn",
                            "sinh", "cosh", "coth", "sech", "csch", "sin", "cos", "tan", "sec",
                            "csc", "cot", "arcsin", "arccos", "arctan"}
LATEX_OPS = {"cdot": "*", "times": "*", "ast": "*", "odot": "odot", "circ": "odot",
             "top": "T", "intercal": "T", "le": "<=", "leq": "<=", "leqslant": "<=",
             "ge": ">=", "geq": ">=", "geqslant": ">=", "lt": "<", "gt": ">",
             "|": "‖", "Vert": "‖", "vert": "|", "{": "(", "}": ")", "wedge": "and", "land": "and"}
LATEX_SPACES = {",", ";", ":", "!", " ", "quad", "qquad", "displaystyle"}
LATEX_FONTS = {"operatorname", "mathrm", "text", "textrm", "mathit", "mathbf", "boldsymbol",
               "bm", "mathbb", "mathds", "mathcal", "mathsf", "mathtt", "vec"}
LATEX_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde",
                 "bar": "bar", "overline": "bar"}
LATEX_SIZES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
               "biggl", "biggr", "Biggl", "Biggr"}
FUNCTION_LIST = ("exp, log/ln, sqrt, abs, sigma/sigmoid, tanh, relu, heaviside/step, softmax, "
                 "diag, trace/tr, inv, norm, max, min, floor, ceil, sign, sum, sinh, cosh, sech, "
                 "csch, coth, sin, cos, tan, sec, csc, cot, their inverses (asin, atanh, ...), log10, "
                 "log(x, b), cbrt, root(x, n), factorial(n), binomial(n, k)")
ALLOWED = "names of this part, numbers, + - * / ^ ( ) and the functions " + FUNCTION_LIST


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


def scan(text: str, syntax: str, limits: Limits) -> list[Lexeme]:
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
            if text[i:j] == "log" and text[j:j + 2] == "10" and text[j + 2:j + 3] in ("(", " "):
                j += 2   # log10(x) is the base-10 logarithm, not log(10) x
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
        if two == "||":  # ||v|| is how people type a norm in plain text
            out.append(Lexeme("op", "‖", i)); i += 2; continue
        if c == "!" and text[i + 1:i + 2] == "!":   # n!! is the double factorial, not (n!)!
            _fail("double factorials (!!) are not allowed; write the product out", text, i)
        if c == "!":   # n! and (n+1)!: the factorial
            out.append(Lexeme("op", "!", i))
            i += 1
            continue
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
        if c == "&" and latex:   # between a matrix's entries
            out.append(Lexeme("op", ",", i))
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
    if name in ("frac", "dfrac", "tfrac", "cfrac"):
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
            return _root(text, i, j, out, limits)
        out.append(Lexeme("cmd", "sqrt", i))
        # \sqrt3 and \sqrt x: as in TeX, an unbraced argument is one character.
        while j < n and text[j] == " ":
            j += 1
        if j < n and text[j].isascii() and text[j].isalnum():
            kind = "num" if text[j].isdigit() else "word"
            out.extend([Lexeme("op", "{", j), Lexeme(kind, text[j], j), Lexeme("op", "}", j)])
            j += 1
        return j
    if name == "boxed":   # a written solution's boxed result is the result
        out.append(Lexeme("op", "(", i))
        end = _scan_argument(text, j, out, limits, "\\boxed")
        out.append(Lexeme("op", ")", end - 1))
        return end
    if name == "binom":   # \binom{n}{k} is binomial(n, k)
        return _call_of_arguments(text, i, j, "binomial", 2, out, limits)
    if name in ("begin", "end"):
        arg, end = _latex_argument(text, j, limits)
        if arg not in MATRIX_ENVIRONMENTS:
            _fail(f"\\{name}{{{arg}}} is not supported; a matrix is written "
                  "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix} (or bmatrix)", text, i)
        if name == "end" and [lx.value for lx in out[-3:]] == ["]", ",", "["]:
            del out[-3:]   # a \\ before \end{pmatrix} closes the last row; it opens none
        if name == "begin":   # the outer bracket is marked, so \end can find its rows
            out += [Lexeme("op", "[", i, side="matrix"), Lexeme("op", "[", i)]
        else:
            out += [Lexeme("op", "]", i), Lexeme("op", "]", i)]
            _one_column(out, i)
        return end
    if name == "\\":   # a new row of a matrix: ] , [
        out += [Lexeme("op", "]", i), Lexeme("op", ",", i), Lexeme("op", "[", i)]
        return j
    if name == "sum":
        out.append(Lexeme("word", "sum", i, atomic=True))
        return j
    if name in LATEX_FONTS or name in LATEX_ACCENTS:
        arg, end = _latex_argument(text, j, limits)
        if arg is None:
            _fail(f"\\{name} needs an argument in braces, e.g. \\{name}{{x}}", text, i)
        if name in ("mathbb", "mathbf", "mathds", "bm") and arg.strip() == "1":
            # \mathbb{1}[y_i = j] is an indicator; a bold 1 alone is the vector of ones,
            # which is 1 wherever a scalar meets a vector (1 - p).
            if text[end:].lstrip().startswith("["):
                out.append(Lexeme("op", "indicator", i))
            else:
                out.append(Lexeme("num", "1", i))
            return end
        if name in LATEX_ACCENTS:
            inner = arg.strip()
            inner = inner[1:] if inner.startswith("\\") and inner[1:] in GREEK else inner
            if not inner.isalpha():
                _fail(f"\\{name} takes a letter or a Greek letter, e.g. \\{name}{{y}}", text, i)
            out.append(Lexeme("word", inner + LATEX_ACCENTS[name], i, atomic=True))
            return end
        inner = arg.strip()
        if inner == "T" and out and (out[-1].value == "^" or [lx.value for lx in out[-2:]] == ["^", "{"]):
            out.append(Lexeme("op", "T", i))   # x^{\mathsf{T}}: the transpose, in any font
            return end
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
          "and \\exp, \\log, \\tanh, \\sinh, \\cosh, \\sin, \\cos, \\max, \\min", text, i)


MATRIX_ENVIRONMENTS = ("pmatrix", "bmatrix")


def _one_column(out: list[Lexeme], pos: int) -> None:
    """A matrix environment of one column (x \\ y), rewritten as its one row transposed,
    [[x, y]]^T: the answer language's rows have two entries or more."""
    starts = [k for k, lx in enumerate(out) if lx.side == "matrix" and lx.value == "["]
    if not starts:
        return
    start = starts[-1]
    rows, entry, depth = [], [], 0
    for lx in out[start + 1:-1]:
        if lx.kind == "op" and lx.value in ("(", "[", "{"):
            depth += 1
            if depth == 1:
                continue
        elif lx.kind == "op" and lx.value in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                rows.append(entry)
                entry = []
                continue
        elif depth == 1 and lx.kind == "op" and lx.value == ",":
            return   # a second entry in a row: not one column
        if depth >= 1:
            entry.append(lx)
    if len(rows) < 2 or not all(rows):
        return
    column = [Lexeme("op", "[", pos, side="matrix"), Lexeme("op", "[", pos)]
    for k, row in enumerate(rows):
        column += ([Lexeme("op", ",", pos)] if k else []) + row
    del out[start:]
    out.extend(column + [Lexeme("op", "]", pos), Lexeme("op", "]", pos), Lexeme("op", "T", pos)])


def _scan_argument(text: str, j: int, out: list[Lexeme], limits: Limits, what: str) -> int:
    """Scan the braced argument at j into out (positions in text); returns its end."""
    while j < len(text) and text[j].isspace():
        j += 1
    if j >= len(text) or text[j] != "{":
        _fail(f"{what} needs its arguments in braces", text, j)
    arg, end = _latex_argument(text, j, limits)
    if arg is None:
        _fail(f"{what}: a brace is never closed", text, j)
    for lx in scan(arg, "latex", limits):
        lx.pos += j + 1
        out.append(lx)
    return end


def _call_of_arguments(text, i, j, func, count, out, limits) -> int:
    """\\binom{n}{k} -> binomial(n, k): the braced arguments become a call's."""
    out += [Lexeme("word", func, i, atomic=True), Lexeme("op", "(", i)]
    for k in range(count):
        if k:
            out.append(Lexeme("op", ",", j))
        out.append(Lexeme("op", "(", j))
        j = _scan_argument(text, j, out, limits, f"\\{text[i + 1:i + 6].rstrip('{')}")
        out.append(Lexeme("op", ")", j - 1))
    out.append(Lexeme("op", ")", j - 1))
    return j


def _root(text, i, j, out, limits) -> int:
    """\\sqrt[n]{x} -> root(x, n): the real n-th root (the cube root of -8 is -2)."""
    close = text.find("]", j)
    degree = text[j + 1:close].strip() if close > 0 else ""
    if not degree.isdigit():
        _fail("\\sqrt[n]{x} takes a whole number n, e.g. \\sqrt[3]{x}", text, j)
    out += [Lexeme("word", "root", i, atomic=True), Lexeme("op", "(", i), Lexeme("op", "(", close)]
    end = _scan_argument(text, close + 1, out, limits, "\\sqrt[n]")
    out += [Lexeme("op", ")", end - 1), Lexeme("op", ",", end - 1), Lexeme("num", degree, j + 1),
            Lexeme("op", ")", end - 1)]
    return end


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


def normalise(lexemes: list[Lexeme]) -> list[Lexeme]:
    """`_{x}` -> `_ x` and `^{x}` -> `^ x` when x is one lexeme, so spellings compare simply."""
    out: list[Lexeme] = []
    k = 0
    while k < len(lexemes):
        lx = lexemes[k]
        # {y}_{i}, as SymPy's printer writes an entry: the braces around the name mean nothing,
        # unless they hold a command's argument (\sqrt{x}^2, \frac{a}{b}^2).
        argument = _argument_follows(out)
        if (not argument and lx.kind == "op" and lx.value == "{" and k + 3 < len(lexemes)
                and lexemes[k + 1].kind == "word" and lexemes[k + 2].kind == "op"
                and lexemes[k + 2].value == "}" and lexemes[k + 3].kind == "op"
                and lexemes[k + 3].value in ("_", "^")):
            k += 1
            out.append(lexemes[k])
            k += 2
            continue
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


def _argument_follows(out: list[Lexeme]) -> bool:
    """Does a brace opened now hold a command's argument (\\sqrt{x}, \\frac{a}{b}'s second)?"""
    if not out:
        return False
    if out[-1].kind == "cmd":
        return True
    if not (out[-1].kind == "op" and out[-1].value == "}"):
        return False
    depth = 0
    for k in range(len(out) - 1, -1, -1):   # the brace the last } closes: after a \\frac?
        if out[k].kind == "op" and out[k].value == "}":
            depth += 1
        elif out[k].kind == "op" and out[k].value == "{":
            depth -= 1
            if depth == 0:
                return k > 0 and out[k - 1].kind == "cmd" and out[k - 1].value == "frac"
    return False


@lru_cache(maxsize=4096)
def spelling_key(spelling: str) -> tuple:
    """The lexeme keys of a spelling: `\\lambda_{\\max}` and `lambda_max` both give (lambda, _, max)."""
    syntax = "latex" if ("\\" in spelling or "{" in spelling) else "text"
    return tuple(lx.key for lx in normalise(scan(spelling, syntax, DEFAULT_LIMITS)))
