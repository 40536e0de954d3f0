"""Size limits on a submitted answer.

Every stage of the parser enforces some of them (the scanner counts digits, the resolver's
tokens are counted and their nesting checked, the builder bounds exponents and sums), so
they live apart from all three. Going past one raises
:class:`~derive.errors.AnswerLimitError`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import AnswerLimitError, AnswerSyntaxError

__all__ = ["DEFAULT_LIMITS", "Limits", "check_text"]


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


def check_text(text, syntax: str, limits: Limits) -> None:
    """What every parser of answers checks first: a string, a known syntax, a bounded length."""
    if not isinstance(text, str):
        raise AnswerSyntaxError(f"an answer must be a string, got {type(text).__name__}")
    if syntax not in ("auto", "text", "latex"):
        raise AnswerSyntaxError(f"syntax must be 'auto', 'text' or 'latex', got {syntax!r}")
    if len(text) > limits.max_length:
        raise AnswerLimitError(f"the answer is {len(text)} characters long; at most "
                               f"{limits.max_length} are allowed", text[:80] + "...", 0)
