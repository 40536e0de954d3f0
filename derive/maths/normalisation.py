r"""Batch normalisation of one feature over a mini-batch, in SymPy.

At an explicit batch size the functions build the forward pass entry by entry from the
batch ``x`` (a column of symbols), so SymPy can differentiate it; at a symbolic size
(``general``) they give the notation a sheet prints. The batch variance is the *biased*
one, :math:`\sigma^2 = \frac1m \sum_i (x_i - \mu)^2`, as batch normalisation uses in
training; ``unbiased=True`` gives the :math:`\frac1{m-1}` estimate PyTorch keeps in its
running variance.

>>> import sympy as sp
>>> x = sp.Matrix(sp.symbols("x_1 x_2"))
>>> batch_mean(x), sp.factor(batch_variance(x))
(x_1/2 + x_2/2, (x_1 - x_2)**2/4)
>>> sp.expand(batch_variance(x) - batch_variance(x, moments=False))
0
"""
from __future__ import annotations

import sympy as sp

from ..errors import InvalidArgument
from ..model.functions import Notation
from .expectation import Bernoulli, Normal, expectation

__all__ = ["batch_mean", "batch_norm", "batch_variance", "check_batch", "check_eps", "class_batch",
           "class_expectation", "d_mu", "d_mu_target", "d_mu_value", "d_var", "d_var_target", "d_var_value",
           "d_xhat", "inv_std", "mean_of", "normalised", "normalised_of", "ones", "stationary_value",
           "test_time_class_mean", "train_time_class_mean", "variance_of"]


def ones(n):
    """The column of n ones: explicit at an integer n, the symbol 1 at a symbolic one."""
    return sp.ones(n, 1) if isinstance(n, int) else sp.OneMatrix(n, 1)


def check_batch(x, *, unbiased: bool = False) -> int:
    """The batch size of an explicit column, refusing batches too small to normalise."""
    if not isinstance(x, sp.MatrixBase) or x.shape[1] != 1:
        raise InvalidArgument(f"a batch must be an explicit column vector, not {x!r}")
    m = x.shape[0]
    if m < 2:
        raise InvalidArgument(
            f"batch normalisation needs a batch of m >= 2 values, got m = {m}: with one value "
            "x_1 - mu = 0 and the batch variance is 0, so every normalised value is 0"
            + (" and the unbiased variance divides by m - 1 = 0" if unbiased else ""))
    return m


def check_eps(eps) -> None:
    """eps must be a number >= 0 or a SymPy expression not known to be negative."""
    value = sp.sympify(eps, strict=True)
    if value.is_negative or (value.is_number and value.is_real is False):
        raise InvalidArgument(f"eps = {eps} is not allowed: batch normalisation needs eps >= 0 "
                              "(it is added to the variance under a square root)")


def batch_mean(x):
    """mu = (1/m) sum_i x_i of an explicit batch."""
    m = check_batch(x)
    return sum(x, sp.S.Zero) / m


def batch_variance(x, *, unbiased: bool = False, moments: bool = True):
    """The biased batch variance (1/m) sum (x_i - mu)^2, or with 1/(m - 1) if ``unbiased``.

    By default it is built as (1/m) sum x_i^2 - mu^2, the same polynomial with O(m) terms
    instead of O(m^2): the answer checker, which compiles every definition at each size up
    to m = 12, checks a batchnorm.grad_x answer in 2.5 s of CPU instead of 3.5 s (proofs take
    about as long either way; benchmarks/bench_batchnorm.py). Every SymPy formula of a part
    must use one form, so the radicals of a proof match: with the forward pass in one form
    and the definitions in the other the grad_x proof times out at m = 3. ``moments=False``
    gives the deviations form (tests prove the two equal). In float64 the moment form would
    cancel catastrophically on near-constant batches, so the NumPy oracles never use it.
    """
    m = check_batch(x, unbiased=unbiased)
    mu = batch_mean(x)
    if moments:
        biased = sum((xi ** 2 for xi in x), sp.S.Zero) / m - mu ** 2
        return biased * m / (m - 1) if unbiased else biased
    return sum(((xi - mu) ** 2 for xi in x), sp.S.Zero) / (m - 1 if unbiased else m)


def normalised(x, eps, *, moments: bool = True):
    """xhat_i = (x_i - mu) / sqrt(sigma^2 + eps) for every entry of an explicit batch."""
    check_eps(eps)
    mu, var = batch_mean(x), batch_variance(x, moments=moments)
    return (x - mu * ones(x.shape[0])) / sp.sqrt(var + eps)


def batch_norm(x, gamma, beta, eps):
    """y_i = gamma xhat_i + beta: the training-time forward pass of one feature."""
    return gamma * normalised(x, eps) + beta * ones(x.shape[0])


# ----------------------------------------------------------------------------- a part's defined variables
# The definitions of mu, sigma^2 and xhat for a part's namespace ``v``: at explicit sizes from
# the batch v.x; at a symbolic size (``v.general``) the notation the sheet prints. At explicit
# sizes the variance is built in its moment form (1/m) sum x_i^2 - mu^2 (the same polynomial,
# O(m) terms; see batch_variance), in the forward pass SymPy differentiates and in the
# definitions a proof substitutes alike, so radicals match. The sheet prints the deviations form.
def mean_of(v):
    return batch_mean(v.x) if not v.general else v.sum(lambda k: v.x[k], "m") / v.m


def variance_of(v):
    return batch_variance(v.x) if not v.general else v.sum(lambda k: (v.x[k] - v.mu) ** 2, "m") / v.m


def normalised_of(v, eps):
    return normalised(v.x, eps) if not v.general else (v.x - v.mu * ones(v.m)) / sp.sqrt(v.sigma2 + eps)


def stationary_value(momentum, expected_input):
    """The fixed point r of the running estimate r <- (1 - momentum) r + momentum * E[input].

    The expectation of an exponential moving average of a stationary input converges to
    this value whatever the start, for 0 < momentum <= 1 (|1 - momentum| < 1).

    >>> stationary_value(sp.Rational(1, 10), sp.Symbol("a"))
    a
    """
    momentum = sp.sympify(momentum, strict=True)
    if momentum.is_number and not (0 < momentum <= 1):
        raise InvalidArgument(f"momentum = {momentum} must satisfy 0 < momentum <= 1")
    r = sp.Dummy("r")
    solutions = sp.solve(sp.Eq(r, (1 - momentum) * r + momentum * expected_input), r)
    if len(solutions) != 1:
        raise InvalidArgument(f"the running estimate with momentum {momentum} has no unique fixed point")
    return solutions[0]


# ----------------------------------------------------------------------------- batches of two classes
def class_batch(m: int, mean_a, mean_b, within, mixed: bool):
    """One training batch of m samples as random symbols, and their law: Gaussian noise of
    variance ``within`` around the class mean, the class one Bernoulli(1/2) per batch (every
    sample of one class) or, if ``mixed``, one per sample."""
    noise = sp.Matrix(sp.symbols(f"z_1:{m + 1}", real=True))
    labels = sp.Matrix(sp.symbols(f"c_1:{m + 1}", real=True)) if mixed else sp.Matrix([sp.Symbol("c")] * m)
    law = {**{z: Normal(0, within) for z in noise}, **{c: Bernoulli(sp.Rational(1, 2)) for c in set(labels)}}
    return labels * mean_a + (ones(m) - labels) * mean_b + noise, law


def class_expectation(statistic, m: int, mean_a, mean_b, within, mixed: bool):
    """E[statistic(batch)] over the batches :func:`class_batch` draws."""
    batch, law = class_batch(m, mean_a, mean_b, within, mixed)
    return expectation(statistic(batch), law)


def test_time_class_mean(m: int, mean_a, mean_b, within, eps, momentum, mixed: bool):
    """Class a's mean normalised value at test time, with the running statistics at the fixed
    point of PyTorch's update (``momentum``, unbiased batch variance)."""
    running_mean = stationary_value(momentum, class_expectation(batch_mean, m, mean_a, mean_b, within, mixed))
    running_var = stationary_value(momentum, class_expectation(lambda b: batch_variance(b, unbiased=True),
                                                               m, mean_a, mean_b, within, mixed))
    return (mean_a - running_mean) / sp.sqrt(running_var + eps)


def train_time_class_mean(m: int, mean_a, eps):
    """Class a's mean normalised value in training on one-class batches (by its own statistics)."""
    batch = mean_a * ones(m) + sp.Matrix(sp.symbols(f"z_1:{m + 1}", real=True))
    return sum(normalised(batch, eps)) / m


# ----------------------------------------------------------------------------- the paper's backward pass
# The local derivatives Ioffe and Szegedy write down, node by node along the computation graph,
# for a part's namespace ``v`` (x, g, gamma, beta, eps, mu, sigma2, m): at a symbolic size each
# node's gradient prints as its notation, at explicit sizes it is the value; the ``_target``s
# are SymPy's derivatives a proof sets them equal to.
def _node(v, name, tex, value):
    """At a symbolic size the node's gradient prints in notation; at explicit sizes it is the value.
    The plain names sort as their LaTeX does (hat < mu < sigma), so sums print in the same order."""
    return Notation(name, tex) if v.general else value()


def inv_std(v):
    return 1 / sp.sqrt(v.sigma2 + v.eps)


def d_xhat(v, i):
    return _node(v, f"dl_dhat_x_{i}", rf"\frac{{\partial l}}{{\partial \hat{{x}}_{{{i}}}}}", lambda: v.g[i] * v.gamma)


def d_var_value(v):
    return (v.sum(lambda k: d_xhat(v, k) * (v.x[k] - v.mu), "m") * sp.Rational(-1, 2)
            * (v.sigma2 + v.eps) ** sp.Rational(-3, 2))


def d_mu_value(v):
    return (-v.sum(lambda k: d_xhat(v, k), "m") * inv_std(v)
            + d_var(v) * v.sum(lambda k: -2 * (v.x[k] - v.mu), "m") / v.m)


def d_var(v):
    return _node(v, "dl_dsigma2", r"\frac{\partial l}{\partial \sigma^2}", lambda: d_var_value(v))


def d_mu(v):
    return _node(v, "dl_dmu", r"\frac{\partial l}{\partial \mu}", lambda: d_mu_value(v))


def loss_of_nodes(v, variance):
    """l as a function of x, mu and a variance, each an independent input of its node."""
    return sum((v.g[k] * (v.gamma * (v.x[k] - v.mu) / sp.sqrt(variance + v.eps) + v.beta)
                for k in range(v.m)), sp.S.Zero)


def d_var_target(v):
    return sp.diff(loss_of_nodes(v, v.sigma2), v.sigma2)


def d_mu_target(v):
    # sigma^2 depends on mu too: (1/m) sum (x_k - mu)^2, so mu is reached along two paths.
    return sp.diff(loss_of_nodes(v, sum((v.x[k] - v.mu) ** 2 for k in range(v.m)) / v.m), v.mu)
