"""Independent float64 references for small sigmoid networks: a hand-written NumPy forward
and backward pass, central finite differences of the NumPy forward pass, and JAX autodiff.

None of them looks at a SymPy expression, so they check the engine's derivation and its
worked numbers rather than repeat them. Parameters are dicts name -> array; every function
returns the loss and a dict of gradients with the same names.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from ..errors import InvalidArgument
from .numeric import central_gradient, sigmoid
from .optional import jax_numpy

__all__ = ["mlp_backward", "mlp_loss", "neuron_backward", "neuron_loss", "finite_difference_gradients",
           "jax_gradients", "sgd_trajectory"]


def neuron_loss(params: Mapping, x, t, lam=0.0, xp=np):
    """L_reg = 1/2 (sigma(w x + b) - t)^2 + lam/2 w^2 (xp: numpy or jax.numpy)."""
    y = 1 / (1 + xp.exp(-(params["w"] * x + params["b"])))
    return 0.5 * (y - t) ** 2 + 0.5 * lam * params["w"] ** 2


def neuron_backward(params: Mapping, x, t, lam=0.0):
    """Backprop by hand: dL/dy = y - t, dy/dz = y (1 - y), dz/dw = x, dz/db = 1."""
    y = float(sigmoid(params["w"] * x + params["b"]))
    dz = (y - t) * y * (1 - y)
    return neuron_loss(params, x, t, lam), {"w": dz * x + lam * params["w"], "b": dz}


def _check_mlp(params: Mapping, i, t):
    i, t = np.atleast_2d(i), np.atleast_2d(t)
    shapes = {k: np.shape(params[k]) for k in ("W1", "b1", "W2", "b2")}
    if (shapes["W1"][0] != i.shape[1] or shapes["b1"] != (1, shapes["W1"][1])
            or shapes["W2"][0] != shapes["W1"][1] or shapes["b2"] != (1, shapes["W2"][1])
            or t.shape != (1, shapes["W2"][1])):
        raise InvalidArgument(f"mismatched sizes: input {i.shape}, target {t.shape}, parameters {shapes}; "
                              "need i (1, n), W1 (n, h), b1 (1, h), W2 (h, k), b2 (1, k), t (1, k)")


def mlp_loss(params: Mapping, i, t, xp=np):
    """Row vectors: o = sigma(sigma(i W1 + b1) W2 + b2), E = 1/2 sum (o - t)^2."""
    sig = lambda u: 1 / (1 + xp.exp(-u))
    a1 = sig(i @ params["W1"] + params["b1"])
    o = sig(a1 @ params["W2"] + params["b2"])
    return 0.5 * xp.sum((o - t) ** 2)


def mlp_backward(params: Mapping, i, t):
    """Backprop by hand, layer by layer, with the deltas of each layer."""
    _check_mlp(params, i, t)
    i, t = np.atleast_2d(i), np.atleast_2d(t)
    a1 = sigmoid(i @ params["W1"] + params["b1"])
    o = sigmoid(a1 @ params["W2"] + params["b2"])
    delta2 = (o - t) * o * (1 - o)
    delta1 = (delta2 @ params["W2"].T) * a1 * (1 - a1)
    return mlp_loss(params, i, t), {"W1": i.T @ delta1, "b1": delta1, "W2": a1.T @ delta2, "b2": delta2}


def finite_difference_gradients(loss: Callable[[dict], float], params: Mapping) -> dict:
    """dL/dp for every parameter by central differences of a NumPy loss of the parameters."""
    out = {}
    for name, value in params.items():
        def moved(u, name=name):
            return loss({**params, name: u.reshape(np.shape(value))})
        out[name] = central_gradient(moved, np.asarray(value, dtype=float))
    return out


def jax_gradients(loss_of: Callable, params: Mapping) -> dict:
    """dL/dp by JAX reverse-mode autodiff of ``loss_of(params, jnp)``; MissingLibrary without JAX."""
    jax, jnp = jax_numpy()
    as_jax = {k: jnp.asarray(np.asarray(v, dtype=float)) for k, v in params.items()}
    grads = jax.grad(lambda p: loss_of(p, jnp))(as_jax)
    return {k: np.asarray(v) for k, v in grads.items()}


def sgd_trajectory(gradients: Callable[[dict, object], tuple[float, dict]], params: Mapping,
                   samples, rate: float) -> list[dict]:
    """Plain SGD, one step per sample: for each step the loss and gradients before it, the
    parameters after it. ``gradients(params, sample)`` returns (loss, dict of gradients)."""
    current = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    out = []
    for sample in samples:
        loss, grads = gradients(current, sample)
        current = {k: current[k] - rate * np.asarray(grads[k], dtype=float) for k in current}
        out.append({"loss": float(loss), "gradients": grads, "updated": current})
    return out
