"""The softmax's NumPy side: the two losses and their central-difference gradients through a
NumPy softmax, independent of the SymPy derivations in problems/softmax.py, the two-class
log-odds, the saturation plot and the overflow demonstration of the sheet."""
import numpy as np

from .numeric import central_derivative, softmax as np_softmax
from .numpy_oracles import gradient_in

__all__ = ["finite_difference_gradient", "np_cross_entropy", "np_log_odds", "np_squared_error", "overflow_demo",
           "plot_saturation", "squared_error_slope"]


def np_cross_entropy(s_, y_):
    return -np.sum(y_ * np.log(s_))


def np_squared_error(s_, y_):
    return np.sum((s_ - y_) ** 2)


def finite_difference_gradient(loss):
    """Oracle: central differences of a NumPy loss of z, with the sampled y."""
    return gradient_in("z", lambda x: loss(np_softmax(x["z"]), x["y"]), "central finite differences of the NumPy loss")


def squared_error_slope(d):
    """dL_SE/dz_1 at z = (d, 0) for true class 1, by a central difference."""
    return central_derivative(lambda u: np.sum((np_softmax(np.array([u, 0.0])) - [1.0, 0.0]) ** 2), d)


def np_log_odds(b_1, b_2):
    """log(s_1 / s_2) of the two-class softmax of (b_1, b_2)."""
    return float(np.log(np_softmax(np.array([b_1, b_2]))[0] / np_softmax(np.array([b_1, b_2]))[1]))


def plot_saturation(ax):
    """dL/dz_1 against d = z_1 - z_2 for both losses, true class 1 (NumPy finite differences)."""
    d = np.linspace(-10, 10, 401)
    y_true = np.array([1.0, 0.0])
    for label, loss in (("cross-entropy", lambda s_: -np.sum(y_true * np.log(s_))),
                        ("squared error", lambda s_: np.sum((s_ - y_true) ** 2))):
        grad = [central_derivative(lambda u: loss(np_softmax(np.array([u, 0.0]))), t) for t in d]
        ax.plot(d, grad, label=label)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel(r"$d = z_1 - z_2$")
    ax.set_ylabel(r"$\partial L / \partial z_1$")
    ax.legend()


def overflow_demo():
    """Naive and stable softmax of (1000, 1000) in float64: the naive one overflows."""
    z_big = np.array([1000.0, 1000.0])
    with np.errstate(over="ignore", invalid="ignore"):
        big = np.exp(z_big)
        naive = big / big.sum()
    return [(r"$e^{1000}$ in float64", str(big[0])),
            (r"naive $e^{z_i}/\sum_k e^{z_k}$", str(naive.tolist())),
            (r"stable, $z - \max_i z_i = (0, 0)$", str(np_softmax(z_big).tolist()))]
