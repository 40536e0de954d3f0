"""Deciding whether a SymPy expression is identically zero, under a time budget.

Strategies go from cheap and exact to expensive: a rational-function normal form after
exponentials become positive symbols (enough for softmax and sigmoid algebra), a sign
split for piecewise functions of a nonzero variable, then ``simplify``. A ``None`` answer
means "not proved", never "false": refutation needs a numeric counterexample.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager

import sympy as sp

from ..errors import ProofTimeout
from ..model.functions import as_sympy


# An alarm that lands while Python runs a finaliser (a weakref callback, a __del__, a
# garbage-collector callback such as Hypothesis's) cannot raise there: the exception would be
# swallowed and reported as "unraisable", and the budget silently lost. So inside such code
# the alarm is postponed by RETRY_SECONDS, and every raise also re-arms the timer, so a raise
# that something swallowed anyway is repeated until it reaches the code under the budget.
RETRY_SECONDS = 0.02
_FINALISER_FILES = ("weakref.py", "_weakrefset.py")


def _in_finaliser(frame) -> bool:
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code.co_name == "gc_callback" or code.co_filename.endswith(_FINALISER_FILES):
            return True
        frame = frame.f_back
    return False


def _swallow_own_timeouts(previous_hook):
    """sys.unraisablehook that drops our own swallowed alarm (it is re-raised shortly)."""
    def hook(unraisable):
        if not isinstance(unraisable.exc_value, ProofTimeout):
            previous_hook(unraisable)
    return hook


@contextmanager
def time_limit(seconds: float | None):
    """Raise ProofTimeout after ``seconds`` (main thread on Unix; elsewhere no limit).

    SymPy runs in pure Python, so the alarm interrupts it between bytecodes. Never raises
    from a finaliser or from its own cleanup; an enclosing time limit keeps its deadline.
    """
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    active = [True]

    def on_alarm(signum, frame):
        if not active[0]:
            return
        signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)   # again, should this raise be lost
        if not _in_finaliser(frame):
            raise ProofTimeout(f"proof exceeded its budget of {seconds:g} s")

    started = time.monotonic()
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.signal(signal.SIGALRM, on_alarm)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _swallow_own_timeouts(previous_hook)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left > 0 else seconds)
    try:
        yield
    finally:
        while active[0]:   # an alarm landing mid-cleanup must not leave our handler installed
            try:
                active[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
            except ProofTimeout:
                active[0] = True
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = previous_hook
        if outer_left > 0:   # the enclosing limit's clock kept running meanwhile
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 1e-3))


def _exponentials_as_symbols(expr: sp.Expr) -> sp.Expr:
    """Rewrite exp(c*x + ...) as products of powers of positive symbols t_x.

    exp of distinct symbols are algebraically independent, so a rational function in the
    t_x that cancels to zero proves the original expression zero.
    """
    expr = sp.expand(expr.rewrite(sp.exp), deep=True, mul=False, multinomial=False,
                     power_exp=True, power_base=False, log=False)
    names: dict[sp.Symbol, sp.Symbol] = {}

    def as_power(arg):
        arg = sp.expand(arg)
        factor = sp.S.One
        for term in sp.Add.make_args(arg):
            coeff, rest = term.as_coeff_Mul()
            if rest.is_Symbol and coeff.is_Rational:
                t = names.setdefault(rest, sp.Symbol(f"exp_{rest.name}", positive=True))
                factor *= t ** coeff
            else:
                factor *= sp.exp(term)
        return factor

    return expr.replace(lambda e: isinstance(e, sp.exp), lambda e: as_power(e.args[0]))


def _piecewise_symbols(expr: sp.Expr) -> list[sp.Symbol]:
    found = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Heaviside, sp.Abs, sp.sign, sp.Piecewise, sp.Max, sp.Min)):
            found |= {s for s in node.free_symbols if s.is_real}
    return sorted(found, key=lambda s: s.name)


def _zero_by_sign_split(expr: sp.Expr) -> bool | None:
    """For piecewise expressions in a variable declared nonzero: check x > 0 and x < 0."""
    symbols = [s for s in _piecewise_symbols(expr) if s.is_nonzero]
    if not symbols:
        return None
    cases = [expr]
    for x in symbols:
        u = sp.Symbol(f"{x.name}_abs", positive=True)
        cases = [c.subs(x, sign * u) for c in cases for sign in (1, -1)]
    for case in cases:
        case = sp.piecewise_fold(case.rewrite(sp.Piecewise))
        if sp.simplify(case) != 0:
            return None
    return True


def is_zero(expr, budget: float | None = 5.0) -> bool | None:
    """True if ``expr`` is identically zero (proved); None if not proved in budget."""
    expr = as_sympy(expr)
    # Factors a step held apart for display are ordinary factors for the proof.
    expr = expr.replace(lambda e: isinstance(e, sp.UnevaluatedExpr), lambda e: e.args[0])
    if expr == 0:
        return True
    try:
        with time_limit(budget):
            rational = _exponentials_as_symbols(expr)
            if sp.cancel(sp.together(rational)) == 0:
                return True
            split = _zero_by_sign_split(expr)
            if split:
                return True
            if sp.simplify(expr) == 0:
                return True
    except ProofTimeout:
        return None
    return None


def entries(x) -> list:
    """The scalar entries of a scalar or explicit matrix, row by row."""
    if isinstance(x, sp.MatrixBase):
        return list(x)
    if isinstance(x, (list, tuple)):
        return [e for item in x for e in entries(item)]
    return [as_sympy(x)]
