"""The normal form of sums over symbolic ranges (derive/maths/sums.py) and polynomial identity
testing (derive/maths/identity_testing.py): identities they prove hold at every size, checked
here by expanding at explicit sizes with plain Python; what is not an identity is never proved."""
import itertools
from fractions import Fraction

import pytest
import sympy as sp

from derive.maths.identity_testing import degree_bound, rational_identity
from derive.maths.sums import canonical, identical

m = sp.Symbol("m", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)
g = sp.IndexedBase("g")   # entries as written: g[1] .. g[m]
W = sp.MatrixSymbol("W", m, n)
i, j, k = sp.symbols("i j k", integer=True)
free = sp.Symbol("f", integer=True, positive=True)   # a free index, 1..m
RANGES = {free: (sp.S.One, m)}


def entries(expr, size):
    """expr at m = size, with g_t = the t-th prime (distinct, so no accidental cancellation)."""
    primes = list(sp.primerange(2, 200))
    values = {g[t]: primes[t] for t in range(size + 3)}
    return sp.nsimplify(expr.subs(m, size).doit().xreplace(values))


IDENTITIES = [
    # index shifts and renamed dummies
    (sp.Sum(g[i + 1], (i, 0, m - 1)), sp.Sum(g[j], (j, 1, m))),
    (sp.Sum(g[i - 1], (i, 2, m + 1)), sp.Sum(g[k], (k, 1, m))),
    # a sum read backwards
    (sp.Sum(g[m + 1 - i], (i, 1, m)), sp.Sum(g[j], (j, 1, m))),
    # a term beside a sum that is its next entry joins it
    (g[1] + sp.Sum(g[i], (i, 2, m)), sp.Sum(g[j], (j, 1, m))),
    (sp.Sum(g[i], (i, 1, m - 1)) + g[m], sp.Sum(g[j], (j, 1, m))),
    # constants in and out, sums split
    (sp.Sum(3 * g[i] + g[i] ** 2, (i, 1, m)), 3 * sp.Sum(g[j], (j, 1, m)) + sp.Sum(g[k] ** 2, (k, 1, m))),
    # a body free of its index counts the range; a body free of entries is summed in closed form
    (sp.Sum(5, (i, 1, m)), 5 * m),
    (sp.Sum(i, (i, 1, m - 1)), m * (m - 1) / 2),
    # a Kronecker delta picks the free index's term
    (sp.Sum(sp.KroneckerDelta(i, free) * g[i], (i, 1, m)), g[free]),
    (sp.Sum(sp.Piecewise((1, sp.Eq(i, free)), (0, True)) * g[i] ** 2, (i, 1, m)), g[free] ** 2),
]

NOT_IDENTITIES = [
    (g[2] + sp.Sum(g[i], (i, 2, m)), sp.Sum(g[j], (j, 1, m))),
    (sp.Sum(g[i], (i, 1, m)) + sp.Sum(g[i], (i, 13, m)), sp.Sum(g[j], (j, 1, m))),
    (sp.Sum(g[i], (i, 1, m - 1)), sp.Sum(g[j], (j, 1, m))),
    (sp.Sum(g[i + 1], (i, 1, m)), sp.Sum(g[j], (j, 1, m))),
    # the delta's index may fall outside the range (f up to m, the sum to m - 1): no pick
    (sp.Sum(sp.KroneckerDelta(i, free) * g[i], (i, 1, m - 1)), g[free]),
    (sp.Sum(5, (i, 1, m)), 5 * m + (m - 1) * (m - 2) * (m - 3)),
]


@pytest.mark.parametrize("a,b", IDENTITIES)
def test_identities_are_proved_and_hold_at_explicit_sizes(a, b):
    assert identical(a, b, RANGES)
    for size in range(1, 6):
        for f in range(1, size + 1):
            left, right = (entries(x.subs(free, f), size) for x in (a, b))
            assert left == right, (size, f)


@pytest.mark.parametrize("a,b", NOT_IDENTITIES)
def test_what_is_not_an_identity_is_not_proved(a, b):
    assert not identical(a, b, RANGES)


def test_a_witness_shows_each_non_identity_differs_somewhere():
    # The labels above are checked without the module: each pair differs at some size.
    for a, b in NOT_IDENTITIES:
        assert any(entries(a.subs(free, f), size) != entries(b.subs(free, f), size)
                   for size in range(1, 15) for f in range(1, size + 1)), (a, b)


def test_a_geometric_sum_is_proved_in_closed_form_including_ratio_one():
    beta = sp.Symbol("beta", positive=True)
    adam = (1 - beta) * sp.Sum(beta ** (m - i), (i, 1, m))
    assert identical(adam, 1 - beta ** m)
    assert not identical(adam, 1 - beta ** (m + 1))


def test_the_order_of_independent_sums_is_free():
    a = sp.Sum(W[i, j], (i, 1, m), (j, 1, n))
    b = sp.Sum(W[k, i], (i, 1, n), (k, 1, m))
    assert identical(a, b)
    assert canonical(a) == canonical(b)


def test_polynomial_identity_testing_states_its_error_and_seed():
    x, y = sp.symbols("x y")
    a = ((x + y) ** 12 - (x - y) ** 12) / (x * y)
    b = sp.expand((x + y) ** 12 - (x - y) ** 12) / (x * y)
    tested = rational_identity(a, b, seed=3)
    assert tested.equal and tested.error <= 1e-12 and tested.seed == 3
    assert not rational_identity(a, b + Fraction(1, 10 ** 30), seed=3).equal
    assert rational_identity(sp.sin(x), x, seed=3) is None          # not a rational function
    assert degree_bound((x ** 3 + y) / (x - 1) ** 2) == (3, 2)


def test_the_identity_test_proves_what_simplification_does_not(monkeypatch):
    # With SymPy's simplification made to fail, a rational answer is still proved, by the
    # identity test, and the evidence states its error bound and seed.
    from derive import equivalent
    from derive.answers.decide import decision
    monkeypatch.setattr(decision, "difference_is_zero", lambda *a, **k: (False, None))
    verdict = equivalent("(x^2 - 1)/(x - 1)", "x + 1", timeout=None)
    assert verdict.status == "correct", verdict
    assert "Schwartz-Zippel" in verdict.evidence and "seed" in verdict.evidence, verdict.evidence
    wrong = equivalent("(x^2 - 1)/(x - 1)", "x + 1 + 10^(-30)", timeout=None)
    assert wrong.status == "incorrect", wrong
