"""Sums over a vector's entries written out, where their range is known: ``\\sum_{i=1}^{3} x_i``
is ``(x_{1} + x_{2} + x_{3})``, and ``\\sum_j e^{z_j}`` runs over the entries of z when the
document gave z as a literal (``z = (2, 1, 0)``: three entries).

The scalar reader would take ``x_i`` as one number for every i (``\\sum_{i=1}^{3} x_i = 3 x_i``);
written out, each entry is its own name and the sum means what the student wrote. A sum
whose range is not known, or whose body uses the index in a subscript of two letters
(``\\delta_{ij}``), is left as it is (the caller does not judge it).

>>> expand_sums(r"\\sum_{i=1}^{3} x_i^2 + 1", {})
'\\\\left(x_{1}^2 + x_{2}^2 + x_{3}^2\\\\right) + 1'
"""
from __future__ import annotations

import re
from typing import Mapping

__all__ = ["MAX_TERMS", "expand_sums"]

MAX_TERMS = 12   # a longer written-out sum is not something a student writes out by hand either
_SUM = re.compile(r"\\sum(?:\\limits)?\s*_\s*(?:\{\s*([a-z])\s*(?:=\s*([^{}^]+?))?\s*\}|([a-z]))"
                  r"(?:\s*\^\s*(?:\{([^{}]*)\}|(\w)))?")


def term_end(text: str, j: int, stops: str = "+-=") -> int:
    """The end of a term starting at j: the first of ``stops`` outside brackets after
    something was read, a closing bracket of the group the term sits in, or the end (the
    body of a sum, the operand of d/dw)."""
    depth, k, seen = 0, j, False
    while k < len(text):
        if text.startswith("\\left", k):
            depth, k = depth + 1, k + 5
            continue
        if text.startswith("\\right", k):
            depth, k = depth - 1, k + 6
            if depth < 0:
                return k - 6
            continue
        ch = text[k]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
            if depth < 0:
                return k
        elif ch in stops and depth == 0 and seen:
            return k
        if not ch.isspace():
            seen = True
        k += 1
    return k


def _indexed(body: str, index: str) -> list[str]:
    """The bases subscripted by the index alone in ``body``: x in x_i, z in e^{z_{i}}."""
    return re.findall(r"((?:\\[A-Za-z]+|[A-Za-z])(?:\{[A-Za-z]\})?)\s*_\s*(?:\{\s*" + index + r"\s*\}|" + index
                      + r"(?![A-Za-z0-9]))", body)


def _substituted(body: str, index: str, value: int) -> str:
    body = re.sub(r"_\s*(?:\{\s*" + index + r"\s*\}|" + index + r"(?![A-Za-z0-9]))", "_{" + str(value) + "}", body)
    # the index as a number (i^2, \frac{1}{i}); not a letter of a command or a word
    return re.sub(r"(?<![\\A-Za-z_])" + index + r"(?![A-Za-z])", "(" + str(value) + ")", body)


def _range(low, high, body: str, index: str, lengths: Mapping[str, int], default: int | None = None):
    try:
        start = int(low) if low is not None else 1
    except ValueError:
        return None
    if high is not None and high.strip().isdigit():
        return range(start, int(high) + 1)
    sizes = {lengths.get(base.strip("{}\\").replace("mathbf{", "")) for base in _indexed(body, index)}
    sizes.discard(None)
    if len(sizes) == 1 and start in (0, 1):
        n = sizes.pop()
        return range(start, start + n)
    if default is not None and not sizes and start in (0, 1) and (high is None or re.fullmatch(r"\s*[A-Za-z]\s*", high)):
        return range(start, start + default)   # \sum_i or \sum_{i=1}^{n}, tried at a size
    return None


def expand_sums(text: str, lengths: Mapping[str, int], default: int | None = None) -> str:
    """``text`` with every sum whose range is known written out (innermost first); with
    ``default``, a sum up to a size named by a letter (or none) runs over that many entries."""
    sized: set = set()   # the letters that name the size the sums were written out at
    for _ in range(8):   # nested sums, one level a pass
        changed = False
        for m in reversed(list(_SUM.finditer(text))):
            index = m.group(1) or m.group(3)
            low = m.group(2)
            high = m.group(4) if m.group(4) is not None else m.group(5)
            end = term_end(text, m.end())
            body = text[m.end():end]
            if "\\sum" in body:
                continue   # the inner one first
            if re.search(r"_\s*\{[^{}]*" + index + r"[^{}]*\}", body) and not re.search(
                    r"_\s*\{\s*" + index + r"\s*\}", body):
                continue   # \delta_{ij}: a two-letter subscript with the index
            span = _range(low, high, body, index, lengths, default)
            if span is None or not (0 < len(span) <= MAX_TERMS) or not body.strip():
                continue
            if default is not None and len(span) == default and not (high or "").strip().isdigit():
                sized.add((high or "n").strip())
            terms = " + ".join(_substituted(body.strip(), index, v) for v in span)
            text = text[:m.start()] + "\\left(" + terms + "\\right)" + text[end:]
            changed = True
            break
        if not changed:
            break
    for letter in sized:   # 1/n beside a sum up to n: the same size; x_n its last entry
        text = re.sub(r"_\s*(?:\{\s*" + letter + r"\s*\}|" + letter + r"(?![A-Za-z]))", "_{" + str(default) + "}", text)
        text = re.sub(r"(?<![\\A-Za-z])" + letter + r"(?![A-Za-z])", "(" + str(default) + ")", text)
    return text
