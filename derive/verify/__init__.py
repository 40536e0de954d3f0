"""Checking a part: proofs at explicit sizes, claims, numeric and random oracles, simulation, the cache.
May import derive.maths, derive.model and derive.errors; never render, answers or cli."""
from ..model.claim import FAILED, PASSED, PROVED, REFUTED, TESTED, Claim, PartReport
from .claims import verify_part

__all__ = ["FAILED", "PASSED", "PROVED", "REFUTED", "TESTED", "Claim", "PartReport", "verify_part"]
