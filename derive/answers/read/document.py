"""Finding the mathematics in a written solution: the displays of a Markdown or LaTeX
document, each with its place in the text and the prose before it.

Displays are ``$$...$$``, ``\\[...\\]``, the display environments (align, equation, gather,
multline, eqnarray, starred or not), fenced ```` ```math ```` blocks, and inline ``$...$`` or
``\\(...\\)`` that hold a relation (inline maths without one, ``$z$``, is part of the prose).
Spans index the original text, so a step can be pointed at in the student's own document.

>>> [d.body for d in find_displays("Then $$a = b$$ and $x$ but $y = 2$.")]
['a = b', 'y = 2']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Display", "find_displays", "uses_decimal_commas"]

ENVIRONMENTS = ("align", "aligned", "equation", "gather", "multline", "eqnarray", "flalign", "alignat")
_ENV = "|".join(ENVIRONMENTS)
# One alternation, tried left to right at each position: the longest delimiters first, so
# that $$ is never read as two inline $.
_DISPLAY = re.compile(
    r"```math[ \t]*\n(?P<fence>.*?)```"
    rf"|\\begin\{{(?P<env>{_ENV})(?P<star>\*?)\}}(?:\{{\d+\}})?(?P<envbody>.*?)\\end\{{(?P=env)(?P=star)\}}"
    r"|\$\$(?P<dollars>.*?)\$\$"
    r"|\\\[(?P<bracket>.*?)\\\]"
    r"|\\\((?P<paren>.*?)\\\)"
    r"|(?<![\\$])\$(?P<inline>[^$\n]+?)\$(?!\$)",
    re.DOTALL)
# A relation somewhere in inline maths makes it a claim worth checking.
_INLINE_RELATION = re.compile(r"(?<![<>!\\])=|\\approx|\\le|\\ge|<|>|\\Rightarrow|\\implies|\\to\b|\\sim\b")
# Fenced blocks, each from a fence at the start of a line to the same fence closing it.
_FENCE = re.compile(r"^(```|~~~)[ \t]*(\w*)[^\n]*\n.*?^\1", re.DOTALL | re.MULTILINE)
PROSE_CONTEXT = 240   # characters of prose kept before each display


@dataclass(frozen=True)
class Display:
    """One piece of displayed maths: its body, where the body sits in the document, how it
    was written (``display``, ``environment`` or ``inline``) and the prose just before it."""
    body: str
    start: int            # offset of body[0] in the document
    kind: str
    prose: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.body)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Spans of code blocks, whose dollars are program text, not maths."""
    return [m.span() for m in _FENCE.finditer(text) if m.group(2) != "math"]


def find_displays(text: str) -> list[Display]:
    """Every display in reading order; inline maths only when it holds a relation."""
    code = _code_spans(text)
    out: list[Display] = []
    last_end = 0
    for m in _DISPLAY.finditer(text):
        if any(a <= m.start() < b for a, b in code):
            continue
        for group, kind in (("fence", "display"), ("envbody", "environment"), ("dollars", "display"),
                            ("bracket", "display"), ("paren", "inline"), ("inline", "inline")):
            body = m.group(group)
            if body is not None:
                break
        if kind == "inline" and not _INLINE_RELATION.search(body):
            continue
        if not body.strip():
            continue
        prose = _prose(text[last_end:m.start()])
        out.append(Display(body, m.start(group), kind, prose))
        last_end = m.end()
    return out


def _prose(between: str) -> str:
    """The last sentences before a display, inline maths kept as written, whitespace folded."""
    folded = " ".join(between.split())
    return folded[-PROSE_CONTEXT:]


# 0,05 or 3,5 (not three digits after the comma, which would be a thousands separator), or
# 0{,}05, the LaTeX way of writing a decimal comma.
_DECIMAL_COMMA = re.compile(r"(?<![\d,])\d+,(?:\d{1,2}|\d{4,})(?![\d])|\d\{,\}\d")
_DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d+")


# 1,342 may be either; 1,234,567 is thousands.
_AMBIGUOUS = re.compile(r"(?<![\d,.])\d{1,3},\d{3}(?![\d,])")
_THOUSANDS = re.compile(r"\d,\d{3},\d{3}")
# Prose in a language that writes decimal commas: Cyrillic letters, or a few common words of
# German, French, Spanish, Italian, Dutch, Polish, Portuguese.
_COMMA_LANGUAGE = re.compile(r"[а-яА-ЯёЁ]|[äöüßÄÖÜ]|\b(und|mit|der|die|das|ist|für|les|une|est|avec|pour|"
                             r"donc|los|las|una|con|para|che|della|het|een|oraz|jest|uma|não)\b", re.IGNORECASE)


def uses_decimal_commas(text: str) -> bool:
    """Whether the document writes decimals with a comma (0,05): more such numbers than
    numbers with a decimal point, counted over the maths; or, when every comma number could be
    either (1,342), no decimal point anywhere and prose in a language that writes decimal commas."""
    displays = find_displays(text)
    maths = " ".join(d.body for d in displays)
    commas = len(_DECIMAL_COMMA.findall(maths))
    points = len(_DECIMAL_POINT.findall(maths))
    if commas != points:
        return commas > points
    if points or _THOUSANDS.search(maths) or not _AMBIGUOUS.search(maths):
        return False
    prose = _DISPLAY.sub(" ", text)
    return bool(_COMMA_LANGUAGE.search(prose))
