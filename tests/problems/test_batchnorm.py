"""Part-specific tests of the batchnorm family and of derive.maths.normalisation,
derive.verify.normalisation and derive.verify.refutation: the textbook "= 0" is refuted with a
counterexample, wrong closed forms are caught by every oracle, answers in the catalogue's
spellings are judged correct and the common slips get their diagnoses, the simulation
behaves as PyTorch's running statistics do, and bad input is refused by name."""
import dataclasses
import doctest

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive import InvalidArgument, get_part, verify_part
from derive.maths import normalisation as sym_bn
from derive.model.claim import PASSED, PROVED, REFUTED
from derive.verify import normalisation as bn
from problems import batchnorm

SETTINGS = settings(max_examples=20, deadline=None)


def column(name, m):
    return sp.Matrix(sp.symbols(f"{name}_1:{m + 1}", real=True))


# ------------------------------------------------------------------ the eps identity
def test_textbook_zero_is_refuted_with_a_counterexample():
    """The textbook's sum_i xhat_i dl/dx_i = 0, given to the engine as the closed form."""
    part = get_part("batchnorm.grad_identities")
    part = dataclasses.replace(part, sheet=dataclasses.replace(part.sheet, demonstrations=()),
                               derivation=dataclasses.replace(part.derivation, result=lambda v: sp.Matrix([0, 0]),
                                                              steps=(), checks=()))
    report = verify_part(part, seed=0, cases=10)
    closed, numeric = report.claims[0], report.numeric()
    assert closed.outcome == REFUTED and closed.counterexample, closed
    assert closed.counterexample["values"]["eps"] > 0
    claimed, derived = (np.ravel(closed.counterexample[k]) for k in ("claimed", "derived"))
    assert list(claimed) == [0.0, 0.0]
    assert abs(derived[0]) < 1e-9 < abs(derived[1])     # the first sum is 0, the second is not
    assert numeric.outcome == REFUTED and numeric.worst_error > numeric.tolerance


def test_refutation_claim_gives_the_exact_value():
    # At x = (0, 1): mu = 1/2, sigma^2 = 1/4; eps = 1/4 gives sqrt(sigma^2 + eps) = 1/sqrt(2) and
    # xhat = (-1/sqrt 2, 1/sqrt 2). With g = (1, 0), gamma = 1: sum_j g_j xhat_j = -1/sqrt 2, so
    # gamma eps (sigma^2 + eps)^(-3/2) sum_j g_j xhat_j = (1/4) (2 sqrt 2) (-1/sqrt 2) = -1/2.
    part = get_part("batchnorm.grad_identities")
    claim = part.checks[0].run(part)
    assert claim.outcome == PROVED and claim.counterexample["derived"] == "-1/2"
    assert claim.counterexample["claimed"] == "0"


@pytest.mark.parametrize("m", [2, 3])
def test_identity_holds_exactly_at_eps_zero(m):
    v = get_part("batchnorm.grad_identities").namespace({"m": m})
    value = batchnorm.identities(v, 0)[1]
    assert sp.simplify(value) == 0


def test_the_eps_term_is_derived_not_assumed():
    """At eps > 0 the derived second sum equals gamma eps (sigma^2+eps)^(-3/2) H, not 0."""
    v = get_part("batchnorm.grad_identities").namespace({"m": 3})
    point = {**dict(zip(v.x, [0, 1, 3])), **dict(zip(v.g, [1, 2, -1])), v.gamma: 2, v.beta: 5,
             v.eps: sp.Rational(1, 3)}
    derived = sp.nsimplify(sp.simplify(batchnorm.identities(v)[1].subs(point)))
    xhat = sym_bn.normalised(sp.Matrix([0, 1, 3]), sp.Rational(1, 3))
    var = sym_bn.batch_variance(sp.Matrix([0, 1, 3]))
    expected = 2 * sp.Rational(1, 3) * (var + sp.Rational(1, 3)) ** sp.Rational(-3, 2) * (xhat[0] + 2 * xhat[1] - xhat[2])
    assert sp.simplify(derived - expected) == 0 and derived != 0


# ------------------------------------------------------------------ oracles catch wrong forms
def seeds_answer(v):
    """The course seeds' gamma g_i / sqrt(sigma^2 + eps): the direct path only."""
    return v.gamma * v.g / sp.sqrt(v.sigma2 + v.eps)


def test_wrong_gradient_is_refuted_by_proof_fd_and_jax():
    part = get_part("batchnorm.grad_x")
    part = dataclasses.replace(part, derivation=dataclasses.replace(part.derivation, result=seeds_answer, steps=()))
    report = verify_part(part, seed=0, cases=8)
    by_kind = {c.kind: c for c in report.claims}
    assert by_kind["closed form"].outcome == REFUTED
    assert by_kind["numeric"].outcome == REFUTED
    assert by_kind["framework oracle"].outcome == REFUTED
    assert by_kind["framework oracle"].counterexample["error"] > 1e-3


def test_unbiased_forward_does_not_prove_the_biased_closed_form():
    """The closed-form proof is not vacuous: differentiate a forward with the unbiased
    variance and the textbook (biased) answer is refuted."""
    def unbiased_gradient(v):
        mu = sym_bn.batch_mean(v.x)
        var = sym_bn.batch_variance(v.x, unbiased=True)
        y = v.gamma * (v.x - mu * sym_bn.ones(v.m)) / sp.sqrt(var + v.eps) + v.beta * sym_bn.ones(v.m)
        return sp.Matrix([sum(v.g[k] * y[k] for k in range(v.m))]).jacobian(v.x).T
    part = get_part("batchnorm.grad_x")
    part = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, derive=unbiased_gradient, steps=(), sizes={"m": [2, 3]}, oracle=None, checks=()))
    assert verify_part(part, seed=0).claims[0].outcome == REFUTED


def test_jax_missing_is_skipped_never_passed(monkeypatch):
    monkeypatch.setattr(bn, "_jax", lambda: None)
    part = get_part("batchnorm.grad_x")
    claim = part.checks[0].run(part)
    assert claim.outcome == bn.SKIPPED and claim.detail == "skipped: JAX not installed"
    assert claim.outcome not in (PASSED, PROVED)


@SETTINGS
@given(m=st.sampled_from([2, 3, 7, 40]), seed=st.integers(0, 2**32 - 1))
def test_fd_oracle_agrees_with_jax(m, seed):
    """Two independent oracles, on the part's own sampler (near-constant batches included)."""
    part = get_part("batchnorm.grad_x")
    values = part.sample(np.random.default_rng(seed), {"m": m})
    import jax
    import jax.numpy as jnp
    with jax.enable_x64(True):
        auto = np.asarray(jax.grad(lambda u: bn.jax_loss(jnp, u, values))(jnp.asarray(values["x"])))
    fd = part.oracle.reference(values)
    # Both within ~1e-12 of the truth relative to the gradient's size (five-point stencil).
    assert np.max(np.abs(fd - auto)) <= 1e-8 * max(1.0, np.max(np.abs(auto))), (values, fd, auto)


def test_sampler_includes_near_constant_batches():
    rng = np.random.default_rng(0)
    spreads = [np.var(bn.BATCH.sample(rng, (8,))) for _ in range(200)]
    assert sum(s < 1e-5 for s in spreads) >= 20        # about a quarter are near-constant
    assert sum(s > 1e-2 for s in spreads) >= 100


# ------------------------------------------------------------------ the SymPy tool
@pytest.mark.parametrize("m", range(2, 7))
def test_moment_and_deviation_forms_of_the_variance_agree(m):
    x = column("x", m)
    assert sp.expand(sym_bn.batch_variance(x) - sym_bn.batch_variance(x, moments=False)) == 0
    assert sp.expand(sym_bn.batch_variance(x, unbiased=True)
                     - sym_bn.batch_variance(x, unbiased=True, moments=False)) == 0


def test_normalisation_doctests():
    assert doctest.testmod(sym_bn).failed == 0


# ------------------------------------------------------------------ answers
RIGHT = [
    ("batchnorm.grad_x", batchnorm.GRAD_X_ANSWER),
    ("batchnorm.grad_x", r"\frac{\gamma}{m\sqrt{\sigma_B^2+\epsilon}}\left(m g_i - \sum_{j=1}^{m} g_j - "
                         r"\frac{x_i - \mu_B}{\sqrt{\sigma_B^2+\epsilon}} \sum_{j=1}^{m} g_j \hat{x}_j\right)"),
    ("batchnorm.grad_gamma", r"\sum_{i=1}^{m} g_i (x_i - \mu)/\sqrt{\sigma^2 + \epsilon}"),
    ("batchnorm.grad_gamma", "sum(g_j*xhat_j, j, 1, m)"),
    ("batchnorm.grad_beta", r"\sum_{i=1}^{m} g_i"),
    ("batchnorm.scale", r"\operatorname{sign}(\alpha) \hat{x}_i"),
    ("batchnorm.scale", "alpha/abs(alpha)*xhat_i"),
]


@pytest.mark.parametrize("part_id, answer", RIGHT)
def test_right_answers_are_correct(part_id, answer):
    verdict = derive.check(part_id, answer, timeout=None)
    assert verdict.status == "correct", verdict.message


SLIPS = [(p.id, s) for p in batchnorm.PARTS for s in p.slips]


@pytest.mark.parametrize("part_id, slip", SLIPS, ids=[f"{p}:{s.answer[:30]}" for p, s in SLIPS])
def test_slips_are_incorrect_and_diagnosed(part_id, slip):
    verdict = derive.check(part_id, slip.answer, timeout=None)
    assert verdict.status == "incorrect" and verdict.counterexample, verdict.message
    assert slip.why in str(verdict.diagnosis or ""), verdict.diagnosis


# ------------------------------------------------------------------ running statistics
def test_running_statistics_follow_pytorchs_update():
    batches = np.random.default_rng(1).normal(size=(50, 4))
    r_mean, r_var = bn.running_statistics(batches)
    mean, var = 0.0, 1.0
    for t, batch in enumerate(batches):
        mean = 0.9 * mean + 0.1 * batch.mean()
        var = 0.9 * var + 0.1 * batch.var(ddof=1)
        assert r_mean[t] == pytest.approx(mean, abs=1e-14) and r_var[t] == pytest.approx(var, abs=1e-14)


def test_one_class_batches_split_train_and_test():
    runs = bn.class_runs(batchnorm.CLASS_DEMO)
    train, test = runs["one-class"]
    # Every one-class batch is normalised by its own mean: each class sits at 0 exactly.
    assert np.max(np.abs(train)) < 1e-12
    # At test, the running statistics put them at (mu_c - 0) / sqrt(0.25 + eps) = -2, +2.
    assert test == pytest.approx([-2.0, 2.0], abs=0.05)
    train, test = runs["mixed"]
    assert train == pytest.approx(test, abs=0.03) and test == pytest.approx([-0.894, 0.894], abs=0.03)


# ------------------------------------------------------------------ bad input
x1 = sp.Matrix([sp.Symbol("x_1")])
x2 = column("x", 2)


@pytest.mark.parametrize("call, words", [
    (lambda: sym_bn.batch_mean(x1), "m = 1"),
    (lambda: sym_bn.normalised(x1, 0), "m = 1"),
    (lambda: sym_bn.batch_variance(x1, unbiased=True), "m - 1 = 0"),
    (lambda: sym_bn.normalised(x2, -1), "eps = -1"),
    (lambda: sym_bn.normalised(x2, sp.Rational(-1, 10)), "eps >= 0"),
    (lambda: sym_bn.stationary_value(0, 1), "momentum = 0"),
    (lambda: bn.normalised(np.array([1.0]), 0.1), "m = 1"),
    (lambda: bn.batch_norm(np.array([1.0, 2.0]), 1.0, 0.0, -1e-5), "eps = -1e-05"),
    (lambda: bn.running_statistics(np.ones((3, 1))), "m >= 2"),
    (lambda: bn.running_statistics(np.ones((3, 2)), momentum=1.5), "momentum = 1.5"),
    (lambda: bn.class_batch_run(np.random.default_rng(0), [0.0], 1.0, 4, 10, True), "two or more classes"),
])
def test_bad_input_is_refused_by_name(call, words):
    with pytest.raises(InvalidArgument, match=None) as info:
        call()
    assert words in str(info.value)


def test_the_finite_difference_sums_see_the_first_identity_and_the_eps_term():
    rng = np.random.default_rng(3)
    d = {"x": rng.normal(size=5), "g": rng.normal(size=5), "gamma": 1.3, "beta": 0.2, "eps": 0.5}
    d["xhat"] = bn.normalised(d["x"], d["eps"])
    total, weighted = bn.gradient_sums(d)
    assert abs(total) < 1e-8
    h = np.sum(d["g"] * d["xhat"])
    assert np.isclose(weighted, d["gamma"] * d["eps"] * (np.var(d["x"]) + d["eps"]) ** -1.5 * h, rtol=1e-6)
