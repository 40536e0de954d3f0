"""How an answer was read, before any verdict: ``preview(answer, part)``.

STACK validates first, then grades: a student sees what the checker understood (or where the
text stops making sense) while typing, and judging starts only on request. Reading is parsing
alone, bounded by the reader's limits, so it runs in the caller's process.

>>> preview("s - y", "softmax.ce_grad").latex                # doctest: +SKIP
's - y'
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ...errors import AnswerSyntaxError, InvalidArgument, RecognisedSlip
from ...model import registry
from ..decide.equivalence import index_vocabulary, is_index_part, vocabulary
from ..read.index_parse import parse_index_answer
from ..read.parse import parse_answer
from .free import expression_part

__all__ = ["Preview", "preview"]

READ, PROBLEM = "read", "problem"


@dataclass(frozen=True)
class Preview:
    """``status`` is "read" (``latex`` is what was understood) or "problem" (``message``
    says what is wrong, ``position`` the 0-based column where the reader stopped)."""
    status: str
    latex: str | None = None
    message: str | None = None
    position: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


def preview(answer, part: str | None = None, *, syntax: str = "auto") -> Preview:
    """What ``answer`` was read as, against ``part``'s names (every name a real scalar without
    a part). Raises UnknownPart for an unknown id and InvalidArgument for a bad syntax."""
    if syntax not in ("auto", "text", "latex"):
        raise InvalidArgument(f"syntax must be 'auto', 'text' or 'latex', got {syntax!r}")
    if not isinstance(answer, str):
        raise InvalidArgument(f"an answer must be text, got {type(answer).__name__}")
    try:
        if part is None:
            found = expression_part(answer, syntax=syntax)
        else:
            found = registry.get_part(part)
        if is_index_part(found):
            read = parse_index_answer(answer, index_vocabulary(found), syntax=syntax)
        else:
            read = parse_answer(answer, vocabulary(found), syntax=syntax)
        return Preview(READ, latex=read.latex())
    except RecognisedSlip as slip:   # read, and already known to be wrong: the verdict says so
        return Preview(PROBLEM, message=str(slip), position=getattr(slip, "position", None))
    except AnswerSyntaxError as exc:
        message = str(exc).removeprefix("the expected expression does not parse: ")
        return Preview(PROBLEM, message=message, position=exc.position)
    except RecursionError:
        return Preview(PROBLEM, message="the answer is nested too deeply")
