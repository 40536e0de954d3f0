"""The centre loss's NumPy oracles: central differences of :func:`derive.maths.center_loss.center_loss`
on NumPy vectors, over batches built here, independent of the SymPy derivations."""
import numpy as np

from ..maths.center_loss import center_loss
from .numeric import central_gradient

__all__ = ["np_batch_around", "np_linear_gradient", "np_point_gradient", "np_updates"]


def np_batch_around(point, centre, rng_seed=0):
    """The point with its centre, a second point of its class and a third of another class
    (random, seeded), as derive.maths.center_loss.batch_around builds it in SymPy."""
    rng = np.random.default_rng(rng_seed)
    others = rng.normal(size=(2, point.size))
    return [point, others[0], others[1]], [centre, rng.normal(size=point.size)], [1, 1, 2]


def np_point_gradient(d):
    """dL_c/dx_i over a batch of three with random other points."""
    return central_gradient(lambda u: center_loss(*np_batch_around(u, d["c_y_i"])), d["x_i"])


def np_updates(d):
    """For every class j: central differences of the NumPy loss in c_j, over 1 + n_j."""
    pts, cs, ys = [np.array([x_]) for x_ in d["x"]], [np.array([c_]) for c_ in d["c"]], [int(y_) for y_ in d["y"]]
    out = []
    for j in range(1, len(cs) + 1):
        def loss_in_cj(u, j=j):
            return center_loss(pts, cs[:j - 1] + [u] + cs[j:], ys)
        out.extend(central_gradient(loss_in_cj, cs[j - 1]) / (1 + ys.count(j)))
    return np.array(out)


def np_linear_gradient(d):
    """dL_c/dz_i through x_i = W z_i + b, the other two inputs random (seeded)."""
    def loss(u):
        extra = np.random.default_rng(0).normal(size=(2, u.size))
        points = [d["W"] @ z_ + d["b"] for z_ in (u, extra[0], extra[1])]
        return center_loss(points, [d["c_y_i"], np.ones(d["b"].size)], [1, 1, 2])
    return central_gradient(loss, d["z_i"])
