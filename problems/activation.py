r"""Activation functions: the sigmoid $\sigma(z) = 1/(1 + e^{-z})$, $\tanh$ and the ReLU, their
derivatives, and why stacked sigmoids shrink gradients."""
import numpy as np
import sympy as sp

from derive import Derivation, Figure, Grading, Oracle, Part, Sheet, Slip, Step, Variable
from derive.maths.activations import AwayFromZero, logistic, sigmoid_slope_maximum, tanh_definition
from derive.maths.piecewise_fit import ReluFitProblem
from derive.model.domains import Positive
from derive.model.functions import held_product, sigma
from derive.verify.numpy_oracles import derivative_in, direct, largest_slope, sigmoid as np_sigmoid
from derive.verify.relu_fit import (GridLeastSquares, SortedIn, Stationary, Training, best_fit, draw_fit,
                                    error_at_optimum, error_for_every_facing, fit_tables, optimum_box,
                                    quadrature_for_every_facing)

TITLE = "Activation functions"

z = Variable("z")
SLOPE_AT = sp.Symbol("z", real=True)   # the sigmoid's argument where its slope is studied


SIGMOID_GRAD = Part(
    id="activation.sigmoid_grad", title="Derivative of the sigmoid",
    sheet=Sheet(statement=r"For $\sigma(z) = 1/(1 + e^{-z})$, find $\sigma'(z)$ in terms of $\sigma(z)$."),
    derivation=Derivation(
        variables=(z,), derive=lambda v: sp.diff(logistic(v.z), v.z), result=lambda v: sigma(v.z) * (1 - sigma(v.z)),
        result_lhs=r"\sigma'(z)",
        steps=(Step(r"\sigma'(z)", lambda v: sp.exp(-v.z) / (1 + sp.exp(-v.z)) ** 2, "chain rule"),
               Step(r"\sigma'(z)", lambda v: held_product(1 / (1 + sp.exp(-v.z)), sp.exp(-v.z) / (1 + sp.exp(-v.z))),
                    r"split the square; the second factor is $1 - \sigma(z)$")),
        oracle=derivative_in("z", lambda x: np_sigmoid(x["z"]), "central finite differences of a NumPy sigmoid")),
    grading=Grading(neighbours=("activation.tanh_grad",),
                    slips=(Slip("sigma(z)*(1 + sigma(z))", r"a sign slip in the second factor"),
                           Slip("sigma(z)^2", r"the second factor $1 - \sigma(z)$ taken as $\sigma(z)$"),
                           Slip("1 - sigma(z)^2", r"the derivative of $\tanh$ carried over"))),
)


TANH_GRAD = Part(
    id="activation.tanh_grad", title="Derivative of tanh",
    sheet=Sheet(statement=r"For $\tanh z = (e^z - e^{-z})/(e^z + e^{-z})$, find $\tanh'(z)$ in terms of $\tanh z$."),
    derivation=Derivation(
        variables=(z,), derive=lambda v: sp.diff(tanh_definition(v.z), v.z), result=lambda v: 1 - sp.tanh(v.z) ** 2,
        result_lhs=r"\tanh'(z)",
        steps=(Step(r"\tanh'(z)", lambda v: ((sp.exp(v.z) + sp.exp(-v.z)) ** 2 - (sp.exp(v.z) - sp.exp(-v.z)) ** 2)
                    / (sp.exp(v.z) + sp.exp(-v.z)) ** 2, "quotient rule"),),
        oracle=derivative_in("z", lambda x: np.tanh(x["z"]), "central finite differences of NumPy tanh")),
    grading=Grading(neighbours=("activation.sigmoid_grad",),
                    slips=(Slip("1 + tanh(z)^2", r"the quotient rule's minus sign lost"),
                           Slip("tanh(z)*(1 - tanh(z))", r"the sigmoid's pattern $\sigma(1 - \sigma)$ carried over"))),
)


TANH_SIGMOID = Part(
    id="activation.tanh_sigmoid", title="tanh is a rescaled sigmoid",
    sheet=Sheet(statement=r"Show $\tanh z = 2\sigma(2z) - 1$.",
                # SymPy's output is the definition itself
                show_instance=False),
    derivation=Derivation(
        variables=(z,), derive=lambda v: tanh_definition(v.z), result=lambda v: 2 * sigma(2 * v.z) - 1,
        result_lhs=r"\tanh z",
        steps=(Step(r"\tanh z", lambda v: (1 - sp.exp(-2 * v.z)) / (1 + sp.exp(-2 * v.z)),
                    r"divide numerator and denominator by $e^{z}$"),
               Step(r"\tanh z", lambda v: 2 / (1 + sp.exp(-2 * v.z)) - 1, r"write $1 - u = 2 - (1 + u)$")),
        oracle=direct(lambda x: np.tanh(x["z"]), r"NumPy $\tanh$")),
    grading=Grading(slips=(Slip("2*sigma(z) - 1", r"the argument's factor 2 forgotten"),
                           Slip("sigma(2*z) - 1", r"the outer factor 2 forgotten"))),
)


RELU_GRAD = Part(
    id="activation.relu_grad", title="Derivative of the ReLU",
    sheet=Sheet(statement=r"For $\operatorname{relu}(z) = \max(0, z)$, find the derivative for $z \neq 0$, "
                          r"in terms of the Heaviside step $H(z)$, which is $1$ for $z > 0$ and $0$ for $z < 0$."),
    derivation=Derivation(
        variables=(Variable("z", domain=AwayFromZero()),),
        derive=lambda v: sp.diff(sp.Piecewise((v.z, v.z > 0), (0, True)), v.z), result=lambda v: sp.Heaviside(v.z),
        result_lhs=r"\operatorname{relu}'(z)",
        oracle=derivative_in("z", lambda x: max(x["z"], 0.0), r"central finite differences of $\max(0, z)$ in NumPy")),
    grading=Grading(slips=(Slip("z", r"the function itself instead of its slope"),
                           Slip("Heaviside(-z)", r"the two sides of the kink swapped"))),
)


SIGMOID_GRAD_MAX = Part(
    id="activation.sigmoid_grad_max", title="The sigmoid's slope is at most 1/4",
    sheet=Sheet(statement=r"Find $\max_z \sigma'(z)$ and where it is attained; conclude that $L$ stacked sigmoid "
                          r"layers with $|w| \le 1$ scale a gradient by at most $(1/4)^L$."),
    derivation=Derivation(
        variables=(Variable("L", domain=Positive()),), derive=lambda v: sigmoid_slope_maximum()[1][0],
        result=lambda v: sp.Rational(1, 4), result_lhs=r"\max_z \sigma'(z)",
        steps=(Step(r"\operatorname*{arg\,max}_z \sigma'(z)", lambda v: sp.S.Zero,
                    r"$\sigma''(z) = \sigma'(z)(1 - 2\sigma(z)) = 0$ only where $\sigma(z) = 1/2$",
                    target=lambda v: sigmoid_slope_maximum()[0][0]),
               Step(r"\lim_{z \to \infty} \sigma'(z)", lambda v: sp.S.Zero,
                    "the slope vanishes in the right tail",
                    target=lambda v: sp.limit(sp.diff(logistic(SLOPE_AT), SLOPE_AT), SLOPE_AT, sp.oo)),
               Step(r"\lim_{z \to -\infty} \sigma'(z)", lambda v: sp.S.Zero,
                    "and in the left tail, so the only critical point is the global maximum",
                    target=lambda v: sp.limit(sp.diff(logistic(SLOPE_AT), SLOPE_AT), SLOPE_AT, -sp.oo)),
               Step(r"\prod_{l=1}^{L} |w_l| \, \sigma'(z_l)", lambda v: sp.Rational(1, 4) ** v.L,
                    r"each layer multiplies the gradient by $|w_l|\,\sigma'(z_l) \le 1 \cdot \tfrac14$; "
                    r"the bound is attained at $|w_l| = 1$, $z_l = 0$",
                    target=lambda v: sp.diff(logistic(SLOPE_AT), SLOPE_AT).subs(SLOPE_AT, 0) ** v.L),),
        oracle=Oracle(lambda _values: largest_slope(np_sigmoid, -8, 8, 16001), r"the largest finite-difference slope of a NumPy sigmoid "
                      r"on a grid of step $0.001$ over $[-8, 8]$", 1e-6,
                      r"the grid contains $z = 0$ exactly, where the slope peaks; the central difference "
                      r"there errs by about $10^{-11}$", cases=1)),
    grading=Grading(neighbours=("activation.sigmoid_grad",), expects=r"the maximum slope $\max_z \sigma'(z)$, a number",
                    slips=(Slip("1/2", r"$\sigma(0) = 1/2$, the value, not the slope"),
                           Slip("1", r"the slope of the identity, as if $\sigma$ were linear near $0$"))),
)


# ---------------------------------------------------------------- activation.relu_fit
# The best three-unit ReLU network for sin on [-1, 2]: the engine integrates the error exactly
# (derive.maths.piecewise_fit) and the three checks of derive.verify.relu_fit confirm the optimum.
SIN_FIT = ReluFitProblem(sp.sin, -1, 2, units=3)


def relu_fit_optimum():
    """(problem, best fit, best float64 error for each way of facing), from 6 seeded starts each."""
    return best_fit(SIN_FIT, starts=6, seed=0)


def optimum_by_pieces():
    """E at the optimum from the piece-by-piece integral (not the Gram form the search used)."""
    return error_at_optimum(*relu_fit_optimum()[:2])


# The quadratic form as the statement writes it; the boxed result prints the same (a test holds
# the two together). q, not s_0: s_k is already the unit's facing sign.
QUADRATIC_FORM = r"\frac{1}{3} \left(q + \theta^\top G \theta - 2 r^\top \theta\right)"


RELU_FIT = Part(
    id="activation.relu_fit", title="The best three-unit ReLU network for sin on [-1, 2]",
    sheet=Sheet(
        statement=r"Approximate $\sin x$ on $[-1, 2]$ by $f(x) = c + \sum_{k=1}^{3} a_k \operatorname{relu}(u_k x + b_k)$, "
                  r"minimising the mean squared error $E = \frac13 \int_{-1}^{2} (f(x) - \sin x)^2\,dx$ over all the "
                  r"weights: find the smallest error $E^*$ and a network that attains it. "
                  r"A unit with $u_k \neq 0$ has its kink at $\kappa_k = -b_k/u_k$ and faces right or left: "
                  r"$s_k = \operatorname{sign}(u_k)$ is $+1$ (active for $x > \kappa_k$) or $-1$ (active for $x < \kappa_k$). "
                  r"As $\operatorname{relu}(u_k x + b_k) = |u_k| \operatorname{relu}(s_k (x - \kappa_k))$, with "
                  r"$\alpha_k = a_k |u_k|$ the network is $f = \theta^\top \phi$, linear in $\theta = (c, \alpha_1, \alpha_2, "
                  r"\alpha_3)$, where $\phi(x) = (1, \operatorname{relu}(s_1 (x - \kappa_1)), \dots, "
                  r"\operatorname{relu}(s_3 (x - \kappa_3)))$. "
                  r"$f$ is continuous and piecewise linear with at most three kinks, but not every such function is a "
                  r"network: with only an output bias, its four slopes obey one linear relation that depends on the "
                  r"faces (all facing right, the leftmost slope is 0), so the optimum is taken over the network itself. "
                  r"Expanding $(\theta^\top \phi - \sin)^2$ gives $E = " + QUADRATIC_FORM + r"$ with "
                  r"$G_{ij} = \int \phi_i \phi_j$, $r_i = \int \phi_i(x) \sin x$ and $q = \int \sin^2 x$, each over $[-1, 2]$: "
                  r"the claim, proved for every $\kappa_1 \le \kappa_2 \le \kappa_3$ in $[-1, 2]$ and each of the 8 ways of "
                  r"facing, is that SymPy's piece-by-piece integral of $(f - \sin)^2$ equals this form. For fixed kinks the best "
                  r"$\theta$ solves $G \theta = r$, leaving $E = \frac13 (q - r^\top \theta)$; the engine minimises that "
                  r"over the kinks.",
        demonstrations=fit_tables(relu_fit_optimum, (
            ("optimum", "The optimum found by the engine (6 seeded L-BFGS-B starts per way of facing, "
                        "polished by ``sympy.nsolve`` to 30 digits)"),
            ("pieces", "The pieces of $f$ between the kinks"),
            ("weights", r"Network weights that realise it: $u_k = s_k$, $b_k = -s_k \kappa_k$, $a_k = \alpha_k$ "
                        r"(and the output bias $c$ above)"),
            ("faces", "The best error for each way the units can face (kinks in increasing order)"))),
        figures=(Figure("relu_fit", r"Top: $\sin x$, the best three-unit ReLU network $f$ and its kinks on $[-1, 2]$. "
                        r"Bottom: the residual $f(x) - \sin x$",
                        lambda ax: draw_fit(ax, *relu_fit_optimum()[:2])),)),
    derivation=Derivation(
        variables=(Variable("kappa", (3,), SortedIn(SIN_FIT.lo, SIN_FIT.hi), latex=r"\kappa"), Variable("c"),
                   Variable("alpha", (3,), latex=r"\alpha")),
        derive=lambda v: sp.Matrix([SIN_FIT.error_by_pieces(f) for f in SIN_FIT.all_faces]),
        result=lambda v: error_for_every_facing(SIN_FIT, v), result_lhs="E",
        oracle=Oracle(lambda d: quadrature_for_every_facing(SIN_FIT, d), r"``scipy.integrate.quad`` of $(f - \sin)^2$ split at the kinks, "
                      "for each way of facing", 1e-10,
                      r"adaptive Gauss-Kronrod quadrature on smooth pieces errs by about $10^{-15}$; a wrong integral "
                      r"errs by far more than $10^{-10}$", cases=20),
        # E*, the number the statement asks for: the error the search reports (the Gram form at the
        # polished optimum) proved equal, to the 6 digits boxed, to SymPy's piece-by-piece integral there.
        also=(optimum_box(relu_fit_optimum, r"the smallest error, at the kinks and $\theta$ in the first table "
                                            r"(6 significant digits)"),),
        checks=(Stationary(lambda: relu_fit_optimum()[:2]), GridLeastSquares(lambda: relu_fit_optimum()[:2]),
                Training(lambda: relu_fit_optimum()[:2], inits=48))),
)


PARTS = [SIGMOID_GRAD, TANH_GRAD, TANH_SIGMOID, RELU_GRAD, SIGMOID_GRAD_MAX, RELU_FIT]
