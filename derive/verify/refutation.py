"""Showing a claim false by exact evaluation at one point.

A textbook statement that holds only under an unstated assumption (``= 0`` only when
eps = 0) is refuted, not merely "not proved": the derived quantity and the claimed one are
evaluated in exact arithmetic at a readable point and differ. A part lists a
:class:`Refutation` in ``Part.checks``; the claim it returns is *proved* when the
statement is shown false, and *refuted* (the refutation itself fails) when they agree there.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Mapping

import sympy as sp

from ..errors import ProblemDefinitionError
from ..model.claim import PROVED, REFUTED, Claim

__all__ = ["Refutation"]


@dataclass(frozen=True)
class Refutation:
    """``claimed`` (a formula of the namespace) is false: at ``point`` (exact values of
    the part's free variables at ``sizes``) it differs from ``derived``, which defaults to
    the part's own derivation."""
    statement: str
    claimed: Callable
    sizes: Mapping[str, int]
    point: Mapping[str, object]
    derived: Callable | None = None

    def run(self, part, seed: int = 0, cases: int | None = None) -> Claim:
        started = time.perf_counter()
        ns = part.namespace(self.sizes)
        values = self._exact_point(part, ns)
        derived = (self.derived or part.derive)(ns)
        truth, claim = (_exact(e, ns, values) for e in (derived, self.claimed(ns)))
        differ = [(t, c) for t, c in zip(truth, claim) if sp.simplify(t - c) != 0]
        readable = {name: _show(value) for name, value in self._shown(part, ns, values).items()}
        # The sheet appends the sizes ("at $m = 2$") from the claim's proved sizes; the method
        # names the point and the two values, as math.
        method = "exact SymPy evaluation of the derivation at the point below"
        if differ:
            t, c = differ[0]
            return Claim(part.id, "refutation", self.statement, PROVED,
                         f"{method}: the derived value is ${sp.latex(sp.nsimplify(t))}$ where the claim says ${sp.latex(c)}$",
                         (dict(self.sizes),), counterexample={"sizes": dict(self.sizes), "values": readable,
                                                   "derived": str(sp.nsimplify(t)), "claimed": str(c)},
                         seconds=time.perf_counter() - started)
        return Claim(part.id, "refutation", self.statement, REFUTED, method, (dict(self.sizes),),
                     seconds=time.perf_counter() - started,
                     detail="the claim and the derivation agree at this point, so it does not refute the claim")

    def _exact_point(self, part, ns) -> dict:
        values = {}
        for var in part.variables:
            if var.definition is not None:
                continue
            if var.name not in self.point:
                raise ProblemDefinitionError(f"{part.id}: the refutation point lacks a value for {var.name!r}")
            obj, value = ns.objects[var.name], self.point[var.name]
            if isinstance(obj, sp.MatrixBase):
                values.update({s: sp.Rational(v) for s, v in zip(obj, value)})
            else:
                values[obj] = sp.Rational(value)
        return values

    def _shown(self, part, ns, values) -> dict:
        out = {}
        for var in part.variables:
            obj = ns.objects[var.name]
            entries = list(obj) if isinstance(obj, sp.MatrixBase) else [obj]
            exact = [_exact(e, ns, values)[0] for e in entries]
            out[var.name] = exact if isinstance(obj, sp.MatrixBase) else exact[0]
        return out


def _exact(expr, ns, values) -> list:
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [sp.sympify(expr, strict=True)]
    definitions = ns.definitions()
    return [sp.nsimplify(sp.simplify(e.xreplace(definitions).xreplace(values))) for e in entries]


def _show(value):
    if isinstance(value, list):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)
