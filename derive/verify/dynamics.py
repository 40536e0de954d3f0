"""Iterative methods run in plain NumPy, and what they are observed to do.

The independent oracles for claims about algorithms: gradient descent and damped Newton
on a quadratic with a chosen spectrum, exponential moving averages, and a classifier of
a run by its per-eigenmode rates (converges, diverges, neither). Nothing here derives
anything; :func:`step_bound_check` only reads a part's claimed step-size set to decide
where to probe it. The SymPy side is :mod:`derive.maths.quadratics`.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from ..maths.inequalities import solution_set_at

__all__ = ["CONVERGES", "DIVERGES", "OSCILLATES", "STALLS", "STEPS", "TAU", "Quadratic",
           "behaviour", "best_constant_step", "claimed_interval", "converges", "damped_newton",
           "gradient_descent", "moving_average", "probes", "random_quadratic", "run",
           "spd_with_spectrum", "start_in_every_mode", "step_bound_check", "step_bound_strategy"]

CONVERGES, DIVERGES = "converges", "diverges"
STALLS, OSCILLATES = "no decay, no growth", "oscillates without decay"

STEPS = 200
# Per-mode rates are measured to ~1e-13 after 200 float64 steps; the closest probe to a
# boundary moves the slowest mode's rate by at least 4e-5 (kappa <= 1000, 2% margin).
TAU = 1e-9


# ----------------------------------------------------------------------------- the methods
def spd_with_spectrum(rng: np.random.Generator, n: int, lam_min: float, lam_max: float):
    """A random SPD matrix with extreme eigenvalues lam_min and lam_max (n >= 2; lam_max
    alone for n = 1), and its eigenbasis."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    inner = rng.uniform(lam_min, lam_max, max(n - 2, 0))
    lam = np.sort(np.concatenate([[lam_min, lam_max], inner]))[-n:]
    return (q * lam) @ q.T, q


def start_in_every_mode(rng: np.random.Generator, q: np.ndarray) -> np.ndarray:
    """A start whose coordinate on every eigenvector (column of q) has size 0.5..1.5 and a
    random sign, so no mode is missing from a run and every mode's rate is observable."""
    n = q.shape[1]
    return q @ (rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.5, n))


def gradient_descent(h: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """One step w - eps grad f(w) on f(w) = 1/2 w^T H w."""
    return w - eps * (h @ w)


def damped_newton(h: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """One step w - eps H^{-1} grad f(w), with H^{-1} applied by a linear solve."""
    return w - eps * np.linalg.solve(h, h @ w)


def run(update: Callable, h: np.ndarray, w_0: np.ndarray, eps: float, steps: int) -> np.ndarray:
    """The iterates w_0, w_1, ..., w_steps of ``update(h, w, eps)``, as rows."""
    path = [w_0]
    for _ in range(steps):
        path.append(update(h, path[-1], eps))
    return np.array(path)


def moving_average(x, b: float) -> np.ndarray:
    """m_k = b m_{k-1} + (1 - b) x_k from m_0 = 0 along the last axis: every m_1, m_2, ...

    >>> moving_average([1.0, 1.0], 0.5).tolist()
    [0.5, 0.75]
    """
    x = np.asarray(x, dtype=float)
    out, m = np.empty_like(x), 0.0
    for k in range(x.shape[-1]):
        m = b * m + (1 - b) * x[..., k]
        out[..., k] = m
    return out


# ----------------------------------------------------------------------------- what a run does
def behaviour(update: Callable, h: np.ndarray, q: np.ndarray, w_0: np.ndarray, eps: float):
    """Run the iteration; classify it by its observed per-eigenmode rates |c_T / c_0|^(1/T).

    Returns (label, worst rate): CONVERGES, DIVERGES, STALLS (the slowest mode keeps its
    size and sign) or OSCILLATES (it keeps its size and flips sign every step).
    """
    w, previous, c_0 = w_0, w_0, q.T @ w_0
    steps = 0
    for steps in range(1, STEPS + 1):
        previous, w = w, update(h, w, eps)
        if not np.all(np.isfinite(w)) or np.linalg.norm(w) > 1e100:
            return DIVERGES, float("inf")
    c, c_prev = q.T @ w, q.T @ previous
    rates = np.abs(c / c_0) ** (1 / steps)
    top = int(np.argmax(rates))
    worst = float(rates[top])
    if abs(worst - 1) <= TAU:
        return (OSCILLATES if c[top] * c_prev[top] < 0 else STALLS), worst
    return (CONVERGES if worst < 1 else DIVERGES), worst


def converges(update: Callable, h: np.ndarray, eps: float, rng: np.random.Generator) -> bool:
    """Whether the iteration at step size eps converges on h from a start in every mode."""
    _, q = np.linalg.eigh(h)
    return behaviour(update, h, q, start_in_every_mode(rng, q), eps)[0] == CONVERGES


def best_constant_step(lam: np.ndarray, iterations: int = 200) -> float:
    """The eps minimising max_i |1 - eps lam_i| over 0 < eps < 2 / min(lam), by ternary search
    (the objective is convex; 200 iterations shrink the bracket below float64 resolution)."""
    lo, hi = 0.0, 2.0 / lam.min()
    for _ in range(iterations):
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if np.max(np.abs(1 - a * lam)) < np.max(np.abs(1 - b * lam)):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


# ----------------------------------------------------------------------------- step-size bounds
class Quadratic(NamedTuple):
    """A random quadratic test problem: H with extreme eigenvalues lmin, lmax, its
    eigenbasis q and a start w_0 in every mode."""
    n: int
    lmin: float
    lmax: float
    h: np.ndarray
    q: np.ndarray
    w_0: np.ndarray


def step_bound_strategy() -> st.SearchStrategy:
    """Cases (n, log10 kappa, log10 lambda_max, seed): n in 2..8, condition number
    10^0.3 ~ 2 .. 1000, lambda_max 0.1..100."""
    return st.tuples(st.integers(2, 8), st.floats(0.3, 3.0), st.floats(-1.0, 2.0), st.integers(0, 2 ** 32 - 1))


def random_quadratic(case) -> Quadratic:
    """The quadratic a :func:`step_bound_strategy` case describes."""
    n, log_kappa, log_lmax, seed = case
    rng = np.random.default_rng(seed)
    lmax = 10.0 ** log_lmax
    lmin = lmax / 10.0 ** log_kappa
    h, q = spd_with_spectrum(rng, n, lmin, lmax)
    return Quadratic(n, lmin, lmax, h, q, start_in_every_mode(rng, q))


def claimed_interval(part, point: Mapping[str, float], step: str = "eps") -> sp.Set:
    """The part's claimed set of step sizes with its other variables at the numbers
    ``point`` (names not in the part are ignored)."""
    ns = part.namespace(part.proof_sizes()[0])
    scalars = {ns.objects[k]: v for k, v in point.items() if k in ns.objects}
    claim = part.result(ns).xreplace(ns.definitions()) if ns.definitions() else part.result(ns)
    return solution_set_at(claim, ns.objects[step], scalars)


def _bounded(claimed) -> bool:
    return isinstance(claimed, sp.Interval) and claimed.inf.is_finite and claimed.sup.is_finite


def probes(claimed: sp.Set, scale: float) -> list[tuple[float, str]]:
    """(step size, behaviour the claim implies): just inside, on and just outside each end
    of a bounded claimed interval; otherwise a grid of multiples of ``scale``."""
    if _bounded(claimed):
        lo, hi = float(claimed.inf), float(claimed.sup)
        width = hi - lo
        # At the lower end eps = 0 nothing moves; at the upper end 1 - eps lambda_max = -1.
        return [(lo, STALLS), (hi, OSCILLATES), (lo - 0.02 * width, DIVERGES), (hi + 0.02 * width, DIVERGES),
                (lo + 0.02 * width, CONVERGES), ((lo + hi) / 2, CONVERGES), (hi - 0.02 * width, CONVERGES)]
    grid = scale * np.array([-0.5, 0.25, 0.5, 0.98, 1.02, 1.5, 3.0])
    return [(float(e), CONVERGES if claimed.contains(sp.Rational(float(e))) is sp.true else DIVERGES)
            for e in grid]


def step_bound_check(update: Callable, point: Callable[[float, float], dict]):
    """A :class:`derive.verify.simulation.Simulation` check: run ``update`` on the case's random
    quadratic at the :func:`probes` of the claimed step-size set and compare behaviours.

    ``point(lmin, lmax)`` maps the extreme eigenvalues to the part's variables.
    Error 1 with the first disagreeing probe as the record, else 0.
    """
    def check(part, case):
        n, lmin, lmax, h, q, w_0 = random_quadratic(case)
        claimed = claimed_interval(part, point(lmin, lmax))
        shown = str(claimed)
        if _bounded(claimed):
            left, right = ("(" if claimed.left_open else "["), (")" if claimed.right_open else "]")
            shown = f"{left}{float(claimed.inf):.6g}, {float(claimed.sup):.6g}{right}"
        record = {"n": n, "lambda_min": lmin, "lambda_max": lmax, "claimed set": shown}
        found = probes(claimed, 2 / lmax)
        for eps, expected in found:
            observed, rate = behaviour(update, h, q, w_0, eps)
            if observed != expected:
                return 1.0, {**record, "counterexample step size eps": eps, "claim says": expected,
                             "simulation shows": observed, "worst mode rate": rate}
        return 0.0, {**record, "probes": len(found)}
    return check
