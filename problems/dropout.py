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
from hypothesis import strategies as st

from derive import Derivation, Figure, Grading, Oracle, Part, Sheet, Slip, Step, Variable
from derive.model.domains import POSITIVE, UNIT_INTERVAL
from derive.maths.expectation import (Bernoulli, Normal, cases_latex, expectation, index_cases,
                                kronecker_form, random_matrix)
from derive.model.functions import diag, hadamard, squared_norm
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON, central_gradient
from derive.verify.random_oracles import mask_expectation, monte_carlo_mean

from derive.verify.dropout_oracles import (np_gauss, np_loss, np_ridge_gamma, np_unit_dropout, np_unit_error,
                                           plot_mask_average_convergence, plot_strength, rows_expectation)
from derive.verify.simulation import Simulation, closed_form

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

ENUMERATION_RTOL = 1e-9
ENUMERATION_REASON = (r"float64 sums over at most $2^8$ masks per row ($2^{11}$ for one unit) of products "
                      r"of $O(10)$ numbers: round-off below $10^{-13}$ relative; $10^{-9}$ leaves margin, "
                      r"while a wrong coefficient ($p^2$ for $p$, $(1-p)^2$ for $p(1-p)$) shifts the value "
                      r"by a non-zero multiple of the penalty term, about $10^{-4}$ or more at the sampled points")
QUADRATURE_RTOL = 1e-9
QUADRATURE_REASON = (r"the integrand is a degree-$2$ polynomial in each noise variable, so a $2$-node "
                     r"Gauss-Hermite rule per variable is exact; float64 round-off over at most $2^{10}$ "
                     r"grid points stays below $10^{-12}$ relative")

# --- the random model, in SymPy (explicit sizes) -----------------------------------------
i_, j_, k_ = sp.symbols("i j k", integer=True)
D_, DELTA = sp.IndexedBase("D"), sp.IndexedBase(r"\delta")
P_, W_ = sp.IndexedBase("p"), sp.IndexedBase("w")


def masked(v):
    """P = D * X with the law of D's entries."""
    D, law = random_matrix("D", (v.N, v.d), Bernoulli(v.p))
    return hadamard(D, v.X), law


def masked_gram(v):
    P, law = masked(v)
    return expectation(P.T * P, law)


def dropout_loss(v, weights):
    """E||y - (D * X) w||^2 by the expectation engine, D iid Bernoulli(p)."""
    D, law = random_matrix("D", (v.N, v.d), Bernoulli(v.p))
    return expectation(squared_norm(v.y - hadamard(D, v.X) * weights), law)


def mask_pair(v, j, k):
    """E[D_ij D_ik] from the case split j = k / j != k, as p^2 + p(1-p) delta_jk."""
    return bracketed(kronecker_form(index_cases(D_[i_, j] * D_[i_, k], D_, Bernoulli(v.p))))


class Same(sp.Function):
    """[k = i], the Iverson bracket: on these sheets delta names the noise, so the Kronecker
    delta of the expectation engine prints as a bracket (it is one for integer indices)."""

    @classmethod
    def eval(cls, a, b):
        if a.is_Integer and b.is_Integer:
            return sp.KroneckerDelta(a, b)

    def _latex(self, printer):
        return rf"[{printer._print(self.args[0])} = {printer._print(self.args[1])}]"


def bracketed(expr):
    return expr.replace(sp.KroneckerDelta, Same)


def unit_pair(v, k, i):
    """E[delta_k delta_i] for independent delta_i ~ Bernoulli(p_i)."""
    return bracketed(kronecker_form(index_cases(DELTA[k] * DELTA[i], DELTA, lambda q: Bernoulli(v.p[q]))))


def gauss_pair(v, k, l):
    """E[delta_k delta_l] for independent delta_k ~ N(0, alpha w_k^2)."""
    return bracketed(kronecker_form(index_cases(DELTA[k] * DELTA[l], DELTA,
                                                lambda q: Normal(0, v.alpha * v.w[q] ** 2))))


def bilinear(a, matrix, b):
    return (a.T * matrix * b)[0, 0] if isinstance(a, sp.MatrixBase) else a.T * matrix * b


def quad(vec, matrix):
    return bilinear(vec, matrix, vec)


def solve(matrix, rhs):
    """matrix^{-1} rhs by Cramer's rule on placeholder entries: adj(M) rhs / det(M), with the
    entries put in afterwards, so nothing large is pivoted, zero-tested or expanded."""
    if not isinstance(matrix, sp.MatrixBase):
        return sp.Inverse(matrix) * rhs
    g = sp.Matrix(*matrix.shape, lambda a, b: sp.Dummy(f"g{a}{b}"))
    adj, det = g.adjugate(method="berkowitz"), g.det(method="berkowitz")
    return (adj.xreplace(dict(zip(g, matrix))) * rhs) / det.xreplace(dict(zip(g, matrix)))


def gamma(v, named=False):
    """Gamma = diag(X^T X)^(1/2); ``named`` prints it as the letter Gamma on a sheet."""
    if v.general and named:
        return sp.MatrixSymbol("Gamma", v.d, v.d)
    if v.general:
        return sp.MatPow(diag(v.X.T * v.X), sp.S.Half)
    return diag(v.X.T * v.X).applyfunc(sp.sqrt)


def ridge_gamma(v, named=False):
    if v.general and named:
        return sp.MatrixSymbol("Gamma_r", v.d, v.d)
    return sp.sqrt((1 - v.p) / v.p) * gamma(v)


def ridge_matrix(v):
    """Gamma_r derived: substitute w = w~/p, subtract ||y - X w~||^2, read off the quadratic form."""
    remainder = sp.expand(dropout_loss(v, v.w_tilde / v.p) - squared_norm(v.y - v.X * v.w_tilde))
    A = sp.hessian(remainder, list(v.w_tilde)) / 2
    if not A.is_diagonal() or any(remainder.has(s) for s in v.y):
        raise ValueError("the dropout penalty should be a diagonal quadratic form in w~ alone")
    return A.applyfunc(lambda a: sp.sqrt(sp.factor(a)))


def penalty_root(v):
    """Gamma derived: the expected loss minus ||y - pXw||^2 is p(1-p) w^T A w; Gamma = A^(1/2)."""
    remainder = sp.expand(dropout_loss(v, v.w) - squared_norm(v.y - v.p * v.X * v.w))
    A = sp.hessian(remainder, list(v.w)) / (2 * v.p * (1 - v.p))
    return A.applyfunc(lambda a: sp.sqrt(sp.factor(a)))


def rescaled(v):
    """(X~, u) = (X Gamma_r^{-1}, Gamma_r w~), or their symbols for notation."""
    if v.general:
        return sp.MatrixSymbol(r"\tilde{X}", v.N, v.d), sp.MatrixSymbol("u", v.d, 1)
    G = ridge_gamma(v)
    return v.X * G.inv(), G * v.w_tilde


def rescaled_column_norms2(v):
    Xt = v.X * ridge_matrix(v).inv()
    return sp.Matrix([sp.cancel(sum(Xt[i, j] ** 2 for i in range(v.N))) for j in range(v.d)])


def ridge_minimiser(v):
    """Solve the normal equations of the expected loss in w~ = p w."""
    loss = dropout_loss(v, v.w_tilde / v.p)
    A, b = sp.linear_eq_to_matrix([sp.diff(loss, c) for c in v.w_tilde], list(v.w_tilde))
    return A.LUsolve(b)


def ridge_system(v, gram=None):
    gram = v.X.T * v.X if gram is None else gram
    return gram + (1 - v.p) / v.p * diag(gram)


def unit_mask(v):
    """delta_i ~ Bernoulli(p_i): explicit symbols with their laws, or delta_i for notation."""
    if v.general:
        return DELTA, {}
    return random_matrix("delta", (v.n,), lambda i: Bernoulli(v.p[i - 1]))


def unit_error(v, gates):
    return sp.Rational(1, 2) * (v.t - v.sum(lambda k: gates[k] * v.w[k] * v.x[k], "n")) ** 2


def unit_grad_dropout(v):
    delta, _ = unit_mask(v)
    return sp.Matrix([sp.diff(unit_error(v, delta), v.w[i]) for i in range(v.n)])


def unit_grad_ensemble(v):
    return sp.Matrix([sp.diff(unit_error(v, v.p), v.w[i]) for i in range(v.n)])


def ones(v, dim):
    return sp.OneMatrix(v.sizes[dim], 1) if v.general else sp.ones(v.sizes[dim], 1)


def gauss_noise(v, multiplicative):
    """r_k ~ N(1, alpha^2) or delta_k ~ N(0, alpha w_k^2), explicit, with the squared error."""
    if multiplicative:
        r, law = random_matrix("r", (v.n,), Normal(1, v.alpha ** 2))
        pred = v.sum(lambda k: v.w[k] * v.x[k] * r[k], "n")
    else:
        r, law = random_matrix("delta", (v.n,), lambda k: Normal(0, v.alpha * v.w[k - 1] ** 2))
        pred = v.sum(lambda k: (v.w[k] + r[k]) * v.x[k], "n")
    return sp.Rational(1, 2) * (v.y_d - pred) ** 2, law


def gauss_closed(v, scale):
    fit = v.y_d - v.sum(lambda k: v.w[k] * v.x[k], "n")
    return fit ** 2 / 2 + scale / 2 * v.sum(lambda k: v.w[k] ** 2 * v.x[k] ** 2, "n")


# --- independent NumPy oracles and the figures: derive/verify/dropout_oracles.py

def enumeration(reference, what):
    """``what`` is inline text, e.g. "each row's $2^d$ masks"."""
    return Oracle(reference, f"exact enumeration of {what} with their probabilities (NumPy)",
                  ENUMERATION_RTOL, ENUMERATION_REASON)


def monte_carlo_loss_check(part, case):
    """Mean dropout loss over 20000 sampled masks at sizes too large to enumerate."""
    sizes, seed = case
    rng = np.random.default_rng(seed)
    x = part.sample(rng, sizes)

    def draw(g, k):
        masks = g.random((k, *x["X"].shape)) < x["p"]
        return np.sum((x["y"] - np.einsum("knd,d->kn", masks * x["X"], x["w"])) ** 2, axis=1)
    mc = monte_carlo_mean(draw, rng, 20000)
    claimed = float(closed_form(part, part.result, sizes, x).reshape(-1)[0])
    return mc.z(claimed), {"sizes": sizes, "monte carlo": mc.mean, "standard error": mc.standard_error,
                           "closed form": claimed}


MONTE_CARLO = Simulation(
    r"the mean dropout loss over $20000$ random masks matches the closed form at $N \le 20$, $d \le 24$",
    lambda: st.tuples(st.fixed_dictionaries({"N": st.integers(5, 20), "d": st.integers(17, 24)}),
                      st.integers(0, 2**32 - 1)),
    monte_carlo_loss_check, r"Monte Carlo over $20000$ masks ($2^{N d}$ is far too many to enumerate); "
    r"error $= |\text{mean} - \text{closed form}|$ in standard errors", 5.0,
    r"with a correct closed form the $z$-score is approximately $|N(0,1)|$, above $5$ with probability "
    r"about $6 \times 10^{-7}$ per case; a $(1-p)^2$ slip moves the mean by tens of standard errors or more", cases=6)


def column_norm_check(part, case):
    """Every column of X Gamma_r^{-1} has the same norm, on random X with spread column scales."""
    (N, d), seed = case
    rng = np.random.default_rng(seed)
    X_ = rng.normal(size=(N, d)) * 10 ** rng.uniform(-2, 2, size=d)
    p_ = rng.uniform(0.02, 0.98)
    norms = np.linalg.norm(X_ @ np.linalg.inv(np_ridge_gamma(X_, p_)), axis=0)
    claimed = np.sqrt(p_ / (1 - p_))
    return float(np.max(np.abs(norms - claimed)) / claimed), {"N": N, "d": d, "p": p_, "norms": norms}


SETUP = (r"Let $X \in \mathbb{R}^{N \times d}$, $D \in \{0,1\}^{N \times d}$ with iid Bernoulli($p$) "
         r"entries, $0 < p < 1$, and $P = D \odot X$. ")
MASK_CASES = cases_latex(r"\mathbb{E}[D_{ij} D_{ik}]", index_cases(D_[i_, j_] * D_[i_, k_], D_, Bernoulli(sp.Symbol("p"))))
UNIT_CASES = cases_latex(r"\mathbb{E}[\delta_k \delta_i]",
                         index_cases(DELTA[k_] * DELTA[i_], DELTA, lambda q: Bernoulli(P_[q])))
GAUSS_CASES = cases_latex(r"\mathbb{E}[\delta_k \delta_l]", index_cases(
    DELTA[k_] * DELTA[sp.Symbol("l", integer=True)], DELTA, lambda q: Normal(0, sp.Symbol("alpha") * W_[q] ** 2)))

MASK_MEAN = Part(
    id="dropout.mask_mean", title="Mean of the masked design",
    sheet=Sheet(statement=SETUP + r"Find $\mathbb{E}[P]$."),
    derivation=Derivation(
        variables=(X, p), sizes=GRID, numeric_sizes=NUMERIC_GRID, derive=lambda v: expectation(*masked(v)),
        result=lambda v: v.p * v.X, result_lhs=r"\mathbb{E}[P]",
        steps=(Step(r"\mathbb{E}[P_{ij}]", lambda v, i, j: Bernoulli(v.p).moment(1) * v.X[i, j],
                    r"$P_{ij} = D_{ij} X_{ij}$, $X$ is fixed, and $\mathbb{E}[D_{ij}] = 1 \cdot p + 0 \cdot (1-p)$",
                    "ij"),),
        oracle=enumeration(lambda x: np.array([mask_expectation(lambda m: m * x["X"][i], np.full(x["X"].shape[1], x["p"]))
                                               for i in range(x["X"].shape[0])]), r"each row's $2^d$ masks")),
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
        oracle=Oracle(lambda x: np_ridge_gamma(x["X"], x["p"]),
                      r"the enumerated expected loss at $w = \tilde w / p$ minus $\|X \tilde w\|^2$ ($y = 0$), its "
                      r"quadratic form read off by polarisation, then a symmetric square root (NumPy eigh)", 1e-7,
                      r"the remainder is a difference of float64 enumerations scaling like $1/p^2$ "
                      r"(up to $2500$ for $p = 0.02$): cancellation costs up to $4$ of float64's $16$ digits and "
                      r"the square root halves the relative error; $10^{-7}$ leaves margin, a wrong factor errs "
                      r"by $O(1)$")),
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
        oracle=Oracle(lambda x: np.linalg.norm((x["X"] @ np.linalg.inv(np_ridge_gamma(x["X"], x["p"])))[:, 0]),
                      r"the first column norm of $X \Gamma_r^{-1}$, with $\Gamma_r$ from the enumeration oracle of "
                      r"the ridge part (NumPy)", 1e-7, r"as for the ridge part: float64 enumeration with "
                      r"cancellation up to $1/p^2$; $10^{-7}$ leaves margin"),
        checks=(Simulation(r"every column of $X \Gamma_r^{-1}$ has norm $\sqrt{p/(1-p)}$ on random $X$ whose "
                           r"column scales span $10^{-2}$ to $10^{2}$", lambda: st.tuples(st.tuples(st.integers(1, 30), st.integers(1, 8)),
                                                                         st.integers(0, 2**32 - 1)),
                           column_norm_check, r"NumPy: $\Gamma_r$ by enumeration and polarisation, then column "
                           "norms; error = largest relative deviation", 1e-6,
                           r"column scales spread over $4$ decades make $A$'s entries span $8$, so eigh loses up "
                           r"to $8$ digits on the small ones: $10^{-6}$ relative is safe, a wrong norm errs by $O(1)$",
                           cases=20),)),
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
        oracle=Oracle(lambda x: np.linalg.lstsq(
            np.vstack([x["X"], np.sqrt((1 - x["p"]) / x["p"]) * np.diag(np.linalg.norm(x["X"], axis=0))]),
            np.concatenate([x["y"], np.zeros(x["X"].shape[1])]), rcond=None)[0],
            r"NumPy least squares on the augmented problem $\begin{pmatrix} X \\ \Gamma_r \end{pmatrix} \tilde w "
            r"= \begin{pmatrix} y \\ 0 \end{pmatrix}$", 1e-7,
            r"lstsq is backward stable: its error is about $\kappa \cdot 10^{-16}$ for the condition number "
            r"$\kappa$ of the stacked matrix, and $\Gamma_r$ keeps $\kappa$ below about $10^{6}$ for these samples; "
            r"a wrong penalty moves $\tilde w^*$ by $O(1)$")),
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
        oracle=Oracle(lambda x: central_gradient(lambda u: np_unit_dropout(x, u), x["w"])
                      - central_gradient(lambda u: np_unit_error(dict(x, w=u), x["p"]), x["w"]),
                      r"central differences of the NumPy expectation over all $2^n$ masks, minus those of $E_{\mathrm{ENS}}$",
                      FD_RTOL, FD_TOLERANCE_REASON)),
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
        oracle=Oracle(lambda x: np_gauss(x, False), "tensor Gauss-Hermite quadrature in NumPy",
                      QUADRATURE_RTOL, QUADRATURE_REASON)),
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
        oracle=Oracle(lambda x: central_gradient(lambda u: np_gauss(x, False, u), x["w"]),
                      r"central differences of the Gauss-Hermite expectation (noise scale moving with $w$)",
                      FD_RTOL, FD_TOLERANCE_REASON)),
    grading=Grading(
        slips=(Slip('-(y_d - sum(w_k*x_k, k, 1, n))*x_i', r"the variance's dependence on $w$ forgotten"),
               Slip('-(y_d - sum(w_k*x_k, k, 1, n))*x_i + 2*alpha*w_i*x_i^2', r"the factor $\tfrac12$ of the penalty dropped")),
        neighbours=("dropout.gauss_additive",)),
)


GAUSS_MULTIPLICATIVE = Part(
    id="dropout.gauss_multiplicative", title="Multiplicative Gaussian noise",
    sheet=Sheet(statement=r"$J' = \frac12 (y_d - \sum_k w_k x_k r_k)^2$ with iid $r_k \sim N(1, \alpha^2)$. "
                          r"Find $\mathbb{E}[J']$."),
    derivation=Derivation(
        variables=(w_n, x_n, y_d, alpha), sizes=UNIT_SIZES, numeric_sizes=UNIT_NUMERIC,
        derive=lambda v: expectation(*gauss_noise(v, True)), result=lambda v: gauss_closed(v, v.alpha ** 2),
        result_lhs=r"\mathbb{E}[J']",
        oracle=Oracle(lambda x: np_gauss(x, True), "tensor Gauss-Hermite quadrature in NumPy",
                      QUADRATURE_RTOL, QUADRATURE_REASON)),
    grading=Grading(
        slips=(Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + alpha/2*sum(w_k^2*x_k^2, k, 1, n)', r"the variance $\alpha^2$ taken as $\alpha$: the additive part's answer"),
               Slip('1/2*(y_d - sum(w_k*x_k, k, 1, n))^2 + alpha^2*sum(w_k^2*x_k^2, k, 1, n)', r"the factor $\tfrac12$ of the penalty dropped")),
        neighbours=("dropout.gauss_additive",)),
)


PARTS = [MASK_MEAN, MASK_GRAM, EXPECTED_LOSS, RIDGE, RESCALED_DESIGN, RIDGE_SOLUTION, UNIT_GRAD, UNIT_REGULARISER, GAUSS_ADDITIVE, GAUSS_ADDITIVE_GRAD, GAUSS_MULTIPLICATIVE]
