"""A variant for every student: ``variant(part_id, seed)`` draws the part's parameters from the
seed (a student id), verifies the drawn part like the original (proof, oracle, checks, the
declared slips judged by the checker) and redraws one that fails, saying so.

``check(part_id, answer, variant=seed)`` judges an answer against that variant's result.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Callable

from ..answers.serve.worker import check as _check
from ..errors import DeriveError, UnknownPart
from ..model import registry
from ..model.claim import FAILED, REFUTED, PartRecord
from ..model.parameters import checked_seed, variant_part
from ..model.part import Part
from ..model.verdict import Verdict
from .records import finish

ATTEMPTS = 5   # draws of a seed before giving up: each is verified, and a failing one is redrawn


@dataclass(frozen=True)
class Variant:
    """One student's variant of a part: the seed text, the drawn ``values``, the ``part`` made
    from them, its verified ``record`` (None when made with ``verify=False``), the ``attempt``
    it came from and why each earlier attempt was redrawn."""
    part_id: str
    seed: str
    values: dict
    part: Part
    record: PartRecord | None
    attempt: int = 0
    redrawn: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        return self.record.outcome if self.record else "unverified"

    def to_json(self) -> dict:
        return {"part": self.part_id, "seed": self.seed, "values": {k: str(v) for k, v in self.values.items()},
                "attempt": self.attempt, "redrawn": list(self.redrawn), "outcome": self.outcome}


_made: dict[tuple, Variant] = {}
_lock = threading.Lock()


def failure(record: PartRecord) -> str | None:
    """Why a verified variant cannot be used: a refuted or failed claim, or a declared slip the
    checker does not judge incorrect (at these numbers the slip may be right)."""
    if record.outcome in (REFUTED, FAILED):
        bad = [c for c in record.report.claims if c.outcome in (REFUTED, FAILED)]
        return f"{bad[0].kind} {bad[0].outcome}: {bad[0].detail}" if bad else record.outcome
    for slip in record.slips:
        if slip["status"] != "incorrect":
            return f"the slip {slip['answer']!r} is judged {slip['status']} at these numbers"
    return None


def variant(part_id: str, seed: str, *, verify: bool = True, budget: float = 10.0,
            cases: int | None = None, say: Callable[[str], None] | None = None) -> Variant:
    """The variant of ``part_id`` for ``seed`` (any text: a student id), the same on every machine.

    Verified like the original part before it is returned; an attempt that fails is redrawn
    (``Variant.redrawn`` says why, and ``say`` hears it). Raises UnknownPart, NotParametrised
    (a part without parameters), InvalidArgument (a seed that is not text).
    """
    seed = checked_seed(seed)
    part = registry.get_part(part_id) if isinstance(part_id, str) else part_id
    if not isinstance(part, Part):
        raise UnknownPart(repr(part_id), [p.id for p in registry.all_parts()])
    key = (part.id, id(part), seed, verify, budget, cases)
    with _lock:
        if key in _made:
            return _made[key]
    redrawn: list[str] = []
    for attempt in range(ATTEMPTS):
        drawn, values = variant_part(part, seed, attempt)
        if not verify:
            made = Variant(part.id, seed, values, drawn, None, attempt, tuple(redrawn))
            break
        record = finish(drawn, budget=budget, cases=cases)
        reason = failure(record)
        if reason is None:
            made = Variant(part.id, seed, values, drawn, record, attempt, tuple(redrawn))
            break
        note = f"{part.id} for seed {seed!r}: attempt {attempt} ({_values_text(values)}) failed verification ({reason}); redrawn"
        redrawn.append(note)
        (say or (lambda m: print(f"derive: {m}", file=sys.stderr)))(note)
    else:
        raise VariantFailed(f"{part.id} for seed {seed!r}: all {ATTEMPTS} attempts failed verification: "
                            + "; ".join(redrawn))
    with _lock:
        _made[key] = made
    return made


class VariantFailed(DeriveError, RuntimeError):
    """Every attempt at a seed's variant failed verification (a problem definition to fix)."""


def _values_text(values: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in values.items())


def check(part_id: str, answer: str, *, variant: str | None = None, syntax: str = "auto", seed: int = 0,
          timeout: float | None = 5.0) -> Verdict:
    """Check ``answer`` to ``part_id``; with ``variant`` (a seed such as a student id), against
    that student's verified variant of the part. Otherwise as :func:`derive.answers.serve.check`."""
    if variant is None:
        return _check(part_id, answer, syntax=syntax, seed=seed, timeout=timeout)
    made = globals()["variant"](part_id, variant)
    return _check(part_id, answer, syntax=syntax, seed=seed, timeout=timeout, variant=(made.seed, made.attempt))
