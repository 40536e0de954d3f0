"""Independent numeric oracles for the convolution backward pass.

- :func:`forward` is a NumPy twin of :func:`derive.maths.convolution.cross_correlate`,
  written independently (np.pad and sliding windows, one einsum per group);
- :func:`fd_gradient` differentiates it by central differences;
- :func:`jax_gradients` is the framework oracle: JAX autodiff of
  ``jax.lax.conv_general_dilated`` with the same stride, padding, dilation and groups;
- :func:`scipy_gradients` computes the textbook identities with ``scipy.signal``: the input
  gradient is the full convolution of G (zeros inserted for the stride) with the kernel,
  the weight gradient the cross-correlation of X with G;
- :func:`grad_weight_vectorised` and :func:`grad_input_vectorised` are the index-form
  closed forms, vectorised in NumPy (one slice per kernel tap), for sizes where SymPy
  evaluation would be far too slow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import InvalidArgument
from .numeric import FD_STEP
from ..errors import MissingLibrary
from .optional import jax_numpy


@dataclass(frozen=True)
class Hyper:
    """Stride, zero padding, dilation (the same on every spatial axis) and groups."""
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1

    @classmethod
    def of(cls, values: Mapping) -> "Hyper":
        return cls(*(int(values.get(k, default)) for k, default in (("s", 1), ("P", 0), ("d", 1), ("g", 1))))


def forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, hp: Hyper) -> np.ndarray:
    """O = bias + X (*) W, cross-correlation over every spatial axis, in float64 NumPy."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    axes = x.ndim - 2
    s, p, d, g = hp.stride, hp.padding, hp.dilation, hp.groups
    if s < 1 or d < 1 or p < 0 or g < 1:
        raise InvalidArgument(f"{hp}: stride and dilation must be >= 1, padding >= 0, groups >= 1")
    padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * axes)
    extents = [d * (k - 1) + 1 for k in w.shape[2:]]
    windows = np.lib.stride_tricks.sliding_window_view(padded, extents, axis=tuple(range(2, 2 + axes)))
    # windows[b, c, o..., e...]: keep every s-th window and every d-th tap inside it.
    windows = windows[(slice(None), slice(None)) + (slice(None, None, s),) * axes + (slice(None, None, d),) * axes]
    per_group, filters_per_group = x.shape[1] // g, w.shape[0] // g
    outs = []
    for group in range(g):
        win = windows[:, group * per_group:(group + 1) * per_group]
        ker = w[group * filters_per_group:(group + 1) * filters_per_group]
        letters = "uvxyz"[:axes]
        spec = f"bc{''.join('OPQRS'[:axes])}{letters},fc{letters}->bf{''.join('OPQRS'[:axes])}"
        outs.append(np.einsum(spec, win, ker))
    out = np.concatenate(outs, axis=1)
    if bias is not None:
        out = out + np.asarray(bias, dtype=float).reshape((1, -1) + (1,) * axes)
    return out


def fd_gradient(values: Mapping, wrt: str) -> np.ndarray:
    """dE/d(wrt) of E = sum G * forward(X, W, b) by central differences, entry by entry."""
    hp = Hyper.of(values)
    arrays = {k: np.asarray(values[k], dtype=float) for k in ("X", "W", "G")}
    arrays["b"] = np.asarray(values["b"], dtype=float) if "b" in values else None
    target = arrays[wrt].copy()
    flat = target.reshape(-1)
    grad = np.empty_like(flat)

    def energy():
        return float(np.sum(arrays["G"] * forward(arrays["X"], arrays["W"], arrays["b"], hp)))

    arrays[wrt] = target
    for k in range(flat.size):
        h = FD_STEP * max(1.0, abs(flat[k]))
        keep = flat[k]
        flat[k] = keep + h
        up = energy()
        flat[k] = keep - h
        down = energy()
        flat[k] = keep
        grad[k] = (up - down) / (2 * h)
    return grad.reshape(target.shape)


def add_axes(values: Mapping, names=("X", "W", "G"), rank: int = 1) -> dict:
    """A 1-D problem (X of length N, one channel, batch 1) as the (1, 1, N) arrays above."""
    out = dict(values)
    for name in names:
        out[name] = np.asarray(values[name], dtype=float).reshape((1, 1) + np.shape(values[name]))
    return out


def jax_available() -> bool:
    try:
        jax_numpy()
    except MissingLibrary:
        return False
    return True


_JAX_GRADIENTS: dict = {}


def _jax_gradient_function(hp: "Hyper", axes: int):
    """One jitted XLA program per hyperparameter set: compiling the whole backward pass once
    per shape is several times faster than dispatching each primitive on its own."""
    key = (hp, axes)
    if key not in _JAX_GRADIENTS:
        jax, jnp = jax_numpy()
        spatial = "HWD"[:axes]

        def energy(x_, w_, b_, g_):
            out = jax.lax.conv_general_dilated(
                x_, w_, window_strides=(hp.stride,) * axes, padding=[(hp.padding, hp.padding)] * axes,
                rhs_dilation=(hp.dilation,) * axes, feature_group_count=hp.groups,
                dimension_numbers=(f"NC{spatial}", f"OI{spatial}", f"NC{spatial}"),
                precision=jax.lax.Precision.HIGHEST)
            return jnp.sum(g_ * (out + b_.reshape((1, -1) + (1,) * axes)))

        _JAX_GRADIENTS[key] = jax.jit(jax.grad(energy, argnums=(0, 1, 2)))
    return _JAX_GRADIENTS[key]


def jax_gradients(x, w, bias, g, hp: Hyper) -> dict[str, np.ndarray]:
    """JAX autodiff (float64) of E = sum G * (conv_general_dilated(X, W) + bias)."""
    function = _jax_gradient_function(hp, np.ndim(x) - 2)
    import jax.numpy as jnp
    grads = function(*(jnp.asarray(a, dtype=jnp.float64) for a in (x, w, bias, g)))
    return {"X": np.asarray(grads[0]), "W": np.asarray(grads[1]), "b": np.asarray(grads[2])}


def _padded_view(x, hp: Hyper, axes: int):
    return np.pad(x, [(0, 0), (0, 0)] + [(hp.padding, hp.padding)] * axes)


def grad_weight_vectorised(x, g, w_shape, hp: Hyper) -> np.ndarray:
    """sum_{a,i,j} G(a,f,i,j) X(a, group(f) + c, s i + d h - P, s j + d w - P), one slice per tap (h, w)."""
    x, g = np.asarray(x, dtype=float), np.asarray(g, dtype=float)
    padded = _padded_view(x, hp, 2)
    s, d = hp.stride, hp.dilation
    out_h, out_w = g.shape[2:]
    per_group, filters_per_group = w_shape[1], w_shape[0] // hp.groups
    grad = np.zeros(w_shape)
    for h in range(w_shape[2]):
        for w in range(w_shape[3]):
            taps = padded[:, :, d * h: d * h + s * (out_h - 1) + 1: s, d * w: d * w + s * (out_w - 1) + 1: s]
            for group in range(hp.groups):
                fs = slice(group * filters_per_group, (group + 1) * filters_per_group)
                cs = slice(group * per_group, (group + 1) * per_group)
                grad[fs, :, h, w] = np.einsum("afij,acij->fc", g[:, fs], taps[:, cs])
    return grad


def grad_input_vectorised(g, w, x_shape, hp: Hyper) -> np.ndarray:
    """sum_{f,i,j} G(n,f,i,j) W(f, c, (h + P - s i)/d, (w + P - s j)/d): each tap (k, l) adds
    G W at rows s i + d k (the change of index), then the padding is cut off."""
    g, w = np.asarray(g, dtype=float), np.asarray(w, dtype=float)
    s, d, p = hp.stride, hp.dilation, hp.padding
    batch, channels, height, width = x_shape
    out_h, out_w = g.shape[2:]
    per_group, filters_per_group = w.shape[1], w.shape[0] // hp.groups
    padded = np.zeros((batch, channels, height + 2 * p, width + 2 * p))
    for k in range(w.shape[2]):
        for l in range(w.shape[3]):
            for group in range(hp.groups):
                fs = slice(group * filters_per_group, (group + 1) * filters_per_group)
                cs = slice(group * per_group, (group + 1) * per_group)
                contribution = np.einsum("nfij,fc->ncij", g[:, fs], w[fs, :, k, l])
                padded[:, cs, d * k: d * k + s * (out_h - 1) + 1: s, d * l: d * l + s * (out_w - 1) + 1: s] += contribution
    return padded[:, :, p: p + height, p: p + width]


def _dilate(a: np.ndarray, step: int) -> np.ndarray:
    """Insert step - 1 zeros between the entries of a 2-D array (a stride or a dilation)."""
    out = np.zeros(((a.shape[0] - 1) * step + 1, (a.shape[1] - 1) * step + 1))
    out[::step, ::step] = a
    return out


def scipy_gradients(x, w, g, hp: Hyper) -> dict[str, np.ndarray]:
    """The textbook identities, channel pair by channel pair, with scipy.signal:
    dE/dX = full convolution of G (zeros inserted for the stride) with the dilated kernel,
    cropped by the padding; dE/dW = valid cross-correlation of padded X with that G,
    read every d-th lag."""
    from scipy import signal
    x, w, g = (np.asarray(a, dtype=float) for a in (x, w, g))
    s, p, d = hp.stride, hp.padding, hp.dilation
    batch, channels, height, width = x.shape
    per_group, filters_per_group = w.shape[1], w.shape[0] // hp.groups
    grad_x = np.zeros_like(x)
    grad_w = np.zeros_like(w)
    padded = _padded_view(x, hp, 2)
    for a in range(batch):
        for f in range(w.shape[0]):
            up = _dilate(g[a, f], s)
            for c in range(per_group):
                channel = (f // filters_per_group) * per_group + c
                full = signal.convolve2d(up, _dilate(w[f, c], d), mode="full")
                rows, cols = min(full.shape[0], height + 2 * p), min(full.shape[1], width + 2 * p)
                block = np.zeros((height + 2 * p, width + 2 * p))
                block[:rows, :cols] = full[:rows, :cols]
                grad_x[a, channel] += block[p: p + height, p: p + width]
                lags = signal.correlate2d(padded[a, channel], up, mode="valid")
                grad_w[f, c] += lags[::d, ::d][: w.shape[2], : w.shape[3]]
    return {"X": grad_x, "W": grad_w}
