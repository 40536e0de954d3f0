"""Dropout's random model in SymPy, at explicit sizes: the masked design P = D * X with iid
Bernoulli(p) entries, the expected squared loss and the ridge problem it becomes, one linear unit
with per-input keep probabilities, and Gaussian weight noise. Every expectation expands the
forward definition into moments (derive.maths.expectation); problems/dropout.py states the parts.

The Kronecker delta of the expectation engine prints as an Iverson bracket here (``Same``),
because on these sheets delta names the noise."""
import sympy as sp

from ..model.functions import diag, hadamard, squared_norm
from .expectation import Bernoulli, Normal, cases_latex, expectation, index_cases, kronecker_form, random_matrix

__all__ = ["GAUSS_CASES", "MASK_CASES", "UNIT_CASES", "Same", "bilinear", "dropout_loss", "gamma", "gauss_closed",
           "gauss_noise", "gauss_pair", "mask_pair", "masked", "masked_gram", "ones", "penalty_root", "quad",
           "rescaled", "rescaled_column_norms2", "ridge_gamma", "ridge_matrix", "ridge_minimiser", "ridge_system",
           "solve", "unit_error", "unit_grad_dropout", "unit_grad_ensemble", "unit_mask", "unit_pair"]

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


# The case splits the steps quote, printed once.
MASK_CASES = cases_latex(r"\mathbb{E}[D_{ij} D_{ik}]", index_cases(D_[i_, j_] * D_[i_, k_], D_, Bernoulli(sp.Symbol("p"))))
UNIT_CASES = cases_latex(r"\mathbb{E}[\delta_k \delta_i]",
                         index_cases(DELTA[k_] * DELTA[i_], DELTA, lambda q: Bernoulli(P_[q])))
GAUSS_CASES = cases_latex(r"\mathbb{E}[\delta_k \delta_l]", index_cases(
    DELTA[k_] * DELTA[sp.Symbol("l", integer=True)], DELTA, lambda q: Normal(0, sp.Symbol("alpha") * W_[q] ** 2)))
