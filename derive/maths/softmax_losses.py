"""The two losses on a softmax, in SymPy at explicit sizes: cross-entropy and squared error,
their gradients in the logits by differentiating the forward definition, the two-class case
written in the logit difference, and the intercept of the logistic model two-class softmax
regression becomes. problems/softmax.py states the parts."""
import sympy as sp

from ..model.functions import softmax

__all__ = ["cross_entropy", "exp_sum", "gradient", "logit_intercept", "squared_error", "two_class_gradient"]


def exp_sum(v):
    """sum_k e^{z_k}, the softmax's denominator."""
    return v.sum(lambda k: sp.exp(v.z[k]), "C")


def cross_entropy(s_, y_):
    return -sum(y_[k] * sp.log(s_[k]) for k in range(len(s_)))


def squared_error(s_, y_):
    return sum((s_[k] - y_[k]) ** 2 for k in range(len(s_)))


def gradient(loss, v):
    """dL/dz as a column, differentiating the loss of softmax(z) (explicit sizes)."""
    return sp.Matrix([loss(softmax(v.z), v.y)]).jacobian(v.z).T


def two_class_gradient(loss, d):
    """dL/dz_1 for C = 2 and true class 1, rewritten in d = z_1 - z_2 (z_2 then cancels)."""
    z_1, z_2 = sp.symbols("z_1 z_2", real=True)
    slope = sp.diff(loss(softmax(sp.Matrix([z_1, z_2])), sp.Matrix([1, 0])), z_1)
    in_d = sp.simplify(slope.subs(z_1, z_2 + d))
    if z_2 in in_d.free_symbols:
        raise ValueError("the two-class gradient should depend on z_1 - z_2 only")
    return in_d


def logit_intercept(v):
    """The bias of the logistic model: log(s_1 / (1 - s_1)) at x = 0, from the softmax of
    z_k = w_k^T x + b_k itself (v has w_1, w_2, x and b_1, b_2)."""
    s_1 = softmax(sp.Matrix([(v.objects[w].T * v.x)[0, 0] + v.objects[b] for w, b in (("w_1", "b_1"), ("w_2", "b_2"))]))[0]
    logit = sp.expand_log(sp.log(sp.simplify(s_1 / (1 - s_1))), force=True)
    return sp.simplify(logit.subs({e: 0 for e in v.x}))
