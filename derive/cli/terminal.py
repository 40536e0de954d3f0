"""Mathematics and prose for a terminal: the LaTeX derive prints, as readable Unicode.

The sheets carry two kinds of string (see :mod:`derive.render.sheets`): display LaTeX and
inline text with math between ``$...$`` and code between double backquotes. A terminal
shows neither markup, so this module turns the LaTeX subset derive's printer and its
problems emit into one line of Unicode: ``\\frac{\\partial L}{\\partial z_j}`` reads
``∂L/∂z_j`` with Unicode subscripts where every character has one (``zⱼ``), Greek letters
and operators as their characters, ``\\phantom{x}`` as the blank of the same width (so a
chain of equalities stays aligned) and ``\\left``/``\\right`` dropped.

Why not SymPy's pretty printer: the sheets' formulas are printed by derive's own LaTeX
printer in the course's notation (``diag(s) - s sᵀ``, ``‖y - pXw‖²``, ``σ²`` for the
symbol ``sigma2``); ``sympy.pretty`` of the same expressions prints ``Diag(X.T*X)``,
``SquaredNorm(...)``, ``σ₂`` and leading minus signs, so a student would read a different
formula on the terminal than on the sheet. Rendering the sheet's LaTeX keeps them one.

An unknown command prints as its name, never with a backslash: nothing here may put raw
LaTeX on a terminal.
"""
from __future__ import annotations

import re
import unicodedata

from ..answers.read.lexer import UNICODE_GREEK
from ..render.writer import split_inline

# The answer reader's table read backwards, plus the variant letters only LaTeX spells.
GREEK = {name: letter for letter, name in UNICODE_GREEK.items()} | {
    "varepsilon": "ε", "vartheta": "ϑ", "varrho": "ϱ", "varphi": "φ", "Upsilon": "Υ"}
SYMBOLS = {
    "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "∏", "int": "∫", "infty": "∞",
    "cdot": "·", "times": "×", "circ": "∘", "odot": "⊙", "otimes": "⊗", "oplus": "⊕",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "sim": "∼", "equiv": "≡", "propto": "∝", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "iff": "⇔", "mapsto": "↦", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "setminus": "∖", "emptyset": "∅", "forall": "∀",
    "exists": "∃", "pm": "±", "mp": "∓", "mid": "|", "vert": "|", "lvert": "|", "rvert": "|",
    "Vert": "‖", "lVert": "‖", "rVert": "‖", "|": "‖", "lfloor": "⌊", "rfloor": "⌋",
    "lceil": "⌈", "rceil": "⌉", "langle": "⟨", "rangle": "⟩", "{": "{", "}": "}",
    "dots": "…", "ldots": "…", "cdots": "⋯", "vdots": "⋮", "wedge": "∧", "land": "∧",
    "vee": "∨", "lor": "∨", "neg": "¬", "top": "⊤", "prime": "′", "ell": "ℓ", "star": "⋆",
    "ast": "∗", "bullet": "•", "colon": ":", "quad": "  ", "qquad": "    ", ",": " ",
    ";": " ", ":": " ", " ": " ", "!": "", "%": "%", "&": "&", "#": "#", "_": "_", "$": "$",
    "max": "max", "min": "min", "log": "log", "ln": "ln", "exp": "exp", "lim": "lim",
    "det": "det", "sup": "sup", "inf": "inf", "arg": "arg", "tr": "tr", "diag": "diag",
}
FUNCTIONS = ("sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "coth",
             "arcsin", "arccos", "arctan")
IGNORED = ("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
           "displaystyle", "textstyle", "limits", "nolimits", "middle")
TEXT_FONTS = ("mathrm", "text", "textrm", "mathit", "textit", "operatorname", "mathsf", "texttt",
              "textbf", "emph", "boldsymbol", "mathnormal", "boxed", "mbox", "textnormal")
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
           "bar": "\u0304", "overline": "\u0305", "dot": "\u0307", "ddot": "\u0308",
           "vec": "\u20d7", "check": "\u030c"}
BLACKBOARD = {"E": "𝔼", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "P": "ℙ",
              "1": "𝟙", "I": "𝕀"}
CALLIGRAPHIC = {"L": "ℒ", "N": "𝒩", "O": "𝒪", "D": "𝒟", "X": "𝒳", "Y": "𝒴", "F": "ℱ", "H": "ℋ"}
BIG_OPERATORS = ("Σ", "∏", "∫", "max", "min", "lim", "sup", "inf", "arg")
TIGHT = ("partial", "nabla")   # ∂L, not ∂ L: the space after them in the source is TeX's
VULGAR = {"1/2": "½", "1/3": "⅓", "2/3": "⅔", "1/4": "¼", "3/4": "¾"}

SUPERSCRIPT = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW′",
                       "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ′"))
SUPERSCRIPT.update({"⊤": "ᵀ", "−": "⁻", "*": "*"})
SUBSCRIPT = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ"))

_WORD = re.compile(r"^[\w∂∇′ᵀ" + "".join(SUPERSCRIPT.values()) + "".join(SUBSCRIPT.values())
                   + r"\u0300-\u036f\u20d7𝟙𝔼ℝ.]+$")
_SPACES = re.compile(r"[ \t]{2,}")
_INDEXED = re.compile(r"^∂?\w+\[[^\[\]]*\]$")   # an entry X[n,c,h,w], a one-word tensor index


def _bold(ch: str) -> str:
    """A bold letter or digit (\\mathbf{1} is the ones vector, 𝟏)."""
    if "0" <= ch <= "9":
        return chr(0x1D7CE + ord(ch) - ord("0"))
    if "A" <= ch <= "Z":
        return chr(0x1D400 + ord(ch) - ord("A"))
    if "a" <= ch <= "z":
        return chr(0x1D41A + ord(ch) - ord("a"))
    return ch


def width(text: str) -> int:
    """Columns a string takes on a terminal: combining accents take none."""
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _atomic(text: str) -> bool:
    """A piece that needs no brackets next to a slash or as a script: a word, or one
    bracketed whole."""
    text = text.strip()
    if _WORD.match(text) or _INDEXED.match(text):
        return True
    if text[:1] in "√∛∜" and len(text) > 1:
        return _atomic(text[1:])
    pairs = {"(": ")", "[": "]", "{": "}", "⌊": "⌋", "⌈": "⌉", "‖": "‖", "|": "|", "⟨": "⟩"}
    if text[:1] in pairs and text.endswith(pairs[text[0]]):
        depth = 0
        for n, c in enumerate(text):   # the opening bracket must close only at the end
            if c == text[0] and (n == 0 or c != pairs[c]):
                depth += 1
            elif c == pairs[text[0]]:
                depth -= 1
                if depth == 0 and n != len(text) - 1:
                    return False
        return True
    return False


def _script(body: str, table: dict, mark: str, base: str = "") -> str:
    """``body`` as Unicode sub- or superscript when every character has one, else marked:
    x_{i+1} reads xᵢ₊₁, G_{a,f,i,j} reads G[a,f,i,j], a sum over a, i reads Σ_(a,i)."""
    plain = body.strip()
    tight = plain.replace(" ", "")   # delta_{i j} is δᵢⱼ
    if tight and all(c in table for c in tight):
        return "".join(table[c] for c in tight)
    if mark == "_" and "," in plain and base not in BIG_OPERATORS:
        return f"[{plain}]"
    return mark + (plain if _atomic(plain) else f"({plain})")


class _Reader:
    """A recursive reader of the LaTeX subset: groups, commands, scripts, environments."""

    def __init__(self, tex: str):
        self.s, self.i = tex, 0

    def done(self) -> bool:
        return self.i >= len(self.s)

    def command(self) -> str:
        """The name after a backslash (letters, or one other character)."""
        self.i += 1
        start = self.i
        while self.i < len(self.s) and self.s[self.i].isalpha():
            self.i += 1
        if self.i == start and self.i < len(self.s):
            self.i += 1
        return self.s[start:self.i]

    def group(self) -> str:
        """Raw source of a {...} group, the reader past its closing brace."""
        depth, start = 0, self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
                continue
            depth += c == "{"
            depth -= c == "}"
            self.i += 1
            if depth == 0:
                return self.s[start + 1:self.i - 1]
        return self.s[start + 1:]

    def raw_argument(self) -> str:
        """Source of the next argument: a group, a command, or one character."""
        while not self.done() and self.s[self.i] == " ":
            self.i += 1
        if self.done():
            return ""
        if self.s[self.i] == "{":
            return self.group()
        if self.s[self.i] == "\\":
            start = self.i
            self.command()
            return self.s[start:self.i]
        self.i += 1
        return self.s[self.i - 1]

    def optional(self) -> str | None:
        if not self.done() and self.s[self.i] == "[":
            end = self.s.find("]", self.i)
            if end > 0:
                text, self.i = self.s[self.i + 1:end], end + 1
                return text
        return None

    def argument(self) -> str:
        return latex_text(self.raw_argument())

    def until_end(self, env: str) -> str:
        end = self.s.find(rf"\end{{{env}}}", self.i)
        end = len(self.s) if end < 0 else end
        body, self.i = self.s[self.i:end], end + len(rf"\end{{{env}}}")
        return body

    def read(self) -> str:
        out: list[str] = []
        while not self.done():
            c = self.s[self.i]
            if c == "\\":
                name = self.command()
                out.append(self.macro(name, out))
                if name in TIGHT:
                    while not self.done() and self.s[self.i] == " ":
                        self.i += 1
            elif c == "{":
                out.append(latex_text(self.group()))
            elif c in "^_":
                self.i += 1
                raw = self.raw_argument()
                body = latex_text(raw)
                if c == "^" and raw.strip() in (r"\top", r"\intercal", "T"):
                    out.append("ᵀ")
                elif c == "^" and raw.strip() in (r"\prime", "'"):
                    out.append("′")
                else:
                    out.append(_script(body, SUPERSCRIPT if c == "^" else SUBSCRIPT, c,
                                       out[-1] if out else ""))
            elif c == "'":
                self.i += 1
                out.append("′")
            elif c == "~":
                self.i += 1
                out.append(" ")
            elif c == "&":
                self.i += 1
                out.append(" ")
            elif c == "}":
                self.i += 1
            else:
                self.i += 1
                out.append(c)
        return "".join(out)

    def macro(self, name: str, out: list[str]) -> str:
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            top, bottom = self.argument().strip(), self.argument().strip()
            if f"{top}/{bottom}" in VULGAR:
                return VULGAR[f"{top}/{bottom}"]
            top = top if _atomic(top) else f"({top})"
            bottom = bottom if _atomic(bottom) else f"({bottom})"
            return f"{top}/{bottom}"
        if name == "sqrt":
            index = self.optional()
            body = self.argument().strip()
            root = {None: "√", "2": "√", "3": "∛", "4": "∜"}.get(index, f"{latex_text(index or '')}√")
            return root + (body if _atomic(body) else f"({body})")
        if name == "phantom":   # the blank of the same width keeps a chain of equalities aligned
            return " " * width(self.argument())
        if name in ("hphantom", "vphantom"):
            body = self.argument()
            return " " * width(body) if name == "hphantom" else ""
        if name in ACCENTS:
            body = self.argument().strip()
            if width(body) == 1:
                return body + ACCENTS[name]
            return f"{name}({body})"
        if name in ("mathbf", "bm", "mathbold"):
            return "".join(_bold(c) for c in self.argument())
        if name == "mathbb":
            body = self.argument()
            return "".join(BLACKBOARD.get(c, c) for c in body)
        if name == "mathcal":
            body = self.argument()
            return "".join(CALLIGRAPHIC.get(c, c) for c in body)
        if name in TEXT_FONTS or name == "operatorname*":
            if name == "operatorname" and not self.done() and self.s[self.i] == "*":
                self.i += 1
            return self.argument()
        if name in ("begin",):
            return self.environment(latex_text(self.raw_argument()).strip())
        if name == "end":
            self.raw_argument()
            return ""
        if name == "\\":
            return "; "
        if name in IGNORED:
            if not self.done() and self.s[self.i] == ".":   # \left. is no bracket at all
                self.i += 1
            return ""
        if name == "substack":   # the stacked limits of a sum, one after the other
            return ", ".join(latex_text(r).strip() for r in re.split(r"\\\\", self.raw_argument()) if r.strip())
        if name in ("underbrace", "overbrace"):
            return self.argument()
        if name in ("binom", "tbinom", "dbinom"):
            top, bottom = self.argument().strip(), self.argument().strip()
            return f"C({top}, {bottom})"
        if name == "not":
            return "¬"
        if name in GREEK:
            return GREEK[name]
        if name in SYMBOLS:
            return SYMBOLS[name]
        return name   # a name of a function (\softmax) or an unknown command: its name, no backslash

    def environment(self, env: str) -> str:
        if env == "array" or env == "tabular":
            self.raw_argument()   # the column specification
        body = self.until_end(env)
        rows = [r for r in re.split(r"\\\\", body) if r.strip()]
        cells = [[latex_text(c).strip() for c in re.split(r"(?<!\\)&", r)] for r in rows]
        if env == "cases":
            return "{ " + "; ".join(",  ".join(c for c in row if c) for row in cells) + " }"
        if env in ("pmatrix", "bmatrix", "matrix", "array", "smallmatrix", "vmatrix", "Bmatrix"):
            # Rows separated by ';' (a column vector reads [a; b]); the delimiters are the
            # environment's own, or the \left[ ... \right] around a plain matrix.
            inner = "; ".join(", ".join(row) for row in cells)
            ends = {"pmatrix": "()", "bmatrix": "[]", "vmatrix": "||", "Bmatrix": "{}"}.get(env, "")
            return ends[:1] + inner + ends[1:]
        return "; ".join(" ".join(c for c in row if c) for row in cells)


def latex_text(tex: str) -> str:
    """Display LaTeX as one line of Unicode (see the module's docstring)."""
    if not tex:
        return ""
    # SymPy writes \left(z \right): no blank before the closing bracket in plain text
    text = _BLANK_BEFORE_CLOSE.sub(r"\1", _Reader(tex).read())
    return _SPACES.sub(" ", text) if not text.startswith(" ") else _keep_indent(text)


def _keep_indent(text: str) -> str:
    """Collapse runs of spaces but keep a leading blank (a \\phantom left-hand side)."""
    stripped = text.lstrip(" ")
    return text[:len(text) - len(stripped)] + _SPACES.sub(" ", stripped)


_BLANK_BEFORE_CLOSE = re.compile(r"(?<=\S) +([)\]])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BACKQUOTED = re.compile(r"`([^`]+)`")


def prose_text(text: str) -> str:
    """Inline text as plain Unicode: math converted, code and emphasis without their marks."""
    out = []
    for kind, piece in split_inline(text or ""):
        if kind == "math":
            out.append(latex_text(piece).strip())
        elif kind == "code":
            out.append(piece)
        else:
            out.append(_BACKQUOTED.sub(r"\1", _BOLD.sub(r"\1", piece)))
    return "".join(out)


def pad(text: str, columns: int, *, left: bool = True) -> str:
    """``text`` padded to ``columns`` terminal columns (accents take none)."""
    blank = " " * max(0, columns - width(text))
    return text + blank if left else blank + text
