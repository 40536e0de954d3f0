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


class ParameterOutOfRange(InvalidArgument):
    """A part's parameter outside its declared range, or a combination that makes no sense."""


class NotParametrised(DeriveError, LookupError):
    """A variant asked of a part that declares no parameters."""

    def __init__(self, part_id: str, parametrised: list[str]):
        self.part_id = part_id
        shown = ", ".join(parametrised) or "none"
        super().__init__(f"part {part_id!r} has no parameters, so it has no variants; the parts "
                         f"with variants: {shown}")


class VariantFailed(DeriveError, RuntimeError):
    """Every attempt at a seed's variant failed verification (a problem definition to fix)."""


class RosterError(InvalidArgument):
    """A roster a variant build cannot read (no id column, no rows)."""


def _pointed(message: str, text: str, position: int | None) -> str:
    """The message with the column and a caret under it, when both are known."""
    if position is None or not text:
        return message
    return message + f" at column {position + 1}:\n  {text}\n  {' ' * position}^"


class AnswerSyntaxError(DeriveError, ValueError):
    """An answer that cannot be parsed; carries the text and the 0-based column."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.text = text
        self.position = position
        self.reason = message
        super().__init__(_pointed(message, text, position))


class AnswerShapeError(AnswerSyntaxError):
    """An answer whose parts do not fit together (e.g. adding a vector to a matrix)."""


class AnswerLimitError(AnswerSyntaxError):
    """An answer past a size limit (length, nesting, exponent, number of digits)."""


class RecognisedSlip(DeriveError, ValueError):
    """Not a syntax error but a verdict: the answer's parts cannot fit together because of
    a slip the reader recognises (s^T s, the inner product, where the outer product s s^T
    is needed), so the answer is incorrect, with ``diagnosis`` saying which slip. Kept
    apart from AnswerSyntaxError, which means invalid; a reader's caller handles both.
    ``diagnosis`` is a :class:`derive.model.verdict.Diagnosis` (not imported: errors sit
    below the model)."""

    def __init__(self, message: str, text: str, position: int, diagnosis):
        self.text = text
        self.position = position
        self.reason = message
        self.diagnosis = diagnosis
        super().__init__(_pointed(message, text, position))


class AnswerEvaluationError(DeriveError, ValueError):
    """A value could not be computed at a point (e.g. a sum bound past a vector's end)."""


class AnswerRangeError(AnswerEvaluationError):
    """A sum whose range, at the size being evaluated, is longer than allowed: the answer is
    invalid (it would be at every large enough size), with the sum's position."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.pos = pos


class ProblemDefinitionError(DeriveError, TypeError):
    """A problem module declares a part the engine cannot use."""


class OutputError(DeriveError, OSError):
    """An output folder or file that cannot be written."""


class LatexFailed(OutputError):
    """pdflatex did not make a PDF; ``missing`` names the TeX file it could not find, if any."""

    def __init__(self, message: str, missing: str | None = None):
        super().__init__(message)
        self.missing = missing


class MissingLibrary(DeriveError, ImportError):
    """An optional library a check needs is not installed."""


class ProofTimeout(DeriveError, TimeoutError):
    """A symbolic proof ran past its time budget."""


class SimulationMismatch(DeriveError, AssertionError):
    """A simulated case that disagrees with its claim (an AssertionError, so Hypothesis
    shrinks it as a failing example)."""


class PartRefuted(DeriveError, AssertionError):
    """A part whose verification refuted or failed a claim (the pytest plugin's failure);
    ``report`` is the part's report."""

    def __init__(self, report):
        super().__init__(report.part.id)
        self.report = report
