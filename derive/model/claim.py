"""A verified claim is data: what was claimed about a part, how it was checked, the outcome.

Outcomes, strongest first: proved, passed (a check with no proof attached), unproved-but-tested,
failed (the check itself could not run), refuted (with a counterexample). A check whose optional
library (JAX) is missing is skipped: it says so, and it never counts as passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .part import Part

PROVED, REFUTED, TESTED, FAILED, PASSED = "proved", "refuted", "unproved-but-tested", "failed", "passed"
SKIPPED = "skipped"
CLOSED_FORM_CLAIM = "the closed form equals the derived result"


@dataclass(frozen=True)
class Claim:
    """One checked statement about a part and how it came out."""
    part: str
    kind: str            # "closed form", "step", "numeric"
    statement: str       # what is claimed, in words or LaTeX
    outcome: str         # proved | refuted | unproved-but-tested | failed
    method: str
    sizes: tuple[str, ...] = ()
    cases: int = 0
    worst_error: float | None = None
    tolerance: float | None = None
    counterexample: Mapping[str, Any] | None = None
    seconds: float = 0.0
    detail: str = ""


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

    def _repr_html_(self) -> str:   # notebook display; rendering is reached only late
        from ..render.notebook import report_html
        return report_html(self)
