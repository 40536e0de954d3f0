"""derive.verify.numeric: finite differences and the error measure."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from derive.verify.numeric import central_gradient, central_jacobian, scaled_error, softmax

x, y = sp.symbols("x y", real=True)

def test_central_jacobian_of_a_linear_map_is_the_matrix(rng):
    a = rng.normal(size=(3, 4))
    assert np.allclose(central_jacobian(lambda u: a @ u, rng.normal(size=4)), a, atol=1e-9)


@given(st.integers(2, 8), st.integers(0, 2 ** 32 - 1))
def test_central_gradient_of_log_sum_exp_is_softmax(n, seed):
    z = np.random.default_rng(seed).normal(size=n)
    g = central_gradient(lambda u: np.log(np.sum(np.exp(u))), z)
    assert scaled_error(g, softmax(z)) < 1e-8, (z, g)


def test_scaled_error_is_relative_above_one_and_absolute_below():
    assert scaled_error([110.0], [100.0]) == pytest.approx(0.1)
    assert scaled_error([0.011], [0.01]) == pytest.approx(0.001)
    assert scaled_error([1.0, 2.0], [1.0]) == float("inf")
