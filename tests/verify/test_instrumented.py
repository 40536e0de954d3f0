"""The conv-arithmetic oracles: the instrumented forward pass computes a real convolution and
counts what it multiplies; the gradient support matches JAX; map_coordinates is read right."""
import numpy as np
import pytest

from derive import DeriveError
from derive.maths.networks import Shape, conv, depthwise, fc, pointwise, pool
from derive.verify.instrumented import (MultiplyCounter, affine_limit, forward, gradient_support,
                                        interpolated_weights, measure, se_block_mults)


def naive_conv(x, w, stride, padding, dilation):
    """Cross-correlation by four loops (no windows, no einsum): the reference for forward()."""
    xp = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    k = w.shape[0]
    side = (xp.shape[0] - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((side, side, w.shape[3]))
    for i in range(side):
        for j in range(side):
            for a in range(k):
                for b in range(k):
                    out[i, j] += xp[i * stride + a * dilation, j * stride + b * dilation] @ w[a, b]
    return out


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (3, 2, 2), (1, 1, 3)])
def test_instrumented_conv_is_a_convolution_and_counts_its_products(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((11, 11, 3))
    layer = conv(4, 3, stride, padding, dilation)
    outputs = []
    run = forward([layer], x, rng=np.random.default_rng(1), outputs=outputs)
    w = np.random.default_rng(1).standard_normal((3, 3, 3, 4)).astype(np.float32)
    reference = naive_conv(x, w.astype(float), stride, padding, dilation)
    assert run[0].output == reference.shape
    assert np.allclose(outputs[0], reference, rtol=1e-5, atol=1e-5)   # float32 weights, float64 input
    assert run[0].params == w.size
    assert run[0].mults == reference.shape[0] ** 2 * 4 * 27   # every output sums 3*3*3 products


def test_depthwise_and_pointwise_and_fc_counts():
    runs = measure([depthwise(3), pointwise(5), pool(2), fc(7, bias=True)], Shape(8, 8, 2))
    assert [m.output for m in runs] == [(6, 6, 2), (6, 6, 5), (3, 3, 5), (1, 1, 7)]
    assert [m.mults for m in runs] == [6 * 6 * 2 * 9, 6 * 6 * 2 * 5, 0, 45 * 7]
    assert [m.params for m in runs] == [18, 10, 0, 45 * 7 + 7]


def test_counter_counts_broadcast_products():
    counter = MultiplyCounter()
    counter.multiply(np.ones((4, 3)), np.ones(3))
    counter.contract("ij,jk->ik", np.ones((2, 3)), np.ones((3, 5)))
    assert counter.count == 12 + 30


def test_a_window_that_does_not_fit_is_an_error():
    with pytest.raises(DeriveError, match="does not fit"):
        measure([conv(1, 5)], Shape(3, 3, 1), compute=False)


def test_gradient_support_of_the_catalogue_stack():
    stack = [conv(1, 3, 2), pool(2, 2), conv(1, 3, 2), pool(2, 2)]
    assert [gradient_support(stack[:n], 64) for n in range(1, 5)] == [3, 5, 13, 21]


def test_gradient_support_agrees_with_jax_autodiff():
    pytest.importorskip("jax")
    import jax
    import jax.numpy as jnp
    stack = [conv(1, 3, 2, dilation=2), pool(2, 2), conv(1, 2, 1)]

    def net(x):
        y = x[None, None]
        for layer in stack:
            k, s, d = layer.kernel, layer.stride, layer.dilation
            if layer.kind == "pool":
                y = jax.lax.reduce_window(y, -jnp.inf, jax.lax.max, (1, 1, k, k), (1, 1, s, s), "VALID")
            else:
                y = jax.lax.conv_general_dilated(y, jnp.ones((1, 1, k, k)), (s, s), "VALID", rhs_dilation=(d, d))
        return y[0, 0, 0, 0]

    # A max pool routes the gradient to one input per window: the union over random inputs
    # covers every input the output can depend on.
    support = np.zeros((40, 40), bool)
    for seed in range(40):
        x = jnp.asarray(np.random.default_rng(seed).standard_normal((40, 40)))
        support |= np.asarray(jax.grad(net)(x)) != 0
    rows, cols = np.flatnonzero(support.any(1)), np.flatnonzero(support.any(0))
    assert rows[-1] - rows[0] + 1 == cols[-1] - cols[0] + 1 == gradient_support(stack, 40)


def test_map_coordinates_weights_at_the_catalogue_point():
    pytest.importorskip("scipy")
    weights = interpolated_weights((10, 10), (1.25, 2.5))
    assert weights == pytest.approx({(1, 2): 0.375, (1, 3): 0.375, (2, 2): 0.125, (2, 3): 0.125})


def test_se_block_counts_and_their_limit():
    assert se_block_mults(64, 16, 7) == 2 * 64 * 4 + 64 * 49
    sides = (7, 14, 28)
    se = [se_block_mults(64, 16, s) for s in sides]
    separable = [(9 * 64 + 64 * 64) * s * s for s in sides]
    assert affine_limit(sides, se, separable) == pytest.approx(1 / 73, rel=1e-14)
    with pytest.raises(DeriveError, match="not affine"):
        affine_limit(sides, [1, 2, 10], separable)


def test_instrumented_depthwise_filters_each_channel_alone():
    x = np.random.default_rng(2).standard_normal((7, 7, 3))
    outputs = []
    run = forward([depthwise(3, stride=2, padding=1)], x, rng=np.random.default_rng(3), outputs=outputs)
    w = np.random.default_rng(3).standard_normal((3, 3, 3)).astype(np.float32).astype(float)
    for c in range(3):
        alone = naive_conv(x[:, :, c:c + 1], w[:, :, c].reshape(3, 3, 1, 1), 2, 1, 1)[:, :, 0]
        assert np.allclose(outputs[0][:, :, c], alone, rtol=1e-5, atol=1e-5)
    assert run[0].mults == 4 * 4 * 3 * 9 and run[0].params == 27


def test_measured_network_totals_match_the_derived_ones_in_the_same_order():
    from derive.maths.networks import Shape, conv, depthwise, network_totals, pointwise
    from derive.verify.instrumented import measured_network_totals
    pair, x = ((depthwise(3, 2, 1), pointwise(4)), (conv(4, 3, 2, 1),)), Shape(9, 9, 2)
    assert measured_network_totals(pair, x, ("params", "mults")) == network_totals(pair, x, ("params", "mults"))


def test_the_counted_se_ratio_and_field_match_the_derived_ones():
    from derive.maths.networks import conv, pool, receptive_fields, se_over_separable
    from derive.verify.instrumented import measured_se_over_separable, receptive_field_support
    assert measured_se_over_separable(16, 4, 7) == float(se_over_separable(16, 4, 7))
    stack = (conv(1, 3, 2), pool(2, 2))
    assert receptive_field_support(stack) == receptive_fields(stack)[-1]
