"""Convolution (cross-correlation, as in PyTorch) in SymPy, and its gradients in index form.

The forward pass works on any array that takes tuple indices (a SymPy Array of symbols for
proofs, a NumPy object array) in N spatial dimensions, with batch, channels, stride, zero
padding, dilation and groups. The gradients are derived from it by differentiating
E = sum G * O; the index-form closed forms below are what a sheet prints, and
:func:`derive.maths.tensors.evaluate` evaluates them at explicit sizes so that a proof can
compare them with the derivation entry by entry. Indices start at 0.

>>> import sympy as sp
>>> x = sp.Array([[[1, 2, 3, 4]]]); w = sp.Array([[[1, -1]]])
>>> cross_correlate(x, w).tolist()
[[[-1, -1, -1]]]
"""
from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from ..errors import InvalidArgument
from ..model.functions import as_sympy
from .tensors import InRange, Named, Ordered


def _per_axis(name: str, value, axes: int, minimum: int) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes
    if len(values) != axes:
        raise InvalidArgument(f"{name}={value!r} gives {len(values)} values for {axes} spatial axes")
    out = []
    for v in values:
        try:
            number = operator.index(v)   # int, NumPy or SymPy integers; never a float or a bool
        except TypeError:
            number = None
        if isinstance(v, bool) or number is None or number < minimum:
            raise InvalidArgument(f"{name}={value!r} is not allowed: {name} must be an integer >= {minimum}")
        out.append(number)
    return tuple(out)


def _symbolic(*values) -> bool:
    return any(isinstance(v, sp.Basic) and not v.is_Number for v in values)


def per_group(channels: int, filters: int, groups: int) -> int:
    """C / g, refusing groups that do not divide both the channels and the filters (with a
    SymPy symbol among them, the quotient)."""
    if _symbolic(channels, filters, groups):
        return channels / sp.sympify(groups)
    if groups < 1 or channels % groups or filters % groups:
        raise InvalidArgument(f"groups={groups} must be >= 1 and divide both the input channels C={channels} "
                              f"and the filters F={filters}")
    return channels // groups


def output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((n + 2P - d(k - 1) - 1) / s) + 1, refusing a kernel wider than the padded input.

    >>> output_size(32, 3, stride=2, padding=1)
    16

    With a SymPy symbol among the arguments, the formula itself (a proof for every size).
    """
    if _symbolic(n, k, stride, padding, dilation):
        return sp.floor((n + 2 * padding - dilation * (k - 1) - 1) / sp.sympify(stride)) + 1
    (s,), (p,), (d,) = (_per_axis("stride", stride, 1, 1), _per_axis("padding", padding, 1, 0),
                        _per_axis("dilation", dilation, 1, 1))
    _per_axis("input size", n, 1, 1)
    _per_axis("kernel size", k, 1, 1)
    extent = d * (k - 1) + 1
    if extent > n + 2 * p:
        raise InvalidArgument(f"kernel of size {k} (dilation {d}: extent {extent}) is larger than the padded "
                              f"input {n} + 2*{p} = {n + 2 * p}; the extent d(K-1)+1 must be at most N + 2P")
    return (n + 2 * p - extent) // s + 1


@dataclass(frozen=True)
class Conv:
    """The hyperparameters of one convolution, per spatial axis, checked against the shapes."""
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int

    @classmethod
    def of(cls, x_shape: Sequence[int], w_shape: Sequence[int], stride=1, padding=0, dilation=1,
           groups=1) -> "Conv":
        if len(x_shape) < 3 or len(x_shape) != len(w_shape):
            raise InvalidArgument(f"input of shape {tuple(x_shape)} and weight of shape {tuple(w_shape)}: "
                                  "expected (B, C, *spatial) and (F, C/groups, *kernel) of the same rank >= 3")
        axes = len(x_shape) - 2
        conv = cls(_per_axis("stride", stride, axes, 1), _per_axis("padding", padding, axes, 0),
                   _per_axis("dilation", dilation, axes, 1), _per_axis("groups", groups, 1, 1)[0])
        channels, filters, per_group = x_shape[1], w_shape[0], w_shape[1]
        g = conv.groups
        if channels % g or filters % g:
            raise InvalidArgument(f"groups={g} must divide both the input channels C={channels} and the "
                                  f"filters F={filters}")
        if per_group * g != channels:
            raise InvalidArgument(f"weight has {per_group} input channels per group but the input has "
                                  f"C={channels} channels in groups={g}; it needs C/groups = {channels // g}")
        conv.output_shape(x_shape, w_shape)
        return conv

    def output_shape(self, x_shape, w_shape) -> tuple[int, ...]:
        spatial = tuple(output_size(n, k, s, p, d) for n, k, s, p, d in
                        zip(x_shape[2:], w_shape[2:], self.stride, self.padding, self.dilation))
        return (x_shape[0], w_shape[0], *spatial)

    def input_position(self, out_position, kernel_position) -> tuple[int, ...]:
        """Where output pixel ``out_position`` meets kernel tap ``kernel_position`` in the unpadded input."""
        return tuple(s * o + d * k - p for o, k, s, p, d in
                     zip(out_position, kernel_position, self.stride, self.padding, self.dilation))


def cross_correlate(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1) -> sp.Array:
    """O[a, f, *o] = bias[f] + sum_{c, *k} w[f, c, *k] x[a, group(f) C/g + c, s o + d k - P] (zero padded)."""
    x_shape, w_shape = tuple(x.shape), tuple(w.shape)
    conv = Conv.of(x_shape, w_shape, stride, padding, dilation, groups)
    out_shape = conv.output_shape(x_shape, w_shape)
    if bias is not None and tuple(bias.shape) != (w_shape[0],):
        raise InvalidArgument(f"bias of shape {tuple(bias.shape)}; it needs one entry per filter, ({w_shape[0]},)")
    per_group, filters_per_group = w_shape[1], w_shape[0] // conv.groups
    spatial = x_shape[2:]
    kernel_positions = list(itertools.product(*(range(k) for k in w_shape[2:])))
    cells = []
    for a, f, *o in itertools.product(*(range(n) for n in out_shape)):
        first_channel = (f // filters_per_group) * per_group
        terms = [] if bias is None else [bias[f]]
        for c in range(per_group):
            for k in kernel_positions:
                at = conv.input_position(o, k)
                if all(0 <= i < n for i, n in zip(at, spatial)):
                    terms.append(w[(f, c, *k)] * x[(a, first_channel + c, *at)])
        cells.append(sp.Add(*terms))
    return sp.ImmutableDenseNDimArray(cells, out_shape)


def contract(g, o) -> sp.Expr:
    """E = sum of G * O over every entry: the scalar whose gradient the backward pass is."""
    if tuple(g.shape) != tuple(o.shape):
        raise InvalidArgument(f"G of shape {tuple(g.shape)} does not match the output shape {tuple(o.shape)}")
    return sp.Add(*(gi * oi for gi, oi in zip(sp.flatten(g.tolist()), sp.flatten(o.tolist()))))


def gradient(e: sp.Expr, tensor) -> list:
    """dE/dT for every entry of T (row-major): SymPy differentiates, nothing is assumed.

    E is a polynomial, so each derivative reads off the coefficient terms; ``Poly`` would be
    no faster on these sparse sums than ``diff`` term by term.
    """
    terms = sp.Add.make_args(sp.expand(e))
    cells = list(sp.flatten(tensor.tolist())) if hasattr(tensor, "tolist") else list(tensor)
    by_symbol: dict = {c: [] for c in cells}
    for term in terms:
        for symbol in term.free_symbols & by_symbol.keys():
            by_symbol[symbol].append(term)
    return [sp.diff(sp.Add(*by_symbol[c]), c) for c in cells]


# --- index forms: what the sheet prints, evaluated at explicit sizes by maths.tensors --------

def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, nonnegative=True)


INDEX = {n: _sym(n) for n in ("a", "n", "f", "c", "h", "w", "i", "j", "k", "l", "m", "q", "r")}


def group_of(f, z, label: str = "f") -> Named:
    """gamma(f) = floor(f g / F), the group of filter f: it reads the C_g = C/g input channels
    C_g gamma(f), ..., C_g gamma(f) + C_g - 1."""
    return Named(rf"\gamma({label})", sp.floor(f * as_sympy(z["g"]) / z["F"]), rf"the group of filter ${label}$")


def _input_channel(f, c, z, label: str = "f"):
    """The input channel that channel c of filter f reads: C_g gamma(f) + c."""
    return Ordered((z["C_g"], group_of(f, z, label)), c)


def _taps(z):
    """k_i, l_j: the kernel row and column at which output pixel (i, j) reads input pixel (h, w),
    from s i + d k - P = h (an integer in range or no tap at all)."""
    h, w, i, j = (INDEX[x] for x in "hwij")
    s, P, d = z["s"], z["P"], z["d"]
    return (Named("k_i", Ordered(h, P, (-1, s, i)) / d, "the kernel row at which output row $i$ reads input row $h$"),
            Named("l_j", Ordered(w, P, (-1, s, j)) / d, "the kernel column at which output column $j$ reads "
                  "input column $w$"))


def grad_weight_2d(z) -> sp.Expr:
    """dE/dW(f,c,h,w) = sum_{a,i,j} G(a,f,i,j) X(a, C_g gamma(f) + c, s i + d h - P, s j + d w - P)."""
    a, f, c, h, w, i, j = (INDEX[n] for n in "afchwij")
    G, X = sp.IndexedBase("G"), sp.IndexedBase("X")
    s, P, d = z["s"], z["P"], z["d"]
    body = G[a, f, i, j] * X[a, _input_channel(f, c, z), Ordered((s, i), (d, h), -P), Ordered((s, j), (d, w), -P)]
    return sp.Sum(body, (a, 0, z["B"] - 1), (i, 0, z["H_out"] - 1), (j, 0, z["W_out"] - 1))


def _group_filters(z):
    """gamma(c) = floor(c g / C), the group of input channel c, and the limits of f over the
    F_g = F/g filters of that group: F_g gamma(c), ..., F_g gamma(c) + F_g - 1."""
    c = INDEX["c"]
    group = Named(r"\gamma(c)", sp.floor(c * as_sympy(z["g"]) / z["C"]), "the group of channel $c$")
    per_group = Named("F_g", as_sympy(z["F"]) / z["g"], "the number of filters per group")
    return group, (INDEX["f"], Ordered((per_group, group)), Ordered((per_group, group), per_group, -1))


def grad_input_2d(z) -> sp.Expr:
    """dE/dX(n,c,h,w) = sum over the filters f of c's group and i, j of G(n,f,i,j) W(f, c - C_g gamma(c), k_i, l_j),
    k_i = (h + P - s i)/d, l_j = (w + P - s j)/d; a kernel index outside 0..K-1 or not an
    integer contributes 0."""
    n, c, f, i, j = (INDEX[x] for x in "ncfij")
    G, W = sp.IndexedBase("G"), sp.IndexedBase("W")
    k, l = _taps(z)
    group, filters = _group_filters(z)
    body = G[n, f, i, j] * W[f, Ordered(c, (-1, z["C_g"], group)), k, l]
    return sp.Sum(body, filters, (i, 0, z["H_out"] - 1), (j, 0, z["W_out"] - 1))


def grad_bias_2d(z) -> sp.Expr:
    """dE/dbias(f) = sum_{a,i,j} G(a,f,i,j)."""
    a, f, i, j = (INDEX[x] for x in "afij")
    G = sp.IndexedBase("G")
    return sp.Sum(G[a, f, i, j], (a, 0, z["B"] - 1), (i, 0, z["H_out"] - 1), (j, 0, z["W_out"] - 1))


def grad_weight_1d(z) -> sp.Expr:
    """dL/dW_j = sum_i G_i X_{s i + d j - P} (the cross-correlation of X with G)."""
    i, j = INDEX["i"], INDEX["j"]
    G, X = sp.IndexedBase("G"), sp.IndexedBase("X")
    return sp.Sum(G[i] * X[Ordered((z["s"], i), (z["d"], j), -z["P"])], (i, 0, z["N_out"] - 1))


def output_position(z) -> Named:
    """o_j = (m + P - d j)/s: the output position whose tap j reads X_m (s o_j + d j - P = m)."""
    m, j = INDEX["m"], INDEX["j"]
    return Named("o_j", Ordered(m, z["P"], (-1, z["d"], j)) / z["s"],
                 "the output position whose tap $j$ reads $X_m$, from $s o_j + d j - P = m$")


def grad_input_1d(z) -> sp.Expr:
    """dL/dX_m = sum_j [o_j in 0..N_out-1] G(o_j) W_j (the full convolution of G with W at s = d = 1, P = 0)."""
    j = INDEX["j"]
    G, W = sp.IndexedBase("G"), sp.IndexedBase("W")
    o = output_position(z)
    return sp.Sum(InRange(o, z["N_out"]) * G[o] * W[j], (j, 0, z["K"] - 1))


def input_deltas_1d(z) -> sp.Expr:
    """dL/dX_m before the change of index: every output i and tap j, kept where the tap reads
    X_m: delta_{m, s i + d j - P}."""
    m, i, j = INDEX["m"], INDEX["i"], INDEX["j"]
    G, W = sp.IndexedBase("G"), sp.IndexedBase("W")
    body = G[i] * W[j] * Delta(m, Ordered((z["s"], i), (z["d"], j), -z["P"]))
    return sp.Sum(body, (i, 0, z["N_out"] - 1), (j, 0, z["K"] - 1))


# --- derivation steps of the 2-D weight gradient -------------------------------------------

class Delta(sp.KroneckerDelta):
    """The Kronecker delta, printed with a comma between its two indices (delta_{h, s i + d k - P})."""

    def _latex(self, printer):
        return r"\delta_{%s,\, %s}" % (printer._print(self.args[0]), printer._print(self.args[1]))


def chain_rule_weight_2d(z) -> sp.Expr:
    """sum_{a,f',i,j} G(a,f',i,j) dO(a,f',i,j)/dW(f,c,h,w), with dO/dW written out from the
    forward as Kronecker deltas: sum_{c',k,l} delta_{f'f} delta_{c'c} delta_{kh} delta_{lw} X(...)."""
    a, f, c, h, w, i, j, k, l = (INDEX[n] for n in "afchwijkl")
    f2, c2 = _sym("f'"), _sym("c'")
    G, X = sp.IndexedBase("G"), sp.IndexedBase("X")
    s, P, d = z["s"], z["P"], z["d"]
    x = X[a, _input_channel(f2, c2, z, "f'"), Ordered((s, i), (d, k), -P), Ordered((s, j), (d, l), -P)]
    body = G[a, f2, i, j] * Delta(f2, f) * Delta(c2, c) * Delta(k, h) * Delta(l, w) * x
    return sp.Sum(body, (a, 0, z["B"] - 1), (f2, 0, z["F"] - 1), (i, 0, z["H_out"] - 1),
                  (j, 0, z["W_out"] - 1), (c2, 0, z["C_g"] - 1), (k, 0, z["K_h"] - 1), (l, 0, z["K_w"] - 1))


def input_deltas_2d(z) -> sp.Expr:
    """dE/dX(n,c,h,w) before the change of index: a sum over the filters of c's group, every
    output pixel and kernel tap, kept where the tap lands on (h, w): delta_{h, s i + d k - P}."""
    n, c, h, w, f, i, j, k, l = (INDEX[x] for x in "nchwfijkl")
    G, W = sp.IndexedBase("G"), sp.IndexedBase("W")
    s, P, d = z["s"], z["P"], z["d"]
    group, filters = _group_filters(z)
    body = (G[n, f, i, j] * W[f, Ordered(c, (-1, z["C_g"], group)), k, l]
            * Delta(h, Ordered((s, i), (d, k), -P)) * Delta(w, Ordered((s, j), (d, l), -P)))
    return sp.Sum(body, filters, (i, 0, z["H_out"] - 1), (j, 0, z["W_out"] - 1),
                  (k, 0, z["K_h"] - 1), (l, 0, z["K_w"] - 1))


# --- the derivation, from a part's namespace ------------------------------------------------

def _layer(v):
    """(X, W, bias, G, hyperparameters) of a conv part's explicit namespace; a 1-D part
    (X of shape (N,)) becomes one batch and one channel."""
    x, w, g = v.objects["X"], v.objects["W"], v.objects["G"]
    bias = v.objects.get("b")
    if x.rank() == 1:
        x, w, g = (t.reshape(1, 1, t.shape[0]) for t in (x, w, g))
    z = v.sizes
    return x, w, bias, g, dict(stride=z["s"], padding=z["P"], dilation=z["d"], groups=z.get("g", 1))


_DERIVED: dict = {}


def derived_gradient(v, wrt: str):
    """dE/d(wrt), E = sum G * O, O the SymPy forward: differentiated entry by entry.

    Symbols are determined by their names, so a result is reused for the same sizes."""
    key = (wrt, tuple(sorted(v.sizes.items())), tuple(sorted(v.objects)))
    if key not in _DERIVED:
        x, w, bias, g, hyper = _layer(v)
        energy = contract(g, cross_correlate(x, w, bias, **hyper))
        _DERIVED[key] = sp.Matrix(gradient(energy, v.objects[wrt]))
    return _DERIVED[key]


def chain_rule(v, wrt: str, free: Sequence[sp.Symbol], out_indices: Sequence[sp.Symbol], output: str = "O"):
    """sum over the output of G * dO/d(wrt): in general the printed sum of derivatives; at
    explicit sizes each output entry of the SymPy forward differentiated on its own."""
    if v.general:
        G, O, T = sp.IndexedBase("G"), sp.IndexedBase(output), sp.IndexedBase(wrt)
        shape = v.objects["G"].shape
        limits = [(k, 0, n - 1) for k, n in zip(out_indices, shape)]
        return sp.Sum(G[tuple(out_indices)] * sp.Derivative(O[tuple(out_indices)], T[tuple(free)]), *limits)
    x, w, bias, g, hyper = _layer(v)
    out = list(sp.flatten(cross_correlate(x, w, bias, **hyper).tolist()))
    weights = list(sp.flatten(g.tolist()))
    cells = list(sp.flatten(v.objects[wrt].tolist())) if v.objects[wrt].rank() > 1 else list(v.objects[wrt])
    return sp.Matrix([sp.Add(*(gi * sp.diff(oi, cell) for gi, oi in zip(weights, out) if cell in oi.free_symbols))
                      for cell in cells])


# --- Toeplitz form and transposed convolution (1-D, one channel) ---------------------------

def conv1d_matrix(kernel: Sequence, n: int, stride: int = 1, padding: int = 0) -> sp.Matrix:
    """The matrix M of y = conv(x) for an input of length n: the Jacobian dy/dx of the SymPy
    forward, so its band is derived from the definition rather than written down."""
    x = sp.symbols(f"t_0:{n}")
    y = cross_correlate(sp.Array(list(x)).reshape(1, 1, n), sp.Array(list(kernel)).reshape(1, 1, len(kernel)),
                        stride=stride, padding=padding)
    return sp.Matrix(list(sp.flatten(y.tolist()))).jacobian(sp.Matrix(x))


def transposed_conv1d(x: Sequence, kernel: Sequence, stride: int = 1) -> sp.Matrix:
    """The transposed convolution by its definition: input i scatters x_i * kernel into the
    output from position s i on, so the output has length (n - 1) s + K."""
    stride = _per_axis("stride", stride, 1, 1)[0]
    out = [sp.S.Zero] * ((len(x) - 1) * stride + len(kernel))
    for i, value in enumerate(x):
        for k, tap in enumerate(kernel):
            out[stride * i + k] += value * tap
    return sp.Matrix(out)


def banded(kernel: Sequence, n: int, padding: int) -> sp.Matrix:
    """The textbook band: M[r, c] = kernel[c - r + P] where that tap exists, else 0."""
    return sp.Matrix(n, n, lambda r, c: kernel[c - r + padding] if 0 <= c - r + padding < len(kernel) else 0)


# --- low-rank kernels: two 1-D passes ------------------------------------------------------

def row_pass(x: sp.Matrix, v: Sequence) -> sp.Matrix:
    """Valid 1-D cross-correlation of every row of x with v."""
    k = len(v)
    return sp.Matrix(x.rows, x.cols - k + 1, lambda i, j: sum(v[q] * x[i, j + q] for q in range(k)))


def column_pass(x: sp.Matrix, u: Sequence) -> sp.Matrix:
    """Valid 1-D cross-correlation of every column of x with u."""
    k = len(u)
    return sp.Matrix(x.rows - k + 1, x.cols, lambda i, j: sum(u[p] * x[i + p, j] for p in range(k)))


def conv2d_valid(x: sp.Matrix, kernel: sp.Matrix) -> sp.Matrix:
    """One-channel valid 2-D cross-correlation through the general forward."""
    out = cross_correlate(sp.Array(x.tolist()).reshape(1, 1, *x.shape),
                          sp.Array(kernel.tolist()).reshape(1, 1, *kernel.shape))
    return sp.Matrix(out.tolist()[0][0])


# The input side of the low-rank counts: symbolic, so each count holds at every input size.
INPUT_SIDE = sp.Symbol("N", integer=True, positive=True)


def pass_counts(k, r):
    """Mults of the direct k x k conv and of r pairs of 1-D passes on an N x N input (N symbolic),
    each the sum over the loops of its algorithm: the row pass runs over all N rows, the column
    pass over the O x O outputs, O = N - k + 1. Returns (direct, separable, O)."""
    size, (p, q, i, j) = INPUT_SIDE, sp.symbols("p q i j", integer=True, positive=True)
    out = size - k + 1
    direct = sp.Sum(1, (i, 1, out), (j, 1, out), (p, 1, k), (q, 1, k)).doit()
    rows = sp.Sum(1, (i, 1, size), (j, 1, out), (q, 1, k)).doit()
    columns = sp.Sum(1, (i, 1, out), (j, 1, out), (p, 1, k)).doit()
    return direct, r * (rows + columns), out


def per_output(k, r):
    """(direct, separable) mults per output pixel on an N x N input: the counts over O^2."""
    direct, separable, out = pass_counts(k, r)
    return sp.factor(direct / out ** 2), sp.factor(separable / out ** 2)


def multiplication_ratio(k, r):
    """Mults per output of r pairs of 1-D passes over those of the direct k x k conv, on an
    N x N input as N grows."""
    direct, separable, _ = pass_counts(k, r)
    return sp.limit(separable / direct, INPUT_SIDE, sp.oo)


def footprint(out_position, kernel, stride=1, padding=0, dilation=1):
    """The input pixels output pixel ``out_position`` sees (its window, padding included)."""
    conv = Conv((stride,) * 2, (padding,) * 2, (dilation,) * 2, 1)
    return [conv.input_position(out_position, k) for k in itertools.product(range(kernel[0]), range(kernel[1]))]


def gradient_footprint(in_position, size, kernel, stride=1, padding=0, dilation=1):
    """The output pixels whose windows contain input pixel ``in_position``: where dE/dX there
    gathers G from (the same set the index form's valid (h + P - s i)/d picks)."""
    outs = [output_size(n, k, stride, padding, dilation) for n, k in zip(size, kernel)]
    return [(i, j) for i in range(outs[0]) for j in range(outs[1])
            if tuple(in_position) in footprint((i, j), kernel, stride, padding, dilation)]
