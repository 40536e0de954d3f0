"""The convolution tools: the SymPy forward against its NumPy twin, output sizes, bad input,
index notation at explicit sizes, tensor variables, the Toeplitz and transposed forms."""
import numpy as np
import pytest
import sympy as sp

from derive import InvalidArgument, ProblemDefinitionError, Variable
from derive.maths.convolution import (banded, conv1d_matrix, cross_correlate, gradient_footprint,
                                      footprint, output_size, transposed_conv1d)
from derive.maths.tensors import evaluate
from derive.model.part import DerivedSize, Namespace
from derive.verify.conv_oracles import Hyper, forward

LAYERS = [  # B, C, F, groups, spatial input, kernel, stride, padding, dilation
    (1, 1, 1, 1, (5,), (3,), 2, 1, 1),
    (2, 4, 6, 2, (7, 6), (3, 2), 2, 1, 2),
    (1, 3, 3, 3, (5, 5), (3, 3), 1, 2, 1),
    (2, 2, 2, 1, (4, 5, 4), (2, 1, 3), 1, 0, 1),
]


@pytest.mark.parametrize("layer", LAYERS)
def test_sympy_forward_equals_the_numpy_twin(layer):
    batch, channels, filters, groups, size, kernel, s, p, d = layer
    rng = np.random.default_rng(len(size))
    x = rng.normal(size=(batch, channels, *size))
    w = rng.normal(size=(filters, channels // groups, *kernel))
    b = rng.normal(size=filters)
    expected = forward(x, w, b, Hyper(s, p, d, groups))
    got = cross_correlate(np.array(x, dtype=object), np.array(w, dtype=object), np.array(b, dtype=object),
                          stride=s, padding=p, dilation=d, groups=groups)
    assert np.allclose(np.array(got.tolist(), dtype=float), expected, atol=1e-12)


@pytest.mark.parametrize("n, k, s, p, d", [(5, 3, 1, 0, 1), (32, 3, 2, 1, 1), (7, 3, 3, 2, 2), (4, 4, 1, 0, 1)])
def test_output_size_counts_the_windows_the_forward_makes(n, k, s, p, d):
    out = cross_correlate(sp.Array([1] * n).reshape(1, 1, n), sp.Array([1] * k).reshape(1, 1, k),
                          stride=s, padding=p, dilation=d)
    assert out.shape[2] == output_size(n, k, s, p, d) == (n + 2 * p - d * (k - 1) - 1) // s + 1


def _layer(x=(1, 2, 5, 5), w=(2, 2, 3, 3), **hyper):
    return lambda: cross_correlate(sp.Array.zeros(*x), sp.Array.zeros(*w), **hyper)


@pytest.mark.parametrize("call, message", [
    (_layer(stride=0), "stride=0 is not allowed: stride must be an integer >= 1"),
    (_layer(stride=1.5), "stride=1.5 is not allowed"),
    (_layer(padding=-1), "padding=-1 is not allowed: padding must be an integer >= 0"),
    (_layer(dilation=0), "dilation=0"),
    (_layer(w=(2, 2, 7, 3)), r"kernel of size 7 .* larger than the padded input 5 \+ 2\*0 = 5"),
    (_layer(w=(2, 2, 3, 3), dilation=3), r"dilation 3: extent 7\) is larger than the padded input"),
    (_layer(w=(2, 3, 3, 3)), "weight has 3 input channels per group but the input has C=2 channels in groups=1"),
    (_layer(w=(3, 1, 3, 3), groups=2), "groups=2 must divide both the input channels C=2 and the filters F=3"),
    (_layer(groups=0), "groups=0 is not allowed"),
    (_layer(x=(1, 2, 5)), "expected .* of the same rank"),
    (lambda: output_size(3, 5), r"kernel of size 5 .* the extent d\(K-1\)\+1 must be at most N \+ 2P"),
    (lambda: transposed_conv1d([1, 2], [1], stride=0), "stride=0"),
])
def test_bad_layers_are_refused_naming_the_value(call, message):
    with pytest.raises(InvalidArgument, match=message):
        call()


def test_index_notation_reads_zero_outside_a_tensor_and_at_fractional_indices():
    i, j, n = sp.symbols("i j n", integer=True)
    x = sp.IndexedBase("x")
    values = {"x": np.arange(1.0, 6.0)}
    assert evaluate(sp.Sum(x[i + j], (i, 0, n - 1)), values, {n: 3, j: 3}) == 4 + 5   # x[5] is outside
    assert evaluate(x[(j + 1) / 3], values, {j: 2}) == 2.0      # (2 + 1)/3 = 1, exactly
    assert evaluate(x[(j + 1) / 3], values, {j: 3}) == 0.0      # 4/3 is no index
    # 5/3 + 1/3 must be the index 2, which float arithmetic would miss
    assert evaluate(x[j / 3 + sp.Rational(1, 3)], values, {j: 5}) == 3.0


def test_tensor_variables_are_arrays_at_explicit_sizes_and_indexed_in_general():
    out = DerivedSize("H_out", lambda z: z["H"] - z["K"] + 1)
    X = Variable("X", ("B", "C", "H", "H"), indexed=True, index_base=0)
    G = Variable("G", ("B", out), indexed=True, index_base=0)
    with pytest.raises(InvalidArgument, match="derived size 'H_out' needs the size 'K'"):
        Namespace([X, G], {"B": 1, "C": 2, "H": 3})
    explicit = Namespace([X, G], {"B": 1, "C": 2, "H": 3, "K": 2}, extra_dims=("K",))
    assert explicit.X.shape == (1, 2, 3, 3) and str(explicit.X[0, 1, 2, 0]) == "X_{0,1,2,0}"
    assert explicit.G.shape == (1, 2) and explicit.sizes["H_out"] == 2
    assert len(explicit.symbols()) == 18 + 2
    general = Namespace([X, G], extra_dims=("K",))
    assert isinstance(general.X, sp.IndexedBase) and general.G.shape == (sp.Symbol("B", integer=True, positive=True),
                                                                         general.sizes["H_out"])
    with pytest.raises(ProblemDefinitionError, match="declare it indexed=True"):
        Variable("T", ("a", "b", "c"))


def test_the_band_is_the_jacobian_and_transposed_convs_have_the_catalogue_lengths():
    w = sp.symbols("w_1:4")
    assert conv1d_matrix(w, 4, 1, 1) == banded(w, 4, 1)
    assert list(banded(w, 4, 1).row(0)) == [w[1], w[2], 0, 0]
    kernel, x = sp.symbols("a b c"), sp.symbols("x_1:5")
    assert len(transposed_conv1d(x, kernel, 1)) == 6 and len(transposed_conv1d(x, kernel, 2)) == 9
    assert conv1d_matrix(kernel, 9, 2).shape == (4, 9)


def test_an_input_pixel_feeds_exactly_the_windows_that_contain_it():
    feeds = gradient_footprint((2, 2), (7, 7), (3, 3), stride=2)   # row 2 is in windows 0 and 1
    assert feeds == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all((2, 2) in footprint(o, (3, 3), 2) for o in feeds)
    assert gradient_footprint((3, 3), (7, 7), (3, 3), stride=2) == [(1, 1)]
