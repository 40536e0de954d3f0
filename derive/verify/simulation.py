"""Claims checked by direct simulation on Hypothesis-generated cases.

Some results are about what an algorithm does rather than what a formula equals:
gradient descent converges below a step bound and diverges above it, Adam's corrected
moment estimates are unbiased. A :class:`Simulation` draws cases with a Hypothesis
strategy, runs an independent NumPy simulation for each, and compares it with the part's
closed form (evaluated through :func:`closed_form`). A part lists it in ``Part.checks``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, seed as hypothesis_seed
from hypothesis import strategies as st

from ..errors import SimulationMismatch
from ..model.claim import FAILED, PASSED, REFUTED, Claim
from .claims import _Numeric

__all__ = ["Simulation", "at_values", "closed_form"]


def closed_form(part, formula, sizes: Mapping[str, int], values: Mapping[str, Any]) -> np.ndarray:
    """A formula of the part (e.g. ``part.result``) evaluated in float64 at explicit sizes."""
    hit = _CACHE.get(id(part))
    if hit is None or hit[0] is not part:  # the cache keeps the part alive, so ids stay unique
        hit = _CACHE[id(part)] = (part, _Numeric(part))
    return hit[1].evaluate(formula, dict(sizes), values)


def at_values(part, formula, sizes: Mapping[str, int], values: Mapping[str, Any]):
    """A formula evaluated in SymPy with every variable replaced by its number first.

    For formulas whose symbolic expansion would be huge (a symbolic matrix to the 30th
    power), substituting numbers before the algebra keeps the cost to a few matrix products.
    """
    import sympy as sp
    ns = part.namespace(sizes)
    for var in part.variables:
        x = np.asarray(values[var.name], dtype=float)
        ns.objects[var.name] = (sp.Matrix(x.reshape(x.shape[0], -1)) if var.shape
                                else sp.Float(float(x)))
    return formula(ns)


_CACHE: dict[int, Any] = {}


@dataclass(frozen=True)
class Simulation:
    """A claim about a part checked by simulation.

    ``strategy()`` builds the Hypothesis strategy of one case; ``check(part, case)``
    simulates it and returns ``(error, record)``: the disagreement with the claim (0 for
    full agreement of a yes/no property) and what to report if it exceeds ``tolerance``.
    """
    statement: str
    strategy: Callable[[], st.SearchStrategy]
    check: Callable[[Any, Any], tuple[float, dict]]
    method: str
    tolerance: float
    tolerance_reason: str
    cases: int = 40

    def run(self, part, seed: int = 0, cases: int | None = None):
        started = time.perf_counter()
        stats: dict = {"cases": 0, "worst": 0.0, "failing": None}

        @hypothesis_seed(seed)
        @settings(max_examples=cases or self.cases, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
                  report_multiple_bugs=False, verbosity=Verbosity.quiet)
        @given(case=self.strategy())
        def holds(case):
            try:
                with np.errstate(all="ignore"):
                    error, record = self.check(part, case)
            except Exception as exc:  # a crash is a failed case, reported with its input
                stats["failing"] = {"case": _plain(case), "error": float("inf"),
                                    "exception": f"{type(exc).__name__}: {exc}"}
                raise SimulationMismatch(str(exc)) from exc
            stats["cases"] += 1
            if error <= self.tolerance:
                stats["worst"] = max(stats["worst"], float(error))
                return
            stats["failing"] = {**_plain(record), "error": float(error)}
            raise SimulationMismatch(f"{part.id}: {self.statement}: error {error:.3g} > {self.tolerance:g} "
                           f"at {stats['failing']}")

        try:
            holds()
            outcome, counter = PASSED, None
        except SimulationMismatch:
            counter = stats["failing"]
            outcome = FAILED if "exception" in counter else REFUTED
        return Claim(part.id, "simulation", self.statement, outcome, self.method, (),
                     cases=stats["cases"], worst_error=stats["worst"] if counter is None else counter["error"],
                     tolerance=self.tolerance, counterexample=counter,
                     seconds=time.perf_counter() - started, detail=self.tolerance_reason)


def _plain(x):
    """A readable, JSON-friendly copy of a case or record (arrays rounded to lists)."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return np.round(x, 6).tolist() if x.size <= 16 else f"array of shape {x.shape}"
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x
