"""Deciding whether a SymPy expression is identically zero, under a time budget.

Strategies go from cheap and exact to expensive: a rational-function normal form after
exponentials become positive symbols (enough for softmax and sigmoid algebra), a sign
split for piecewise functions of a nonzero variable, then ``simplify``. A ``None`` answer
means "not proved", never "false": refutation needs a numeric counterexample.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

import sympy as sp

from ..errors import ProofTimeout
from ..model.functions import as_sympy


@contextmanager
def time_limit(seconds: float | None):
    """Raise ProofTimeout after ``seconds`` (main thread on Unix; elsewhere no limit).

    SymPy runs in pure Python, so the alarm interrupts it between bytecodes.
    """
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise ProofTimeout(f"proof exceeded its budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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
