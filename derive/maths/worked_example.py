"""Worked examples of gradient descent at given numbers, computed by the engine.

A network is a function ``forward(p, d)`` of SymPy parameters ``p`` and data ``d`` (dicts of
name -> scalar) that returns its named forward quantities in order, the scalar loss last.
:func:`sgd_step` substitutes the numbers (exact rationals, so 0.15 is 3/20), evaluates every
forward quantity, differentiates the scalar loss with respect to every parameter, takes the
step ``p - rate * dL/dp`` and evaluates the loss again at the new parameters. Nothing is
typed in: each number on a sheet is a SymPy evaluation to ``DIGITS`` significant digits.

>>> import sympy as sp
>>> step = sgd_step(lambda p, d: [("L", (p["w"] * d["x"] - d["t"]) ** 2 / 2)],
...                 {"w": "0.5"}, {"x": 2, "t": 0}, rate="0.1")
>>> [str(v) for v in (step.gradients["w"], step.updated["w"])]
['2.00000000000000000000000000000', '0.300000000000000000000000000000']
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping, Sequence

import sympy as sp

from ..errors import InvalidArgument
from ..model.functions import as_sympy

__all__ = ["DIGITS", "SGDStep", "exact", "rounded", "sgd_run", "sgd_step", "significant"]

# 30 significant digits: far beyond float64, so a float oracle is compared with a value whose
# own error is negligible (below 1e-28 relative).
DIGITS = 30

Forward = Callable[[Mapping[str, sp.Expr], Mapping[str, sp.Expr]], Sequence[tuple[str, sp.Expr]]]


def exact(value) -> sp.Rational:
    """A number given as int, str or float as an exact rational: "0.15" and 0.15 are 3/20.

    Floats go through their shortest repr, so 0.1 is 1/10 (not 3602879701896397/2^55).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, sp.Rational)):
        raise InvalidArgument(f"the number {value!r} is not an int, float, decimal string or rational")
    try:
        out = sp.Rational(repr(value) if isinstance(value, float) else value)
    except (TypeError, ValueError) as error:
        raise InvalidArgument(f"{value!r} is not a decimal number such as 0.15 or 3/20") from error
    if not out.is_finite:
        raise InvalidArgument(f"{value!r} is not a finite number")
    return out


@dataclass(frozen=True)
class SGDStep:
    """One SGD step at explicit numbers, every value to ``DIGITS`` significant digits."""
    parameters: Mapping[str, sp.Float]     # before the step
    data: Mapping[str, sp.Rational]
    forward: Mapping[str, sp.Float]        # every forward quantity, the loss last
    loss: sp.Float
    gradients: Mapping[str, sp.Float]      # dL/dp for every parameter p
    updated: Mapping[str, sp.Float]        # p - rate dL/dp
    loss_after: sp.Float                   # the loss on the same data at the updated parameters

    def as_data(self) -> dict:
        """Full precision as JSON-friendly strings (``derive show --json``)."""
        text = lambda m: {k: str(v) for k, v in m.items()}
        return {"parameters": text(self.parameters), "data": text(self.data),
                "forward": text(self.forward), "loss": str(self.loss),
                "gradients": text(self.gradients), "updated": text(self.updated),
                "loss_after": str(self.loss_after)}


def _symbols(names) -> dict[str, sp.Symbol]:
    return {n: sp.Symbol(n, real=True) for n in names}


def sgd_step(forward: Forward, parameters: Mapping[str, object], data: Mapping[str, object],
             rate, digits: int = DIGITS) -> SGDStep:
    """One step of plain SGD on the scalar loss ``forward(p, d)[-1]`` at the given numbers."""
    if not parameters:
        raise InvalidArgument("sgd_step needs at least one parameter to update")
    p_sym = _symbols(parameters)
    values = {p_sym[n]: exact(v) if not isinstance(v, sp.Float) else v for n, v in parameters.items()}
    d_exact = {n: exact(v) for n, v in data.items()}
    eta = exact(rate)
    quantities = list(forward(p_sym, d_exact))
    if not quantities:
        raise InvalidArgument("the forward pass returned no quantities; its last one must be the loss")
    loss_name, loss = quantities[-1]
    if getattr(loss, "is_Matrix", False):
        raise InvalidArgument(f"the loss {loss_name!r} must be a scalar, not a {loss.shape} matrix")
    extra = (loss.free_symbols - set(p_sym.values()))
    if extra:
        raise InvalidArgument(f"the loss depends on {sorted(map(str, extra))}, which are neither "
                              f"parameters {sorted(parameters)} nor data {sorted(data)}")
    at = lambda expr, subs=values: sp.N(as_sympy(expr).xreplace(subs), digits)
    gradients = {n: at(sp.diff(loss, s)) for n, s in p_sym.items()}
    # The update is taken from the full-precision gradient, then rounded once.
    updated = {n: sp.N(values[s] - eta * gradients[n], digits) for n, s in p_sym.items()}
    after = {p_sym[n]: v for n, v in updated.items()}
    return SGDStep(parameters={n: sp.N(values[s], digits) for n, s in p_sym.items()}, data=d_exact,
                   forward={name: at(expr) for name, expr in quantities}, loss=at(loss),
                   gradients=gradients, updated=updated, loss_after=at(loss, after))


def sgd_run(forward: Forward, parameters: Mapping[str, object], samples: Sequence[Mapping[str, object]],
            rate, digits: int = DIGITS) -> list[SGDStep]:
    """One SGD step per sample, in order, each starting where the previous one ended."""
    steps: list[SGDStep] = []
    current: Mapping[str, object] = parameters
    for sample in samples:
        steps.append(sgd_step(forward, current, sample, rate, digits))
        current = steps[-1].updated
    return steps


def significant(value, figures: int = 6) -> str:
    """A number to ``figures`` significant digits, as a sheet shows it (-0.0 printed as 0)."""
    x = float(value)
    text = f"{x:.{figures}g}"
    return "0" if text in ("-0", "0") else text



def rounded(value, figures: int = 6):
    """A number, or each entry of a matrix, to ``figures`` significant digits as a SymPy Float
    that prints as those digits: what a sheet boxes. Two derivations of the same worked number
    agree exactly once rounded (each is accurate far beyond ``figures`` digits), so a boxed
    number is proved equal to its derivation, not compared within a tolerance."""
    if isinstance(value, sp.MatrixBase):
        return value.applyfunc(lambda e: rounded(e, figures))
    x = sp.N(as_sympy(value), DIGITS)
    if not x.is_real or not x.is_finite:
        raise InvalidArgument(f"{value!r} is not a finite real number")
    if x == 0:
        return sp.Float(0)
    # Decimal rounding of the 30-digit value, so the box shows exactly the digits it holds.
    return sp.Float(format(Decimal(str(x)), f".{figures - 1}e"), figures)


def at_numbers(formula, ns, values: Mapping[str, object]):
    """``formula`` of the namespace ``ns`` with every defined variable written out, at exact
    numbers (sigma as 1/(1 + e^{-z})), to 40 digits: a worked number from a closed form."""
    expr = formula.xreplace(ns.definitions()).xreplace({ns.objects[n]: exact(x_) if isinstance(x_, (int, str)) else x_
                                                         for n, x_ in values.items()})
    return expr.applyfunc(lambda e: e.rewrite(sp.exp).evalf(40))
