"""Independent NumPy oracles for expectations over random masks and Gaussian noise.

Nothing here uses SymPy or :mod:`derive.maths.expectation`: an expectation is computed from
the forward model alone, by

* exact enumeration of every 0/1 mask with its probability (``mask_expectation``),
* Gauss-Hermite quadrature on a tensor grid, exact for polynomials of the stated degree
  in each noise variable (``gauss_hermite_expectation``),
* Monte Carlo with a standard error, for sizes too large to enumerate
  (``monte_carlo_mean``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InvalidArgument

__all__ = ["MonteCarlo", "bernoulli_masks", "gauss_hermite_expectation", "generator_from",
           "mask_expectation", "monte_carlo_mean"]

MAX_ENUMERATED = 2**16  # masks or grid points; beyond this use Monte Carlo


def bernoulli_masks(p) -> tuple[np.ndarray, np.ndarray]:
    """Every 0/1 vector m of length len(p), as rows, with P(m) = prod p^m (1-p)^(1-m).

    >>> masks, probs = bernoulli_masks([0.5, 0.25])
    >>> masks.tolist(), probs.tolist()
    ([[0, 0], [0, 1], [1, 0], [1, 1]], [0.375, 0.125, 0.375, 0.125])
    """
    p = np.asarray(p, dtype=float).reshape(-1)
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise InvalidArgument(f"bernoulli_masks: keep probabilities {p.tolist()} must lie in [0, 1]")
    if 2 ** p.size > MAX_ENUMERATED:
        raise InvalidArgument(f"bernoulli_masks: 2^{p.size} masks exceed {MAX_ENUMERATED}; "
                              "use monte_carlo_mean for this size")
    masks = ((np.arange(2 ** p.size)[:, None] >> np.arange(p.size)[::-1]) & 1).astype(int)
    probs = np.prod(np.where(masks == 1, p, 1 - p), axis=1)
    return masks, probs


def mask_expectation(f: Callable[[np.ndarray], np.ndarray], p) -> np.ndarray:
    """E[f(m)] for independent m_i ~ Bernoulli(p_i), summing over all 2^n masks.

    ``f`` is vectorised: it maps the (2^n, n) array of masks to 2^n values (or arrays).

    >>> float(mask_expectation(lambda m: (m[:, 0] - m[:, 1]) ** 2, [0.5, 0.25]))
    0.5
    """
    masks, probs = bernoulli_masks(p)
    values = np.asarray(f(masks), dtype=float)
    if values.shape[:1] != probs.shape:
        raise InvalidArgument(f"mask_expectation: f returned shape {values.shape}; expected one value "
                              f"per mask, i.e. a leading axis of {probs.size}")
    return np.tensordot(probs, values, axes=1)


def gauss_hermite_expectation(f: Callable[[np.ndarray], float], mean, std, degree: int) -> float:
    """E[f(z)] for independent z_k ~ N(mean_k, std_k^2) on a tensor Gauss-Hermite grid.

    With ``degree // 2 + 1`` nodes per variable the rule is exact when f is a polynomial
    of degree <= ``degree`` in each z_k (an n-node rule integrates degree 2n - 1).
    ``f`` is vectorised: it maps a (G, n) array of points to G values.

    >>> round(gauss_hermite_expectation(lambda z: z[:, 0] ** 4, [0.0], [2.0], 4), 9)  # 3 sigma^4
    48.0
    """
    mean = np.asarray(mean, dtype=float).reshape(-1)
    std = np.broadcast_to(np.asarray(std, dtype=float), mean.shape)
    if not isinstance(degree, int) or degree < 0:
        raise InvalidArgument(f"gauss_hermite_expectation: degree={degree!r} must be an integer >= 0")
    nodes, weights = np.polynomial.hermite_e.hermegauss(degree // 2 + 1)
    weights = weights / math.sqrt(2 * math.pi)  # hermegauss integrates against exp(-z^2/2)
    if len(nodes) ** mean.size > MAX_ENUMERATED:
        raise InvalidArgument(f"gauss_hermite_expectation: {len(nodes)}^{mean.size} grid points exceed "
                              f"{MAX_ENUMERATED}; use monte_carlo_mean for this size")
    grid = np.stack(np.meshgrid(*([nodes] * mean.size), indexing="ij"), -1).reshape(-1, mean.size)
    grid_w = np.prod(np.stack(np.meshgrid(*([weights] * mean.size), indexing="ij"), -1)
                     .reshape(-1, mean.size), axis=1)
    values = np.asarray(f(mean + std * grid), dtype=float).reshape(-1)
    if values.size != grid_w.size:
        raise InvalidArgument(f"gauss_hermite_expectation: f returned {values.size} values for "
                              f"{grid_w.size} grid points")
    return float(grid_w @ values)


@dataclass(frozen=True)
class MonteCarlo:
    """A sample mean with its standard error; ``z(value)`` is the distance in standard errors."""
    mean: float
    standard_error: float
    samples: int

    @classmethod
    def from_samples(cls, values) -> "MonteCarlo":
        """The mean of drawn values with its standard error s / sqrt(n) (s with n - 1)."""
        values = np.asarray(values, dtype=float).reshape(-1)
        if values.size < 2:
            raise InvalidArgument(f"MonteCarlo.from_samples: {values.size} values; a standard error needs >= 2")
        return cls(float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size)), values.size)

    def z(self, value: float) -> float:
        gap = abs(self.mean - value)
        if self.standard_error == 0:
            return 0.0 if gap <= 1e-12 * max(1.0, abs(value)) else math.inf
        return gap / self.standard_error


def monte_carlo_mean(draw: Callable[[np.random.Generator, int], np.ndarray], rng: np.random.Generator,
                     samples: int, batch: int = 4096) -> MonteCarlo:
    """Mean of ``draw(rng, k)`` (k independent values per call) over ``samples`` draws."""
    if not isinstance(rng, np.random.Generator):
        raise InvalidArgument("monte_carlo_mean: pass a seeded numpy.random.Generator, not "
                              f"{type(rng).__name__}")
    if not isinstance(samples, int) or samples < 2:
        raise InvalidArgument(f"monte_carlo_mean: samples={samples!r} must be an integer >= 2")
    total = total_sq = 0.0
    done, shift = 0, None
    while done < samples:
        k = min(batch, samples - done)
        values = np.asarray(draw(rng, k), dtype=float).reshape(k)
        if shift is None:  # shifted sums keep the variance accurate when mean >> spread
            shift = float(values[0])
        total += (values - shift).sum()
        total_sq += np.square(values - shift).sum()
        done += k
    centred = total / samples
    var = max(total_sq / samples - centred**2, 0.0) * samples / (samples - 1)
    return MonteCarlo(shift + centred, math.sqrt(var / samples), samples)


def generator_from(values) -> np.random.Generator:
    """A Generator seeded from a case's sampled values (a name -> number or array map), so
    an oracle that draws is reproducible from the case alone."""
    return np.random.default_rng([int(abs(float(np.sum(v))) * 1e6) % 2 ** 32 for v in values.values()])
