"""What an audit of a written derivation found, as data: a report of chains of steps.

A chain is one line of reasoning in a display (``a = b = c``); its first term is where it
starts (status ``start``), and each later term is a step judged against the last term read
before it: ``proved``, ``wrong`` (with a counterexample and a diagnosis), ``unreadable``
(it could not be read; the chain goes on from the last term that was) or ``unchecked``
(read, but there is no route to judge it: prose, an expectation, an implication).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["AuditChain", "AuditReport", "AuditStep", "PROVED", "START", "STATUSES", "UNCHECKED",
           "UNREADABLE", "WRONG"]

START, PROVED, WRONG, UNREADABLE, UNCHECKED = "start", "proved", "wrong", "unreadable", "unchecked"
STATUSES = (START, PROVED, WRONG, UNREADABLE, UNCHECKED)


@dataclass(frozen=True)
class AuditStep:
    """One term of a chain: ``text`` as written, ``span`` its [start, end) in the document,
    ``relation`` to the term before (None for the first), and the judgement.
    ``follows_right_value`` is set on steps after a chain's first wrong one: whether the
    step equals the last right value (the slip was undone) rather than following from it."""
    index: int
    text: str
    span: tuple
    relation: str | None
    status: str
    message: str = ""
    counterexample: dict | None = None
    diagnosis: object = None        # a verdict.Diagnosis, or None
    understood: str | None = None   # the LaTeX the reader made of the term
    compared_with: int | None = None
    follows_right_value: bool | None = None

    def to_json(self) -> dict:
        out = asdict(self)
        out["span"] = list(self.span)
        out["diagnosis"] = self.diagnosis.to_json() if hasattr(self.diagnosis, "to_json") else self.diagnosis
        return out


@dataclass(frozen=True)
class AuditChain:
    """One chain of one display; ``first_wrong`` is the index of its first wrong step."""
    index: int
    display: int
    kind: str
    prose: str
    steps: tuple
    first_wrong: int | None = None
    summary: str = ""
    display_span: tuple = ()    # [start, end) of the display's body in the document

    def to_json(self) -> dict:
        return {"index": self.index, "display": self.display, "kind": self.kind, "prose": self.prose,
                "display_span": list(self.display_span),
                "first_wrong": self.first_wrong, "summary": self.summary,
                "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True)
class AuditReport:
    """Every chain, the document's first wrong step as (chain, step) and a one-line headline."""
    chains: tuple
    headline: str
    first_wrong: tuple | None = None
    part: str | None = None
    counts: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"headline": self.headline, "part": self.part,
                "first_wrong": list(self.first_wrong) if self.first_wrong else None,
                "counts": dict(self.counts), "chains": [c.to_json() for c in self.chains]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False, default=str)
