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
from .numeric import FD_RTOL, FD_TOLERANCE_REASON, scaled_error
from ..errors import MissingLibrary
from .optional import SKIPPED

__all__ = ["AgreementCheck", "gradient_agreement"]


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


def gradient_agreement(engine: Callable[[], Mapping[str, float]], reference: Callable[[str], Mapping[str, float]],
                       what: str) -> tuple[AgreementCheck, ...]:
    """A worked backpropagation's numbers against three independent float64 computations:
    ``reference(how)`` for how in "numpy" (a hand-written backward pass), "differences" (central
    finite differences of a NumPy forward pass) and "jax" (reverse-mode autodiff)."""
    float64 = (r"float64 arithmetic over a few steps of $O(1)$ numbers errs by $\approx 10^{-15}$; $10^{-12}$ "
               "leaves a thousandfold margin, while a wrong gradient errs in the third digit or earlier")
    return (
        AgreementCheck(f"{what} agree with a hand-written NumPy forward and backward pass",
                       engine, lambda: reference("numpy"), "NumPy backprop, float64", 1e-12, float64),
        AgreementCheck(f"{what} agree with central finite differences of a NumPy forward pass",
                       engine, lambda: reference("differences"), "central finite differences of the NumPy forward pass",
                       FD_RTOL, FD_TOLERANCE_REASON),
        AgreementCheck(f"{what} agree with JAX reverse-mode autodiff", engine, lambda: reference("jax"),
                       "``jax.grad`` in float64", 1e-12, float64),
    )
