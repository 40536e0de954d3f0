"""The two common shapes of a part's independent NumPy oracle, with the tolerance each earns:
central differences of a NumPy function (the check of a gradient part, at the tolerance of
:mod:`derive.verify.numeric`), and a direct float64 evaluation of a few operations.

A differentiated function here receives the sampled values ``x`` (a dict, name -> array) and the oracle moves
one of them: ``gradient_in("w", loss)`` differentiates ``loss({**x, "w": u})`` in ``u`` at
``u = x["w"]``, so the NumPy loss is written once, as a function of every sampled value.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ..model.part import Oracle
from .numeric import FD_RTOL, FD_TOLERANCE_REASON, central_derivative, central_gradient, central_jacobian
# The NumPy forms of the notation's functions, for oracles and variables' numeric definitions.
from .numeric import sigmoid, softmax

__all__ = ["FEW_OPERATIONS", "derivative_in", "differences", "direct", "gradient_in", "jacobian_of", "largest_slope",
           "sigmoid", "softmax"]

Values = Mapping[str, Any]


def differences(reference: Callable[[Values], Any], method: str) -> Oracle:
    """An oracle computed by central differences, with their tolerance and its reason."""
    return Oracle(reference, method, FD_RTOL, FD_TOLERANCE_REASON)


def gradient_in(wrt: str, f: Callable[[Values], float], method: str) -> Oracle:
    """The gradient of the scalar ``f`` in the sampled value ``wrt`` (any shape)."""
    return differences(lambda x: central_gradient(lambda u: f({**x, wrt: u}), x[wrt]), method)


def derivative_in(wrt: str, f: Callable[[Values], float], method: str) -> Oracle:
    """The derivative of the scalar ``f`` in the scalar sampled value ``wrt``."""
    return differences(lambda x: central_derivative(lambda u: f({**x, wrt: u}), x[wrt]), method)


def jacobian_of(wrt: str, f: Callable, method: str) -> Oracle:
    """The Jacobian of the array function ``f`` of the one sampled value ``wrt``."""
    return differences(lambda x: central_jacobian(f, x[wrt]), method)


FEW_OPERATIONS = "a few float64 operations on $O(1)$ numbers"


def direct(reference: Callable[[Values], Any], method: str, operations: str = FEW_OPERATIONS) -> Oracle:
    """An oracle that evaluates the quantity itself in float64 by ``operations`` (inline text):
    a handful of roundings of about 1e-16 each, so 1e-12 relative leaves wide margin."""
    return Oracle(reference, method, 1e-12, rf"{operations}: error about $10^{{-15}}$")


def largest_slope(f: Callable, lo: float, hi: float, points: int) -> float:
    """The largest central-difference slope of the vectorised NumPy ``f`` on an even grid."""
    return float(np.max(central_derivative(f, np.linspace(lo, hi, points))))
