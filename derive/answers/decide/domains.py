"""Domains both ways: over real variables, an answer defined where the expected expression
is not, on a set of positive measure, is not equal to it (`x` is not `sqrt(x)^2`: the
expected value has no real value at x = -1, the answer has).

The sampler draws points inside the expected expression's domain only (Derivation.defined),
so this looks where it does not draw: raw random points of the variables' domains at which
the expected expression, evaluated as written in real arithmetic (SymPy may already have
simplified its result: sqrt(x)^2 is x), is undefined. A random point hits such a set only if
it has positive measure; the witness is confirmed at 60 digits on both sides.
"""
from __future__ import annotations

import numpy as np

from .precision import precise_value

__all__ = ["defined_beyond", "expected_undefined"]

DRAWS = 48


def defined_beyond(answer, part, seed: int) -> dict | None:
    """A point where the answer has a real value and the expected expression has none
    ({"point": ..., "value": ...}), or None."""
    expression = getattr(part.derivation.defined, "expression", None)
    if expression is None or part.sizes:
        return None
    if any(dict(v.domain.assumptions).get("integer") for v in part.variables):
        return None   # a whole-number variable's excluded configurations are points, not regions
    rng = np.random.default_rng(seed + 1009)
    for _ in range(DRAWS):
        point = part.draw(rng, {})
        if part.derivation.defined(point):
            continue
        if precise_value(expression, point, {}) is not None:
            continue   # defined after all, in exact arithmetic: not a witness
        value = precise_value(answer, point, {})
        if value is not None:
            return {"point": point, "value": value}
    return None


def expected_undefined(part, point: dict) -> bool:
    """The expected expression, as written, has no real value at this point (sqrt(x - 3)
    sqrt(x - 5) at x = -10, which SymPy's complex arithmetic would call -13.96)."""
    expression = getattr(part.derivation.defined, "expression", None)
    return expression is not None and not part.sizes and precise_value(expression, point, {}) is None
