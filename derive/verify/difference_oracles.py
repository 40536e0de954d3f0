"""Oracles by central differences of an independent NumPy function: the common check of a
gradient part, at the tolerance finite differences earn (:mod:`derive.verify.numeric`).

A function here receives the sampled values ``x`` (a dict, name -> array) and the oracle moves
one of them: ``gradient_in("w", loss)`` differentiates ``loss({**x, "w": u})`` in ``u`` at
``u = x["w"]``, so the NumPy loss is written once, as a function of every sampled value.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..model.part import Oracle
from .numeric import FD_RTOL, FD_TOLERANCE_REASON, central_derivative, central_gradient, central_jacobian

__all__ = ["derivative_in", "differences", "gradient_in", "jacobian_of"]

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
