r"""Dropout as a regulariser. $X \in \mathbb{R}^{N \times d}$, $y \in \mathbb{R}^N$,
$w \in \mathbb{R}^d$; the mask $D \in \{0,1\}^{N \times d}$ has iid Bernoulli($p$) entries
($p$ is the keep probability, no $1/p$ rescaling) and $P = D \odot X$. Averaging over the
mask turns the dropout loss into ridge regression with a column-dependent penalty. Then
one linear unit with per-input keep probabilities, and additive and multiplicative
Gaussian noise on the weights. Every expectation is computed by expanding the forward
definition into moments (derive.maths.expectation) and checked against exact enumeration of
the masks, Gauss-Hermite quadrature or Monte Carlo in NumPy."""
import numpy as np
import sympy as sp

from derive import Derivation, Figure, Grading, Param, Parameters, Part, Sheet, Slip, Step, Variable, parametrised
from derive.model.domains import POSITIVE, UNIT_INTERVAL
from derive.model.functions import diag, hadamard, squared_norm
from derive.maths.dropout import (GAUSS_CASES, MASK_CASES, UNIT_CASES, Same, bilinear, dropout_loss, gamma,
                                  gauss_closed, gauss_noise, gauss_pair, mask_pair, masked, masked_gram, ones,
                                  penalty_root, quad, rescaled, rescaled_column_norms2, ridge_gamma, ridge_matrix,
                                  ridge_minimiser, ridge_system, solve, unit_error, unit_grad_dropout,
                                  unit_grad_ensemble, unit_mask, unit_pair)
from derive.maths.expectation import Bernoulli, expectation, random_matrix
from derive.verify.numpy_oracles import differences, gradient_in
from derive.verify.dropout_oracles import (AUGMENTED_LEAST_SQUARES, EQUAL_COLUMN_NORMS, FIRST_COLUMN_NORM,
                                           MONTE_CARLO, RIDGE_GAMMA, enumeration, np_gauss, np_inverted_dropout, np_loss, np_mask_mean,
                                           np_unit_dropout, np_unit_error, np_unit_gradient_gap,
                                           plot_mask_average_convergence, plot_strength, quadrature,
                                           rows_expectation)

TITLE = "Dropout and noise injection"

# Proofs at every N, d <= 4 (the dimensions move together through these paired lists).
GRID = {"N": [n for n in range(1, 5) for _ in range(4)], "d": [1, 2, 3, 4] * 4}
NUMERIC_GRID = {"N": [1, 2, 3, 4, 6, 9], "d": [1, 2, 3, 4, 6, 8]}
UNIT_SIZES, UNIT_NUMERIC = {"n": range(1, 7)}, {"n": [1, 2, 3, 4, 5, 6, 8, 11]}

X = Variable("X", ("N", "d"))
y = Variable("y", ("N",))
w = Variable("w", ("d",))
p = Variable("p", (), UNIT_INTERVAL)
w_tilde = Variable("w_tilde", ("d",), latex=r"\tilde{w}", spellings=(r"\tilde{w}", "wt", "w~"))
w_n, x_n, t = Variable("w", ("n",)), Variable("x", ("n",)), Variable("t")
p_n = Variable("p", ("n",), UNIT_INTERVAL)
y_d = Variable("y_d", latex="y_d", spellings=("y_{d}",))
gram = Variable("G", ("d", "d"), latex="G", definition=lambda v: v.X.T * v.X,
                numeric=lambda x: x["X"].T @ x["X"], symmetric=True)
alpha = Variable("alpha", (), POSITIVE, latex=r"\alpha", spellings=(r"\alpha",))

SETUP = (r"Let $X \in \mathbb{R}^{N \times d}$, $D \in \{0,1\}^{N \times d}$ with iid Bernoulli($p$) "
         r"entries, $0 < p < 1$, and $P = D \odot X$. ")

MASK_MEAN = Part(
    id="dropout.mask_mean", title="Mean of the masked design",
    sheet=Sheet(statement=SETUP + r"Find $\mathbb{E}[P]$."),
    derivation=Derivation(
        variables=(X, p), sizes=GRID, numeric_sizes=NUMERIC_GRID, derive=lambda v: expectation(*masked(v)),
        result=lambda v: v.p * v.X, result_lhs=r"\mathbb{E}[P]",
        steps=(Step(r"\mathbb{E}[P_{ij}]", lambda v, i, j: Bernoulli(v.p).moment(1) * v.X[i, j],
                    r"$P_{ij} = D_{ij} X_{ij}$, $X$ is fixed, and $\mathbb{E}[D_{ij}] = 1 \cdot p + 0 \cdot (1-p)$",
                    "ij"),),
        oracle=enumeration(np_mask_mean, r"each row's $2^d$ masks")),
    grading=Grading(slips=(Slip('p^2*X', r"the second moment $\mathbb{E}[D_{ij}^2]$ used for the first"),
                           Slip('X', r"the mask averaged to one")),
                    neighbours=("dropout.mask_gram",)),
)


MASK_GRAM = Part(
    id="dropout.mask_gram", title="Second moment of the masked design",
    sheet=Sheet(statement=SETUP + r"Find $\mathbb{E}[P^\top P]$."),
    derivation=Derivation(
        variables=(X, p), sizes=GRID, numeric_sizes=NUMERIC_GRID, derive=masked_gram,
        result=lambda v: v.p ** 2 * v.X.T * v.X + v.p * (1 - v.p) * diag(v.X.T * v.X),
        result_lhs=r"\mathbb{E}[P^\top P]",
        steps=(
            Step(r"\mathbb{E}[(P^\top P)_{jk}]",
                 lambda v, j, k: v.sum(lambda i: v.X[i, j] * v.X[i, k] * mask_pair(v, j, k), "N", "i"),
                 r"$(P^\top P)_{jk} = \sum_i D_{ij} X_{ij} D_{ik} X_{ik}$; by cases, " + MASK_CASES
                 + r" ($D^2 = D$ for a 0/1 mask; distinct entries are independent)", "jk"),
            Step(r"\mathbb{E}[(P^\top P)_{jk}]",
                 lambda v, j, k: v.p ** 2 * v.sum(lambda i: v.X[i, j] * v.X[i, k], "N", "i")
                 + v.p * (1 - v.p) * Same(j, k) * v.sum(lambda i: v.X[i, j] ** 2, "N", "i"),
                 r"split the sum: the first is $(X^\top X)_{jk}$, the second only survives on the "
                 r"diagonal, where it is $(X^\top X)_{jj}$", "jk"),
        ),
        oracle=enumeration(lambda x: rows_expectation(
            x, lambda m, i: np.einsum("mj,mk->mjk", m * x["X"][i], m * x["X"][i])), r"each row's $2^d$ masks")),
    grading=Grading(slips=(Slip('p^2*X^T*X', r"the diagonal term lost: $D_{ij}$ taken independent of itself"),
                           Slip('p*X^T*X', r"$D^2 = D$ applied to distinct entries too")),
                    neighbours=("dropout.mask_mean", "dropout.expected_loss")),
)


EXPECTED_LOSS = Part(
    id="dropout.expected_loss", title="Expected dropout loss",
    sheet=Sheet(
        statement=SETUP + r"With $y \in \mathbb{R}^N$ and $w \in \mathbb{R}^d$, find "
                  r"$\mathbb{E}\,\|y - P w\|^2$ and write the penalty with $\Gamma = \operatorname{diag}(X^\top X)^{1/2}$.",
        figures=(Figure("dropout_convergence", r"The mean of $\|y - (D \odot X)w\|^2$ over $m$ sampled masks "
                        r"approaches the expected loss ($N = 8$, $d = 5$, $p = 0.6$; NumPy)", plot_mask_average_convergence),)),
    derivation=Derivation(
        variables=(X, y, w, p), sizes=GRID, numeric_sizes=NUMERIC_GRID, derive=lambda v: dropout_loss(v, v.w),
        result=lambda v: squared_norm(v.y - v.p * v.X * v.w) + v.p * (1 - v.p) * quad(v.w, diag(v.X.T * v.X)),
        result_lhs=r"\mathbb{E}\,\|y - P w\|^2",
        steps=(
            Step(r"\mathbb{E}\,\|y - P w\|^2",
                 lambda v: squared_norm(v.y) - 2 * v.p * bilinear(v.y, v.X, v.w)
                 + quad(v.w, v.p ** 2 * v.X.T * v.X + v.p * (1 - v.p) * diag(v.X.T * v.X)),
                 r"expand $y^\top y - 2 y^\top P w + w^\top P^\top P w$; linearity with "
                 r"$\mathbb{E}[P] = pX$ and $\mathbb{E}[P^\top P]$ from the two parts above"),
            Step(r"\mathbb{E}\,\|y - P w\|^2",
                 lambda v: squared_norm(v.y - v.p * v.X * v.w) + v.p * (1 - v.p) * squared_norm(gamma(v, True) * v.w),
                 r"complete the square: $y^\top y - 2p\, y^\top X w + p^2 w^\top X^\top X w = \|y - pXw\|^2$; "
                 r"$w^\top \operatorname{diag}(X^\top X) w = \|\Gamma w\|^2$"),
        ),
        also=(Step(r"\mathbb{E}\,\|y - P w\|^2",
                   lambda v: squared_norm(v.y - v.p * v.X * v.w) + v.p * (1 - v.p) * squared_norm(gamma(v, True) * v.w),
                   "the penalty through Gamma"),
              Step(r"\Gamma", gamma, "read off the penalty's quadratic form", target=penalty_root)),
        oracle=enumeration(lambda x: np_loss(x["X"], x["y"], x["w"], x["p"]), r"each row's $2^d$ masks"),
        checks=(MONTE_CARLO,)),
    grading=Grading(
        slips=(Slip('||y - p*X*w||^2', r"the mask's variance forgotten"),
               Slip('||y - p*X*w||^2 + p*(1-p)*w^T*X^T*X*w', r"the full Gram matrix where only its diagonal belongs")),
        neighbours=("dropout.mask_gram", "dropout.unit_regulariser")),
)


RIDGE = Part(
    id="dropout.ridge", title="Dropout is ridge regression",
    sheet=Sheet(statement=SETUP + r"Show that with $\tilde w = p w$ the expected loss is "
                          r"$\|y - X\tilde w\|^2 + \|\Gamma_r \tilde w\|^2$, a ridge regression, and find the "
                          r"matrix $\Gamma_r$.",
                figures=(Figure("dropout_strength", r"Regulariser strength against the keep probability $p$: "
                                r"$p(1-p)$ peaks at $p = 1/2$; the ridge strength $(1-p)/p$ vanishes as $p \to 1$",
                                plot_strength),)),
    derivation=Derivation(
        variables=(X, y, p, w_tilde), sizes=GRID, numeric_sizes=NUMERIC_GRID, derive=ridge_matrix, result=ridge_gamma,
        result_lhs=r"\Gamma_r",
        steps=(
            Step(r"\mathbb{E}\,\|y - P w\|^2",
                 lambda v: squared_norm(v.y - v.X * v.w_tilde) + (1 - v.p) / v.p * quad(v.w_tilde, diag(v.X.T * v.X)),
                 r"substitute $w = \tilde w / p$: $pXw = X\tilde w$ and $p(1-p) = \frac{1-p}{p} p^2$",
                 target=lambda v: dropout_loss(v, v.w_tilde / v.p)),
            Step(r"\mathbb{E}\,\|y - P w\|^2",
                 lambda v: squared_norm(v.y - v.X * v.w_tilde) + squared_norm(ridge_gamma(v, True) * v.w_tilde),
                 r"$\frac{1-p}{p} \tilde w^\top \operatorname{diag}(X^\top X) \tilde w = \|\Gamma_r \tilde w\|^2$ "
                 r"with $\Gamma_r = \sqrt{(1-p)/p}\,\Gamma$",
                 target=lambda v: dropout_loss(v, v.w_tilde / v.p)),
        ),
        oracle=RIDGE_GAMMA),
    grading=Grading(slips=(Slip('sqrt((1-p)/p)*diag(X^T*X)', r"the square root of the diagonal forgotten"),
                           Slip('(1-p)/p*diag(X^T*X)^(1/2)', r"the strength not square-rooted")),
                    neighbours=("dropout.expected_loss", "dropout.rescaled_design")),
)


RESCALED_DESIGN = Part(
    id="dropout.rescaled_design", title="The rescaled design has equal column norms",
    sheet=Sheet(statement=SETUP + r"With $u = \Gamma_r \tilde w$ the ridge problem is "
                          r"$\|y - \tilde X u\|^2 + \|u\|^2$ with $\tilde X = X \Gamma_r^{-1}$. Show that every "
                          r"column of $\tilde X$ has the same norm and find it.",
                # SymPy splits the root: step 2 says more
                show_instance=False),
    derivation=Derivation(
        variables=(X, y, p, w_tilde), sizes=GRID, numeric_sizes=NUMERIC_GRID,
        derive=lambda v: sp.sqrt(rescaled_column_norms2(v)[0]),
        # printed as one root
        result=lambda v: sp.Pow(v.p / (1 - v.p), sp.S.Half, evaluate=False),
        result_lhs=r"\|\tilde X_{:,j}\|",
        steps=(
            Step(r"\mathbb{E}\,\|y - P w\|^2",
                 lambda v: squared_norm(v.y - rescaled(v)[0] * rescaled(v)[1]) + squared_norm(rescaled(v)[1]),
                 r"$X \tilde w = X \Gamma_r^{-1} \Gamma_r \tilde w = \tilde X u$ and "
                 r"$\|\Gamma_r \tilde w\|^2 = \|u\|^2$ (the ridge form above)",
                 target=lambda v: dropout_loss(v, v.w_tilde / v.p)),
            Step(r"\|\tilde X_{:,j}\|^2", lambda v, j: v.p / (1 - v.p),
                 r"$\tilde X_{ij} = X_{ij} \big/ \sqrt{\tfrac{1-p}{p} (X^\top X)_{jj}}$, so "
                 r"$\sum_i \tilde X_{ij}^2 = \frac{p}{1-p}$ for every column $j$. Dividing each column by "
                 r"its own scale is a column normalisation, like batch norm: every feature gets the same norm, so "
                 r"after the change of variables the plain ridge penalty $\|u\|^2$ treats all features alike",
                 "j", target=rescaled_column_norms2),
        ),
        oracle=FIRST_COLUMN_NORM, checks=(EQUAL_COLUMN_NORMS,)),
    grading=Grading(slips=(Slip('sqrt((1-p)/p)', r"the ratio inverted"),
                           Slip('p/(1-p)', r"the squared norm given for the norm")),
                    neighbours=("dropout.ridge",)),
)


RIDGE_SOLUTION = Part(
    id="dropout.ridge_solution", title="The ridge solution",
    sheet=Sheet(statement=SETUP + r"Find the minimiser $\tilde w^*$ of the expected loss in $\tilde w = p w$."),
    derivation=Derivation(
        variables=(X, y, p, w_tilde, gram),
        # The exact identity between two inverses of symbolic d x d matrices grows fast with d;
        # proved for d <= 2 (N <= 3) and d = 3 (N = 1), and cross-checked numerically beyond.
        sizes={"N": [1, 2, 3, 4, 1, 2, 3, 1], "d": [1, 1, 1, 1, 2, 2, 2, 3]},
        # Cramer's rule in the closed form grows as d!: numeric checks up to d = 4.
        numeric_sizes={"N": [1, 2, 3, 4, 6, 9], "d": [1, 2, 3, 4]},
        derive=ridge_minimiser,
        # written with G = X^T X so that its numeric form stays small (proofs substitute G)
        result=lambda v: solve(ridge_system(v, v.G), v.X.T * v.y),
        result_lhs=r"\tilde w^*",
        steps=(
            Step(r"\nabla_{\tilde w}\, \mathbb{E}\,\|y - P w\|^2",
                 lambda v: 2 * ridge_system(v) * v.w_tilde - 2 * v.X.T * v.y,
                 r"differentiate the ridge form $\|y - X\tilde w\|^2 + \|\Gamma_r \tilde w\|^2$",
                 target=lambda v: sp.Matrix([sp.diff(dropout_loss(v, v.w_tilde / v.p), c) for c in v.w_tilde])),
        ),
        oracle=AUGMENTED_LEAST_SQUARES),
    grading=Grading(neighbours=("dropout.ridge",),
                    slips=(Slip('inv(X^T*X + diag(X^T*X))*X^T*y', r"the strength $(1-p)/p$ taken as $1$"),
                           Slip('inv(X^T*X + p/(1-p)*diag(X^T*X))*X^T*y', r"the ridge strength inverted"))),
)


UNIT_GRAD = Part(
    id="dropout.unit_grad", title="Gradient of a linear unit under dropout",
    sheet=Sheet(
        statement=r"One linear unit with inputs $x_i$ and weights $w_i$, $i = 1, \dots, n$; "
                  r"$\delta_i \sim$ Bernoulli($p_i$) independent. $E_D = \frac12 (t - \sum_i \delta_i w_i x_i)^2$, "
                  r"$E_{\mathrm{ENS}} = \frac12 (t - \sum_i p_i w_i x_i)^2$. Find "
                  r"$\mathbb{E}[\partial E_D / \partial w_i] - \partial E_{\mathrm{ENS}} / \partial w_i$. "
                  r"(In vector form, $\circ$ is the entrywise product, $x^{\circ 2} = x \circ x$ the entrywise "
                  r"square and $\mathbf{1}$ the vector of ones.)"),
    derivation=Derivation(
        variables=(w_n, x_n, p_n, t), sizes=UNIT_SIZES, numeric_sizes=UNIT_NUMERIC,
        derive=lambda v: expectation(unit_grad_dropout(v), unit_mask(v)[1]) - unit_grad_ensemble(v),
        result=lambda v: hadamard(hadamard(v.w, v.p), hadamard(ones(v, "n") - v.p, hadamard(v.x, v.x))),
        result_lhs=r"\mathbb{E}\left[\frac{\partial E_D}{\partial w}\right] - \frac{\partial E_{\mathrm{ENS}}}{\partial w}",
        steps=(
            Step(r"\frac{\partial E_D}{\partial w_i}",
                 lambda v, i: -(v.t - v.sum(lambda k: unit_mask(v)[0][k] * v.w[k] * v.x[k], "n")) * unit_mask(v)[0][i] * v.x[i],
                 "chain rule", "i", target=unit_grad_dropout),
            Step(r"\mathbb{E}\left[\frac{\partial E_D}{\partial w_i}\right]",
                 lambda v, i: -v.t * v.p[i] * v.x[i] + v.sum(lambda k: v.w[k] * v.x[k] * v.x[i] * unit_pair(v, k, i), "n"),
                 r"linearity, $\mathbb{E}[\delta_i] = p_i$, and " + UNIT_CASES, "i",
                 target=lambda v: expectation(unit_grad_dropout(v), unit_mask(v)[1])),
            Step(r"\mathbb{E}\left[\frac{\partial E_D}{\partial w_i}\right]",
                 lambda v, i: -(v.t - v.sum(lambda k: v.p[k] * v.w[k] * v.x[k], "n")) * v.p[i] * v.x[i]
                 + v.w[i] * v.p[i] * (1 - v.p[i]) * v.x[i] ** 2,
                 r"the $p_k p_i$ terms give $\partial E_{\mathrm{ENS}} / \partial w_i$; the $[k = i]$ term keeps $k = i$",
                 "i", target=lambda v: expectation(unit_grad_dropout(v), unit_mask(v)[1])),
        ),
        oracle=differences(np_unit_gradient_gap, r"central differences of the NumPy expectation over all $2^n$ "
                           r"masks, minus those of $E_{\mathrm{ENS}}$")),
    grading=Grading(slips=(Slip('-w_i*p_i*(1-p_i)*x_i^2', r"the sign flipped"),
                           Slip('w_i*p_i*(1-p_i)*x_i', r"one factor $x_i$ lost in the chain rule")),
                    neighbours=("dropout.unit_regulariser",)),
)


UNIT_REGULARISER = Part(
    id="dropout.unit_regulariser", title="Dropout on a linear unit is a regulariser",
    sheet=Sheet(
        statement=r"For the linear unit under dropout of the previous part, find $\mathbb{E}[E_D] - E_{\mathrm{ENS}}$."),
    derivation=Derivation(
        variables=(w_n, x_n, p_n, t), sizes=UNIT_SIZES, numeric_sizes=UNIT_NUMERIC,
        derive=lambda v: expectation(unit_error(v, unit_mask(v)[0]), unit_mask(v)[1]) - unit_error(v, v.p),
        result=lambda v: sp.Rational(1, 2) * v.sum(lambda i: v.p[i] * (1 - v.p[i]) * v.w[i] ** 2 * v.x[i] ** 2, "n", "i"),
        result_lhs=r"\mathbb{E}[E_D] - E_{\mathrm{ENS}}",
        steps=(
            Step(r"\mathbb{E}[E_D]",
                 lambda v: (v.t ** 2 - 2 * v.t * v.sum(lambda i: v.p[i] * v.w[i] * v.x[i], "n", "i")
                            + v.sum(lambda i: v.sum(lambda k: v.w[i] * v.x[i] * v.w[k] * v.x[k] * unit_pair(v, k, i),
                                                    "n", "k"), "n", "i")) / 2,
                 r"expand the square; linearity and " + UNIT_CASES,
                 target=lambda v: expectation(unit_error(v, unit_mask(v)[0]), unit_mask(v)[1])),
            Step(r"\mathbb{E}[E_D]",
                 lambda v: unit_error(v, v.p) + v.sum(lambda i: v.p[i] * (1 - v.p[i]) * v.w[i] ** 2 * v.x[i] ** 2, "n", "i") / 2,
                 r"the $p_i p_k$ terms rebuild $E_{\mathrm{ENS}}$; the $[k = i]$ terms leave the variance "
                 r"$p_i(1-p_i)$ of each gate",
                 target=lambda v: expectation(unit_error(v, unit_mask(v)[0]), unit_mask(v)[1])),
        ),
        oracle=enumeration(lambda x: np_unit_dropout(x) - np_unit_error(x, x["p"]), r"all $2^n$ masks")),
    grading=Grading(
        slips=(Slip('sum(p_i*(1-p_i)*w_i^2*x_i^2, i, 1, n)', r"the factor $\tfrac12$ of the error dropped"),
               Slip('1/2*sum(p_i^2*w_i^2*x_i^2, i, 1, n)', r"$\mathbb{E}[\delta_i^2]$ taken as $p_i^2$ instead of $p_i$")),
        neighbours=("dropout.unit_grad", "dropout.expected_loss")),
)


GAUSS_ADDITIVE = Part(
    id="dropout.gauss_additive", title="Additive Gaussian weight noise",
    sheet=Sheet(statement=r"$J = \frac12 (y_d - \sum_k (w_k + \delta_k) x_k)^2$ with independent "
                          r"$\delta_k \sim N(0, \alpha w_k^2)$. Find $\mathbb{E}[J]$."),
    derivation=Derivation(
        variables=(w_n, x_n, y_d, alpha), sizes=UNIT_SIZES, numeric_sizes=UNIT_NUMERIC,
        derive=lambda v: expectation(*gauss_noise(v, False)), result=lambda v: gauss_closed(v, v.alpha),
        result_lhs=r"\mathbb{E}[J]",
        steps=(Step(r"\mathbb{E}[J]",
                    lambda v: (v.y_d - v.sum(lambda k: v.w[k] * v.x[k], "n")) ** 2 / 2
                    + v.sum(lambda k: v.sum(lambda l: v.x[k] * v.x[l] * gauss_pair(v, k, l), "n", "l"), "n") / 2,
                    r"expand around the noiseless fit; $\mathbb{E}[\delta_k] = 0$ kills the cross term, and "
                    + GAUSS_CASES, target=lambda v: expectation(*gauss_noise(v, False))),),
        oracle=quadrature(lambda x: np_gauss(x, False))),
    grading=Grading(
        slips=(Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2', r"the noise's variance forgotten"),
               Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + alpha/2*sum(x_k^2, k, 1, n)', r"the variance taken as $\alpha$ instead of $\alpha w_k^2$")),
        neighbours=("dropout.gauss_multiplicative", "dropout.gauss_additive_grad")),
)


GAUSS_ADDITIVE_GRAD = Part(
    id="dropout.gauss_additive_grad", title="Gradient under additive Gaussian weight noise",
    sheet=Sheet(
        statement=r"For $J$ of the previous part (additive noise), find $\partial \mathbb{E}[J] / \partial w_i$ "
                  r"(the noise variance $\alpha w_k^2$ depends on $w$). In vector form, $\circ$ is the entrywise "
                  r"product and $x^{\circ 2} = x \circ x$ the entrywise square."),
    derivation=Derivation(
        variables=(w_n, x_n, y_d, alpha), sizes=UNIT_SIZES, numeric_sizes=UNIT_NUMERIC,
        derive=lambda v: sp.Matrix([sp.diff(expectation(*gauss_noise(v, False)), c) for c in v.w]),
        result=lambda v: -(v.y_d - v.sum(lambda k: v.w[k] * v.x[k], "n")) * v.x
        + v.alpha * hadamard(v.w, hadamard(v.x, v.x)),
        result_lhs=r"\frac{\partial \mathbb{E}[J]}{\partial w}",
        oracle=gradient_in("w", lambda x: np_gauss(x, False), r"central differences of the Gauss-Hermite "
                           r"expectation (noise scale moving with $w$)")),
    grading=Grading(
        slips=(Slip('-(y_d - sum(w_k*x_k, k, 1, n))*x_i', r"the variance's dependence on $w$ forgotten"),
               Slip('-(y_d - sum(w_k*x_k, k, 1, n))*x_i + 2*alpha*w_i*x_i^2', r"the factor $\tfrac12$ of the penalty dropped")),
        neighbours=("dropout.gauss_additive",)),
)


# The noise law of the multiplicative part: the catalogue's Gaussian r_k ~ N(1, alpha^2), or a
# variant's inverted dropout r_k = b_k / q with b_k ~ Bernoulli(q): same mean 1, variance (1 - q)/q.
q_keep = Variable("q", (), UNIT_INTERVAL, latex="q")
NOISE_PARAMETERS = (Param("law", "gaussian", choices=("gaussian", "inverted dropout"), what="the law of r_k"),)


def inverted_dropout_noise(v):
    b, law = random_matrix("b", (v.n,), Bernoulli(v.q))
    return sp.Rational(1, 2) * (v.y_d - v.sum(lambda k: v.w[k] * v.x[k] * b[k] / v.q, "n")) ** 2, law


def multiplicative_noise(values):
    if values["law"] == "gaussian":
        return Part(
            id="dropout.gauss_multiplicative", title="Multiplicative Gaussian noise",
            sheet=Sheet(statement=r"$J' = \frac12 (y_d - \sum_k w_k x_k r_k)^2$ with iid $r_k \sim N(1, \alpha^2)$. "
                                  r"Find $\mathbb{E}[J']$."),
            derivation=Derivation(
                variables=(w_n, x_n, y_d, alpha), sizes=UNIT_SIZES, numeric_sizes=UNIT_NUMERIC,
                derive=lambda v: expectation(*gauss_noise(v, True)), result=lambda v: gauss_closed(v, v.alpha ** 2),
                result_lhs=r"\mathbb{E}[J']",
                oracle=quadrature(lambda x: np_gauss(x, True))),
            grading=Grading(
                slips=(Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + alpha/2*sum(w_k^2*x_k^2, k, 1, n)', r"the variance $\alpha^2$ taken as $\alpha$: the additive part's answer"),
                       Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + alpha^2*sum(w_k^2*x_k^2, k, 1, n)', r"the factor $\tfrac12$ of the penalty dropped")),
                neighbours=("dropout.gauss_additive",)),
        )
    return Part(
        id="dropout.gauss_multiplicative", title="Multiplicative noise: inverted dropout",
        sheet=Sheet(statement=r"$J' = \frac12 (y_d - \sum_k w_k x_k r_k)^2$ with $r_k = b_k / q$ and iid "
                              r"$b_k \sim \mathrm{Bernoulli}(q)$, $0 < q < 1$ (inverted dropout: $\mathbb{E}[r_k] = 1$). "
                              r"Find $\mathbb{E}[J']$."),
        derivation=Derivation(
            variables=(w_n, x_n, y_d, q_keep), sizes=UNIT_SIZES, numeric_sizes={"n": [1, 2, 3, 4, 5, 6, 8]},
            derive=lambda v: expectation(*inverted_dropout_noise(v)),
            result=lambda v: gauss_closed(v, (1 - v.q) / v.q), result_lhs=r"\mathbb{E}[J']",
            oracle=enumeration(np_inverted_dropout, r"all $2^n$ masks")),
        grading=Grading(
            slips=(Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + q*(1-q)/2*sum(w_k^2*x_k^2, k, 1, n)',
                        r"the variance of $b_k$, $q(1 - q)$, in place of that of $r_k = b_k / q$"),
                   Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + (1-q)/q*sum(w_k^2*x_k^2, k, 1, n)',
                        r"the factor $\tfrac12$ of the penalty dropped")),
            neighbours=("dropout.gauss_additive",)),
    )


GAUSS_MULTIPLICATIVE = parametrised(Parameters(NOISE_PARAMETERS, multiplicative_noise))


PARTS = [MASK_MEAN, MASK_GRAM, EXPECTED_LOSS, RIDGE, RESCALED_DESIGN, RIDGE_SOLUTION, UNIT_GRAD, UNIT_REGULARISER, GAUSS_ADDITIVE, GAUSS_ADDITIVE_GRAD, GAUSS_MULTIPLICATIVE]
