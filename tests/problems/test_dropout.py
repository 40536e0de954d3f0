"""Part-specific tests of the dropout family and of derive.verify.random_oracles: the oracles
agree with each other, a wrong regulariser is refuted with a counterexample, the
derivations come from the engine (not the closed form), and bad oracle input is refused."""
import dataclasses

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import InvalidArgument, get_part, verify_part
from derive.model.functions import diag, squared_norm
from derive.verify.random_oracles import (bernoulli_masks, gauss_hermite_expectation, mask_expectation,
                                   monte_carlo_mean)
from derive.verify.claims import REFUTED
from derive.verify.dropout_oracles import np_ridge_gamma
from problems import dropout

SETTINGS = settings(max_examples=20, deadline=None)


def wrong_expected_loss(v):
    """The classic slip: (1-p)^2 in place of p(1-p) in the penalty."""
    return (squared_norm(v.y - v.p * v.X * v.w)
            + (1 - v.p) ** 2 * dropout.quad(v.w, diag(v.X.T * v.X)))


def test_wrong_regulariser_is_refuted_with_a_counterexample():
    part = get_part("dropout.expected_loss")
    part = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, result=wrong_expected_loss, steps=(), checks=()))
    report = verify_part(part, seed=3, cases=10)
    closed, numeric = report.claims[0], report.numeric()
    assert closed.outcome == REFUTED, closed
    assert closed.counterexample["values"]["p"] != 0.5  # where p(1-p) = (1-p)^2 they agree
    assert closed.counterexample["derived"] != pytest.approx(closed.counterexample["claimed"])
    assert numeric.outcome == REFUTED and numeric.worst_error > numeric.tolerance


def test_wrong_unit_regulariser_is_refuted():
    part = get_part("dropout.unit_regulariser")
    wrong = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, steps=(), result=lambda v: sp.Rational(1, 2) * v.sum(
            lambda i: (1 - v.p[i]) ** 2 * v.w[i] ** 2 * v.x[i] ** 2, "n", "i")))
    assert verify_part(wrong, seed=0, cases=10).claims[0].outcome == REFUTED


def test_monte_carlo_check_flags_a_wrong_closed_form():
    part = get_part("dropout.expected_loss")
    part = dataclasses.replace(part, derivation=dataclasses.replace(part.derivation, result=wrong_expected_loss))
    claim = dropout.MONTE_CARLO.run(part, seed=0, cases=2)
    assert claim.outcome == REFUTED and claim.worst_error > 5


@pytest.mark.parametrize("part_id", ["dropout.mask_gram", "dropout.expected_loss", "dropout.ridge"])
def test_derivation_uses_the_random_model(part_id):
    """derive must not restate the closed form: at p = 1 (no dropout) the engine's result must
    reduce to the deterministic quantity, computed here without expectations."""
    part = get_part(part_id)
    ns = part.namespace({"N": 2, "d": 2})
    derived = part.derive(ns)
    if part_id == "dropout.ridge":  # Gamma_r vanishes without dropout
        assert derived.subs(ns.p, 1) == sp.zeros(2, 2)
        return
    no_dropout = {"dropout.mask_gram": lambda: ns.X.T * ns.X,
                  "dropout.expected_loss": lambda: squared_norm(ns.y - ns.X * ns.w)}[part_id]()
    diff = (sp.Matrix([derived]) - sp.Matrix([no_dropout])).subs(ns.p, 1).applyfunc(sp.expand)
    assert diff == sp.zeros(*diff.shape)


def test_mask_gram_cases_are_the_catalogue_cases():
    assert dropout.MASK_CASES == r"$\mathbb{E}[D_{ij} D_{ik}] = p$ if $j = k$, $p^{2}$ if $j \neq k$"


# ------------------------------------------------------------------ oracles agree with each other
@SETTINGS
@given(N=st.integers(1, 3), d=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_rowwise_enumeration_equals_full_enumeration(N, d, seed):
    rng = np.random.default_rng(seed)
    X, y, w, p = rng.normal(size=(N, d)), rng.normal(size=N), rng.normal(size=d), rng.uniform(0.05, 0.95)
    full = mask_expectation(lambda m: np.sum((y - (m.reshape(-1, N, d) * X) @ w) ** 2, axis=1),
                            np.full(N * d, p))
    # float64 sums of <= 512 O(10) terms: 1e-12 relative is ample
    assert dropout.np_loss(X, y, w, p) == pytest.approx(float(full), rel=1e-12)


def test_monte_carlo_bound_covers_the_exact_value():
    rng = np.random.default_rng(11)
    X, y, w, p = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3), 0.3
    exact = dropout.np_loss(X, y, w, p)
    mc = monte_carlo_mean(lambda g, k: np.sum(
        (y - np.einsum("knd,d->kn", (g.random((k, 4, 3)) < p) * X, w)) ** 2, axis=1), rng, 50000)
    # z < 5 fails with probability ~6e-7 when the sampler is right (fixed seed: deterministic)
    assert mc.z(exact) < 5, (mc, exact)
    assert mc.z(exact + 20 * mc.standard_error) > 5


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 5))
def test_ridge_oracle_matches_the_augmented_least_squares(seed, d):
    rng = np.random.default_rng(seed)
    X, y, p = rng.normal(size=(d + 2, d)), rng.normal(size=d + 2), rng.uniform(0.1, 0.9)
    G = np_ridge_gamma(X, p)
    augmented = np.linalg.lstsq(np.vstack([X, G]), np.concatenate([y, np.zeros(d)]), rcond=None)[0]
    direct = np.linalg.solve(X.T @ X + G.T @ G, X.T @ y)
    # both well conditioned here (p in [0.1, 0.9] keeps Gamma_r^2 >= 0.1 diag(X^T X))
    np.testing.assert_allclose(augmented, direct, rtol=1e-8, atol=1e-10)
    assert np.allclose(G, np.diag(np.diag(G)), atol=1e-8)  # dropout's ridge matrix is diagonal


def test_gauss_hermite_is_exact_for_polynomials_and_not_beyond():
    exact = gauss_hermite_expectation(lambda z: z[:, 0] ** 6, [0.0], [1.0], 6)
    assert exact == pytest.approx(15.0, rel=1e-12)
    too_few = gauss_hermite_expectation(lambda z: z[:, 0] ** 6, [0.0], [1.0], 4)
    assert abs(too_few - 15.0) > 1  # a 3-node rule is exact only up to degree 5


@pytest.mark.parametrize("call, message", [
    (lambda: bernoulli_masks([1.5]), "must lie in [0, 1]"),
    (lambda: bernoulli_masks(np.full(17, 0.5)), "use monte_carlo_mean"),
    (lambda: mask_expectation(lambda m: 1.0, [0.5]), "one value per mask"),
    (lambda: gauss_hermite_expectation(lambda z: z[:, 0], [0.0], [1.0], -1), "degree"),
    (lambda: gauss_hermite_expectation(lambda z: z[:, 0], np.zeros(20), np.ones(20), 2), "grid points"),
    (lambda: monte_carlo_mean(lambda g, k: g.random(k), np.random.default_rng(0), 1), "samples"),
    (lambda: monte_carlo_mean(lambda g, k: g.random(k), 42, 10), "numpy.random.Generator"),
])
def test_bad_oracle_input_is_refused(call, message):
    with pytest.raises(InvalidArgument, match=None) as info:
        call()
    assert message in str(info.value)


def test_every_dropout_part_declares_its_domain_for_the_checker():
    for part in (p for p in dropout.PARTS if p.answer):
        names = {v.name for v in part.variables}
        assert names, part.id
        for v in part.variables:
            if v.name == "p":
                assert v.domain.description == "0 < p < 1"
    assert get_part("dropout.unit_grad").variables[2].shape == ("n",)


def test_all_catalogue_parts_are_declared():
    ids = {p.id for p in dropout.PARTS}
    assert ids == {f"dropout.{n}" for n in (
        "mask_mean", "mask_gram", "expected_loss", "ridge", "rescaled_design", "ridge_solution",
        "unit_grad", "unit_regulariser", "gauss_additive", "gauss_additive_grad", "gauss_multiplicative")}
