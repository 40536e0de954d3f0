"""Engine pieces: proofs, the time budget, numeric oracles, domains, declarations."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from derive import Part, ProblemDefinitionError, Variable
from derive.model.domains import ONE_HOT, SIMPLEX, SPD
from derive.errors import ProofTimeout
from derive.model.functions import sigma
from derive.model.part import Namespace
from derive.verify.numeric import central_gradient, central_jacobian, scaled_error, softmax
from derive.verify.proof import is_zero, time_limit

x, y = sp.symbols("x y", real=True)


@pytest.mark.parametrize("expr", [
    sp.exp(x) / (sp.exp(x) + sp.exp(y)) - 1 / (1 + sp.exp(y - x)),
    sp.diff(sigma(x), x) - sigma(x) * (1 - sigma(x)),
    sp.tanh(x) - (2 * sigma(2 * x) - 1),
    (x + y) ** 2 - x ** 2 - 2 * x * y - y ** 2,
])
def test_identities_are_proved(expr):
    assert is_zero(expr) is True


@pytest.mark.parametrize("expr", [x - y, sigma(x) - sigma(-x), sp.exp(x) - 1 - x])
def test_non_identities_are_never_proved(expr):
    assert is_zero(expr) is None


def test_time_limit_interrupts_long_computations():
    with pytest.raises(ProofTimeout):
        with time_limit(0.2):
            while True:
                sp.factorint(2 ** 200 + 1234567)


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


def test_domains_sample_what_they_promise(rng):
    s = SIMPLEX.sample(rng, (5,))
    assert np.all(s > 0) and np.isclose(s.sum(), 1)
    y = ONE_HOT.sample(rng, (5,))
    assert sorted(y.tolist()) == [0, 0, 0, 0, 1]
    h = SPD.sample(rng, (4, 4))
    assert np.allclose(h, h.T) and np.all(np.linalg.eigvalsh(h) > 0)


def test_namespace_gives_explicit_and_general_objects():
    variables = (Variable("z", ("C",)), Variable("H", ("C", "C"), SPD, symmetric=True))
    explicit = Namespace(variables, {"C": 3})
    assert explicit.z.shape == (3, 1) and explicit.C == 3
    assert explicit.H[0, 1] == explicit.H[1, 0]
    general = Namespace(variables)
    assert isinstance(general.C, sp.Symbol) and general.z.shape == (general.C, 1)
    with pytest.raises(AttributeError, match="no variable or size 'q'"):
        general.q


@pytest.mark.parametrize("declare, message", [
    (lambda: Variable("bad name"), "letters, digits"),
    (lambda: Variable("t", ("a", "b", "c")), "more than 2 axes"),
    (lambda: Variable("s", definition=lambda v: 0), "both definition"),
    (lambda: Part("nodot", "t", "s", derive=lambda v: 0, result=lambda v: 0, result_lhs="x"), "family.part"),
    (lambda: Part("f.p", "t", "s", derive=lambda v: 0, result=lambda v: 0, result_lhs="x",
                  variables=(Variable("z", ("C",)),)), "no proof sizes"),
])
def test_bad_declarations_are_refused_with_a_reason(declare, message):
    with pytest.raises(ProblemDefinitionError, match=message):
        declare()
