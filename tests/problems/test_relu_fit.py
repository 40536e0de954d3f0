"""activation.relu_fit and its tools: derive.maths.piecewise_fit (the exact error of a ReLU
network, inner least squares, the search over kinks) and derive.verify.relu_fit (the three
checks of the optimum), including that each check refutes a point that is not the optimum."""
import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive import InvalidArgument
from derive.maths.piecewise_fit import ReluFitProblem
from derive.model.claim import PASSED, REFUTED
from derive.verify.relu_fit import GridLeastSquares, Stationary, quadrature_error
from problems import activation

PROBLEM, FIT, PER_FACES = activation.relu_fit_optimum()
PART = next(p for p in activation.PARTS if p.id == "activation.relu_fit")


def test_exact_error_equals_quadrature_of_the_network():
    rng = np.random.default_rng(3)
    for faces in PROBLEM.all_faces[:3]:
        error = sp.lambdify([PROBLEM.kinks, PROBLEM.theta], PROBLEM.error_by_gram(faces))
        kinks, theta = np.sort(rng.uniform(-1, 2, 3)), rng.normal(size=4)
        weights = {"u": list(faces), "b": [-s * k for s, k in zip(faces, kinks)], "a": theta[1:], "c": theta[0]}
        assert abs(error(kinks, theta) - quadrature_error(PROBLEM, weights)) < 1e-13


def test_inner_least_squares_is_stationary_in_theta():
    faces, kinks = (1, -1, 1), np.array([-0.5, 0.4, 1.1])
    value, theta = PROBLEM.inner(faces, kinks)
    error = sp.lambdify([PROBLEM.kinks, PROBLEM.theta], PROBLEM.error_by_gram(faces))
    for k in range(4):
        step = np.zeros(4)
        step[k] = 1e-4
        assert error(kinks, theta + step) > value and error(kinks, theta - step) > value
    assert abs(error(kinks, theta) - value) < 1e-14


def test_the_optimum_is_consistent_with_its_own_network():
    weights = FIT.weights
    assert abs(quadrature_error(PROBLEM, weights) - float(FIT.error)) < 1e-12
    assert np.allclose(sorted(-np.array(weights["b"], float) / np.array(weights["u"], float)),
                       [float(k) for k in FIT.kinks])
    assert float(FIT.error) <= min(PER_FACES.values()) + 1e-12
    assert FIT.gradient_norm < 1e-20


def test_pieces_are_continuous_and_obey_the_slope_relation():
    pieces = PROBLEM.pieces(FIT)
    for (_, end, m0, q0), (start, _, m1, q1) in zip(pieces, pieces[1:]):
        assert abs(end - start) < 1e-15 and abs((m0 * end + q0) - (m1 * start + q1)) < 1e-12
    slopes = [m for _, _, m, _ in pieces]
    # Each kink changes the slope by alpha_k; the leftmost slope is -(the alphas of the left-facing units).
    jumps = np.diff(slopes)
    leftmost = -sum(j for j, s in zip(jumps, FIT.faces) if s < 0)
    assert abs(slopes[0] - leftmost) < 1e-12


def test_the_checks_refute_a_point_that_is_not_the_optimum():
    moved = dataclasses.replace(FIT, kinks=(FIT.kinks[0] + sp.Float("0.05"),) + FIT.kinks[1:])
    assert Stationary(lambda: (PROBLEM, moved)).run(PART).outcome == REFUTED
    worse = dataclasses.replace(FIT, error=FIT.error * 2)      # claims an optimum the grid beats
    claim = GridLeastSquares(lambda: (PROBLEM, worse), step=0.25).run(PART)
    assert claim.outcome == REFUTED and claim.counterexample["grid best"] < float(worse.error)
    assert GridLeastSquares(lambda: (PROBLEM, FIT), step=0.25).run(PART).outcome == PASSED


@pytest.mark.parametrize("kwargs, match", [({"units": 0}, "at least one hidden unit"),
                                           ({"lo": 2, "hi": -1}, "is empty")])
def test_bad_problems_are_refused(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        ReluFitProblem(**kwargs)


def test_bad_faces_are_refused():
    with pytest.raises(InvalidArgument, match="faces"):
        PROBLEM.basis_on_piece((1, 0, 1), 0)
