"""A verified claim is data: what was claimed about a part, how it was checked, the outcome.

Outcomes, strongest first: proved, passed (a check with no proof attached), unproved-but-tested,
failed (the check itself could not run), refuted (with a counterexample). A check whose optional
library (JAX) is missing is skipped: it says so, and it never counts as passed.

A part's finished record (:class:`PartRecord`) adds to its report what the checker says of its
declared slips, the instance SymPy computes and its worked numbers; ``derive.pipeline`` makes it
once, and the sheets, ``derive show`` and the notebook print it. A claim or report becomes JSON
one way (``to_json``: as ``--json`` prints it, or whole with ``printed=False``), and a whole
record comes back with ``from_json`` (the build cache).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Union

from .part import Part

PROVED, REFUTED, TESTED, FAILED, PASSED = "proved", "refuted", "unproved-but-tested", "failed", "passed"
SKIPPED = "skipped"
CLOSED_FORM_CLAIM = "the closed form equals the derived result"

# Where a claim was checked, one entry per size: a mapping of each size's name to the value it
# was proved at ({"C": 2, "H": 3}; {} for a part without sizes) or to the values its cases were
# drawn from ({"C": (2, 3, 4)}), or a check's own word for where it holds ("symbolic").
SizeEntry = Union[Mapping[str, Union[int, tuple[int, ...]]], str]


def size_label(entry: SizeEntry) -> str:
    """An entry as plain text: "C=2, H=3", "scalar", "C in [2, 3, 4]", or the check's word."""
    if isinstance(entry, str):
        return entry
    if not entry:
        return "scalar"
    return ", ".join(f"{k} in {list(v)}" if isinstance(v, (tuple, list)) else f"{k}={v}" for k, v in entry.items())


def _entry(data) -> SizeEntry:
    """A size entry back from JSON (lists were tuples)."""
    if isinstance(data, str):
        return data
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


@dataclass(frozen=True)
class Claim:
    """One checked statement about a part and how it came out."""
    part: str
    kind: str            # "closed form", "step", "numeric"
    statement: str       # what is claimed, in words or LaTeX
    outcome: str         # proved | refuted | unproved-but-tested | failed
    method: str
    sizes: tuple[SizeEntry, ...] = ()
    cases: int = 0
    worst_error: float | None = None
    tolerance: float | None = None
    counterexample: Mapping[str, Any] | None = None
    seconds: float = 0.0
    detail: str = ""

    def to_json(self, *, printed: bool = True) -> dict:
        """The claim as JSON-ready data: as ``derive verify --json`` prints it (sizes as labels,
        "C=2"; seconds to the millisecond), or with ``printed=False`` whole, sizes as data, as
        :meth:`from_json` reads it back."""
        sizes = [size_label(s) if printed else s for s in self.sizes]
        return {"kind": self.kind, "statement": self.statement, "outcome": self.outcome, "method": self.method,
                "sizes": sizes, "cases": self.cases, "worst_error": self.worst_error,
                "tolerance": self.tolerance, "counterexample": self.counterexample, "detail": self.detail,
                "seconds": round(self.seconds, 3) if printed else self.seconds}

    @classmethod
    def from_json(cls, part: str, data: Mapping[str, Any]) -> "Claim":
        return cls(part, **{**data, "sizes": tuple(_entry(s) for s in data["sizes"])})


@dataclass(frozen=True)
class PartReport:
    part: Part
    claims: tuple[Claim, ...]
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        outcomes = {c.outcome for c in self.claims}
        for worst in (REFUTED, FAILED, TESTED):
            if worst in outcomes:
                return worst
        return PROVED if outcomes else TESTED

    def numeric(self) -> Claim | None:
        return next((c for c in self.claims if c.kind == "numeric"), None)

    def to_json(self, *, printed: bool = True) -> dict:
        return {"part": self.part.id, "outcome": self.outcome,
                "seconds": round(self.seconds, 3) if printed else self.seconds,
                "claims": [c.to_json(printed=printed) for c in self.claims]}

    @classmethod
    def from_json(cls, part: Part, data: Mapping[str, Any]) -> "PartReport":
        return cls(part, tuple(Claim.from_json(part.id, c) for c in data["claims"]), data["seconds"])

    # Notebook display; the pipeline and rendering are reached only late (as SymPy's printers).
    def _repr_html_(self) -> str:
        from ..pipeline import finish
        from ..render.notebook import record_html
        return record_html(finish(self.part, report=self))


@dataclass(frozen=True)
class Instance:
    """The derived result at one small size, as SymPy computes it from the forward definition."""
    equation: str                   # display LaTeX "lhs = value", printed once by the pipeline
    sizes: Mapping[str, int]


@dataclass(frozen=True)
class Worked:
    """A demonstration's numbers, computed once: rows (label, value, ...) under ``columns`` for a
    worked table, or (label, value as text) pairs for a plain demonstration (no ``columns``).
    A cell is text, an int, a float, an exact Fraction, or None where it does not apply."""
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


def _cell_json(value):
    return {"fraction": [value.numerator, value.denominator]} if isinstance(value, Fraction) else value


def _cell(data):
    return Fraction(*data["fraction"]) if isinstance(data, dict) else data


@dataclass(frozen=True)
class PartRecord:
    """Everything shown of a verified part: its report, the checker's verdicts on its declared
    slips (plain data: answer, why, status, parsed, counterexample, diagnosis), its instance and
    the numbers of its demonstrations."""
    report: PartReport
    slips: tuple[Mapping[str, Any], ...] = ()
    instance: Instance | None = None
    worked: tuple[Worked, ...] = ()

    @property
    def part(self) -> Part:
        return self.report.part

    @property
    def outcome(self) -> str:
        return self.report.outcome

    def to_json(self) -> dict:
        """Everything of the record as data, read back by :meth:`from_json` (the build cache)."""
        instance = self.instance and {"equation": self.instance.equation, "sizes": dict(self.instance.sizes)}
        worked = [{"caption": w.caption, "columns": list(w.columns),
                   "rows": [[_cell_json(v) for v in row] for row in w.rows]} for w in self.worked]
        return {**self.report.to_json(printed=False), "slips": [dict(s) for s in self.slips],
                "instance": instance, "worked": worked}

    @classmethod
    def from_json(cls, part: Part, data: Mapping[str, Any]) -> "PartRecord":
        instance = data.get("instance")
        worked = tuple(Worked(w["caption"], tuple(w["columns"]), tuple(tuple(_cell(v) for v in row) for row in w["rows"]))
                       for w in data.get("worked", ()))
        return cls(PartReport.from_json(part, data), tuple(data.get("slips", ())),
                   Instance(instance["equation"], instance["sizes"]) if instance else None, worked)

    def _repr_html_(self) -> str:   # notebook display
        from ..render.notebook import record_html
        return record_html(self)
