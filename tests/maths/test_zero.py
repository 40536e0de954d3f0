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


def _busy(seconds):
    end = __import__("time").monotonic() + seconds
    while __import__("time").monotonic() < end:
        pass


class _SlowToDelete:
    def __init__(self, log):
        self.log = log

    def __del__(self):
        _busy(0.2)
        self.log.append("__del__ finished")


def test_an_alarm_in_a_finaliser_waits_for_it_and_is_not_lost():
    """The alarm lands while a weakref finaliser and a __del__ run: raising there would be
    "unraisable" (pytest's PytestUnraisableExceptionWarning) and the budget would be lost."""
    import sys
    import weakref
    log, unraisable = [], []
    previous, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        class Thing:
            pass
        with pytest.raises(ProofTimeout):
            with time_limit(0.05):
                thing = Thing()
                weakref.finalize(thing, lambda: (_busy(0.2), log.append("finaliser finished")))
                del thing                       # the finaliser runs now, past the deadline
                del_me = _SlowToDelete(log)
                del del_me                      # and so does __del__
                _busy(2)                        # the deferred alarm must still stop this
    finally:
        sys.unraisablehook = previous
    assert log == ["finaliser finished", "__del__ finished"]
    assert unraisable == []


def test_an_inner_time_limit_keeps_the_outer_deadline():
    import time
    started = time.monotonic()
    with pytest.raises(ProofTimeout):
        with time_limit(0.1):
            with time_limit(5):
                pass
            _busy(2)
    assert time.monotonic() - started < 1
