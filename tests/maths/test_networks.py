"""The layer description: window counting, per-layer counts, receptive fields, resampling,
and clear errors for bad descriptions."""
import doctest

import pytest
import sympy as sp

import derive.maths.networks as networks
from derive import InvalidArgument
from derive.maths.networks import (Layer, Shape, analyse, bilinear_weights, conv, count_layer, depthwise, fc,
                                   map_coordinate, pointwise, pool, receptive_fields, textbook_counts, totals,
                                   window_positions)


def test_docstring_example():
    assert doctest.testmod(networks).failed == 0


@pytest.mark.parametrize("extent", range(1, 30))
@pytest.mark.parametrize("span,stride", [(1, 1), (3, 1), (3, 2), (5, 3), (7, 4)])
def test_window_positions_count_the_valid_starts(extent, span, stride):
    starts = [i for i in range(extent) if i % stride == 0 and i + span <= extent]
    assert window_positions(extent, span, stride) == len(starts)


def test_symbolic_count_is_the_floor_formula_for_every_integer_size():
    n, k, s, p, d = sp.symbols("N K S P d", integer=True, positive=True)
    counted = count_layer(conv(1, k, s, p, d), Shape(n, n, 1)).output.height
    assert sp.simplify(counted - (sp.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1)) == 0


@pytest.mark.parametrize("layer,shape,expected", [
    (conv(8, 3, 2, 1), Shape(32, 32, 3), ((16, 16, 8), 216, 16 * 16 * 8 * 27)),
    (conv(8, 3, 2, 1, bias=True), Shape(32, 32, 3), ((16, 16, 8), 224, 16 * 16 * 8 * 27)),
    (depthwise(4, 2, 1), Shape(512, 512, 3), ((256, 256, 3), 48, 256 * 256 * 16 * 3)),
    (pointwise(64), Shape(256, 256, 3), ((256, 256, 64), 192, 256 * 256 * 3 * 64)),
    (pool(5, 2), Shape(216, 216, 32), ((106, 106, 32), 0, 0)),
    (fc(1024, bias=True), Shape(18, 18, 128), ((1, 1, 1024), 41472 * 1024 + 1024, 41472 * 1024)),
    (conv(4, 3, dilation=2), Shape(9, 9, 1), ((5, 5, 4), 36, 25 * 4 * 9)),
])
def test_layer_counts(layer, shape, expected):
    c = count_layer(layer, shape)
    assert ((c.output.height, c.output.width, c.output.channels), c.params, c.mults) == expected
    side, params, mults, _ = textbook_counts([layer], shape)[0]
    assert (side, params, mults) == (c.output.height, c.params, c.mults)


def test_totals_count_activations_with_and_without_the_input():
    counts = analyse([conv(2, 3), pool(2)], Shape(6, 6, 1))
    t = totals(counts)
    assert (t.activations, t.activations_with_input) == (4 * 4 * 2 + 2 * 2 * 2, 32 + 8 + 36)


def test_receptive_field_after_every_layer():
    assert receptive_fields([conv(1, 3, 2), pool(2, 2), conv(1, 3, 2), pool(2, 2)]) == [3, 5, 13, 21]


@pytest.mark.parametrize("make,message", [
    (lambda: analyse([conv(4, 3)], Shape(-2, -2, 3)), "-2"),
    (lambda: analyse([conv(4, 7)], Shape(5, 5, 3)), "kernel 7"),
    (lambda: conv(4, 3, stride=1.5), "stride=1.5 is not an integer"),
    (lambda: conv(4, 3, stride=0), "stride=0 is below 1"),
    (lambda: conv(4, 3, padding=-1), "padding=-1"),
    (lambda: Layer("deconv", 3), "choose from conv, depthwise, pointwise, pool, fc"),
    (lambda: Layer("conv", 3), "needs its output channels"),
    (lambda: Layer("depthwise", 3, channels=8), "keeps its input's channels"),
    (lambda: map_coordinate(4, 3.2, "align"), "choose from corner, half-pixel"),
])
def test_bad_descriptions_get_clear_errors(make, message):
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace(".", r"\.")):
        make()


@pytest.mark.parametrize("convention", ["corner", "half-pixel"])
@pytest.mark.parametrize("x", [0.5, 4, 8, 13.3, 27])
def test_bilinear_weights_are_a_partition_of_unity(convention, x):
    u = map_coordinate(x, sp.Rational(32, 10), convention)
    weights = bilinear_weights(u, u)
    assert sum(weights.values()) == 1 and all(w >= 0 for w in weights.values()) and len(weights) <= 4


def test_the_catalogue_point_under_both_conventions():
    assert bilinear_weights(map_coordinate(4, sp.Rational(32, 10)), map_coordinate(8, sp.Rational(32, 10))) == {
        (1, 2): sp.Rational(3, 8), (1, 3): sp.Rational(3, 8), (2, 2): sp.Rational(1, 8), (2, 3): sp.Rational(1, 8)}
    half = bilinear_weights(*(map_coordinate(x, sp.Rational(32, 10), "half-pixel") for x in (4, 8)))
    assert half[(1, 2)] == sp.Rational(29, 32) * sp.Rational(27, 32)


def test_network_totals_agree_with_the_textbook_formulas_field_by_field():
    from derive.maths.networks import network_totals, textbook_totals
    a = (depthwise(4, 2, 1), pointwise(8))
    b = (conv(8, 4, 2, 1),)
    x = Shape(32, 32, 3)
    assert network_totals((a, b), x, ("params", "mults")) == textbook_totals((a, b), x, (1, 2))
    assert network_totals((a, b), x, ("params",)) == [totals(analyse(a, x)).params, totals(analyse(b, x)).params]


def test_the_se_ratio_tends_to_one_over_nine_plus_c():
    from derive.maths.networks import se_over_separable
    side = sp.Symbol("H", positive=True, integer=True)
    assert sp.limit(se_over_separable(64, 16, side), side, sp.oo) == sp.Rational(1, 73)
