"""derive.maths.quadratics and derive.maths.moving_averages (SymPy tools the optim family derives with)
and the optimiser domains, checked on inputs whose answers are known independently."""
import numpy as np
import pytest
import sympy as sp

from derive import ProblemDefinitionError
from derive.model.domains import NONZERO, STEP_COUNT, STEP_SIZE
from derive.maths.moving_averages import ema, ema_at, ema_iterated, ema_mean, step_sum
from derive.maths.quadratics import iterate, linear_factor, minimax_step, quadratic_gradient

E = sp.Symbol("e", real=True)
T = sp.Symbol("t", integer=True, nonnegative=True)
B = sp.Symbol("b", positive=True)
S = sp.IndexedBase("s")


def symmetric(n):
    return sp.Matrix(n, n, lambda i, j: sp.Symbol(f"h_{min(i, j)}{max(i, j)}", real=True))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_quadratic_gradient_is_h_w_for_symmetric_h(n):
    h, w = symmetric(n), sp.Matrix(sp.symbols(f"w:{n}", real=True))
    assert sp.expand(quadratic_gradient(h, w) - h * w) == sp.zeros(n, 1)


def test_iterate_two_gradient_steps():
    h, w = sp.diag(1, 4), sp.Matrix([1, 1])
    out = iterate(lambda x: x - E * quadratic_gradient(h, x), w, 2)
    assert sp.expand(out - sp.Matrix([(1 - E) ** 2, (1 - 4 * E) ** 2])) == sp.zeros(2, 1)


def test_linear_factor_of_newton_and_refusal_for_gradient_descent():
    h = symmetric(2)
    assert linear_factor(lambda w: w - E * h.inv() * quadratic_gradient(h, w), 2, "Newton") == 1 - E
    with pytest.raises(ProblemDefinitionError, match="GD is not a multiple of w"):
        linear_factor(lambda w: w - E * quadratic_gradient(h, w), 2, "GD")


def test_minimax_step_of_gradient_descent():
    lo, hi = sp.symbols("lo hi", positive=True)
    step, rate = minimax_step(lambda e, lam: 1 - e * lam, lo, hi)
    assert sp.simplify(step - 2 / (lo + hi)) == 0
    assert sp.simplify(rate - (hi - lo) / (hi + lo)) == 0


@pytest.mark.parametrize("n", [1, 2, 4])
def test_solved_unrolled_and_iterated_averages_agree(n):
    values = sp.symbols(f"g1:{n + 1}")
    iterated = ema_iterated(B, values)
    assert len(iterated) == n
    assert sp.expand(ema_at(B, S, T, n, values) - iterated[-1]) == 0
    unrolled = (1 - B) * step_sum(lambda i, g: B ** (n - i) * g, values, n)
    assert sp.expand(unrolled - iterated[-1]) == 0
    corrected = ema_iterated(B, values, corrected=True)
    assert sp.simplify(corrected[0] - values[0]) == 0  # mhat_1 = g_1


def test_step_sum_is_a_sum_at_symbolic_size_and_the_mean_is_biased():
    symbolic = step_sum(lambda i, g: g, S, T)
    assert isinstance(symbolic, sp.Sum) and symbolic.subs(T, 3).doit() == S[1] + S[2] + S[3]
    assert isinstance(ema(B, S, T), sp.Mul)
    mu = sp.Symbol("mu")
    assert sp.simplify(ema_mean(B, mu, S, T) - (1 - B ** T) * mu) == 0


def test_optimiser_domains_sample_what_they_describe():
    rng = np.random.default_rng(0)
    t = STEP_COUNT.sample(rng, (500,))
    assert set(np.unique(t)) <= set(range(1, 16)) and np.all(t == np.round(t))
    g = NONZERO.sample(rng, (500,))
    assert np.all(np.abs(g) >= 1e-3) and np.any(g < 0) and np.any(g > 0)
    eps = STEP_SIZE.sample(rng, (500,))
    assert np.all((eps > STEP_SIZE.low) & (eps < STEP_SIZE.high)) and np.any(eps < 0)
    assert dict(STEP_COUNT.assumptions) == {"integer": True, "positive": True}


def test_adam_iterated_equals_adam_unrolled_at_every_step():
    from derive.maths.moving_averages import adam_closed_form, adam_first_step, adam_trajectory
    theta, a, b1, b2, e = sp.symbols("theta_0 alpha beta_1 beta_2 epsilon", positive=True)
    grads = sp.symbols("g_1:4")
    point = {theta: 1, a: sp.Rational(1, 10), b1: sp.Rational(9, 10), b2: sp.Rational(99, 100), e: sp.Rational(1, 100),
             **dict(zip(grads, (1, -2, sp.Rational(1, 2))))}
    iterated = adam_trajectory(theta, grads, a, b1, b2, e).subs(point)
    unrolled = adam_closed_form(theta, grads, a, b1, b2, e, 3).subs(point)
    assert all(sp.simplify(u - v) == 0 for u, v in zip(iterated, unrolled))
    g = sp.Symbol("g_1", nonzero=True)
    assert all(adam_first_step(a, b1, b2, g, correct=True).subs(g, value) == a for value in (-3, 2))
