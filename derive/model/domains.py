"""Where a variable lives: how to sample it, what SymPy may assume, which constraint
a proof may use. Each domain is a small class with a description for sheets and
error messages (in the manner of sympy.stats distributions).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class Domain:
    description: str = "real"
    assumptions: tuple[tuple[str, bool], ...] = (("real", True),)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        # Entries spread over two orders of magnitude so a check does not only see O(1) values.
        return rng.normal(size=shape) * 10 ** rng.uniform(-1, 0.5)

    def constraint(self, entries: sp.Matrix) -> dict:
        """A substitution that encodes the domain's equality constraint (none by default)."""
        return {}

    # The entries sum to 1 (a proof with sizes symbolic may use it; `constraint` says the
    # same at explicit sizes).
    sums_to_one = False


@dataclass(frozen=True)
class Real(Domain):
    pass


@dataclass(frozen=True)
class Positive(Domain):
    description: str = "positive"
    assumptions: tuple = (("positive", True),)

    def sample(self, rng, shape):
        return rng.uniform(0.05, 3.0, size=shape)


@dataclass(frozen=True)
class Interval(Domain):
    """An open interval (low, high), e.g. a keep probability 0 < p < 1."""
    low: float = 0.0
    high: float = 1.0
    description: str = "0 < p < 1"
    assumptions: tuple = (("positive", True),)

    def sample(self, rng, shape):
        span = self.high - self.low
        return self.low + span * rng.uniform(0.02, 0.98, size=shape)


@dataclass(frozen=True)
class Simplex(Domain):
    """Positive entries summing to 1 (a softmax output)."""
    description: str = "on the probability simplex (positive entries, sum 1)"
    assumptions: tuple = (("positive", True),)

    def sample(self, rng, shape):
        z = rng.normal(scale=2.0, size=shape)
        e = np.exp(z - z.max())
        return e / e.sum()

    sums_to_one = True

    def constraint(self, entries):
        *rest, last = list(entries)
        return {last: 1 - sum(rest)}


@dataclass(frozen=True)
class OneHot(Domain):
    """A one-hot label vector: one entry 1, the rest 0 (so the entries sum to 1)."""
    description: str = "one-hot (one entry 1, others 0; sum 1)"
    assumptions: tuple = (("real", True),)

    def sample(self, rng, shape):
        y = np.zeros(shape)
        y.flat[rng.integers(y.size)] = 1.0
        return y

    sums_to_one = True

    def constraint(self, entries):
        # Proofs may use only sum(y) = 1, which every one-hot vector satisfies; a proof
        # under this weaker assumption holds a fortiori for one-hot y.
        *rest, last = list(entries)
        return {last: 1 - sum(rest)}


@dataclass(frozen=True)
class SymmetricPositiveDefinite(Domain):
    description: str = "symmetric positive definite"
    assumptions: tuple = (("real", True),)

    def sample(self, rng, shape):
        n = shape[0]
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        eig = np.exp(rng.uniform(-2, 2, size=n))
        return (q * eig) @ q.T


REAL = Real()
POSITIVE = Positive()
UNIT_INTERVAL = Interval()
SIMPLEX = Simplex()
ONE_HOT = OneHot()
SPD = SymmetricPositiveDefinite()


@dataclass(frozen=True)
class StepCount(Domain):
    """A number of steps t = 1, 2, ... of an iterative method (a recurrence's index).

    Sampled in 1..15: long enough for beta^t to move far from 1, short enough that
    closed forms stay O(1) in float64.
    """
    description: str = "a step count t = 1, 2, ..."
    assumptions: tuple = (("integer", True), ("positive", True))

    def sample(self, rng, shape):
        return rng.integers(1, 16, size=shape).astype(float)


@dataclass(frozen=True)
class NonZero(Domain):
    """A nonzero real, e.g. a first gradient g_1 that an update divides by |g_1|.

    Sampled with a random sign over five orders of magnitude (1e-3 .. 1e2), so a check
    sees both tiny and large values but never 0.
    """
    description: str = "real, nonzero"
    assumptions: tuple = (("real", True), ("nonzero", True))

    def sample(self, rng, shape):
        return rng.choice([-1.0, 1.0], size=shape) * 10 ** rng.uniform(-3, 2, size=shape)


@dataclass(frozen=True)
class StepSize(Domain):
    """A real step size (learning rate) eps, sampled uniformly in (low, high).

    The default range (-0.3, 2.2) covers where gradient methods on quadratics with
    eigenvalues near 1 converge, oscillate and diverge, and includes negative steps, so a
    claimed step-size bound is tested on both sides of each end.
    """
    description: str = "real step size"
    assumptions: tuple = (("real", True),)
    low: float = -0.3
    high: float = 2.2

    def sample(self, rng, shape):
        return rng.uniform(self.low, self.high, size=shape)


STEP_COUNT = StepCount()
NONZERO = NonZero()
STEP_SIZE = StepSize()


@dataclass(frozen=True)
class IntegerRange(Domain):
    """An integer hyperparameter low <= n <= high (a stride, a padding, a dilation).

    Sampled uniformly among the allowed integers, returned as floats like every sample.
    Give the bounds by keyword: IntegerRange(low=0, high=2, description="padding").
    """
    low: int = 1
    high: int = 3
    description: str = "an integer"
    assumptions: tuple = (("integer", True), ("nonnegative", True))

    def __post_init__(self):
        if self.low > self.high:
            from ..errors import InvalidArgument
            raise InvalidArgument(f"IntegerRange(low={self.low}, high={self.high}): low must not exceed high")

    def sample(self, rng, shape):
        return rng.integers(self.low, self.high + 1, size=shape).astype(float)

    def contains(self, n) -> bool:
        return float(n).is_integer() and self.low <= n <= self.high
