"""The words that present a check's outcome: counterexample values rounded
for a student, the point described in a sentence, and the verdicts every judge (plain, set,
index notation, free expression) returns, worded alike."""
from __future__ import annotations

import numpy as np

from ...model.part import Part
from ..read.answer import Answer
from ..read.nodes import show_shape
from ...model.verdict import CORRECT, INCORRECT, UNDECIDED, Diagnosis, Verdict


def correct_verdict(part: Part, evidence: str, parsed: str | None, proved: bool, points: int = 0) -> Verdict:
    """The verdict on a right answer: "Correct: " and what holds (``evidence``)."""
    return Verdict(CORRECT, f"Correct: {evidence}.", parsed=parsed, part=part.id,
                   method="proved" if proved else "tested", points=points, evidence=evidence)


def unproved_verdict(part: Part, evidence: str, parsed: str | None, points: int = 0) -> Verdict:
    """An answer equal at every point tried that no proof route proved: undecided, since
    tests only refute (``evidence`` says what was tried)."""
    return Verdict(UNDECIDED, "Not decided: no counterexample was found, but equality could not be proved "
                   f"({evidence}).", parsed=parsed, part=part.id, method="tested", points=points,
                   evidence=evidence)


def with_likely_slip(message: str, diagnosis: Diagnosis | None) -> str:
    """The message with the diagnosis in words, when there is one."""
    return message + (f" Likely slip: {diagnosis.detail}." if diagnosis else "")


def incorrect_verdict(part: Part, message: str, counter: dict | None, diagnosis: Diagnosis | None,
                      parsed: str | None, points: int, evidence: str | None) -> Verdict:
    """The verdict on a wrong answer: the message, then the likely slip when one is named."""
    return Verdict(INCORRECT, with_likely_slip(message, diagnosis), counter, diagnosis, parsed, part.id,
                   points=points, evidence=evidence)


def _shape_of_array(arr, sizes, answer) -> str:
    r, c = arr.shape
    names = {v: k for k, v in sizes.items()}
    return show_shape((names.get(r, r) if r != 1 else 1, names.get(c, c) if c != 1 else 1))


def _round(x):
    x = np.asarray(x, dtype=float)
    if x.size == 1:
        v = float(x.reshape(-1)[0])
        if np.isfinite(v) and v.is_integer() and abs(v) < 2 ** 53:
            return int(v)   # a one-hot y or a count reads y = (0, 1), not (0.0, 1.0)
        return v if not np.isfinite(v) else float(f"{v:.6g}")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    return [_round(v) for v in x] if x.ndim == 1 else [[_round(v) for v in row] for row in x]


def _user_values(answer: Answer, point: dict) -> dict:
    """The point's values keyed by the spellings the user typed (all variables if none)."""
    used = [n for n in answer.spelled if n in point] or list(point)
    return {answer.spelled.get(n, n): _round(point[n]) for n in used}


def _counterexample(answer: Answer, batch, i, got, expected) -> dict:
    out = {}
    if batch.sizes:
        out["sizes"] = dict(batch.sizes)
    out["values"] = _user_values(answer, batch.points[i])
    out["answer"] = _round(got) if np.all(np.isfinite(got)) else "undefined"
    out["expected"] = _round(expected)
    return out


def _precise_number(x, digits: int):
    """An mpmath number for a student: a float to ``digits`` significant digits (a string
    past float precision, so a difference in the 20th digit still shows)."""
    import mpmath
    if mpmath.isnan(x) or mpmath.isinf(x):
        return "undefined"
    # Round to the digits shown first: a value computed at thousands of digits would make
    # nstr build (and refuse) a huge integer.
    if mpmath.isint(x) and abs(x) < 2 ** 53:
        return int(x)   # exactly a whole number: printed as one, never 1.0
    with mpmath.workdps(digits + 5):
        x = +mpmath.mpmathify(x)
        text = mpmath.nstr(x, digits)
    # A float only while it says the same: 2.1e-3300 stays text rather than becoming 0.0.
    return float(text) if digits <= 15 and (float(text) != 0 or x == 0) else text


def _precise_value(arr, digits: int):
    arr = np.asarray(arr, dtype=object)
    if arr.size == 1:
        return _precise_number(arr.reshape(-1)[0], digits)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 1:
        return [_precise_number(v, digits) for v in arr]
    return [[_precise_number(v, digits) for v in row] for row in arr]


def _exact_value(value):
    """A sampled value kept exact: a fraction with an odd denominator (the kind of point a
    float cannot hold) as the text "5/3", else None (the precise value is shown)."""
    from fractions import Fraction
    arr = np.asarray(value, dtype=object)
    if not any(isinstance(v, Fraction) and v.denominator & (v.denominator - 1) for v in arr.reshape(-1)):
        return None
    text = lambda v: str(v) if isinstance(v, Fraction) and v.denominator != 1 else _round(v)
    if arr.size == 1:
        return text(arr.reshape(-1)[0])
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return [text(v) for v in arr] if arr.ndim == 1 else [[text(v) for v in row] for row in arr]


def precise_counterexample(answer: Answer, sizes: dict, decision, shown: list[str], point: dict | None = None) -> dict:
    """The confirmed point in the user's spellings: every variable either side depends
    on (and no other), both values with enough digits to see the difference; a value drawn
    as an exact fraction (``point``, the sampled point) is shown as one ("5/3"), since its
    decimal rounding is a different point."""
    import mpmath
    err = decision.error
    digits = 6
    if not mpmath.isinf(err) and 0 < err < 1e-5:
        # mpmath's log: a difference below float range (a narrow bump, 1e-400000) stays exact
        digits = min(40, int(mpmath.ceil(-mpmath.log10(err))) + 3)
    out = {}
    if sizes:
        out["sizes"] = dict(sizes)
    values = decision.values or {}
    exact = {n: _exact_value(point[n]) for n in shown if point and n in point}
    out["values"] = {answer.spelled.get(n, n): exact[n] if exact.get(n) is not None else _precise_value(values[n], 6)
                     for n in shown if n in values}
    out["answer"] = _precise_value(decision.answer, digits)
    out["expected"] = _precise_value(decision.expected, digits)
    with mpmath.workdps(8):   # rounded first: nstr of a value at thousands of digits refuses
        out["difference"] = "undefined" if mpmath.isinf(err) else mpmath.nstr(+mpmath.mpmathify(err), 3)
    out["precision"] = f"{decision.digits} digits"
    return out


def _point_text(counter: dict) -> str:
    """'at z = 0.5 your answer is 1.2 but the expected value is 0.3', when short enough."""
    def size(v):
        return int(np.size(v)) if not isinstance(v, str) else 1
    values = counter["values"]
    if sum(size(v) for v in values.values()) > 12 or size(counter["answer"]) > 6:
        sizes = ", ".join(f"{k} = {v}" for k, v in counter.get("sizes", {}).items())
        return (f"at {'the point' if not sizes else sizes} (values in the counterexample) your "
                "answer and the expected one differ.")
    where = ", ".join(f"{k} = {_shown(v)}" for k, v in {**counter.get("sizes", {}), **values}.items())
    return ((f"at {where} " if where else "") + f"your answer is {_shown(counter['answer'])} but the "
            f"expected value is {_shown(counter['expected'])}.")


def _shown(value) -> str:
    """A value as the sheets write it: a vector (0, 1), a matrix ((1, 2), (3, 4))."""
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    return str(value)


def _latex(expr, part: Part) -> str:
    from ...render.printing import latex, names_of
    try:
        return latex(expr, names_of(part.variables))
    except Exception:  # printing is cosmetic; never let it hide a verdict
        return str(expr)
