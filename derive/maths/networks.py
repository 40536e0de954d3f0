"""A network as a declarative list of layers, and what follows from it: each layer's output
shape, parameters, multiply-accumulates and stored activations, symbolically or as numbers.

Every count is taken from the layer's definition, never typed in:

* the output side is the number of valid window positions, found by solving
  ``i S + d (K - 1) + 1 <= N + 2P`` for the window index i >= 0 (:func:`window_positions`);
* parameters are the entries of the layer's weight (and bias) arrays: the product of
  their shapes;
* mults are multiply-accumulates, one per product in the defining sum of every output
  (bias additions are additions and are not counted: the fvcore/thop convention);
* activations are the entries of the layer's output.

>>> net = [conv(8, kernel=3, stride=2, padding=1), pool(2, stride=2)]
>>> [(c.output.height, c.params, c.mults) for c in analyse(net, Shape(32, 32, 3))]
[(16, 216, 55296), (8, 0, 0)]
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import sympy as sp

from ..errors import InvalidArgument
from ..model.domains import Domain, IntegerRange

KINDS = ("conv", "depthwise", "pointwise", "pool", "fc")
_WINDOW = sp.Symbol("i", integer=True, nonnegative=True)


# ----------------------------------------------------------------------------- domains
POSITIVE_INTEGER = (("integer", True), ("positive", True))


@dataclass(frozen=True)
class OneOf(Domain):
    """One of a few values (a width multiplier alpha in {1/4, 1/2, 3/4, 1})."""
    values: tuple = (1.0,)
    description: str = "one of a few values"
    assumptions: tuple = (("positive", True),)

    def sample(self, rng, shape):
        return rng.choice(np.asarray(self.values, dtype=float), size=shape)


def sizes(low: int, high: int, what: str) -> IntegerRange:
    return IntegerRange(low=low, high=high, description=f"{what}: an integer, sampled from {low} to {high}",
                        assumptions=POSITIVE_INTEGER)


def padding_sizes(high: int) -> IntegerRange:
    return IntegerRange(low=0, high=high, description=f"zero padding: a non-negative integer, sampled from 0 to {high}",
                        assumptions=(("integer", True), ("nonnegative", True)))


# ----------------------------------------------------------------------------- layers
def _is_number(x) -> bool:
    return isinstance(x, (int, np.integer)) or (isinstance(x, sp.Integer))


def _check_integer(layer: str, what: str, value, minimum: int):
    if isinstance(value, sp.Basic) and not value.is_number:
        return value                      # a symbol: the sheet's general case
    if isinstance(value, bool) or not (_is_number(value) or (isinstance(value, float) and value.is_integer())):
        raise InvalidArgument(f"{layer}: {what}={value!r} is not an integer; {what} must be an integer >= {minimum}")
    if int(value) < minimum:
        raise InvalidArgument(f"{layer}: {what}={value!r} is below {minimum}; {what} must be an integer >= {minimum}")
    return int(value)


@dataclass(frozen=True)
class Layer:
    """One layer of a description. ``channels`` is the output channel count (conv,
    pointwise) or unit count (fc); depthwise and pool keep their input's channels."""
    kind: str
    kernel: Any = 1
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    channels: Any = None
    bias: bool = False
    name: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InvalidArgument(f"layer kind {self.kind!r} is unknown; choose from {', '.join(KINDS)}")
        label = self.name or self.kind
        for what, minimum in (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)):
            object.__setattr__(self, what, _check_integer(label, what, getattr(self, what), minimum))
        if self.kind in ("depthwise", "pool") and self.channels is not None:
            raise InvalidArgument(f"{label}: a {self.kind} layer keeps its input's channels; got "
                                  f"channels={self.channels!r}, leave it unset")
        if self.kind in ("conv", "pointwise", "fc"):
            if self.channels is None:
                raise InvalidArgument(f"{label}: a {self.kind} layer needs its output channels")
            object.__setattr__(self, "channels", _check_integer(label, "channels", self.channels, 1))
        if not self.name:
            object.__setattr__(self, "name", self.kind if self.channels is None
                               else f"{self.kind} {self.channels}")

    @property
    def span(self):
        """The input extent one window covers: d (K - 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1


def _label(what, kernel, stride, padding, dilation, channels, bias) -> str:
    text = what if kernel is None else f"{what} {kernel}x{kernel}"
    text += "".join(f" {name} {value}" for name, value, default in
                    (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)) if value != default)
    if channels is not None:
        text += f" {channels}" if kernel is None else f" to {channels}"
    return text + (" with bias" if bias else "")


def conv(channels, kernel, stride=1, padding=0, dilation=1, bias=False, name="") -> Layer:
    return Layer("conv", kernel, stride, padding, dilation, channels, bias,
                 name or _label("conv", kernel, stride, padding, dilation, channels, bias))


def depthwise(kernel, stride=1, padding=0, dilation=1, bias=False, name="") -> Layer:
    return Layer("depthwise", kernel, stride, padding, dilation, None, bias,
                 name or _label("depthwise", kernel, stride, padding, dilation, None, bias))


def pointwise(channels, bias=False, name="") -> Layer:
    return Layer("pointwise", 1, 1, 0, 1, channels, bias, name or _label("pointwise", 1, 1, 0, 1, channels, bias))


def pool(kernel, stride=None, padding=0, name="") -> Layer:
    stride = kernel if stride is None else stride
    return Layer("pool", kernel, stride, padding, 1, None, False,
                 name or _label("max-pool", kernel, stride, padding, 1, None, False))


def fc(units, bias=False, name="") -> Layer:
    return Layer("fc", 1, 1, 0, 1, units, bias, name or _label("FC", None, 1, 0, 1, units, bias))


@dataclass(frozen=True)
class Shape:
    height: Any
    width: Any
    channels: Any

    @property
    def size(self):
        return self.height * self.width * self.channels

    def __str__(self):
        return f"{self.height}x{self.width}x{self.channels}"


# ----------------------------------------------------------------------------- counting
def window_positions(extent, span, stride):
    """How many windows of ``span`` fit at starts 0, S, 2S, ... inside ``extent`` entries.

    Window i covers i S .. i S + span - 1, so it is valid when i S + span <= extent. SymPy
    solves that for i (S > 0); the valid i are 0 .. floor(bound), and their count is summed.
    With numbers the positions are enumerated directly.
    """
    if all(isinstance(x, int) for x in (extent, span, stride)):
        return sum(1 for start in range(0, extent, stride) if start + span <= extent)
    valid = sp.solve(_WINDOW * stride + span <= extent, _WINDOW)
    bound = sp.solve(sp.Eq(valid.lhs, valid.rhs), _WINDOW)[0] if isinstance(valid, sp.Rel) else None
    if bound is None or not isinstance(valid, sp.LessThan):
        raise InvalidArgument(f"cannot count windows of span {span} and stride {stride} in extent {extent}")
    return sp.Sum(1, (_WINDOW, 0, sp.floor(bound))).doit()


def count_terms(*extents):
    """The number of terms of a sum over independent indices with these extents."""
    indices = [sp.Dummy(f"n{k}", integer=True) for k in range(len(extents))]
    total = sp.Sum(1, *[(n, 0, e - 1) for n, e in zip(indices, extents)]).doit()
    return int(total) if total.is_Integer else total


def _side(layer: Layer, side) -> Any:
    extent = side + 2 * layer.padding
    if all(isinstance(x, int) for x in (extent, layer.span)):
        if side < 1:
            raise InvalidArgument(f"{layer.name}: input size {side} is not positive")
        if layer.span > extent:
            raise InvalidArgument(f"{layer.name}: kernel {layer.kernel} (span {layer.span} with dilation "
                                  f"{layer.dilation}) is larger than its padded input {side} + 2*{layer.padding}"
                                  f" = {extent}; use a smaller kernel or more padding")
    return window_positions(extent, layer.span, layer.stride)


@dataclass(frozen=True)
class LayerCount:
    layer: Layer
    input: Shape
    output: Shape
    params: Any
    mults: Any

    @property
    def activations(self):
        return self.output.size


def count_layer(layer: Layer, x: Shape) -> LayerCount:
    """Output shape, parameters and multiply-accumulates of one layer on input ``x``."""
    if layer.kind == "fc":
        inputs = x.size
        params = count_terms(inputs, layer.channels) + (layer.channels if layer.bias else 0)
        return LayerCount(layer, x, Shape(1, 1, layer.channels), params, count_terms(inputs, layer.channels))
    out = Shape(_side(layer, x.height), _side(layer, x.width),
                x.channels if layer.channels is None else layer.channels)
    outputs = (out.height, out.width, out.channels)
    if layer.kind == "pool":      # max over a window: comparisons, no products, no weights
        return LayerCount(layer, x, out, 0, 0)
    if layer.kind == "depthwise":  # one K x K filter per channel: W has shape (K, K, C)
        weights, per_output = (layer.kernel, layer.kernel, x.channels), (layer.kernel, layer.kernel)
    else:                          # W has shape (K, K, C_in, C_out); an output sums over (k, l, c)
        weights = (layer.kernel, layer.kernel, x.channels, out.channels)
        per_output = (layer.kernel, layer.kernel, x.channels)
    params = count_terms(*weights) + (out.channels if layer.bias else 0)
    return LayerCount(layer, x, out, params, count_terms(*outputs, *per_output))


def analyse(layers: Sequence[Layer], x: Shape) -> list[LayerCount]:
    """Every layer's counts, each layer fed the previous one's output."""
    if all(_is_number(v) for v in (x.height, x.width, x.channels)):
        for what in ("height", "width", "channels"):
            if int(getattr(x, what)) < 1:
                raise InvalidArgument(f"input {what} {getattr(x, what)} is not a positive size")
    out = []
    for layer in layers:
        out.append(count_layer(layer, x))
        x = out[-1].output
    return out


@dataclass(frozen=True)
class Totals:
    params: Any
    mults: Any
    activations: Any            # every layer's output, the input not counted
    activations_with_input: Any


def totals(counts: Sequence[LayerCount]) -> Totals:
    activations = sum((c.activations for c in counts), sp.S.Zero)
    return Totals(sum((c.params for c in counts), sp.S.Zero), sum((c.mults for c in counts), sp.S.Zero),
                  activations, activations + counts[0].input.size)


# ----------------------------------------------------------------------------- receptive fields
def receptive_fields(layers: Sequence[Layer]) -> list:
    """The receptive-field side after every layer, by growing it one layer at a time:
    a layer of kernel k and dilation d widens the field by (k - 1) d steps of the input
    distance between neighbouring positions of its input (the product of earlier strides)."""
    field, jump, out = sp.S.One, sp.S.One, []
    for layer in layers:
        field = field + (layer.kernel - 1) * layer.dilation * jump
        jump = jump * layer.stride
        out.append(field)
    return out


def with_bias(layers: Sequence[Layer]) -> list[Layer]:
    """The same description with a bias on every weighted layer (for slips and tests)."""
    return [replace(layer, bias=layer.kind != "pool") for layer in layers]


# ----------------------------------------------------------------------------- resampling
CONVENTIONS = ("corner", "half-pixel")


def map_coordinate(x, scale, convention: str = "corner"):
    """Where image coordinate ``x`` lands on a map ``scale`` times smaller.

    "corner" (the catalogue's): cells numbered from 0, no offset, u = x / scale.
    "half-pixel" (PyTorch's align_corners=False): pixel centres sit at i + 1/2 on both
    grids, so (u + 1/2) scale = x + 1/2, u = (x + 1/2) / scale - 1/2.
    """
    if convention not in CONVENTIONS:
        raise InvalidArgument(f"convention {convention!r} is unknown; choose from {', '.join(CONVENTIONS)}")
    # Floats are taken at their exact binary value, so SymPy's weights are exact for them too.
    x, scale = (sp.Rational(t) if isinstance(t, float) else sp.S(t) for t in (x, scale))
    return x / scale if convention == "corner" else (x + sp.Rational(1, 2)) / scale - sp.Rational(1, 2)


def hat(t):
    """The linear-interpolation kernel: 1 - |t| on [-1, 1], 0 outside."""
    return sp.Max(0, 1 - sp.Abs(t))


def bilinear_weights(u, v) -> dict:
    """The weight of every map cell (i, j) at map point (u, v): hat(u - i) hat(v - j),
    listed for the cells where it is nonzero (at most the four neighbours)."""
    out = {}
    for i in range(int(sp.floor(u)), int(sp.floor(u)) + 2):
        for j in range(int(sp.floor(v)), int(sp.floor(v)) + 2):
            w = hat(u - i) * hat(v - j)
            if w != 0:
                out[(i, j)] = w
    return out


# ----------------------------------------------------------------------------- the catalogue's closed forms
def textbook_counts(layers: Sequence[Layer], x: Shape) -> list[tuple]:
    """(side, params, mults, activations) per layer by the catalogue's formulas, for numbers:
    O = floor((N + 2P - d(K - 1) - 1)/S) + 1; parameters K^2 C_in C_out (standard), K^2 C_in
    (depthwise), C_in C_out (pointwise, FC), plus C_out with bias; mults O^2 times the
    weights; activations O^2 C_out. The closed forms the counts of :func:`analyse` are
    proved against."""
    rows = []
    for layer in layers:
        k, c = layer.kernel, x.channels
        side = 1 if layer.kind == "fc" else sp.floor(sp.Rational(
            x.height + 2 * layer.padding - layer.dilation * (k - 1) - 1, layer.stride)) + 1
        out = c if layer.kind in ("depthwise", "pool") else layer.channels
        weights = {"conv": k ** 2 * c * out, "depthwise": k ** 2 * c, "pointwise": c * out, "pool": 0,
                   "fc": x.size * out}[layer.kind]
        mults = weights if layer.kind == "fc" else side ** 2 * weights
        rows.append((side, weights + (out if layer.bias else 0), mults, side ** 2 * out))
        x = Shape(side, side, out)
    return rows


def field_terms(layers: Sequence[Layer]) -> list:
    """The catalogue's receptive-field sum term by term: 1, then (k_l - 1) d_l prod_{i<l} s_i."""
    terms, jump = [sp.S.One], 1
    for layer in layers:
        terms.append(sp.Integer((layer.kernel - 1) * layer.dilation * jump))
        jump *= layer.stride
    return terms


def layer_rows(networks, x: Shape, columns: Sequence[str]) -> list[tuple]:
    """Table rows: for each (tag, layers), one row per layer (label, output shape, columns...)
    and a total row; ``columns`` name LayerCount/Totals attributes (params, mults, activations)."""
    rows = []
    for tag, layers in networks:
        counts = analyse(layers, x)
        joint = "." if tag[-1:].isdigit() else ""      # A1, A2 but N1.1, N1.2
        rows += [(f"{tag}{joint}{n}: {c.layer.name}", str(c.output), *[getattr(c, k) for k in columns])
                 for n, c in enumerate(counts, 1)]
        total = totals(counts)
        rows.append((f"{tag}: total", "-", *[getattr(total, k) for k in columns]))
    return rows


# ----------------------------------------------------------------------------- squeeze-and-excitation
def se_layers(channels: int, reduction: int) -> tuple[Layer, Layer]:
    """The excitation: two FC layers C -> C/r -> C on the squeezed C-vector."""
    return fc(channels // reduction), fc(channels)


def separable_same(channels: int, kernel: int = 3) -> tuple[Layer, Layer]:
    """A depthwise separable conv C -> C with 'same' padding: depthwise k x k, then pointwise."""
    return depthwise(kernel, padding=(kernel - 1) // 2), pointwise(channels)


def se_mults(channels: int, reduction: int, side):
    """An SE block's mults on a side x side x C map: the two FC layers, then one product per entry to rescale."""
    return totals(analyse(se_layers(channels, reduction), Shape(1, 1, channels))).mults + count_terms(side, side, channels)


def separable_conv_mults(channels: int, side):
    """The mults of :func:`separable_same` (3 x 3) on a side x side x C map."""
    return totals(analyse(separable_same(channels), Shape(side, side, channels))).mults


def se_over_separable(channels: int, reduction: int, side):
    """SE block mults over those of a 3 x 3 depthwise separable conv C -> C, on the same map."""
    return se_mults(channels, reduction, side) / separable_conv_mults(channels, side)


# ----------------------------------------------------------------------------- networks compared
def network_totals(networks: Sequence[Sequence[Layer]], x: Shape, fields: Sequence[str]) -> list:
    """Each field of :class:`Totals` (params, mults, activations...) for each network, field by
    field: [P_1, P_2, M_1, M_2] for fields (params, mults) and two networks."""
    counted = [totals(analyse(layers, x)) for layers in networks]
    return [getattr(total, field) for field in fields for total in counted]


def textbook_totals(networks: Sequence[Sequence[Layer]], x: Shape, columns: Sequence[int]) -> list:
    """The same from the textbook formulas (:func:`textbook_counts`), a column index per field."""
    rows = [textbook_counts(layers, x) for layers in networks]
    return [sum(row[column] for row in table) for column in columns for table in rows]
