"""Independent oracles for conv arithmetic: a NumPy forward pass that counts the products it
performs, weight arrays whose entries are counted, the support of a gradient taken through
the real stack, and bilinear weights read off ``scipy.ndimage.map_coordinates``.

None of these uses a counting formula: shapes come from NumPy's own sliding windows over
the padded input, mults from the operations executed, parameters from ``ndarray.size``.
Only the layers' hyperparameters (kernel, stride, padding, dilation, channels, bias) are
read from the description.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import DeriveError
from ..maths.networks import Layer, Shape, analyse, conv, pool, separable_same


class MultiplyCounter:
    """Performs products and counts them: ``multiply`` one per broadcast element,
    ``contract`` (an einsum) one per combination of its indices' values."""

    def __init__(self):
        self.count = 0

    def multiply(self, a: np.ndarray, b) -> np.ndarray:
        out = np.multiply(a, b)
        self.count += out.size
        return out

    def contract(self, subscripts: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        inputs, _ = subscripts.split("->")
        extents = {}
        for names, array in zip(inputs.split(","), (a, b)):
            for name, n in zip(names, array.shape):
                extents[name] = n
        self.count += int(np.prod([extents[k] for k in sorted(extents)], dtype=object))
        return np.einsum(subscripts, a, b, optimize=True)


def _windows(x: np.ndarray, layer: Layer) -> np.ndarray:
    """(O_h, O_w, C, K, K): every window of the zero-padded input the layer reads, taken by
    NumPy's sliding_window_view (stride by slicing, dilation by stepping inside the window)."""
    p = layer.padding
    padded = np.pad(x, ((p, p), (p, p), (0, 0)))
    span = layer.dilation * (layer.kernel - 1) + 1
    if span > padded.shape[0] or span > padded.shape[1]:
        raise DeriveError(f"{layer.name}: the window does not fit in the padded input {padded.shape[:2]}")
    views = sliding_window_view(padded, (span, span), axis=(0, 1))
    return views[::layer.stride, ::layer.stride, :, ::layer.dilation, ::layer.dilation]


@dataclass(frozen=True)
class Measured:
    """What one layer of the instrumented forward pass did."""
    name: str
    output: tuple
    params: int
    mults: int | None
    activations: int


def _array(rng, shape, compute: bool) -> np.ndarray:
    # Without arithmetic the entries do not matter: zeros are allocated lazily, so even an
    # FC layer of 42 million weights costs nothing while its ndarray.size is still counted.
    return rng.standard_normal(shape).astype(np.float32) if compute else np.zeros(shape, np.float32)


def _weights(layer: Layer, channels: int, rng, compute: bool) -> list[np.ndarray]:
    """The arrays a conv-like layer owns: W (and the bias), as PyTorch would allocate them."""
    if layer.kind == "pool":
        return []
    k = layer.kernel
    shape = (k, k, channels) if layer.kind == "depthwise" else (k, k, channels, layer.channels)
    out_channels = channels if layer.kind == "depthwise" else layer.channels
    arrays = [_array(rng, shape, compute)]
    return arrays + ([_array(rng, out_channels, compute)] if layer.bias else [])


def forward(layers, x: np.ndarray, *, rng=None, compute: bool = True, outputs: list | None = None) -> list[Measured]:
    """Run the network on ``x`` (H, W, C). With ``compute=False`` no arithmetic is done:
    outputs are allocated at the shape the windows give, and mults are not measured.
    ``outputs``, if given, receives every layer's output array (for tests of the pass itself)."""
    rng = rng or np.random.default_rng(0)
    out: list[Measured] = []
    for layer in layers:
        counter = MultiplyCounter()
        if layer.kind == "fc":
            flat = x.reshape(-1)
            arrays = [_array(rng, (flat.size, layer.channels), compute)]
            if layer.bias:
                arrays.append(_array(rng, layer.channels, compute))
            y = counter.contract("i,io->o", flat, arrays[0]) if compute else np.empty(layer.channels, np.float32)
            y = (y + arrays[1] if layer.bias and compute else y).reshape(1, 1, -1)  # bias: an addition
        else:
            arrays = _weights(layer, x.shape[2], rng, compute)
            windows = _windows(x, layer)
            rows, cols, channels = windows.shape[:3]
            if layer.kind == "pool":
                y = windows.max(axis=(3, 4)) if compute else np.empty((rows, cols, channels), np.float32)
            elif not compute:
                y = np.empty((rows, cols, arrays[0].shape[-1]), np.float32)
            elif layer.kind == "depthwise":
                y = counter.contract("hwckl,klc->hwc", windows, arrays[0])
            else:
                y = counter.contract("hwckl,klcf->hwf", windows, arrays[0])
            if layer.bias and compute:
                y = y + arrays[1]
        out.append(Measured(layer.name, y.shape, int(sum(a.size for a in arrays)),
                            counter.count if compute else None, int(y.size)))
        if outputs is not None:
            outputs.append(y)
        x = y
    return out


def measure(layers, shape: Shape, *, compute: bool = True, seed: int = 0) -> list[Measured]:
    """The instrumented forward pass on a random input of ``shape`` (float32, seeded).

    Remembered per (layers, shape, compute, seed): a part's oracle, its worked check and its
    sheet table read the same run."""
    key = Shape(int(shape.height), int(shape.width), int(shape.channels))
    return list(_measured(tuple(layers), key, compute, seed))


@lru_cache(maxsize=32)
def _measured(layers: tuple, shape: Shape, compute: bool, seed: int) -> tuple[Measured, ...]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((shape.height, shape.width, shape.channels)).astype(np.float32)
    return tuple(forward(layers, x, rng=rng, compute=compute))


def measured_totals(layers, shape: Shape, *, compute: bool = True) -> dict:
    """Parameters, mults (None without compute) and activations of the whole run, the last also
    with the input's entries (the array the pass was fed)."""
    run = measure(layers, shape, compute=compute)
    activations = sum(m.activations for m in run)
    return {"params": sum(m.params for m in run), "mults": sum(m.mults for m in run) if compute else None,
            "activations": activations,
            "activations with input": activations + int(shape.height) * int(shape.width) * int(shape.channels)}


# ----------------------------------------------------------------------------- receptive field
def _layer_backward(grad: np.ndarray, layer: Layer, input_side: int) -> np.ndarray:
    """Adjoint of one single-channel layer with positive weights (a conv with weights 1, a
    pool with weights 1/k^2, the average pool standing for the max pool: the field is where
    the output can depend on the input, and a max pool can pick any input of its window)."""
    k, s, d, p = layer.kernel, layer.stride, layer.dilation, layer.padding
    padded = np.zeros((input_side + 2 * p, input_side + 2 * p))
    weight = 1.0 / (k * k) if layer.kind == "pool" else 1.0
    rows, cols = grad.shape
    for a in range(k):
        for b in range(k):
            padded[a * d: a * d + s * (rows - 1) + 1: s, b * d: b * d + s * (cols - 1) + 1: s] += weight * grad
    return padded[p: p + input_side, p: p + input_side]


def gradient_support(layers, input_side: int) -> int:
    """Side of the set of input pixels on which output pixel (0, 0) of the stack depends:
    the forward pass gives every layer's side, the backward pass the gradient of that one
    output with respect to the input, and the support is read off the nonzero entries."""
    x = np.ones((input_side, input_side, 1), dtype=np.float64)
    single = [Layer(layer.kind, layer.kernel, layer.stride, layer.padding, layer.dilation,
                    None if layer.kind in ("pool", "depthwise") else 1, False, layer.name) for layer in layers]
    sides = [input_side] + [m.output[0] for m in forward(single, x, compute=False)]
    grad = np.zeros((sides[-1], sides[-1]))
    grad[0, 0] = 1.0
    for layer, side in zip(reversed(single), reversed(sides[:-1])):
        grad = _layer_backward(grad, layer, side)
    rows = np.flatnonzero(grad.any(axis=1))
    cols = np.flatnonzero(grad.any(axis=0))
    if rows.size == 0:
        raise DeriveError("the gradient of the output with respect to the input is zero")
    return int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)


def big_enough_input(layers, start: int = 16, largest: int = 1 << 14) -> int:
    """An input side on which every layer of the stack has an output: doubled until the
    shape-only forward pass goes through (no formula for the field is used)."""
    side = start
    while side <= largest:
        try:
            forward(layers, np.zeros((side, side, 1)), compute=False)
            return side
        except DeriveError:
            side *= 2
    raise DeriveError(f"no input side up to {largest} fits the stack {[layer.name for layer in layers]}")


# ----------------------------------------------------------------------------- bilinear weights
def interpolated_weights(map_shape: tuple[int, int], point: tuple[float, float]) -> dict:
    """The weight each map cell gets at ``point`` (map coordinates), read off
    ``scipy.ndimage.map_coordinates(order=1)`` applied to each cell's indicator map."""
    try:
        from scipy.ndimage import map_coordinates
    except ImportError as exc:   # an optional oracle must never pass silently
        raise DeriveError("scipy is not installed: the bilinear oracle (scipy.ndimage."
                          "map_coordinates) cannot run; pip install scipy") from exc
    weights = {}
    for i in range(map_shape[0]):
        for j in range(map_shape[1]):
            indicator = np.zeros(map_shape)
            indicator[i, j] = 1.0
            w = float(map_coordinates(indicator, [[point[0]], [point[1]]], order=1, mode="nearest")[0])
            if w != 0.0:
                weights[(i, j)] = w
    return weights


# ----------------------------------------------------------------------------- squeeze-and-excitation
def se_block_mults(channels: int, reduction: int, side: int, seed: int = 0) -> int:
    """Products performed by a squeeze-and-excitation block on a side x side x C map: the
    squeeze is a sum over the map (additions; its 1/(H W) is folded into the first FC's
    weights, as implementations do), two FC layers C -> C/r -> C, and the rescale."""
    rng = np.random.default_rng(seed)
    counter = MultiplyCounter()
    x = rng.standard_normal((side, side, channels))
    squeezed = x.sum(axis=(0, 1))
    first = rng.standard_normal((channels, channels // reduction)) / (side * side)   # the mean's 1/(H W), folded in
    hidden = np.maximum(counter.contract("c,cr->r", squeezed, first), 0)
    gates = 1 / (1 + np.exp(-counter.contract("r,rc->c", hidden, rng.standard_normal((channels // reduction, channels)))))
    counter.multiply(x, gates)
    return counter.count


def affine_limit(sides, numerator, denominator) -> float:
    """lim (a + b n) / (c + e n) = b / e as n = side^2 grows, from counts measured at three
    sides: two fix each line, the third confirms the counts are affine in n (else error)."""
    n = np.asarray(sides, dtype=float) ** 2
    slopes = []
    for counts in (numerator, denominator):
        counts = np.asarray(counts, dtype=float)
        slope = (counts[1] - counts[0]) / (n[1] - n[0])
        if abs(counts[0] + slope * (n[2] - n[0]) - counts[2]) > 1e-9 * abs(counts[2]):
            raise DeriveError(f"measured counts {counts.tolist()} are not affine in H W at sides {list(sides)}")
        slopes.append(slope)
    return slopes[0] / slopes[1]


# ----------------------------------------------------------------------------- comparing a description with a run
def per_layer(networks, shape: Shape, columns, compute: bool) -> tuple[dict, dict]:
    """Derived (``analyse``) and measured (``measure``) numbers per layer, keyed alike as
    '<tag><n> <column>' with columns among side, params, mults, activations."""
    derived, measured = {}, {}
    for tag, layers in networks:
        for n, (c, m) in enumerate(zip(analyse(layers, shape), measure(layers, shape, compute=compute)), 1):
            ours = {"side": c.output.height, "params": c.params, "mults": c.mults, "activations": c.activations}
            theirs = {"side": m.output[0], "params": m.params, "mults": m.mults, "activations": m.activations}
            for column in columns:
                derived[f"{tag}{n} {column}"] = float(ours[column])
                measured[f"{tag}{n} {column}"] = float(theirs[column])
    return derived, measured


def random_stacks(max_layers: int = 4):
    """Hypothesis strategy: stacks of single-channel convs (kernel 1..5, stride 1..3, dilation
    1..3) and pools (2..3, stride 1..3), no padding."""
    layer = st.one_of(st.builds(lambda k, s, d: conv(1, k, s, dilation=d), st.integers(1, 5), st.integers(1, 3),
                                st.integers(1, 3)),
                      st.builds(lambda k, s: pool(k, s), st.integers(2, 3), st.integers(1, 3)))
    return st.lists(layer, min_size=1, max_size=max_layers)


def image_point_weights(map_shape: tuple[int, int], scale: float, point, convention: str) -> dict:
    """map_coordinates' weights for an image point, converted to map coordinates in float64 by
    the convention's definition: "corner" u = x / scale, "half-pixel" (pixel centres at
    i + 1/2 on both grids, PyTorch's align_corners=False) u = (x + 1/2) / scale - 1/2."""
    u = [x / scale if convention == "corner" else (x + 0.5) / scale - 0.5 for x in point]
    return interpolated_weights(map_shape, tuple(u))


def measured_se_over_separable(channels: int, reduction: int, side: int) -> float:
    """Counted SE block products over those of an instrumented 3 x 3 depthwise separable conv C -> C."""
    separable = sum(m.mults for m in measure(separable_same(channels), Shape(side, side, channels)))
    return se_block_mults(channels, reduction, side) / separable


def measured_se_limit(channels: int, reduction: int, sides=(7, 14, 28)) -> float:
    """The limit of that ratio as the map grows: the ratio of the counts' slopes in H W."""
    return affine_limit(sides, [se_block_mults(channels, reduction, s) for s in sides],
                        [sum(m.mults for m in measure(separable_same(channels), Shape(s, s, channels))) for s in sides])


# ----------------------------------------------------------------------------- receptive field
def receptive_field_support(layers) -> int:
    """The receptive-field side of a stack, measured: the gradient support on an input big enough for it."""
    return gradient_support(layers, big_enough_input(layers))


def measured_network_totals(networks, shape: Shape, fields, *, compute: bool = True) -> list:
    """:func:`measured_totals` of each network, field by field, in the order of
    :func:`derive.maths.networks.network_totals`."""
    measured = [measured_totals(layers, shape, compute=compute) for layers in networks]
    return [total[field] for field in fields for total in measured]
