"""A counterexample made simple before it is shown, as Hypothesis shrinks a failing case:
each free entry in turn set to the first of 0, 1, -1, 2, 1/2, -2, 3 (within its domain) at
which the answer still differs visibly, so a student reads g = (1, 0), gamma = 1 rather
than seven-digit decimals.

Candidates are tried in float64, all values of one entry in one vectorised evaluation (a
few milliseconds in all); the final point is then confirmed in high precision, and the
original counterexample is kept if it is not, so shrinking never weakens a verdict.
"""
from __future__ import annotations

import time

import mpmath
import numpy as np

from .equivalence import Batch, scaled_errors, stack_points
from .points import movable, with_entry
from .precision import DIFFERENT, Decision, decide

__all__ = ["shrunk"]

SIMPLE_VALUES = (0, 1, -1, 2, 0.5, -2, 3)   # 0.5 is exact in binary
VISIBLE = 1e-3            # a float difference this large is no rounding artefact
BUDGET = 0.02             # seconds of float evaluations per counterexample


def shrunk(answer, tgt, precise_target, point: dict, sizes: dict, decision: Decision) -> tuple[dict, Decision]:
    """(the simpler point, its confirmed decision), or the given ones."""
    if decision.error is None or mpmath.isinf(decision.error) or decision.error <= VISIBLE:
        return point, decision
    part = tgt.part
    deadline = time.monotonic() + BUDGET
    start = point
    for var in part.variables:
        if not movable(var):
            continue
        for k in range(int(np.size(point[var.name]))):
            if time.monotonic() > deadline:
                break
            current = np.asarray(point[var.name], dtype=object).reshape(-1)[k]
            values = []
            for value in SIMPLE_VALUES:
                if current == value:
                    break   # already as simple as the rest
                values.append(value)
            candidates = [c for c in (_candidate(part, point, var, k, v) for v in values) if c is not None]
            chosen = _first_visible(answer, tgt, sizes, candidates)
            if chosen is not None:
                point = chosen
    if point is start:
        return start, decision
    try:
        confirmed = decide(answer, precise_target, point, sizes, budget=0.2)
    except Exception:   # a point the precise pass cannot build: keep the original
        return start, decision
    if confirmed.status == DIFFERENT and not mpmath.isinf(confirmed.error) and confirmed.error > VISIBLE:
        return point, confirmed
    return start, decision


def _candidate(part, point, var, k, value):
    try:
        with np.errstate(all="ignore"):
            return with_entry(part, point, var, k, value)
    except Exception:   # a defined variable that cannot be recomputed there: no candidate
        return None


def _first_visible(answer, tgt, sizes, candidates):
    """The first candidate where the answer differs visibly in float64, or None."""
    if not candidates:
        return None
    try:
        with np.errstate(all="ignore"):   # a candidate may divide by zero: it is then not taken
            batch = Batch(dict(sizes), candidates, stack_points(tgt.vocab, candidates))
            expected = tgt.evaluate(sizes, candidates)
            got = answer.evaluate_batch(batch.arrays, batch.sizes)
            got = np.broadcast_to(got, (len(candidates),) + np.shape(got)[1:])
            errors = scaled_errors(got, expected)
    except Exception:   # candidates the float pass cannot evaluate are simply not taken
        return None
    for candidate, error in zip(candidates, errors):
        if np.isfinite(error) and error > VISIBLE:
            return candidate
    return None
