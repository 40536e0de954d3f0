"""derive.maths.expectation against oracles that do not use it: exact enumeration of
masks in Fractions, Gauss-Hermite quadrature in NumPy, and known moments."""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.errors import DeriveError, InvalidArgument
from derive.maths.expectation import (
    Bernoulli,
    Case,
    Normal,
    expectation,
    index_cases,
    kronecker_form,
    piecewise_form,
    random_matrix,
    variance,
)

p, m, v, alpha = sp.symbols("p m v alpha")
SETTINGS = settings(max_examples=25, deadline=None)

small_ints = st.integers(-5, 5)
probabilities = st.fractions(min_value=0, max_value=1, max_denominator=12)


def _sym(name, shape):
    rows, cols = shape if len(shape) == 2 else (shape[0], 1)
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}"))


def _gauss_hermite(degree: int):
    """Nodes and weights for E[f(Z)], Z ~ N(0, 1), exact for polynomials of degree
    <= 2*len(nodes) - 1, so ``degree // 2 + 1`` nodes suffice."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(degree // 2 + 1)
    return nodes, weights / math.sqrt(2 * math.pi)


# --- moments -----------------------------------------------------------------

@pytest.mark.parametrize("k", range(0, 7))
def test_bernoulli_moment_is_p_for_every_positive_order(k):
    assert Bernoulli(p).moment(k) == (1 if k == 0 else p)


def test_normal_moments_known_values():
    assert Normal(0, v).moment(4) == 3 * v**2
    assert Normal(0, v).moment(6) == 15 * v**3
    assert Normal(0, v).moment(5) == 0
    assert sp.expand(Normal(m, v).moment(2) - (m**2 + v)) == 0
    assert sp.expand(Normal(m, v).moment(4) - (m**4 + 6 * m**2 * v + 3 * v**2)) == 0


@SETTINGS
@given(k=st.integers(0, 9), mean=st.floats(-3, 3), var=st.floats(0, 4))
def test_normal_moment_matches_gauss_hermite(k, mean, var):
    nodes, weights = _gauss_hermite(k)
    oracle = float(np.sum(weights * (mean + math.sqrt(var) * nodes) ** k))
    got = float(Normal(sp.Float(mean), sp.Float(var)).moment(k))
    # float64 quadrature of a degree-k polynomial with |values| <= (3+2*4)^9 ~ 2e9:
    # relative error ~1e-12 after summing <= 5 terms; 1e-9 leaves margin.
    assert got == pytest.approx(oracle, rel=1e-9, abs=1e-9), (k, mean, var, got, oracle)


# --- expectations of polynomials: enumeration oracle -------------------------

def _enumerate_dropout_loss(X, y, w, prob):
    """E||y - (D*X)w||^2 by summing over every 0/1 mask with its probability."""
    N, d = len(X), len(w)
    total = Fraction(0)
    for bits in itertools.product((0, 1), repeat=N * d):
        weight = Fraction(1)
        for b in bits:
            weight *= prob if b else 1 - prob
        loss = sum((y[i] - sum(bits[i * d + j] * X[i][j] * w[j] for j in range(d))) ** 2
                   for i in range(N))
        total += weight * loss
    return total


@SETTINGS
@given(data=st.data(), N=st.integers(1, 3), d=st.integers(1, 3), prob=probabilities)
def test_dropout_loss_equals_exact_mask_enumeration(data, N, d, prob):
    X = data.draw(st.lists(st.lists(small_ints, min_size=d, max_size=d), min_size=N, max_size=N))
    y = data.draw(st.lists(small_ints, min_size=N, max_size=N))
    w = data.draw(st.lists(small_ints, min_size=d, max_size=d))
    D, law = random_matrix("D", (N, d), Bernoulli(p))
    Xs, ys, ws = _sym("X", (N, d)), _sym("y", (N,)), _sym("w", (d,))
    r = ys - D.multiply_elementwise(Xs) * ws
    value = expectation((r.T * r)[0], law)
    values = {p: sp.Rational(prob.numerator, prob.denominator)}
    values |= {Xs[i, j]: X[i][j] for i in range(N) for j in range(d)}
    values |= {ys[i]: y[i] for i in range(N)} | {ws[j]: w[j] for j in range(d)}
    exact = _enumerate_dropout_loss(X, y, w, prob)
    assert value.xreplace(values) == sp.Rational(exact.numerator, exact.denominator), (X, y, w, prob)


@SETTINGS
@given(data=st.data(), n=st.integers(1, 6))
def test_unit_with_per_input_keep_probabilities_equals_enumeration(data, n):
    probs = data.draw(st.lists(probabilities, min_size=n, max_size=n))
    w = data.draw(st.lists(small_ints, min_size=n, max_size=n))
    x = data.draw(st.lists(small_ints, min_size=n, max_size=n))
    t = data.draw(small_ints)
    ps = sp.symbols(f"p_1:{n + 1}")
    delta, law = random_matrix("delta", (n,), lambda i: Bernoulli(ps[i - 1]))
    ws, xs, ts = _sym("w", (n,)), _sym("x", (n,)), sp.Symbol("t")
    value = expectation((ts - sum(delta[i] * ws[i] * xs[i] for i in range(n))) ** 2, law)
    exact = Fraction(0)
    for bits in itertools.product((0, 1), repeat=n):
        weight = math.prod((q if b else 1 - q) for q, b in zip(probs, bits))
        exact += weight * (t - sum(b * wi * xi for b, wi, xi in zip(bits, w, x))) ** 2
    values = {ts: t} | {ps[i]: sp.Rational(probs[i].numerator, probs[i].denominator) for i in range(n)}
    values |= {ws[i]: w[i] for i in range(n)} | {xs[i]: x[i] for i in range(n)}
    assert value.xreplace(values) == sp.Rational(exact.numerator, exact.denominator)


# --- Gaussian noise: quadrature oracle ----------------------------------------

@SETTINGS
@given(data=st.data(), n=st.integers(1, 3), multiplicative=st.booleans())
def test_gaussian_noise_loss_matches_tensor_gauss_hermite(data, n, multiplicative):
    floats = st.floats(-2, 2)
    w = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)))
    x = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)))
    yd, a = data.draw(floats), data.draw(st.floats(0.01, 1.5))
    ws, xs, ys, al = _sym("w", (n,)), _sym("x", (n,)), sp.Symbol("y_d"), sp.Symbol("alpha")
    if multiplicative:  # r_k ~ N(1, alpha^2)
        r, law = random_matrix("r", (n,), Normal(1, al**2))
        J = (ys - sum(ws[k] * xs[k] * r[k] for k in range(n))) ** 2 / 2
        scale, shift = a * np.ones(n), np.ones(n)
    else:  # delta_k ~ N(0, alpha w_k^2)
        r, law = random_matrix("delta", (n,), lambda k: Normal(0, al * ws[k - 1] ** 2))
        J = (ys - sum((ws[k] + r[k]) * xs[k] for k in range(n))) ** 2 / 2
        scale, shift = np.sqrt(a) * np.abs(w), np.zeros(n)
    values = {ys: yd, al: a} | {ws[k]: w[k] for k in range(n)} | {xs[k]: x[k] for k in range(n)}
    got = float(expectation(J, law).xreplace(values))

    nodes, weights = _gauss_hermite(2)
    oracle = 0.0
    for idx in itertools.product(range(len(nodes)), repeat=n):
        noise = shift + scale * nodes[list(idx)]
        pred = np.sum(w * x * noise) if multiplicative else np.sum((w + noise) * x)
        oracle += np.prod(weights[list(idx)]) * 0.5 * (yd - pred) ** 2
    # values are O(10^2); float64 sums of <= 27 terms: 1e-9 relative is ample
    assert got == pytest.approx(oracle, rel=1e-9, abs=1e-9), (w, x, yd, a, multiplicative)


def test_mixed_bernoulli_and_normal_factor_by_independence():
    D, Z, a = sp.symbols("D Z a")
    value = expectation((a + D * Z) ** 2, {D: Bernoulli(p), Z: Normal(m, v)})
    assert sp.expand(value - (a**2 + 2 * a * p * m + p * (m**2 + v))) == 0


def test_matrix_is_taken_entrywise():
    D, law = random_matrix("D", (3, 2), Bernoulli(p))
    X = _sym("X", (3, 2))
    assert expectation(D.multiply_elementwise(X), law) == p * X
    gram = expectation((D.multiply_elementwise(X)).T * D.multiply_elementwise(X), law)
    G = X.T * X
    expected = p**2 * G + p * (1 - p) * sp.diag(G[0, 0], G[1, 1])
    assert (gram - expected).applyfunc(sp.expand) == sp.zeros(2, 2)


def test_variance_of_bernoulli_and_constants():
    D = sp.Symbol("D")
    assert sp.factor(variance(D, {D: Bernoulli(p)})) == sp.factor(p * (1 - p))
    assert variance(sp.Symbol("c"), {D: Bernoulli(p)}) == 0
    assert expectation(7, {D: Bernoulli(p)}) == 7


# --- index cases --------------------------------------------------------------

i, j, k, l = sp.symbols("i j k l", integer=True)
DI, XI = sp.IndexedBase("D"), sp.IndexedBase("X")


def test_gram_entry_splits_into_equal_and_different_columns():
    cases = index_cases(DI[i, j] * XI[i, j] * DI[i, k] * XI[i, k], DI, Bernoulli(p))
    assert [c.condition for c in cases] == [sp.Eq(j, k), sp.Ne(j, k)]
    assert cases[0].value == p * XI[i, j] ** 2
    assert cases[1].value == p**2 * XI[i, j] * XI[i, k]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_kronecker_form_agrees_with_explicit_expectation_for_every_index_pair(size):
    folded = kronecker_form(index_cases(DI[1, j] * DI[1, k], DI, Bernoulli(p)))
    D, law = random_matrix("D", (1, size), Bernoulli(p))
    for a, b in itertools.product(range(1, size + 1), repeat=2):
        explicit = expectation(D[0, a - 1] * D[0, b - 1], law)
        assert sp.expand(folded.subs({j: a, k: b}) - explicit) == 0, (a, b)


def test_three_entries_give_the_five_set_partitions():
    cases = index_cases(DI[i] * DI[j] * DI[k], DI, Bernoulli(p))
    assert [c.value for c in cases] == [p, p**2, p**2, p**2, p**3]
    pw = piecewise_form(cases)
    for a, b, c in itertools.product(range(3), repeat=3):
        expected = p ** len({a, b, c})
        assert pw.subs({i: a, j: b, k: c}) == expected, (a, b, c)


def test_constant_indices_drop_impossible_cases():
    cases = index_cases(DI[1] * DI[2] * DI[k], DI, Bernoulli(p))
    assert [c.condition for c in cases] == [
        sp.Eq(k, 1), sp.Eq(k, 2), sp.And(sp.Ne(k, 1), sp.Ne(k, 2))]
    assert index_cases(DI[1] * DI[2], DI, Bernoulli(p)) == (Case(sp.true, p**2),)


def test_index_dependent_gaussian_family():
    delta, W = sp.IndexedBase("delta"), sp.IndexedBase("w")
    cases = index_cases(delta[k] * delta[l], delta, lambda q: Normal(0, alpha * W[q] ** 2))
    assert kronecker_form(cases) == alpha * W[k] ** 2 * sp.KroneckerDelta(k, l)


def test_no_random_entries_is_one_trivial_case():
    assert index_cases(XI[i], DI, Bernoulli(p)) == (Case(sp.true, XI[i]),)


# --- bad input ------------------------------------------------------------------

Dsym = sp.Symbol("D")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Bernoulli(2), "0 <= p <= 1"),
        (lambda: Bernoulli(-0.5), "0 <= p <= 1"),
        (lambda: Bernoulli(sp.Symbol("q", negative=True)), "0 <= p <= 1"),
        (lambda: Bernoulli("0.5"), "number or a SymPy expression"),
        (lambda: Bernoulli(True), "number or a SymPy expression"),
        (lambda: Bernoulli(sp.I), "must be real"),
        (lambda: Bernoulli(float("nan")), "finite"),
        (lambda: Normal(0, -1), "variance must be >= 0"),
        (lambda: Normal(sp.oo, 1), "finite"),
        (lambda: Bernoulli(p).moment(-1), "integer >= 0"),
        (lambda: Bernoulli(p).moment(1.5), "integer >= 0"),
        (lambda: expectation(sp.exp(Dsym), {Dsym: Bernoulli(p)}), "exp(D) is not polynomial"),
        (lambda: expectation(1 / Dsym, {Dsym: Bernoulli(p)}), "1/D is not polynomial"),
        (lambda: expectation(Dsym ** p, {Dsym: Bernoulli(p)}), "D**p is not polynomial"),
        (lambda: expectation(Dsym, {"D": Bernoulli(p)}), "must be a SymPy Symbol"),
        (lambda: expectation(Dsym, {Dsym: 0.5}), "expected a Distribution"),
        (lambda: expectation(Dsym, [Dsym]), "expected a mapping"),
        (lambda: expectation("D**2", {Dsym: Bernoulli(p)}), "expected a SymPy expression"),
        (lambda: expectation(Dsym * p, {Dsym: Bernoulli(p), p: Normal(0, 1)}), "involve the random"),
        (lambda: random_matrix("D", (0, 2), Bernoulli(p)), "positive integer sizes"),
        (lambda: random_matrix("D", (2, 2, 2), Bernoulli(p)), "positive integer sizes"),
        (lambda: index_cases(DI[i], "D", Bernoulli(p)), "IndexedBase"),
        (lambda: index_cases(DI[i] * DI[i, j], DI, Bernoulli(p)), "different numbers of indices"),
        (lambda: kronecker_form(index_cases(DI[i] * DI[j] * DI[k], DI, Bernoulli(p))), "exactly two cases"),
        (lambda: piecewise_form(()), "no cases"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert isinstance(info.value, (DeriveError, ValueError))
    assert message in str(info.value)
