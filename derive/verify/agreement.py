"""A worked example's numbers, name by name, against an independent float64 computation.

``engine()`` gives the engine's numbers (SymPy, 30 digits) and ``reference()`` the same names
computed another way (a hand-written NumPy backward pass, finite differences, JAX autodiff).
It goes in ``Part.checks``. A reference that needs a missing optional library raises
:class:`~derive.errors.MissingLibrary` and the claim is "skipped", never passed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ..model.claim import FAILED, PASSED, REFUTED, Claim
from .numeric import scaled_error
from ..errors import MissingLibrary
from .optional import SKIPPED

__all__ = ["AgreementCheck"]


@dataclass(frozen=True)
class AgreementCheck:
    statement: str
    engine: Callable[[], Mapping[str, float]]
    reference: Callable[[], Mapping[str, float]]
    method: str
    tolerance: float
    tolerance_reason: str

    def run(self, part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()

        def claim(outcome, **kw):
            return Claim(part.id, "worked", self.statement, outcome, self.method, tolerance=self.tolerance,
                         seconds=time.perf_counter() - started, detail=kw.pop("detail", self.tolerance_reason), **kw)
        try:
            theirs = dict(self.reference())
            ours = dict(self.engine())
        except MissingLibrary as missing:
            return claim(SKIPPED, detail=f"skipped: {missing}")
        except Exception as exc:   # a crash of either side is a failure, reported with what it said
            return claim(FAILED, counterexample={"exception": f"{type(exc).__name__}: {exc}"},
                         detail=f"{type(exc).__name__}: {exc}")
        if set(ours) != set(theirs):
            return claim(FAILED, counterexample={"engine only": sorted(set(ours) - set(theirs)),
                                                 "reference only": sorted(set(theirs) - set(ours))},
                         detail="the engine and the reference computed different quantities")
        worst, failing = 0.0, None
        for name in ours:
            error = scaled_error(np.asarray(float(ours[name])), np.asarray(theirs[name], dtype=float))
            if error > self.tolerance and failing is None:
                failing = {"quantity": name, "engine": float(ours[name]), "reference": float(theirs[name]),
                           "error": error}
            worst = max(worst, error)
        return claim(REFUTED if failing else PASSED, cases=len(ours), worst_error=worst, counterexample=failing)
