"""One exception root for everything derive raises on purpose.

Each subclass also derives from the built-in kind a caller would catch, so
``except LookupError`` still works for an unknown part.
"""
from __future__ import annotations


class DeriveError(Exception):
    """Root of every error derive raises deliberately."""


class InvalidArgument(DeriveError, ValueError):
    """An argument outside what the function accepts; the message says what is allowed."""


class UnknownPart(DeriveError, LookupError):
    def __init__(self, part_id: str, known: list[str]):
        self.part_id = part_id
        self.known = known
        close = [k for k in known if k.split(".")[0] == part_id.split(".")[0]] or known
        shown = ", ".join(close[:12]) + (" ..." if len(close) > 12 else "")
        super().__init__(f"unknown part {part_id!r}; known parts include: {shown} "
                         f"(run `derive list` for all {len(known)})")


class AnswerSyntaxError(DeriveError, ValueError):
    """An answer that cannot be parsed; carries the text and the 0-based column."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.text = text
        self.position = position
        self.reason = message
        where = ""
        if position is not None and text:
            where = f" at column {position + 1}:\n  {text}\n  {' ' * position}^"
        super().__init__(message + where)


class ProblemDefinitionError(DeriveError, TypeError):
    """A problem module declares a part the engine cannot use."""


class OutputError(DeriveError, OSError):
    """An output folder or file that cannot be written."""


class ProofTimeout(DeriveError, TimeoutError):
    """A symbolic proof ran past its time budget."""
