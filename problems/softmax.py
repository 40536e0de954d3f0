r"""The softmax $s = \operatorname{softmax}(z)$, $s_i = e^{z_i} / \sum_k e^{z_k}$, over $C$ classes:
its Jacobian, its shift invariance, and the gradients of the two losses built on it."""
import numpy as np
import sympy as sp

from derive import (Demonstration, Derivation, Figure, Grading, Oracle, Param, Parameters, Part, Sheet, Slip, Step,
                    Variable, parametrised)
from derive.maths.layers import dot
from derive.maths.softmax_losses import (cross_entropy, exp_sum, gradient, logit_intercept, squared_error,
                                         two_class_gradient)
from derive.model.domains import ONE_HOT, POSITIVE, SIMPLEX
from derive.model.functions import delta, diag, held_fraction, sigma, softmax
from derive.verify.numeric import central_jacobian
from derive.verify.numpy_oracles import differences, direct, jacobian_of, softmax as np_softmax
from derive.verify.softmax_oracles import (finite_difference_gradient, np_cross_entropy, np_log_odds,
                                           np_squared_error, overflow_demo, plot_saturation, squared_error_slope)

TITLE = "Softmax and cross-entropy"
SIZES = {"C": range(2, 7)}
SPELLINGS = ("yhat", r"\hat{y}", "softmax(z)", r"\operatorname{softmax}(z)", r"\mathrm{softmax}(z)")

z = Variable("z", ("C",))
s = Variable("s", ("C",), SIMPLEX, SPELLINGS, definition=lambda v: softmax(v.z),
             numeric=lambda x: np_softmax(x["z"]))
y = Variable("y", ("C",), ONE_HOT)


# A variant may add a temperature: s = softmax(z / T) scales the Jacobian by 1/T, a factor the
# quotient rule hides (the chain rule through z / T), so the problem and its slips change.
T_var = Variable("T", domain=POSITIVE)
s_T = Variable("s", ("C",), SIMPLEX, SPELLINGS, definition=lambda v: softmax(v.z / v.T),
               numeric=lambda x: np_softmax(x["z"] / x["T"]))
JACOBIAN_PARAMETERS = (Param("temperature", "none", choices=("none", "T"),
                            what="whether the softmax has a temperature T > 0"),)


def scaled_exp_sum(v):
    return v.sum(lambda k: sp.exp(v.z[k] / v.T), "C")


def jacobian(values):
    if values["temperature"] == "none":
        return Part(
            id="softmax.jacobian", title="Jacobian of the softmax",
            sheet=Sheet(statement=r"Let $s = \operatorname{softmax}(z)$ with $s_i = e^{z_i} / \sum_{k} e^{z_k}$. "
                                  r"Find the Jacobian $J_{ij} = \partial s_i / \partial z_j$."),
            derivation=Derivation(
                variables=(z, s), sizes=SIZES, derive=lambda v: softmax(v.z).jacobian(v.z),
                result=lambda v: diag(v.s) - v.s * v.s.T, result_lhs=r"J = \frac{\partial s}{\partial z}",
                steps=(
                    Step(r"\frac{\partial s_i}{\partial z_j}",
                         lambda v, i, j: (delta(i, j) * sp.exp(v.z[i]) * exp_sum(v)
                                          - sp.exp(v.z[i]) * sp.exp(v.z[j])) / exp_sum(v) ** 2,
                         "quotient rule; the sum's derivative is $e^{z_j}$", "ij"),
                    Step(r"\frac{\partial s_i}{\partial z_j}", lambda v, i, j: v.s[i] * (delta(i, j) - v.s[j]),
                         r"divide through, using $s_i = e^{z_i} / \sum_k e^{z_k}$", "ij"),
                ),
                oracle=jacobian_of("z", np_softmax, "central finite differences of a NumPy softmax")),
            grading=Grading(
                neighbours=("softmax.ce_grad",),
                slips=(Slip("diag(s) + s s^T", r"the sign of the $-e^{z_i} e^{z_j}$ term of the quotient rule lost"),
                       Slip("s s^T - diag(s)", r"the sign of the whole Jacobian flipped"),
                       Slip("diag(s)", r"the $e^{z_j}$ term of the sum's derivative forgotten"))),
        )
    return Part(
        id="softmax.jacobian", title="Jacobian of the softmax with a temperature",
        sheet=Sheet(statement=r"Let $s = \operatorname{softmax}(z / T)$ with temperature $T > 0$, "
                              r"$s_i = e^{z_i / T} / \sum_{k} e^{z_k / T}$. "
                              r"Find the Jacobian $J_{ij} = \partial s_i / \partial z_j$."),
        derivation=Derivation(
            variables=(z, T_var, s_T), sizes=SIZES, derive=lambda v: softmax(v.z / v.T).jacobian(v.z),
            result=lambda v: (diag(v.s) - v.s * v.s.T) / v.T, result_lhs=r"J = \frac{\partial s}{\partial z}",
            steps=(
                Step(r"\frac{\partial s_i}{\partial z_j}",
                     lambda v, i, j: (delta(i, j) * sp.exp(v.z[i] / v.T) * scaled_exp_sum(v)
                                      - sp.exp(v.z[i] / v.T) * sp.exp(v.z[j] / v.T)) / (v.T * scaled_exp_sum(v) ** 2),
                     r"quotient rule; the chain rule through $z / T$ gives each derivative a factor $1/T$", "ij"),
                Step(r"\frac{\partial s_i}{\partial z_j}", lambda v, i, j: v.s[i] * (delta(i, j) - v.s[j]) / v.T,
                     r"divide through, using $s_i = e^{z_i / T} / \sum_k e^{z_k / T}$", "ij"),
            ),
            oracle=differences(lambda x: central_jacobian(lambda u: np_softmax(u / x["T"]), x["z"]),
                               "central finite differences of a NumPy softmax of $z / T$")),
        grading=Grading(
            neighbours=("softmax.ce_grad",),
            slips=(Slip("diag(s) - s s^T", r"the factor $1/T$ of the chain rule through $z / T$ forgotten"),
                   Slip("T (diag(s) - s s^T)", r"multiplied by $T$ where the chain rule divides"),
                   Slip("(diag(s) + s s^T)/T", r"the sign of the $-e^{z_i/T} e^{z_j/T}$ term lost"))),
    )


JACOBIAN = parametrised(Parameters(JACOBIAN_PARAMETERS, jacobian))


SHIFT = Part(
    id="softmax.shift", title="Shift invariance and the stable softmax",
    sheet=Sheet(statement=r"Show $\operatorname{softmax}(z + c\mathbf{1}) = \operatorname{softmax}(z)$ for every "
                          r"scalar $c$, and why subtracting $\max_i z_i$ prevents overflow.",
                demonstrations=(Demonstration(
                    r"Naive and stable softmax of $z = (1000, 1000)$ in float64 (computed when the sheet is built)",
                    overflow_demo),)),
    derivation=Derivation(
        variables=(z, s, Variable("c")), sizes=SIZES, derive=lambda v: softmax(v.z + v.c * sp.ones(v.C, 1)),
        result=lambda v: v.s, result_lhs=r"\operatorname{softmax}(z + c\mathbf{1})",
        steps=(
            Step(r"\operatorname{softmax}(z + c\mathbf{1})_i",
                 lambda v, i: held_fraction(sp.exp(v.c) * sp.exp(v.z[i]),
                                            sp.Mul(sp.exp(v.c), exp_sum(v), evaluate=False)),
                 r"$e^{z_i + c} = e^c e^{z_i}$ in numerator and every term of the sum", "i"),
            Step(r"\operatorname{softmax}(z + c\mathbf{1})_i", lambda v, i: v.s[i],
                 "the common factor $e^c$ cancels", "i"),
            # Why the stable softmax subtracts the maximum: the case c = -max z, proved like the rest.
            Step(r"\operatorname{softmax}(z - m\mathbf{1})_i", lambda v, i: v.s[i],
                 r"take $c = -m$ with $m = \max_k z_k$: the result is unchanged, but now every exponent "
                 r"$z_k - m \le 0$ and the largest is $0$, so each $e^{z_k - m}$ lies in $(0, 1]$ and nothing "
                 r"overflows; the term with $z_k = m$ is $e^0 = 1$, so the sum is at least $1$ and never underflows "
                 r"to $0$: no $\infty/\infty$ and no $0/0$, whatever the size of $z$",
                 "i", target=lambda v: softmax(v.z - sp.Max(*v.z) * sp.ones(v.C, 1))),
        ),
        oracle=direct(lambda x: np.exp(x["z"] + x["c"]) / np.exp(x["z"] + x["c"]).sum(),
                      r"the naive NumPy softmax of $z + c\mathbf{1}$ (no max subtraction)",
                      r"both sides are a few float64 operations on $O(1)$ numbers")),
)


NLL = Part(
    id="softmax.nll", title="Negative log-likelihood is cross-entropy",
    sheet=Sheet(statement=r"With $p(y \mid x) = \prod_i s_i^{y_i}$ for one-hot $y$, show that the negative "
                          r"log-likelihood is the cross-entropy $-\sum_i y_i \log s_i$."),
    derivation=Derivation(
        variables=(z, s, y), sizes=SIZES,
        derive=lambda v: sp.expand_log(-sp.log(sp.Mul(*[v.s[k] ** v.y[k] for k in range(v.C)])), force=True),
        result=lambda v: -v.sum(lambda k: v.y[k] * sp.log(v.s[k]), "C"), result_lhs=r"-\log p(y \mid x)",
        oracle=direct(lambda x: -np.log(np.prod(x["s"] ** x["y"])), "the NumPy product likelihood, then its "
                      "negative log", "one product and one log in float64")),
)


CE_GRAD = Part(
    id="softmax.ce_grad", title="Gradient of cross-entropy through the softmax",
    sheet=Sheet(statement=r"For $L = -\sum_i y_i \log s_i$ with $y$ one-hot ($\sum_i y_i = 1$), find "
                          r"$\partial L / \partial z$."),
    derivation=Derivation(
        variables=(z, s, y), sizes=SIZES, derive=lambda v: gradient(cross_entropy, v), result=lambda v: v.s - v.y,
        result_lhs=r"\frac{\partial L}{\partial z}",
        steps=(
            Step(r"\frac{\partial L}{\partial z_j}",
                 lambda v, j: -v.sum(lambda i: v.y[i] * (delta(i, j) - v.s[j]), "C", "i"),
                 r"chain rule: $\partial \log s_i / \partial z_j = \delta_{ij} - s_j$", "j"),
            Step(r"\frac{\partial L}{\partial z_j}",
                 lambda v, j: -v.y[j] + v.s[j] * v.sum(lambda i: v.y[i], "C", "i"), "sum the delta", "j"),
            Step(r"\frac{\partial L}{\partial z_j}", lambda v, j: v.s[j] - v.y[j],
                 r"$\sum_i y_i = 1$ for one-hot $y$", "j"),
        ),
        oracle=finite_difference_gradient(np_cross_entropy)),
    grading=Grading(neighbours=("softmax.mse_grad", "softmax.jacobian"),
                    slips=(Slip("y - s", r"the sign flipped: this is the direction of steepest descent"),
                           Slip("s", r"the target's term $-y$ forgotten"),
                           Slip("2*(s - y)", r"the squared error's factor $2$ carried over"))),
)


MSE_GRAD = Part(
    id="softmax.mse_grad", title="Gradient of squared error through the softmax",
    sheet=Sheet(statement=r"For $L = \sum_i (s_i - y_i)^2$ with $y$ one-hot, find $\partial L / \partial z$.",
                instance_sizes={"C": 2}),
    derivation=Derivation(
        variables=(z, s, y), sizes=SIZES, derive=lambda v: gradient(squared_error, v),
        result=lambda v: 2 * (diag(v.s) - v.s * v.s.T) * (v.s - v.y), result_lhs=r"\frac{\partial L}{\partial z}",
        steps=(
            Step(r"\frac{\partial L}{\partial z_j}",
                 lambda v, j: v.sum(lambda i: 2 * (v.s[i] - v.y[i]) * v.s[i] * (delta(i, j) - v.s[j]), "C", "i"),
                 r"chain rule through $J_{ij} = s_i(\delta_{ij} - s_j)$", "j"),
            Step(r"\frac{\partial L}{\partial z_j}",
                 lambda v, j: 2 * v.s[j] * ((v.s[j] - v.y[j])
                                            - v.sum(lambda m: v.s[m] * (v.s[m] - v.y[m]), "C", "m")),
                 "sum the delta: the component form", "j"),
        ),
        oracle=finite_difference_gradient(np_squared_error)),
    grading=Grading(neighbours=("softmax.ce_grad", "softmax.jacobian"),
                    slips=(Slip("2*(s - y)", r"the softmax Jacobian left out: the gradient in $s$, not in $z$"),
                           Slip("s - y", r"the cross-entropy gradient, as if the losses behaved alike"),
                           Slip("(diag(s) - s s^T)(s - y)", r"the factor $2$ of the square dropped"))),
)


CE_VS_MSE = Part(
    id="softmax.ce_vs_mse", title="Saturation: cross-entropy against squared error",
    sheet=Sheet(statement=r"For $C = 2$ and true class 1, find the limits of $\partial L / \partial z_1$ as "
                          r"$d = z_1 - z_2 \to -\infty$ for cross-entropy and for squared error.",
                figures=(Figure("ce_vs_mse", r"$\partial L / \partial z_1$ against $d = z_1 - z_2$ for true class 1 "
                                "(NumPy finite differences)", plot_saturation),)),
    derivation=Derivation(
        variables=(Variable("d"),), derive=lambda v: sp.limit(two_class_gradient(squared_error, v.d), v.d, -sp.oo),
        result=lambda v: sp.S.Zero, result_lhs=r"\lim_{d \to -\infty} \frac{\partial L_{\mathrm{SE}}}{\partial z_1}",
        steps=(
            Step(r"\frac{\partial L_{\mathrm{CE}}}{\partial z_1}", lambda v: sigma(v.d) - 1,
                 r"with $s_1 = \sigma(d)$", target=lambda v: two_class_gradient(cross_entropy, v.d)),
            Step(r"\frac{\partial L_{\mathrm{SE}}}{\partial z_1}",
                 lambda v: -4 * sigma(v.d) * (1 - sigma(v.d)) ** 2, r"with $s_1 = \sigma(d)$",
                 target=lambda v: two_class_gradient(squared_error, v.d)),
        ),
        also=(Step(r"\lim_{d \to -\infty} \frac{\partial L_{\mathrm{CE}}}{\partial z_1}", lambda v: -1,
                   r"the gradient stays at $-1$: a confidently wrong prediction keeps learning",
                   target=lambda v: sp.limit(two_class_gradient(cross_entropy, v.d), v.d, -sp.oo)),),
        oracle=Oracle(lambda x: squared_error_slope(-40.0),
            r"central finite difference of the NumPy squared error at $d = -40$", 1e-9,
            r"the true gradient there is about $-4 \times 10^{-17}$ and the difference quotient's round-off is "
            r"below $10^{-10}$, while a non-zero limit would be $O(1)$", cases=1)),
    grading=Grading(
        neighbours=("softmax.ce_grad",),
        expects=r"the squared-error limit $\lim_{d \to -\infty} \partial L_{\mathrm{SE}} / \partial z_1$, a number",
        slips=(Slip("-1", r"the cross-entropy limit"),
               Slip("-2", r"the gradient in $s_1$, $2(s_1 - 1)$, at $s_1 = 0$: the saturating $\sigma'$ forgotten"))),
)


TWO_CLASS = Part(
    id="softmax.two_class", title="Two-class softmax is a sigmoid",
    sheet=Sheet(statement=r"For $C = 2$, show $s_1 = \sigma(z_1 - z_2)$."),
    derivation=Derivation(
        variables=(Variable("z_1"), Variable("z_2")), derive=lambda v: softmax(sp.Matrix([v.z_1, v.z_2]))[0],
        result=lambda v: sigma(v.z_1 - v.z_2), result_lhs="s_1",
        steps=(Step("s_1", lambda v: 1 / (1 + sp.exp(v.z_2 - v.z_1)), r"divide by $e^{z_1}$"),),
        oracle=direct(lambda x: np_softmax(np.array([x["z_1"], x["z_2"]]))[0], r"the NumPy softmax of $(z_1, z_2)$")),
    grading=Grading(slips=(Slip("sigma(z_2 - z_1)", r"the difference taken the wrong way round: that is $s_2$"),
                           Slip("sigma(z_1)", r"the other class's logit $z_2$ forgotten"))),
)


# ---------------------------------------------------------------- softmax.logistic
# Two-class softmax regression is logistic regression: z_k = w_k^T x + b_k.
w_1, w_2, x_in = (Variable(n, ("n",)) for n in ("w_1", "w_2", "x"))
b_1, b_2 = Variable("b_1"), Variable("b_2")
logits = tuple(Variable(f"z_{k}", definition=lambda v, w=w, b=b: dot(v.objects[w], v.x) + v.objects[b],
                        numeric=lambda d, w=w, b=b: float(d[w] @ d["x"] + d[b]))
               for k, w, b in ((1, "w_1", "b_1"), (2, "w_2", "b_2")))
# u = w^T x with w = w_1 - w_2: a defined quantity (listed with its definition), not an input
w_x = Variable("u", definition=lambda v: dot(v.w_1 - v.w_2, v.x),
               numeric=lambda d: float((d["w_1"] - d["w_2"]) @ d["x"]))


def class_one_probability(v):
    return softmax(sp.Matrix([v.z_1, v.z_2]))[0]


LOGISTIC = Part(
    id="softmax.logistic", title="Two-class softmax regression is logistic regression",
    sheet=Sheet(
        statement=r"With $z_k = w_k^\top x + b_k$ and $C = 2$, show $s_1 = \sigma(w^\top x + b)$ for $w = w_1 - w_2$, "
                  r"$b = b_1 - b_2$. The derivation writes $u = w^\top x$."),
    derivation=Derivation(
        variables=(w_1, w_2, x_in, b_1, b_2) + logits + (w_x,), sizes={"n": range(1, 5)}, derive=logit_intercept,
        result=lambda v: v.b_1 - v.b_2, result_lhs="b",
        steps=(Step("s_1", lambda v: sigma(v.z_1 - v.z_2), "the two-class softmax of the previous part",
                    target=class_one_probability),
               Step("z_1 - z_2", lambda v: v.u + (v.b_1 - v.b_2), r"$z_k = w_k^\top x + b_k$, with $u = w^\top x$ and "
                    r"$w = w_1 - w_2$",
                    target=lambda v: v.z_1 - v.z_2),
               Step("s_1", lambda v: sigma(v.u + v.b_1 - v.b_2), r"so $s_1 = \sigma(w^\top x + b)$ with $b = b_1 - b_2$",
                    target=class_one_probability)),
        oracle=direct(lambda d: np_log_odds(d["b_1"], d["b_2"]),
                      r"the NumPy log-odds $\log(s_1/s_2)$ of the two-class softmax at $x = 0$",
                      r"one softmax, a ratio and a log in float64 on $O(1)$ numbers")),
    grading=Grading(
        neighbours=("softmax.two_class",), expects=r"the bias $b$, in $b_1$ and $b_2$",
        slips=(Slip("b_2 - b_1", "the classes swapped: the sign of $b$"), Slip("b_1 + b_2", "the biases added, not subtracted"))),
)


PARTS = [JACOBIAN, SHIFT, NLL, CE_GRAD, MSE_GRAD, CE_VS_MSE, TWO_CLASS, LOGISTIC]
