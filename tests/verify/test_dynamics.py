"""derive.verify.dynamics: NumPy runs of iterative methods and the classifier of what they do,
checked against facts known without the code under test (diagonal quadratics, where every
mode is 1 - eps lambda_i to the t)."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import get_part
from derive.verify.dynamics import (CONVERGES, DIVERGES, OSCILLATES, STALLS, behaviour, best_constant_step,
                             claimed_interval, converges, damped_newton, gradient_descent, moving_average,
                             probes, random_quadratic, run, spd_with_spectrum, step_bound_strategy)
from derive.verify.random_oracles import MonteCarlo, generator_from


@given(st.integers(2, 8), st.floats(0.01, 1.0), st.floats(1.0, 100.0), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_spd_with_spectrum_has_the_asked_extremes(n, lam_min, spread, seed):
    lam_max = lam_min * spread
    h, q = spd_with_spectrum(np.random.default_rng(seed), n, lam_min, lam_max)
    eig = np.linalg.eigvalsh(h)
    # eigvalsh of an O(lam_max) symmetric matrix errs by ~1e-15 lam_max
    assert np.allclose(h, h.T) and np.allclose(q.T @ q, np.eye(n), atol=1e-12)
    assert eig[0] == pytest.approx(lam_min, rel=1e-9, abs=1e-12 * lam_max)
    assert eig[-1] == pytest.approx(lam_max, rel=1e-9)


def test_run_on_a_diagonal_quadratic_scales_each_mode():
    h, w_0, eps = np.diag([1.0, 4.0]), np.array([1.0, -2.0]), 0.3
    path = run(gradient_descent, h, w_0, eps, 5)
    expected = np.array([(1 - eps * np.array([1.0, 4.0])) ** t * w_0 for t in range(6)])
    assert path.shape == (6, 2) and np.allclose(path, expected, rtol=1e-13)
    # Damped Newton scales every mode by 1 - eps, whatever the spectrum.
    assert np.allclose(run(damped_newton, h, w_0, eps, 3)[-1], (1 - eps) ** 3 * w_0, rtol=1e-13)


@pytest.mark.parametrize("eps, label", [(0.25, CONVERGES), (0.5, OSCILLATES), (0.0, STALLS),
                                        (0.51, DIVERGES), (-0.1, DIVERGES)])
def test_behaviour_on_diag_1_4(eps, label):
    h, q = np.diag([1.0, 4.0]), np.eye(2)
    observed, rate = behaviour(gradient_descent, h, q, np.ones(2), eps)
    assert observed == label
    if label == CONVERGES:  # the slowest mode contracts by max |1 - eps lambda_i|
        assert rate == pytest.approx(max(abs(1 - eps), abs(1 - 4 * eps)), rel=1e-12)


def test_converges_from_a_random_start():
    h = np.diag([0.5, 2.0, 3.0])
    assert converges(gradient_descent, h, 0.6, np.random.default_rng(1))
    assert not converges(gradient_descent, h, 0.7, np.random.default_rng(1))
    assert converges(damped_newton, h, 1.9, np.random.default_rng(1))


@pytest.mark.parametrize("lam", [[1.0, 4.0], [0.3, 0.5, 2.0], [2.0, 2.0]])
def test_best_constant_step_is_two_over_the_extremes(lam):
    lam = np.array(lam)
    assert best_constant_step(lam) == pytest.approx(2 / (lam.min() + lam.max()), rel=1e-12)


@given(st.lists(st.floats(-10, 10), min_size=1, max_size=12), st.floats(0.0, 0.999))
def test_moving_average_is_the_unrolled_sum(x, b):
    m = moving_average(x, b)
    t = len(x)
    unrolled = [(1 - b) * sum(b ** (k - i) * x[i - 1] for i in range(1, k + 1)) for k in range(1, t + 1)]
    assert np.allclose(m, unrolled, rtol=1e-12, atol=1e-12)


def test_moving_average_runs_along_the_last_axis():
    x = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(moving_average(x, 0.5), np.stack([moving_average(row, 0.5) for row in x]))


def test_probes_straddle_a_bounded_claim_and_grid_an_unbounded_one():
    found = dict((label, []) for label in (CONVERGES, DIVERGES, STALLS, OSCILLATES))
    for eps, label in probes(sp.Interval.open(0, 1), 1.0):
        found[label].append(eps)
    assert found[STALLS] == [0.0] and found[OSCILLATES] == [1.0]
    assert all(0 < e < 1 for e in found[CONVERGES]) and all(e < 0 or e > 1 for e in found[DIVERGES])
    grid = probes(sp.Interval.open(0, sp.oo), 2.0)
    assert [label for e, label in grid] == [DIVERGES] + [CONVERGES] * 6


def test_claimed_interval_reads_the_part_at_numbers():
    part = get_part("optim.gd_step_bound")
    claimed = claimed_interval(part, {"lambda_min": 0.5, "lambda_max": 4.0, "kappa": 8.0})
    assert float(claimed.inf) == 0 and float(claimed.sup) == pytest.approx(0.5)


def test_random_quadratic_decodes_a_case():
    n, lmin, lmax, h, q, w_0 = random_quadratic((3, 1.0, 0.0, 7))
    assert (n, lmax) == (3, 1.0) and lmin == pytest.approx(0.1)
    assert np.all(np.abs(q.T @ w_0) >= 0.5)  # a sizeable start in every mode


@given(step_bound_strategy())
@settings(max_examples=20, deadline=None)
def test_step_bound_cases_have_the_stated_ranges(case):
    n, lmin, lmax, *_ = random_quadratic(case)
    assert 2 <= n <= 8 and 0.1 <= lmax <= 100 and 10 ** 0.3 * (1 - 1e-12) <= lmax / lmin <= 1000 * (1 + 1e-12)


def test_monte_carlo_from_samples_and_seeding_from_values():
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 2.0, 10_000)
    mc = MonteCarlo.from_samples(values)
    assert mc.standard_error == pytest.approx(2.0 / 100, rel=0.05) and mc.samples == 10_000
    assert mc.z(3.0) < 5 and mc.z(3.5) > 20
    x = {"a": 0.25, "b": np.array([1.0, 2.0])}
    assert generator_from(x).random() == generator_from(dict(x)).random()
    assert generator_from(x).random() != generator_from({"a": 0.5, "b": x["b"]}).random()
