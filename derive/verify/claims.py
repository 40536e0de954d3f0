"""Verification of a part: symbolic proofs at explicit sizes, checked derivation steps,
and a Hypothesis-driven numeric cross-check against the part's NumPy oracle.

Every outcome is data (a :class:`Claim`), so sheets, the CLI and tests read the same facts.
"""
from __future__ import annotations

import itertools
import time
from typing import Any, Mapping

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, seed as hypothesis_seed
from hypothesis import strategies as st

from ..model.functions import as_sympy, is_condition
from ..model.part import Namespace, Part, Step
from .numeric import compile_numpy, scaled_error
from ..model.claim import (CLOSED_FORM_CLAIM, FAILED, PASSED, PROVED, REFUTED, TESTED, Claim,
                           PartReport, size_label)
from .proof import difference_is_zero, entries


def _as_matrix(x):
    if is_condition(x):  # a condition (a step-size bound) is compared as a set, not as a matrix
        return x
    return x if isinstance(x, sp.MatrixBase) else sp.Matrix([[as_sympy(x)]])


def _indexed_values(step: Step, ns: Namespace, target) -> tuple[list, list]:
    """The step's right side and its target, entry by entry over the free indices."""
    target = _as_matrix(target)
    if not step.indices:
        return entries(step.rhs(ns)), entries(target)
    if len(step.indices) == 1:
        index_sets = [(i,) for i in range(target.shape[0])]
        pick = lambda idx: target[idx[0], 0]
    else:
        index_sets = list(itertools.product(range(target.shape[0]), range(target.shape[1])))
        pick = lambda idx: target[idx[0], idx[1]]
    return [step.rhs(ns, *idx) for idx in index_sets], [pick(idx) for idx in index_sets]


class _Numeric:
    """Lambdified closed forms per size, evaluated on sampled NumPy values."""

    def __init__(self, part: Part):
        self.part = part
        self._cache: dict[tuple, tuple] = {}

    def compiled(self, formula, sizes: Mapping[str, int]):
        key = (id(formula), tuple(sorted(sizes.items())))
        if key not in self._cache:
            ns = self.part.namespace(sizes)
            value = formula(ns)
            if is_condition(value):  # evaluated numerically as its indicator
                value = sp.Piecewise((1, value), (0, True))
            expr = _as_matrix(value)
            symbols = ns.symbols()
            self._cache[key] = (symbols, compile_numpy(symbols, expr), expr.shape)
        return self._cache[key]

    def evaluate(self, formula, sizes, values: Mapping[str, Any]) -> np.ndarray:
        symbols, fn, shape = self.compiled(formula, sizes)
        args = _flatten_values(self.part, sizes, values)
        out = np.asarray(fn(*args), dtype=float)
        return np.broadcast_to(out, shape) if out.size == 1 else out


def _flatten_values(part: Part, sizes, values) -> list[float]:
    args: list[float] = []
    for var in part.variables:
        x = np.asarray(values[var.name], dtype=float)
        if var.symmetric:
            n = x.shape[0]
            args.extend(x[min(i, j), max(i, j)] for i in range(n) for j in range(n)
                        if (i, j) == (min(i, j), max(i, j)))
            continue
        args.extend(x.reshape(-1).tolist())
    return args


def _condition_counterexample(part: Part, sizes, formula_a, formula_b, rng) -> dict | None:
    """For two conditions (step-size bounds): a value inside one set and not the other.

    Random points rarely land in a narrow band where two bounds disagree, so the bounded
    variable is solved for instead of sampled.
    """
    from ..maths.inequalities import witness
    ns = part.namespace(sizes)
    claimed, derived = formula_a(ns), formula_b(ns)
    if not (is_condition(claimed) and is_condition(derived)):
        return None
    symbols = sorted(claimed.free_symbols | derived.free_symbols, key=lambda s: s.name)
    for _ in range(20):
        values = part.sample(rng, sizes)
        for variable in symbols:
            point = {s: values[s.name] for s in symbols if s is not variable and s.name in values}
            if len(point) != len(symbols) - 1:
                continue
            value = witness(claimed, derived, variable, point)
            if value is None:
                continue
            at = {**point, variable: value}
            return {"sizes": dict(sizes), "values": {**_readable(values), variable.name: value},
                    "derived": bool(derived.subs(at)), "claimed": bool(claimed.subs(at))}
    return None


def _symbolic_counterexample(part: Part, sizes, formula_a, formula_b, rng) -> dict | None:
    """Search sampled points where two formulas differ numerically."""
    found = _condition_counterexample(part, sizes, formula_a, formula_b, rng)
    if found:
        return found
    evaluator = _Numeric(part)
    for _ in range(20):
        values = part.sample(rng, sizes)
        try:
            a = evaluator.evaluate(formula_a, sizes, values)
            b = evaluator.evaluate(formula_b, sizes, values)
        except (ValueError, TypeError, ZeroDivisionError, FloatingPointError):
            continue
        if scaled_error(a, b) > 1e-9:
            return {"sizes": dict(sizes), "values": _readable(values),
                    "derived": _readable_value(b), "claimed": _readable_value(a)}
    return None


def _readable_value(x):
    x = np.asarray(x, dtype=float)
    return float(x.reshape(-1)[0]) if x.size == 1 else np.round(x, 6).tolist()


def _readable(values: Mapping[str, Any]) -> dict:
    return {k: _readable_value(v) for k, v in values.items()}


def prove_closed_form(part: Part, budget: float, rng) -> Claim:
    started = time.perf_counter()
    proved: list[dict[str, int]] = []
    per_size = budget  # each size gets the whole budget: a loaded machine must not turn proofs into tests
    for sizes in part.proof_sizes():
        ns = part.namespace(sizes)
        derived, closed = part.derive(ns), part.result(ns)
        ok, where = difference_is_zero(closed, derived, [ns.definitions(), ns.constraints()], per_size)
        if ok:
            proved.append(dict(sizes))
            continue
        counter = _symbolic_counterexample(part, sizes, part.result, part.derive, rng)
        outcome = REFUTED if counter else TESTED
        detail = (f"closed form differs from the derivation{_where(sizes)}" if counter else
                  f"no proof within {per_size:.1f} s{_where(sizes)} (entry {where}); "
                  "no counterexample found in 20 samples")
        return Claim(part.id, "closed form", CLOSED_FORM_CLAIM, outcome,
                     "symbolic proof at explicit sizes", tuple(proved),
                     counterexample=counter, seconds=time.perf_counter() - started, detail=detail)
    return Claim(part.id, "closed form", CLOSED_FORM_CLAIM, PROVED,
                 "exact SymPy identity at each explicit size (definitions and domain constraints "
                 "substituted)", tuple(proved), seconds=time.perf_counter() - started)


def _where(sizes: Mapping[str, int]) -> str:
    return f" at {size_label(sizes)}" if sizes else ""


def _entries_formula(part: Part, step: Step, side: str):
    """A formula giving the step's right side (or its target) as one column, for numbers."""
    def formula(ns):
        target = step.target(ns) if step.target else part.derive(ns)
        rhs, expected = _indexed_values(step, ns, target)
        chosen = rhs if side == "rhs" else expected
        return sp.Matrix([sp.Piecewise((1, e), (0, True)) if is_condition(e) else e for e in chosen])
    return formula


def prove_step(part: Part, step: Step, budget: float, rng=None, kind: str = "step") -> Claim:
    started = time.perf_counter()
    proved: list[dict[str, int]] = []
    for sizes in part.proof_sizes():
        ns = part.namespace(sizes)
        target = step.target(ns) if step.target else part.derive(ns)
        rhs, expected = _indexed_values(step, ns, target)
        ok, where = difference_is_zero(rhs, expected,
                                       [ns.definitions(), ns.constraints()], budget)
        if ok:
            proved.append(dict(sizes))
            continue
        counter = None
        if rng is not None:
            counter = _symbolic_counterexample(part, sizes, _entries_formula(part, step, "rhs"),
                                               _entries_formula(part, step, "target"), rng)
        detail = (f"the step differs from what it should equal{_where(sizes)}" if counter else
                  f"no proof within {budget:.1f} s{_where(sizes)} (entry {where}); no counterexample "
                  "found in 20 samples")
        return Claim(part.id, kind, step.lhs, REFUTED if counter else TESTED,
                     "symbolic check at explicit sizes", tuple(proved), counterexample=counter,
                     seconds=time.perf_counter() - started, detail=detail)
    return Claim(part.id, kind, step.lhs, PROVED, "exact SymPy identity at each explicit size",
                 tuple(proved), seconds=time.perf_counter() - started)


def cross_check(part: Part, seed: int, cases: int | None = None) -> Claim | None:
    """Closed form against the independent oracle on Hypothesis-generated sizes and values."""
    oracle = part.oracle
    if oracle is None:
        return None
    started = time.perf_counter()
    evaluator = _Numeric(part)
    choices = part.numeric_size_choices()
    stats = {"cases": 0, "worst": 0.0, "failing": None}

    size_strategy = st.fixed_dictionaries({d: st.sampled_from(c) for d, c in choices.items()})

    @hypothesis_seed(seed)
    @settings(max_examples=cases or oracle.cases, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
              report_multiple_bugs=False, verbosity=Verbosity.quiet)
    @given(sizes=size_strategy, value_seed=st.integers(0, 2**32 - 1))
    def property_holds(sizes, value_seed):
        values = part.sample(np.random.default_rng(value_seed), sizes)
        try:
            with np.errstate(all="ignore"):
                claimed = evaluator.evaluate(part.result, sizes, values)
                reference = np.asarray(oracle.reference(values), dtype=float)
        except Exception as exc:  # a crash in either side is a failed case, reported with it
            stats["failing"] = {"sizes": dict(sizes), "values": _readable(values),
                                "error": float("inf"), "exception": f"{type(exc).__name__}: {exc}"}
            raise AssertionError(str(exc)) from exc
        error = scaled_error(claimed, reference)
        stats["cases"] += 1
        if error <= oracle.rtol:
            stats["worst"] = max(stats["worst"], error)
            return
        stats["failing"] = {"sizes": dict(sizes), "values": _readable(values),
                            "closed form": _readable_value(claimed),
                            "oracle": _readable_value(reference), "error": error}
        raise AssertionError(f"{part.id}: error {error:.3g} > {oracle.rtol:g} at {stats['failing']}")

    try:
        property_holds()
        outcome, counter = PROVED, None
    except AssertionError:
        outcome, counter = REFUTED, stats["failing"]
        if "exception" in counter:
            outcome = FAILED
    return Claim(part.id, "numeric", f"closed form agrees with {oracle.method}",
                 PASSED if outcome == PROVED else outcome, oracle.method,
                 tuple({d: tuple(c)} for d, c in choices.items()), cases=stats["cases"],
                 worst_error=stats["worst"] if counter is None else counter["error"],
                 tolerance=oracle.rtol, counterexample=counter,
                 seconds=time.perf_counter() - started, detail=oracle.tolerance_reason)


def verify_part(part: Part, *, seed: int = 0, budget: float = 10.0, cases: int | None = None) -> PartReport:
    """Prove the closed form and every step at each size, then cross-check numerically."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    claims = [prove_closed_form(part, budget, rng)]
    claims += [prove_step(part, step, budget, rng) for step in part.steps]
    claims += [prove_step(part, result, budget, rng, kind="result") for result in part.also]
    numeric = cross_check(part, seed, cases)
    if numeric is not None:
        claims.append(numeric)
    claims += [check.run(part, seed=seed, cases=cases) for check in part.checks]
    return PartReport(part, tuple(claims), time.perf_counter() - started)
