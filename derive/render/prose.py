"""Words a sheet takes from a problem or a program, made fit for a reader: computed values
and domain descriptions with their mathematics as math (never code), and a family's
introduction without the paths of derive's own modules.

>>> computed_value("-1.992 / +2.002")
'$-1.992$ / $+2.002$'
"""
from __future__ import annotations

import re

from ..model.domains import Interval


_PLAIN_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_NUMBER_WORD = re.compile(rf"(?<![\w.])(?:{_PLAIN_NUMBER})(?![\w.])")
_CONTAINER = re.compile(rf"^([\[({{])\s*((?:{_PLAIN_NUMBER})(?:\s*,\s*(?:{_PLAIN_NUMBER}))*)?\s*([\])}}])$")


def _plain_number_tex(word: str) -> str:
    """A number as a program printed it, in math: digits kept as shown (0.000 stays 0.000),
    1e-05 as 10^{-5}, nan as NaN, inf as infinity."""
    sign, body = (word[0], word[1:]) if word[0] in "+-" else ("", word)
    if body in ("nan", "inf"):
        return sign + (r"\infty" if body == "inf" else r"\mathrm{NaN}")
    mantissa, _, exponent = body.lower().partition("e")
    if not exponent:
        return sign + mantissa
    power = f"10^{{{int(exponent)}}}"
    return sign + (power if float(mantissa) == 1 else f"{mantissa} \\times {power}")


def computed_value(value: str) -> str:
    """A computed value as inline text: math and words, never code. A program's list or set
    of numbers ([nan, nan], {0}) becomes a tuple or set in math; every other number in the
    text becomes math (-1.992 / +2.002, 0 exactly)."""
    if "$" in value or "``" in value:
        return value
    text = value.strip()
    if text == "EmptySet":
        return r"$\emptyset$"
    container = _CONTAINER.match(text)
    if container:
        items = [_plain_number_tex(w.strip()) for w in (container.group(2) or "").split(",") if w.strip()]
        opening, closing = (r"\{", r"\}") if container.group(1) == "{" else ("(", ")")
        return f"${opening}{', '.join(items)}{closing}$"
    return _NUMBER_WORD.sub(lambda m: f"${_plain_number_tex(m.group())}$", value)


_DOMAIN_MATH = re.compile(
    r"(?P<count>\b[a-zA-Z] = 1, 2, \.\.\.)"                                    # t = 1, 2, ...
    r"|(?P<chain>[-\w.]+(?:\s*(?:<=|>=|<|>|\u2264|\u2265)\s*[-\w.]+)+)"           # 0 < p < 1
    r"|(?P<interval>[(\[]\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*[)\]])"    # (0, 1]
    r"|(?P<number>(?<![\w.$^{-])-?\d+(?:\.\d+)?(?![\w.]))"                     # 1, 3 or 5
    r"|(?P<symbol>\b(?![AI]\b)[A-Z]\b(?![-']))")                                  # eigenvalue of H
_RELATIONS = {"<=": r"\le", ">=": r"\ge", "\u2264": r"\le", "\u2265": r"\ge"}


def domain_text(domain, name: str) -> str:
    """A domain's description with its mathematics as math: "0 < p < 1" (an interval's default
    words, which name p whatever the variable) becomes $0 < \\epsilon < 1$ for the variable
    itself; relations, intervals, counts and numbers in other descriptions become math."""
    if isinstance(domain, Interval) and domain.description == Interval.description:
        low, high = (f"{float(b):g}" for b in (domain.low, domain.high))
        return f"${low} < {name} < {high}$"

    def math(match):
        kind, found = match.lastgroup, match.group()
        if kind == "count":
            return f"${found[:-3]}\\ldots$"
        if kind == "chain":
            found = re.sub(r"<=|>=|\u2264|\u2265", lambda r: f" {_RELATIONS[r.group()]} ", found)
        return f"${found}$"
    pieces = re.split(r"(\$[^$]*\$)", domain.description)   # math already written stays as it is
    return "".join(p if p.startswith("$") else _DOMAIN_MATH.sub(math, p) for p in pieces)


# "(``derive.maths.recurrences``)": where in derive's own code a method lives is for its
# maintainers (the module docstring), not for a student reading the sheet.
_OWN_MODULE = re.compile(r"\s*\((?:``)?derive(?:\.\w+)+(?:``)?\)")


def for_readers(intro: str) -> str:
    """A family's introduction without the parenthetical paths of derive's own modules."""
    return _OWN_MODULE.sub("", intro)
