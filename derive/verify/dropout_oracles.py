"""Dropout's NumPy side: exact enumeration and quadrature oracles of the dropout losses,
independent of the SymPy derivations in problems/dropout.py, and the two plots of its sheet
(the regulariser strengths against p; the mean over sampled masks converging to the exact
expected loss). Each plot draws on the Matplotlib axes the sheet's renderer passes in."""
import numpy as np

from .random_oracles import gauss_hermite_expectation, mask_expectation


def rows_expectation(x, per_row):
    """Sum over rows of E[per_row(masks, i)]: the loss is a sum over rows and row i depends only
    on its own d mask bits, so each row is enumerated over its 2^d masks."""
    N, d = x["X"].shape
    return sum(mask_expectation(lambda m: per_row(m, i), np.full(d, x["p"])) for i in range(N))


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


def np_gauss(x, multiplicative, w_=None):
    w_ = x["w"] if w_ is None else w_
    n, a = w_.size, x["alpha"]
    if multiplicative:
        return gauss_hermite_expectation(lambda r: 0.5 * (x["y_d"] - r @ (w_ * x["x"])) ** 2,
                                         np.ones(n), np.full(n, a), 2)
    # N(0, alpha w_k^2): the signed scale sqrt(alpha) w_k gives the same symmetric rule, smoothly in w
    return gauss_hermite_expectation(lambda z: 0.5 * (x["y_d"] - (w_ + z) @ x["x"]) ** 2,
                                     np.zeros(n), np.sqrt(a) * w_, 2)


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
