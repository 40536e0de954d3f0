"""Deciding one point exactly enough: both sides evaluated with mpmath, from the sampled
floats taken as exact binary numbers, at a precision p chosen from the answer's own
cancellation (60 digits beyond the largest intermediate magnitude relative to the result,
so exp(40 z) - exp(40 z) at z = 60 is evaluated at about 1100 digits), and again at 2p.

Float64 only proposes points; this module decides them. A point is

* ``equal`` when the scaled difference max|a - t| / max(1, max|t|) at 2p digits is below
  10^-p (the stated bound, at least 60 digits; rounding at 2p digits errs by less than
  10^-(p + 60)). p also grows with the smallest magnitude the answer forms, so an offset
  of 10^-300 is not lost below the bound;
* ``different`` when it is above the bound and the same to three digits at p and 2p
  (so it is not round-off: round-off shrinks as precision grows);
* ``unknown`` otherwise (e.g. a cancellation needing more than 4000 digits), which never
  counts as evidence either way.

Defined variables (s = softmax(z)) are recomputed from their definitions at each precision
and constrained ones (sum y = 1) take their constrained value, so both sides see one exact
point of the domain, not float approximations of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ...errors import ProofTimeout
from ...maths.zero import time_limit
from ..read.answer import to_batched
from ..read.evaluate import Evaluator
from ...errors import AnswerEvaluationError
from ..read.nodes import ELEMENTWISE, IVERSON_TESTS, is_scalar

LEVELS = (60, 120, 240, 480, 960, 1920)
MAX_DIGITS = 4000            # beyond this a point is left unknown
SLACK = 10                   # digits of loss the first precision absorbs (noise stays < 1e-110)
DIFFERENT_AGREEMENT = 1e-3   # the difference at p and 2p digits agrees to this relative
EQUAL, DIFFERENT, UNKNOWN = "equal", "different", "unknown"


def _real(f):
    """An mpmath function whose complex results (log of a negative) are undefined (nan)."""
    def g(x):
        try:
            r = f(x)
        except (ZeroDivisionError, ValueError):
            return mpmath.mpf("nan")
        if isinstance(r, mpmath.mpc):
            return r.real if r.imag == 0 else mpmath.mpf("nan")
        return r
    return g


def _as_real(v):
    """A value of the expected side as a real mpf (nan if complex, e.g. a log of a negative)."""
    v = mpmath.mpmathify(v)
    if isinstance(v, mpmath.mpc):
        return v.real if v.imag == 0 else mpmath.mpf("nan")
    return v


def _heaviside(x, at_zero=mpmath.mpf(1) / 2):
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else mpmath.mpf(at_zero))


def _sigma(x):
    # 1/(1 + e^-x) without forming e^-x for large negative x (no overflow in mpmath anyway,
    # but the form keeps the value's relative accuracy).
    return 1 / (1 + mpmath.exp(-x)) if x >= 0 else mpmath.exp(x) / (1 + mpmath.exp(x))


MP_ELEMENTWISE = {
    "exp": mpmath.exp, "log": mpmath.log, "sqrt": mpmath.sqrt, "abs": mpmath.fabs,
    "sigma": _sigma, "tanh": mpmath.tanh, "relu": lambda x: x if x > 0 else mpmath.mpf(0),
    "heaviside": _heaviside, "sign": mpmath.sign, "floor": mpmath.floor, "ceil": mpmath.ceil,
    "sinh": mpmath.sinh, "cosh": mpmath.cosh, "sech": mpmath.sech, "csch": mpmath.csch,
    "coth": mpmath.coth, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
    "sec": mpmath.sec, "csc": mpmath.csc, "cot": mpmath.cot, "asin": mpmath.asin,
    "acos": mpmath.acos, "atan": mpmath.atan, "asinh": mpmath.asinh, "acosh": mpmath.acosh,
    "atanh": mpmath.atanh, "log10": mpmath.log10,
    "dsigma": lambda x: _sigma(x) * (1 - _sigma(x)), "dtanh": lambda x: mpmath.sech(x) ** 2,
    "factorial": mpmath.factorial,
}
assert set(MP_ELEMENTWISE) == set(ELEMENTWISE), "every answer function needs a precise form"
_UFUNCS = {name: np.frompyfunc(_real(f), 1, 1) for name, f in MP_ELEMENTWISE.items()}
_BINOMIAL = np.frompyfunc(lambda n, k: _real(lambda a: mpmath.binomial(a, k))(n), 2, 1)
# How SymPy's printed names (and derive's own functions) become mpmath for the expected side.
MP_MODULE = {"sigma": _sigma, "relu": MP_ELEMENTWISE["relu"], "Heaviside": _heaviside,
             "sign": mpmath.sign}


def _obj(x) -> np.ndarray:
    return np.asarray(x, dtype=object).reshape(1, 1, 1)


def _mpf_array(values) -> np.ndarray:
    if isinstance(values, Fraction):   # a rational point (x = 1/3): exact to the working precision
        return np.asarray(mpmath.mpf(values.numerator) / values.denominator, dtype=object)
    arr = np.asarray(values, dtype=float)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = mpmath.mpf(float(v))   # a float is an exact binary number
    return out


class PreciseEvaluator(Evaluator):
    """The answer tree on object arrays of mpmath numbers (B = 1): the same walk as the
    float evaluator, with exact number literals and mpmath functions.

    It records the largest magnitude of any intermediate value and the number of nodes:
    rounding at p digits then errs by at most about nodes * peak * 10^-p, which is how
    the precision is chosen (exp(40 z) - exp(40 z) at z = 60 needs 1042 digits more).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.peak = mpmath.mpf(0)
        self.smallest = mpmath.mpf(1)
        self.nodes = 0

    def __call__(self, node):
        out = super().__call__(node)
        self.nodes += 1
        for v in np.asarray(out, dtype=object).reshape(-1):
            try:
                if mpmath.isnan(v) or mpmath.isinf(v) or v == 0:
                    continue
                a = abs(v)
                if a > self.peak:
                    self.peak = a
                if a < self.smallest:
                    self.smallest = a
            except TypeError:
                continue
        return out

    def _Num(self, n):
        return _obj(mpmath.mpf(n.value.numerator) / n.value.denominator)

    def _Const(self, n):
        if n.name == "e":
            return _obj(mpmath.e())
        if n.name == "pi":
            return _obj(+mpmath.pi)
        return super()._Const(n).astype(object)

    def _Iverson(self, n):
        a, b = self(n.a), self(n.b)
        holds = IVERSON_TESTS[n.op]
        return np.vectorize(lambda x, y: mpmath.mpf(1 if holds(x, y) else 0), otypes=[object])(a, b)

    def _Pow(self, n):
        base, ex = self(n.base), self(n.exp)
        if is_scalar(n.base.shape) or n.elementwise:
            return np.vectorize(_power, otypes=[object])(base, ex)
        p = ex.reshape(-1)[0]
        m = mpmath.matrix(base[0].tolist())
        if p == int(p) and abs(p) <= 1000:
            out = mpmath.inverse(m) ** int(-p) if p < 0 else m ** int(p)
        else:
            w, q = mpmath.eigsy(m)
            if any(x < 0 for x in w):
                raise AnswerEvaluationError("a fractional power of a matrix with a negative eigenvalue")
            out = q * mpmath.diag([x ** p for x in w]) * q.T
        return np.array(out.tolist(), dtype=object)[None]

    def _Call(self, n):
        f = n.func
        if f in _UFUNCS:
            return _UFUNCS[f](self(n.args[0]))
        if f == "binomial":
            return _BINOMIAL(self(n.args[0]), self(n.args[1]))
        if f == "softmax":
            x = self(n.args[0])
            e = _UFUNCS["exp"](x - x.max())
            return e / e.sum()
        if f == "inv":
            x = self(n.args[0])
            return np.array(mpmath.inverse(mpmath.matrix(x[0].tolist())).tolist(), dtype=object)[None]
        if f == "norm":
            x = self(n.args[0])
            return _obj(mpmath.sqrt(sum(v * v for v in x.reshape(-1))))
        return super()._Call(n)


def _power(a, b):
    try:
        r = a ** b
    except ZeroDivisionError:
        return mpmath.mpf("nan")
    if isinstance(r, mpmath.mpc):
        return r.real if r.imag == 0 else mpmath.mpf("nan")
    return r


@dataclass
class Decision:
    status: str                  # EQUAL, DIFFERENT or UNKNOWN
    error: Any = None            # scaled difference at the deciding precision (mpf)
    digits: int = 0              # the deciding precision
    answer: Any = None           # (r, c) object arrays at that precision
    expected: Any = None
    values: dict | None = None   # the exact point, per variable (mpf arrays or numbers)
    agree: int = 0               # an equal point: the digits both sides agree to (the bound)


class PreciseTarget:
    """The expected result and the definitions of a part at one size, as mpmath functions."""

    def __init__(self, part, sizes):
        self.part = part
        self.ns = ns = part.namespace(sizes)
        expr = part.result(ns)
        self.shape = expr.shape if isinstance(expr, sp.MatrixBase) else (1, 1)
        flat = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
        self.symbols = ns.symbols()
        # Plain argument names, renamed once here (lambdify's own dummify renames argument
        # by argument through the whole expression, which dominates for large sizes).
        self._plain = {sym: sp.Symbol(f"a{k}") for k, sym in enumerate(self.symbols)}
        self.expected = self._compile(flat)
        self.definitions = []
        for var in part.variables:
            if var.definition is None:
                continue
            obj = ns.objects[var.name]
            value = var.definition(ns)
            entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
            fn = self._compile(entries)
            self.definitions.append((var, list(obj) if isinstance(obj, sp.MatrixBase) else [obj], fn))
        self.constraints = []
        for var in part.variables:
            if var.definition is None and var.shape:
                subs = var.domain.constraint(ns.objects[var.name])
                for sym, value in subs.items():
                    fn = self._compile(value)
                    self.constraints.append((sym, fn))

    def _compile(self, exprs):
        plain = (exprs.xreplace(self._plain) if isinstance(exprs, sp.Basic)
                 else [sp.sympify(e, strict=True).xreplace(self._plain) for e in exprs])
        return sp.lambdify(list(self._plain.values()), plain, modules=[MP_MODULE, "mpmath"],
                           dummify=False, cse=False)

    def point(self, values: dict) -> tuple[list, dict]:
        """The exact point from a sampled one: symbol values (in ``symbols`` order) and
        per-variable values (object arrays shaped like the sample)."""
        by_symbol: dict = {}
        arrays: dict = {}
        for var in self.part.variables:
            if var.definition is not None:
                continue
            obj = self.ns.objects[var.name]
            arr = _mpf_array(values[var.name])
            arrays[var.name] = arr
            syms = list(obj) if isinstance(obj, sp.MatrixBase) else [obj]
            for sym, v in zip(syms, arr.reshape(-1)):
                by_symbol.setdefault(sym, v)
        zero = mpmath.mpf(0)
        for sym, fn in self.constraints:
            by_symbol[sym] = fn(*[by_symbol.get(s, zero) for s in self.symbols])
        for var, syms, fn in self.definitions:
            got = fn(*[by_symbol.get(s, zero) for s in self.symbols])
            for sym, v in zip(syms, got):
                by_symbol[sym] = v
        # Variable arrays follow the symbols (a constrained or defined entry is exact now).
        for var in self.part.variables:
            obj = self.ns.objects[var.name]
            shape = np.shape(values[var.name]) if var.name in values else ()
            if isinstance(obj, sp.MatrixBase):
                flat = [by_symbol[s] for s in obj]
                arrays[var.name] = np.array(flat, dtype=object).reshape(obj.shape if len(shape) == 2 else (-1,))
            else:
                arrays[var.name] = by_symbol[obj]
        return [by_symbol.get(s, zero) for s in self.symbols], arrays


def _scaled(a: np.ndarray, t: np.ndarray, beyond: bool = False):
    """max|a - t| / max(1, max|t|) in mpmath; inf where a is undefined, None where t is
    (inf, with ``beyond``, where t is undefined and a is not: an answer defined outside the
    expected value's domain)."""
    tv, av = t.reshape(-1), np.broadcast_to(a, t.shape).reshape(-1)
    undefined = lambda x: mpmath.isnan(x) or mpmath.isinf(x)
    if any(undefined(x) for x in tv):
        return mpmath.inf if beyond and not any(undefined(x) for x in av) else None
    if any(mpmath.isnan(x) or mpmath.isinf(x) for x in av):
        return mpmath.inf
    scale = max([mpmath.mpf(1)] + [abs(x) for x in tv])
    return max(abs(x - y) for x, y in zip(av, tv)) / scale


def evaluate_point(answer, target: PreciseTarget, values: dict, sizes: dict, digits: int,
                   beyond: bool = False):
    """(scaled difference, answer (r, c), expected (r, c), exact values, digits needed) at
    one precision; "digits needed" is the precision at which the answer's own rounding,
    bounded by nodes * peak * 10^-p, stays 60 digits below the values' scale."""
    with mpmath.workdps(digits):
        symbol_values, arrays = target.point(values)
        try:
            flat = target.expected(*symbol_values)
            expected = np.array([_as_real(v) for v in flat], dtype=object).reshape(target.shape)
        except (ZeroDivisionError, ValueError, TypeError):
            return None, None, None, arrays, digits
        ev = _evaluator(answer, arrays, sizes)
        try:
            got = _evaluate(answer, ev, sizes)
        except (ZeroDivisionError, ValueError, TypeError, ArithmeticError):
            got = np.full(target.shape, mpmath.mpf("nan"), dtype=object)
        got = np.broadcast_to(got, target.shape)
        scale = max([mpmath.mpf(1)] + [abs(x) for x in expected.reshape(-1)
                                       if not (mpmath.isnan(x) or mpmath.isinf(x))])
        # Digits lost to cancellation, plus the depth of the smallest value the answer forms
        # (s - y + 10^-300 must be told from s - y): the equality bound sits below both.
        loss = mpmath.log10(max(mpmath.mpf(1), ev.peak * max(ev.nodes, 1) / scale))
        depth = -mpmath.log10(min(mpmath.mpf(1), ev.smallest))
        need = int(mpmath.ceil(loss)) + int(mpmath.ceil(depth)) + LEVELS[0]
        return _scaled(got, expected, beyond), got, expected, arrays, need


def precise_value(answer, values: dict, sizes: dict, digits: int = 60) -> np.ndarray | None:
    """An answer's value (or any parsed expression's) at a point in real arithmetic at
    ``digits`` digits: None where it is undefined there (a square root or logarithm of a
    negative number, a division by zero), as the answer evaluator decides everywhere."""
    with mpmath.workdps(digits):
        arrays = {name: _mpf_array(v) for name, v in values.items() if name in answer.names}
        try:
            got = np.asarray(_evaluate(answer, _evaluator(answer, arrays, sizes), sizes), dtype=object)
        except (ZeroDivisionError, ValueError, TypeError, ArithmeticError, KeyError):
            return None
    if any(not isinstance(x, mpmath.mpf) or mpmath.isnan(x) or mpmath.isinf(x) for x in got.reshape(-1)):
        return None
    return got


def _evaluator(answer, arrays: dict, sizes: dict) -> "PreciseEvaluator":
    """The high-precision evaluator of an answer at one point: its variables' exact values
    (``arrays``, per variable) and the sizes as mpmath numbers."""
    batched = {e.name: to_batched(arrays[e.name], e, dtype=object) for e in answer.vocabulary.entries
               if e.name in arrays}
    for name, n in sizes.items():
        batched.setdefault(name, _obj(mpmath.mpf(n)))
    return PreciseEvaluator(batched, answer.index_ranges, sizes)


def _evaluate(answer, ev, sizes) -> np.ndarray:
    if not answer.free_indices:
        out = np.asarray(ev(answer.tree), dtype=object)
        return out[0]
    dims = [sizes[answer.index_ranges[i]] for i in answer.free_indices]
    rows, cols = dims[0], (dims[1] if len(dims) > 1 else 1)
    out = np.empty((rows, cols), dtype=object)
    for r in range(rows):
        for c in range(cols):
            ev.index[answer.free_indices[0]] = r
            if len(dims) > 1:
                ev.index[answer.free_indices[1]] = c
            out[r, c] = np.asarray(ev(answer.tree), dtype=object).reshape(-1)[0]
    return out


def decide(answer, target: PreciseTarget, values: dict, sizes: dict, budget: float = 2.0,
           beyond: bool = False) -> Decision:
    """Equal, different or unknown at one sampled point (see the module docstring); with
    ``beyond``, an answer defined where the expected value is not is different there."""
    previous = None
    try:
        with time_limit(budget):
            # The usual case first: no cancellation, so one evaluation at 2 x 60 digits
            # decides equality (its rounding errs by less than 1e-110 of the scale).
            err, got, want, arrays, need = evaluate_point(answer, target, values, sizes, 2 * LEVELS[0], beyond)
            if err is None:
                return Decision(UNKNOWN, digits=2 * LEVELS[0])
            if need <= LEVELS[0] + SLACK and err <= mpmath.mpf(10) ** -LEVELS[0]:
                return Decision(EQUAL, err, 2 * LEVELS[0], got, want, arrays, agree=LEVELS[0])
            err, got, want, arrays, need = evaluate_point(answer, target, values, sizes, LEVELS[0], beyond)
            if err is None:
                return Decision(UNKNOWN, digits=LEVELS[0])
            if need > MAX_DIGITS:
                return Decision(UNKNOWN, digits=need)
            start = LEVELS[0]
            if need > start + SLACK:   # cancellation: start where rounding is harmless
                start = need
                err, got, want, arrays, need = evaluate_point(answer, target, values, sizes, start, beyond)
                if err is None:
                    return Decision(UNKNOWN, digits=start)
            previous = err
            for digits in [start * 2 ** k for k in range(1, 4)]:
                if digits > 2 * MAX_DIGITS:
                    break
                err, got, want, arrays, need = evaluate_point(answer, target, values, sizes, digits, beyond)
                if err is None:
                    return Decision(UNKNOWN, digits=digits)
                if previous is not None:
                    low = previous
                    # Rounding at `digits` = 2 start errs by less than 10^-(start + 60) of
                    # the scale, so 10^-start is a safe bound, and at least 60 digits.
                    if err <= mpmath.mpf(10) ** -start:
                        return Decision(EQUAL, err, digits, got, want, arrays, agree=start)
                    if mpmath.isinf(err) and mpmath.isinf(low):
                        return Decision(DIFFERENT, err, digits, got, want, arrays)
                    if not mpmath.isinf(err) and abs(low - err) <= DIFFERENT_AGREEMENT * err:
                        return Decision(DIFFERENT, err, digits, got, want, arrays)
                previous = err
    except (ProofTimeout, RecursionError, MemoryError, AnswerEvaluationError, KeyError, IndexError):
        pass
    return Decision(UNKNOWN)


def equal_digits(decision: Decision) -> int:
    """How many digits an equal point agrees to (the stated bound, at least 60)."""
    return decision.agree
