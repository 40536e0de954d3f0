"""The activation functions by their forward definitions, in SymPy: the logistic sigmoid and
tanh written out (so differentiating them derives, rather than recalls, their slopes), the
sigmoid's largest slope found by calculus, and the domain away from the ReLU's kink."""
import sympy as sp

from ..model.domains import Domain

__all__ = ["AwayFromZero", "logistic", "sigmoid_slope_maximum", "tanh_definition"]


class AwayFromZero(Domain):
    """Real and nonzero: the ReLU derivative is undefined at 0."""

    def __init__(self):
        super().__init__("real, nonzero (the derivative is undefined at 0)",
                         (("real", True), ("nonzero", True)))

    def sample(self, rng, shape):
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.05, 5.0, size=shape)


def logistic(x):
    """The forward definition sigma(x) = 1 / (1 + e^{-x})."""
    return 1 / (1 + sp.exp(-x))


def tanh_definition(x):
    return (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))


def sigmoid_slope_maximum():
    """Maximise sigma'(z): solve sigma''(z) = 0, keep the critical points where sigma''' < 0,
    evaluate. Returns (the maximisers, the maxima)."""
    x = sp.Symbol("z", real=True)
    slope = sp.diff(logistic(x), x)
    critical = sp.solve(sp.diff(slope, x), x)
    maxima = [c for c in critical if sp.diff(slope, x, 2).subs(x, c) < 0]
    # The only critical point is a maximum and the slope tends to 0 at both ends (a step
    # below checks the limits), so the local maximum is the global one.
    return maxima, [sp.simplify(slope.subs(x, c)) for c in maxima]
