r"""Activation functions: the sigmoid $\sigma(z) = 1/(1 + e^{-z})$, $\tanh$ and the ReLU, their
derivatives, and why stacked sigmoids shrink gradients."""
import numpy as np
import sympy as sp

from derive import Oracle, Part, Step, Variable
from derive.model.domains import Domain, Positive
from derive.model.functions import held_product, sigma
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON, central_derivative
from derive.verify.numeric import sigmoid as np_sigmoid

TITLE = "Activation functions"

z = Variable("z")


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


def derivative_oracle(forward, method):
    return Oracle(lambda x: central_derivative(forward, x["z"]), method, FD_RTOL, FD_TOLERANCE_REASON)


def sigmoid_derivative_maximum():
    """Maximise sigma'(z): solve sigma''(z) = 0, check it is a maximum, evaluate."""
    x = sp.Symbol("z", real=True)
    slope = sp.diff(logistic(x), x)
    critical = sp.solve(sp.diff(slope, x), x)
    maxima = [c for c in critical if sp.diff(slope, x, 2).subs(x, c) < 0]
    # The only critical point is a maximum and the slope tends to 0 at both ends (a step
    # below checks the limits), so the local maximum is the global one.
    return maxima, [sp.simplify(slope.subs(x, c)) for c in maxima]


def grid_maximum_of_slope(_values):
    """Oracle: the largest central-difference slope of a NumPy sigmoid on a fine grid."""
    grid = np.linspace(-8, 8, 16001)
    return float(np.max(central_derivative(np_sigmoid, grid)))


PARTS = [
    Part(
        id="activation.sigmoid_grad",
        title="Derivative of the sigmoid",
        statement=r"For $\sigma(z) = 1/(1 + e^{-z})$, find $\sigma'(z)$ in terms of $\sigma(z)$.",
        variables=(z,), answer=True, neighbours=("activation.tanh_grad",),
        derive=lambda v: sp.diff(logistic(v.z), v.z),
        result=lambda v: sigma(v.z) * (1 - sigma(v.z)),
        result_lhs=r"\sigma'(z)",
        steps=(Step(r"\sigma'(z)", lambda v: sp.exp(-v.z) / (1 + sp.exp(-v.z)) ** 2, "chain rule"),
               Step(r"\sigma'(z)", lambda v: held_product(1 / (1 + sp.exp(-v.z)), sp.exp(-v.z) / (1 + sp.exp(-v.z))),
                    r"split the square; the second factor is $1 - \sigma(z)$")),
        oracle=derivative_oracle(np_sigmoid, "central finite differences of a NumPy sigmoid"),
    ),
    Part(
        id="activation.tanh_grad",
        title="Derivative of tanh",
        statement=r"For $\tanh z = (e^z - e^{-z})/(e^z + e^{-z})$, find $\tanh'(z)$ in terms of $\tanh z$.",
        variables=(z,), answer=True, neighbours=("activation.sigmoid_grad",),
        derive=lambda v: sp.diff(tanh_definition(v.z), v.z),
        result=lambda v: 1 - sp.tanh(v.z) ** 2,
        result_lhs=r"\tanh'(z)",
        steps=(Step(r"\tanh'(z)", lambda v: ((sp.exp(v.z) + sp.exp(-v.z)) ** 2 - (sp.exp(v.z) - sp.exp(-v.z)) ** 2)
                    / (sp.exp(v.z) + sp.exp(-v.z)) ** 2, "quotient rule"),),
        oracle=derivative_oracle(np.tanh, "central finite differences of NumPy tanh"),
    ),
    Part(
        id="activation.tanh_sigmoid",
        title="tanh is a rescaled sigmoid",
        statement=r"Show $\tanh z = 2\sigma(2z) - 1$.",
        variables=(z,), answer=True,
        derive=lambda v: tanh_definition(v.z),
        result=lambda v: 2 * sigma(2 * v.z) - 1,
        result_lhs=r"\tanh z",
        steps=(Step(r"\tanh z", lambda v: (1 - sp.exp(-2 * v.z)) / (1 + sp.exp(-2 * v.z)),
                    r"divide numerator and denominator by $e^{z}$"),
               Step(r"\tanh z", lambda v: 2 / (1 + sp.exp(-2 * v.z)) - 1, r"write $1 - u = 2 - (1 + u)$")),
        oracle=Oracle(lambda x: np.tanh(x["z"]), "NumPy tanh", 1e-12,
                      "a few float64 operations on O(1) numbers: error ~ 1e-15"),
    ),
    Part(
        id="activation.relu_grad",
        title="Derivative of the ReLU",
        statement=r"For $\operatorname{relu}(z) = \max(0, z)$, find the derivative for $z \neq 0$.",
        variables=(Variable("z", domain=AwayFromZero()),), answer=True,
        derive=lambda v: sp.diff(sp.Piecewise((v.z, v.z > 0), (0, True)), v.z),
        result=lambda v: sp.Heaviside(v.z),
        result_lhs=r"\operatorname{relu}'(z)",
        oracle=derivative_oracle(lambda t: max(t, 0.0), "central finite differences of max(0, z) in NumPy"),
    ),
    Part(
        id="activation.sigmoid_grad_max",
        title="The sigmoid's slope is at most 1/4",
        statement=r"Find $\max_z \sigma'(z)$ and where it is attained; conclude that $L$ stacked sigmoid "
                  r"layers with $|w| \le 1$ scale a gradient by at most $(1/4)^L$.",
        variables=(Variable("x"), Variable("L", domain=Positive())), answer=True,
        neighbours=("activation.sigmoid_grad",),
        derive=lambda v: sigmoid_derivative_maximum()[1][0],
        result=lambda v: sp.Rational(1, 4),
        result_lhs=r"\max_z \sigma'(z)",
        steps=(Step(r"\operatorname*{arg\,max}_z \sigma'(z)", lambda v: sp.S.Zero,
                    r"$\sigma''(z) = \sigma'(z)(1 - 2\sigma(z)) = 0$ only where $\sigma(z) = 1/2$",
                    target=lambda v: sigmoid_derivative_maximum()[0][0]),
               Step(r"\lim_{z \to \pm\infty} \sigma'(z)", lambda v: sp.Matrix([0, 0]),
                    "the slope vanishes in both tails, so the critical point is the global maximum",
                    target=lambda v: sp.Matrix([sp.limit(sp.diff(logistic(v.x), v.x), v.x, t) for t in (sp.oo, -sp.oo)])),
               Step(r"\prod_{l=1}^{L} |w_l| \, \sigma'(z_l)", lambda v: sp.Rational(1, 4) ** v.L,
                    r"each layer multiplies the gradient by $|w_l|\,\sigma'(z_l) \le 1 \cdot \tfrac14$; "
                    r"the bound is attained at $|w_l| = 1$, $z_l = 0$",
                    target=lambda v: sp.diff(logistic(v.x), v.x).subs(v.x, 0) ** v.L),),
        oracle=Oracle(grid_maximum_of_slope, "the largest finite-difference slope of a NumPy sigmoid "
                      "on a grid of step 0.001 over [-8, 8]", 1e-6,
                      "the grid contains z = 0 exactly, where the slope peaks; the central difference "
                      "there errs by ~1e-11", cases=1),
    ),
]
