"""derive.maths.zero: exact zero tests and the time budget."""
import pytest
import sympy as sp

from derive.errors import ProofTimeout
from derive.model.functions import sigma
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
