"""Dropout's NumPy side: exact enumeration and quadrature oracles of the dropout losses,
independent of the SymPy derivations in problems/dropout.py, and the two plots of its sheet
(the regulariser strengths against p; the mean over sampled masks converging to the exact
expected loss). Each plot draws on the Matplotlib axes the sheet's renderer passes in. Then the
oracles and simulations the parts declare, with their tolerances and why they hold."""
import numpy as np
from hypothesis import strategies as st

from ..model.part import Oracle
from .numeric import central_gradient
from .random_oracles import gauss_hermite_expectation, mask_expectation, monte_carlo_mean
from .simulation import Simulation, closed_form


def rows_expectation(x, per_row):
    """Sum over rows of E[per_row(masks, i)]: the loss is a sum over rows and row i depends only
    on its own d mask bits, so each row is enumerated over its 2^d masks."""
    N, d = x["X"].shape
    return sum(mask_expectation(lambda m: per_row(m, i), np.full(d, x["p"])) for i in range(N))


def np_mask_mean(x):
    """E[D * X], row by row over each row's 2^d masks."""
    d = x["X"].shape[1]
    return np.array([mask_expectation(lambda m: m * row, np.full(d, x["p"])) for row in x["X"]])


def np_loss(X_, y_, w_, p_):
    x = {"X": X_, "p": p_}
    return rows_expectation(x, lambda m, i: (y_[i] - (m * X_[i]) @ w_) ** 2)


def np_ridge_gamma(X_, p_):
    """Gamma_r from the enumerated loss: the remainder R(w~) = E_loss(w~/p) - ||X w~||^2 (y = 0)
    is a quadratic form w~^T A w~; read A by polarisation, take its symmetric square root."""
    d = X_.shape[1]
    zero = np.zeros(X_.shape[0])
    R = lambda u: np_loss(X_, zero, u / p_, p_) - np.sum((X_ @ u) ** 2)
    e = np.eye(d)
    A = np.array([[(R(e[a] + e[b]) - R(e[a]) - R(e[b])) / 2 for b in range(d)] for a in range(d)])
    vals, vecs = np.linalg.eigh((A + A.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def np_unit_error(x, gates):
    return 0.5 * (x["t"] - gates @ (x["w"] * x["x"])) ** 2


def np_unit_dropout(x, w_=None):
    x = dict(x, w=x["w"] if w_ is None else w_)
    return float(mask_expectation(lambda m: np_unit_error(x, m), x["p"]))


def np_unit_gradient_gap(x):
    """E[dE_D/dw] - dE_ENS/dw: central differences of the expectation over all 2^n masks, minus
    those of the ensemble error."""
    return (central_gradient(lambda u: np_unit_dropout(x, u), x["w"])
            - central_gradient(lambda u: np_unit_error(dict(x, w=u), x["p"]), x["w"]))


def np_gauss(x, multiplicative, w_=None):
    w_ = x["w"] if w_ is None else w_
    n, a = w_.size, x["alpha"]
    if multiplicative:
        return gauss_hermite_expectation(lambda r: 0.5 * (x["y_d"] - r @ (w_ * x["x"])) ** 2,
                                         np.ones(n), np.full(n, a), 2)
    # N(0, alpha w_k^2): the signed scale sqrt(alpha) w_k gives the same symmetric rule, smoothly in w
    return gauss_hermite_expectation(lambda z: 0.5 * (x["y_d"] - (w_ + z) @ x["x"]) ** 2,
                                     np.zeros(n), np.sqrt(a) * w_, 2)


def np_inverted_dropout(x):
    """E[J'] with r_k = b_k / q, b_k ~ Bernoulli(q) iid (inverted dropout), by exact enumeration of
    the 2^n masks with their probabilities."""
    import itertools
    w_, x_, q = x["w"], x["x"], x["q"]
    total = 0.0
    for mask in itertools.product((0.0, 1.0), repeat=w_.size):
        b = np.array(mask)
        weight = np.prod(np.where(b == 1.0, q, 1 - q))
        total += weight * 0.5 * (x["y_d"] - (b / q) @ (w_ * x_)) ** 2
    return total


def plot_strength(ax):
    """The penalty p(1-p) on w and the ridge strength (1-p)/p on w~ = p w, against p."""
    q = np.linspace(0.001, 0.999, 500)
    ax.plot(q, q * (1 - q), label=r"$p(1-p)$: penalty on $w$ in $\mathbb{E}\,\|y - Pw\|^2$")
    ax.plot(q, (1 - q) / q, label=r"$(1-p)/p$: ridge strength on $\tilde w = p w$")
    ax.plot([0.5], [0.25], "o", color="C0")
    ax.set_ylim(0, 2)
    ax.set_xlabel(r"keep probability $p$")
    ax.set_ylabel("regulariser strength")
    ax.legend()


def plot_mask_average_convergence(ax):
    """The running mean of the dropout loss over sampled masks, with 2 standard errors, against
    the exact expectation (N = 8, d = 5, p = 0.6)."""
    rng = np.random.default_rng(7)
    X_, y_, w_, p_ = rng.normal(size=(8, 5)), rng.normal(size=8), rng.normal(size=5), 0.6
    exact = np_loss(X_, y_, w_, p_)
    masks = rng.random((100000, 8, 5)) < p_
    losses = np.sum((y_ - np.einsum("knd,d->kn", masks * X_, w_)) ** 2, axis=1)
    running_all = np.cumsum(losses) / np.arange(1, losses.size + 1)
    m = np.unique(np.geomspace(1, losses.size, 300).astype(int))  # a light SVG: 300 points
    running = running_all[m - 1]
    spread = np.std(losses) / np.sqrt(m)
    ax.fill_between(m, exact - 2 * spread, exact + 2 * spread, color="C1", alpha=0.2,
                    label=r"$\pm 2$ standard errors")
    ax.plot(m, running, color="C0", lw=1, label="mean dropout loss over $m$ masks")
    ax.axhline(exact, color="C1", label="expected loss (exact enumeration)")
    ax.set_xscale("log")
    ax.set_xlabel("number of sampled masks $m$")
    ax.set_ylabel(r"$\|y - (D \odot X) w\|^2$")
    ax.legend()


# --- the oracles and checks the parts declare -----------------------------------------------
ENUMERATION_RTOL = 1e-9
ENUMERATION_REASON = (r"float64 sums over at most $2^8$ masks per row ($2^{11}$ for one unit) of products "
                      r"of $O(10)$ numbers: round-off below $10^{-13}$ relative; $10^{-9}$ leaves margin, "
                      r"while a wrong coefficient ($p^2$ for $p$, $(1-p)^2$ for $p(1-p)$) shifts the value "
                      r"by a non-zero multiple of the penalty term, about $10^{-4}$ or more at the sampled points")
QUADRATURE_RTOL = 1e-9
QUADRATURE_REASON = (r"the integrand is a degree-$2$ polynomial in each noise variable, so a $2$-node "
                     r"Gauss-Hermite rule per variable is exact; float64 round-off over at most $2^{10}$ "
                     r"grid points stays below $10^{-12}$ relative")


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


def quadrature(reference):
    return Oracle(reference, "tensor Gauss-Hermite quadrature in NumPy", QUADRATURE_RTOL, QUADRATURE_REASON)


RIDGE_GAMMA = Oracle(lambda x: np_ridge_gamma(x["X"], x["p"]),
                     r"the enumerated expected loss at $w = \tilde w / p$ minus $\|X \tilde w\|^2$ ($y = 0$), its "
                     r"quadratic form read off by polarisation, then a symmetric square root (NumPy eigh)", 1e-7,
                     r"the remainder is a difference of float64 enumerations scaling like $1/p^2$ "
                     r"(up to $2500$ for $p = 0.02$): cancellation costs up to $4$ of float64's $16$ digits and "
                     r"the square root halves the relative error; $10^{-7}$ leaves margin, a wrong factor errs "
                     r"by $O(1)$")

FIRST_COLUMN_NORM = Oracle(lambda x: np.linalg.norm((x["X"] @ np.linalg.inv(np_ridge_gamma(x["X"], x["p"])))[:, 0]),
                           r"the first column norm of $X \Gamma_r^{-1}$, with $\Gamma_r$ from the enumeration oracle of "
                           r"the ridge part (NumPy)", 1e-7, r"as for the ridge part: float64 enumeration with "
                           r"cancellation up to $1/p^2$; $10^{-7}$ leaves margin")

EQUAL_COLUMN_NORMS = Simulation(
    r"every column of $X \Gamma_r^{-1}$ has norm $\sqrt{p/(1-p)}$ on random $X$ whose column scales span "
    r"$10^{-2}$ to $10^{2}$", lambda: st.tuples(st.tuples(st.integers(1, 30), st.integers(1, 8)), st.integers(0, 2**32 - 1)),
    column_norm_check, r"NumPy: $\Gamma_r$ by enumeration and polarisation, then column "
    "norms; error = largest relative deviation", 1e-6,
    r"column scales spread over $4$ decades make $A$'s entries span $8$, so eigh loses up "
    r"to $8$ digits on the small ones: $10^{-6}$ relative is safe, a wrong norm errs by $O(1)$", cases=20)

AUGMENTED_LEAST_SQUARES = Oracle(
    lambda x: np.linalg.lstsq(
        np.vstack([x["X"], np.sqrt((1 - x["p"]) / x["p"]) * np.diag(np.linalg.norm(x["X"], axis=0))]),
        np.concatenate([x["y"], np.zeros(x["X"].shape[1])]), rcond=None)[0],
    r"NumPy least squares on the augmented problem $\begin{pmatrix} X \\ \Gamma_r \end{pmatrix} \tilde w "
    r"= \begin{pmatrix} y \\ 0 \end{pmatrix}$", 1e-7,
    r"lstsq is backward stable: its error is about $\kappa \cdot 10^{-16}$ for the condition number "
    r"$\kappa$ of the stacked matrix, and $\Gamma_r$ keeps $\kappa$ below about $10^{6}$ for these samples; "
    r"a wrong penalty moves $\tilde w^*$ by $O(1)$")
