"""Independent numeric oracles and error measures, in float64 NumPy.

Finite differences here differentiate a NumPy forward pass, never a SymPy expression,
so they check the derivation rather than repeat it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

# Central differences have truncation error O(h^2 f''') and round-off O(eps f / h);
# h = eps^(1/3) * max(1, |x|) balances them, giving errors near eps^(2/3) ~ 4e-11 for
# functions whose derivatives are O(1).
FD_STEP = np.finfo(float).eps ** (1 / 3)
FD_RTOL = 1e-6
FD_TOLERANCE_REASON = (r"central differences with $h = \varepsilon^{1/3}\max(1, |x|)$ err by about "
                       r"$\varepsilon^{2/3} \approx 4 \times 10^{-11}$ on these smooth $O(1)$ functions in "
                       r"float64; $10^{-6}$ leaves four orders of margin, while a wrong sign, factor or "
                       r"term errs by $O(1)$")


def central_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """J[i, j] = d f_i / d x_j by central differences (f maps an array to an array)."""
    x = np.asarray(x, dtype=float)
    flat = x.reshape(-1)
    out0 = np.asarray(f(x), dtype=float).reshape(-1)
    jac = np.empty((out0.size, flat.size))
    for j in range(flat.size):
        h = FD_STEP * max(1.0, abs(flat[j]))
        up, down = flat.copy(), flat.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (np.asarray(f(up.reshape(x.shape)), dtype=float).reshape(-1)
                     - np.asarray(f(down.reshape(x.shape)), dtype=float).reshape(-1)) / (2 * h)
    return jac


def central_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar function, shaped like x."""
    x = np.asarray(x, dtype=float)
    return central_jacobian(lambda u: np.atleast_1d(f(u)), x).reshape(x.shape)


def central_derivative(f: Callable, x):
    """df/dx at a point or, for a vectorised f, at each point of an array."""
    h = FD_STEP * np.maximum(1.0, np.abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


def scaled_error(value, reference) -> float:
    """max |value - reference| / max(1, max |reference|).

    Relative for references above 1 and absolute below, so tiny true values (a softmax
    Jacobian entry near 0) do not turn round-off into a huge relative error.
    """
    value = np.asarray(value, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if value.shape != reference.shape:
        value = value.reshape(reference.shape) if value.size == reference.size else value
    if value.shape != reference.shape:
        return float("inf")
    if not np.all(np.isfinite(value)) or not np.all(np.isfinite(reference)):
        return 0.0 if np.array_equal(value, reference, equal_nan=True) else float("inf")
    scale = max(1.0, float(np.max(np.abs(reference))) if reference.size else 1.0)
    return float(np.max(np.abs(value - reference)) / scale) if reference.size else 0.0


def softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable softmax along the last axis."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def real_factorial(x):
    """x! = Gamma(x + 1) at every real x (a float array); nan at the negative whole numbers,
    where Gamma has its poles, and inf past the floats."""
    import math

    def one(v):
        try:
            return math.gamma(v + 1.0)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan
    return np.vectorize(one, otypes=[float])(np.asarray(x, dtype=float))


def real_binomial(n, k):
    """binomial(n, k) at real n, k (a float array): a polynomial in n for a whole k, as
    SymPy's and mpmath's binomial (binomial(-10, 2) = 55), else Gamma's ratio."""
    import math

    def one(a, b):
        if b == int(b) and b <= 170:
            out = 0.0 if b < 0 else 1.0
            for j in range(max(int(b), 0)):
                out *= (a - j) / (j + 1)
            return out
        try:
            return math.gamma(a + 1.0) / (math.gamma(b + 1.0) * math.gamma(a - b + 1.0))
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan
    return np.vectorize(one, otypes=[float])(np.asarray(n, dtype=float), np.asarray(k, dtype=float))


# How lambdify evaluates derive's own SymPy functions in NumPy (and factorials of symbols).
NUMPY_FUNCTIONS = {"sigma": sigmoid, "relu": relu, "factorial": real_factorial, "binomial": real_binomial}


def compile_numpy(symbols, expr):
    """A float64 NumPy function of ``symbols`` computing the engine-built SymPy ``expr``.

    The one place that says how derive's own functions (sigma, relu) become NumPy. Symbols
    named like X_{1,2} are not Python identifiers; they are renamed to plain ones first, in one
    xreplace (lambdify's ``dummify`` would rewrite the whole expression once per symbol).
    """
    import sympy as sp
    if not all(type(s) is sp.Symbol for s in symbols):  # matrix symbols keep their own names
        return sp.lambdify(symbols, expr, modules=[NUMPY_FUNCTIONS, "numpy"], dummify=True)
    plain = [sp.Symbol(f"_x{k}") for k in range(len(symbols))]
    rename = dict(zip(symbols, plain))

    def renamed(e):
        if isinstance(e, (list, tuple)):
            return type(e)(renamed(x) for x in e)
        return e.xreplace(rename) if hasattr(e, "xreplace") else e

    return sp.lambdify(plain, renamed(expr), modules=[NUMPY_FUNCTIONS, "numpy"], dummify=False)
