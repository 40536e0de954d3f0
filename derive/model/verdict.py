"""The outcome of a check: a status, the message a student reads, and what backs it.

Data only, beside :mod:`derive.model.claim`: the answers stage produces verdicts, the
interface prints them, and the notebook shows them (a late import, as SymPy reaches its
printers)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

CORRECT, INCORRECT, INVALID, UNDECIDED = "correct", "incorrect", "invalid", "undecided"
EXIT_STATUS = {CORRECT: 0, INCORRECT: 1, INVALID: 2, UNDECIDED: 3}


@dataclass(frozen=True)
class Diagnosis:
    """The likely mistake behind a wrong answer: its ``kind`` (slip (one the part declares,
    ``detail`` in its words), sign, factor, missing factor, extra factor, transpose, shape,
    extra term, missing term, term sign, term factor, precision, constraint, neighbour,
    domain) and the ``detail`` in words, inline math between dollars. JSON: the object
    ``{"kind": ..., "detail": ...}``; ``str()`` reads "kind: detail".

    >>> str(Diagnosis("sign", "the answer has the opposite sign"))
    'sign: the answer has the opposite sign'
    """
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check. ``diagnosis`` names the likely mistake of a wrong answer
    (a :class:`Diagnosis`); ``method`` says how a correct answer was decided; ``evidence``
    what holds."""
    status: str
    message: str
    counterexample: dict | None = None
    diagnosis: Diagnosis | None = None
    parsed: str | None = None
    part: str = ""
    method: str | None = None     # "proved" (exact) or "tested" (numeric only)
    points: int = 0               # random points compared
    position: int | None = None   # 0-based column of an invalid answer's problem
    # What holds, for every verdict that compared: "proved for all sizes", "proved at C = 2..4,
    # tested at ..." or "tested at ..."; "proved" without sizes means all sizes.
    evidence: str | None = None

    @property
    def diagnosis_kind(self) -> str | None:
        return self.diagnosis.kind if self.diagnosis else None

    def to_json(self) -> dict:
        """The fields as JSON-ready data; ``diagnosis`` as ``{"kind": ..., "detail": ...}``."""
        return asdict(self)

    def _repr_html_(self) -> str:   # notebook display
        from ..render.notebook import verdict_html
        return verdict_html(self)
