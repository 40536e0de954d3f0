"""Judging one step of a written derivation against the term before it.

``=`` is an identity, decided by the proof-backed judge (:func:`.free.equivalent`, in a
worker under a hard time limit): a correct verdict is ``proved``, an incorrect one
``wrong`` with its counterexample and diagnosis, an invalid one ``unreadable`` and an
undecided one ``unchecked``. Numbers written with decimals are equal up to the rounding
their digits show (0.2722 for 0.272186 is right, 0.2731 is not), ``\\approx`` likewise; an
inequality between two numbers is decided exactly; any other relation (an implication, a
limit, ``\\sim``) is read but not judged.
"""
from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass

import sympy as sp

from ...model.audit import PROVED, UNCHECKED, UNREADABLE, WRONG
from ...model.verdict import CORRECT, INCORRECT, INVALID, Diagnosis
from .audit_context import Reading, rounded_numbers
from .free import equivalent

__all__ = ["Judgement", "judge_step"]

EQUALITIES = ("=", ":=", "≡")
ORDERS = {"≤": lambda a, b: a <= b, "<": lambda a, b: a < b, "≥": lambda a, b: a >= b,
          ">": lambda a, b: a > b}
DIGITS = 50


@dataclass(frozen=True)
class Judgement:
    status: str
    message: str
    counterexample: dict | None = None
    diagnosis: Diagnosis | None = None


def judge_step(before: Reading, after: Reading, relation: str, variables: dict,
               timeout: float, seed: int = 0) -> Judgement:
    if relation in ORDERS:
        return _order(before, after, relation)
    if relation not in EQUALITIES and relation != "≈":
        return Judgement(UNCHECKED, f"a step by {relation} is read but not judged")
    if (before.clean.decimals or after.clean.decimals or relation == "≈") and before.constant and after.constant:
        return _rounded(before, after, relation)
    if relation == "≈":
        return Judgement(UNCHECKED, "an approximation between expressions is not judged")
    syntax = "latex" if before.syntax == after.syntax == "latex" else "text"
    expected = before.text if syntax == before.syntax else _plain(before)
    answer = after.text if syntax == after.syntax else _plain(after)
    variables = {**variables, **before.declared, **after.declared}
    try:
        verdict = equivalent(expected, answer, variables=variables or None, syntax=syntax,
                             seed=seed, timeout=timeout)
    except Exception:   # the term before read, yet the judge cannot take it as expected
        logging.getLogger(__name__).debug("step not compared", exc_info=True)
        return Judgement(UNCHECKED, "read, but the step before has no form the checker can compare with")
    if verdict.status == CORRECT:
        return Judgement(PROVED, verdict.evidence or verdict.message)
    if verdict.status == INCORRECT:
        if after.clean.decimals or before.clean.decimals:
            # Rounded numbers among symbols: exact equality is not what the student claims.
            return Judgement(UNCHECKED, "rounded numbers in a symbolic step are not judged")
        excuse = _no_claim(before, after, variables)
        if excuse is not None:
            return excuse
        damaged = _lost_superscript(after.clean.text) or _lost_superscript(before.clean.text)
        if damaged:
            return Judgement(UNREADABLE, f"'{damaged}' looks like OCR damage (a lost superscript: a digit "
                                         "right after a letter or ')'), so the step is not judged")
        if before.constant and after.constant:
            a, b = _value(before), _value(after)
            return Judgement(WRONG, f"Does not follow from the step before: this step is {_show(b)} but the "
                                    f"step before is {_show(a)}.", verdict.counterexample,
                             Diagnosis("arithmetic", f"the step before evaluates to {_show(a)}, not {_show(b)}"))
        simple = _simple_counterexample(before, after, variables)
        if simple is not None:
            return Judgement(WRONG, simple[0], simple[1], verdict.diagnosis)
        return Judgement(WRONG, _in_steps(verdict.message), verdict.counterexample, verdict.diagnosis)
    if verdict.status == INVALID:
        return Judgement(UNREADABLE, verdict.message.split("\n")[0])
    return Judgement(UNCHECKED, "undecided: " + verdict.message)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _no_claim(before: Reading, after: Reading, variables: dict) -> Judgement | None:
    """Why a step that differs from the one before is no claim of equality, if it is none:
    it uses a name with no meaning here (not in the step before, not defined, not the
    part's), or it puts numbers in for some of the names before (the values are the
    student's, said in the prose, not known here)."""
    names_before = {s.name for s in before.value.free_symbols}
    names_after = {s.name for s in after.value.free_symbols}
    new = sorted(names_after - names_before - set(variables))
    if new:
        return Judgement(UNREADABLE, f"uses {', '.join(new)}, which has no meaning here (not in the step "
                                     "before and not defined)")
    assumed = _assumed_name(before.value, after.value, variables) or _assumed_name(after.value, before.value, variables)
    if assumed is not None:
        return Judgement(UNCHECKED, f"holds if {assumed}, which the document does not state (state it, "
                                    "or pass it with --given)")
    dropped = sorted(names_before - names_after)
    # A formula followed by a number is read at a point (v = -eta g/(1 - mu) = -1 with g = 1
    # said in the prose): an identity with no names on one side is rarely what is meant.
    if dropped and (after.constant or len(_NUMBER.findall(after.clean.text)) > len(_NUMBER.findall(before.clean.text))):
        return Judgement(UNCHECKED, f"values are put in for {', '.join(dropped)}, which are not known here")
    return None


# Points a reader can check by hand, tried in order: every name at 1, then at 2, 1/2, -1, ...
_SIMPLE = (1, 2, sp.Rational(1, 2), -1, 3, -2, sp.Rational(1, 3), 5)
_ALLOWED = {"positive": lambda c: c > 0, "nonzero": lambda c: c != 0, "unit_interval": lambda c: 0 < c < 1}


def _simple_counterexample(before: Reading, after: Reading, variables: dict):
    """(message, counterexample) at the simplest point where the two steps clearly differ, for
    steps of scalar names; None when none of the simple points shows it (the judge's own
    confirmed counterexample is kept then)."""
    names = sorted(before.value.free_symbols | after.value.free_symbols, key=lambda s: s.name)
    if not names or len(names) > 10 or any(before.value.has(t) or after.value.has(t)
                                          for t in (sp.Sum, sp.Indexed, sp.MatrixSymbol)):
        return None
    for c in _SIMPLE:
        if not all(_ALLOWED.get(variables.get(n.name), lambda c: True)(c) for n in names):
            continue
        point = {n: c for n in names}
        try:
            a = sp.N(before.value.subs(point).rewrite(sp.exp).rewrite(sp.Piecewise), 30)
            b = sp.N(after.value.subs(point).rewrite(sp.exp).rewrite(sp.Piecewise), 30)
        except (TypeError, ValueError, ArithmeticError, AttributeError):
            continue
        if not (a.is_Number and b.is_Number and a.is_finite and b.is_finite):
            continue
        if abs(a - b) > sp.Float(1e-6) * max(1, abs(a), abs(b)):
            where = ", ".join(f"{n.name} = {c}" for n in names)
            counter = {"values": {n.name: str(c) for n in names}, "answer": _show(b), "expected": _show(a),
                       "difference": _show(abs(a - b)), "precision": "30 digits"}
            return (f"Does not follow from the step before: at {where} this step is {_show(b)} but the step "
                    f"before is {_show(a)}.", counter)
    return None


def _assumed_name(one, other, variables: dict) -> str | None:
    """'y = sigma(z)' when the two steps agree once a name of ``other`` that nothing defines
    stands for a function call in ``one``: (y - t) sigma(z)(1 - sigma(z)) x = (y - t) y (1 - y) x
    uses the problem's y = sigma(z). Checked at random points at 30 digits: it only keeps a
    step from being called wrong, it never proves one."""
    theirs = other.atoms(sp.Function)
    calls = [c for c in one.atoms(sp.Function) if c.free_symbols and c not in theirs]
    names = sorted((n for n in other.free_symbols if n.name not in variables), key=str)
    rng = random.Random(0)
    for name in names:
        for call in calls:
            if name in call.free_symbols:
                continue
            swapped, mine = other.xreplace({name: call}), one.xreplace({name: call})
            symbols = sorted(mine.free_symbols | swapped.free_symbols, key=str)
            if all(_close(mine, swapped, {s: sp.Rational(rng.randint(-30, 30), rng.randint(7, 13)) for s in symbols})
                   for _ in range(3)):
                return f"{name} = {plain_text_of(call)}"
    return None


def agree(one, other, tries: int = 3) -> bool:
    """The two values agree at ``tries`` random rational points (30 digits). Used only to keep
    a step from being called wrong, never to prove one."""
    rng = random.Random(1)
    symbols = sorted(one.free_symbols | other.free_symbols, key=str)
    return all(_close(one, other, {s: sp.Rational(rng.randint(-30, 30), rng.randint(7, 13)) for s in symbols})
               for _ in range(tries))


def _close(a, b, point) -> bool:
    try:
        x = sp.N(a.xreplace(point).rewrite(sp.exp), 30)
        y = sp.N(b.xreplace(point).rewrite(sp.exp), 30)
        return bool(abs(x - y) <= sp.Float(1e-20) * (1 + abs(x) + abs(y)))
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return False


def plain_text_of(expr) -> str:
    from .audit_context import plain_text
    return plain_text(expr)


_COMMAND = re.compile(r"\\[A-Za-z]+")
_DIGIT_AFTER = re.compile(r"(?:\)|(?<![_^A-Za-z{])[A-Za-z])\s?\d+(?![.,]\d)")


def _lost_superscript(text: str) -> str | None:
    """σ(z)2 or x2 as OCR leaves σ(z)^2 and x^2: nobody types a factor after its base."""
    m = _DIGIT_AFTER.search(_COMMAND.sub("#", text))   # \\cdot 2 is no lost superscript
    return m.group(0) if m else None


def _in_steps(message: str) -> str:
    """The judge's words for an answer, said of a step and the step before it."""
    for old, new in (("Not equal to the expected answer", "Does not follow from the step before"),
                     ("your answer is", "this step is"), ("but the expected value is", "but the step before is"),
                     ("the expected one", "the step before"), ("Your answer", "This step"),
                     ("the expected answer", "the step before")):
        message = message.replace(old, new)
    return message


def _plain(reading: Reading) -> str:
    from .audit_context import plain_text
    return plain_text(reading.value)


def _value(reading: Reading) -> sp.Float | None:
    """The term's number at 50 digits (the sigmoid and relu written out so evalf sees them)."""
    try:
        v = sp.N(reading.value.rewrite(sp.exp).rewrite(sp.Piecewise), DIGITS)
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    return v if v.is_Number and v.is_finite else None


def _ulp(reading: Reading) -> sp.Rational | None:
    """One unit in the last place of a term that is one decimal number (0.2722 -> 1/10000)."""
    text = reading.clean.text.strip().lstrip("-+ ").strip("{} ")
    if reading.clean.decimals and text in reading.clean.decimals:
        return sp.Rational(1, 10 ** len(text.split(".")[1]))
    return None


def _tolerance(before: Reading, after: Reading, relation: str) -> sp.Rational:
    """How far two rounded numbers may be apart. A term that is one decimal number stands for
    every value that rounds to it: half a unit in its last place for =, a whole unit for
    \\approx (truncated digits are an approximation). A computation with rounded numbers in
    it (0.6652: itself a rounded result) may be off by what they move it (Reading.rounding),
    or, when that is not known, by a unit in the last significant digit relative to the
    value. Shorter numbers (0.9, 0.05) are exact inputs."""
    share = sp.Integer(1) if relation == "≈" else sp.Rational(1, 2)
    tol = sp.Integer(0)
    for r in (before, after):
        unit = _ulp(r)
        if unit is not None:
            tol += share * unit
        elif r.rounding is not None:
            tol += sp.nsimplify(r.rounding, rational=True)
        elif rounded_numbers(r.clean.decimals):
            digits = min(len(d.replace(".", "").lstrip("0")) for d in rounded_numbers(r.clean.decimals))
            tol += sp.Rational(1, 10 ** digits) * sp.nsimplify(abs(_value(r) or 0), rational=True)
    return tol if tol else sp.Rational(1, 10 ** 12)


def _rounded(before: Reading, after: Reading, relation: str) -> Judgement:
    a, b = _value(before), _value(after)
    if a is None or b is None:
        return Judgement(UNCHECKED, "a number that could not be evaluated")
    tol = _tolerance(before, after, relation)
    gap = abs(sp.nsimplify(a, rational=True) - sp.nsimplify(b, rational=True))
    if gap <= tol:
        return Judgement(PROVED, f"equal up to the rounding written (within {_show(tol)})")
    if gap <= 10 * tol and (before.inherited or after.inherited):
        return Judgement(UNCHECKED, f"{_show(gap)} apart, which the rounding of numbers stated earlier may explain")
    diagnosis = Diagnosis("precision" if gap <= 10 * tol else "arithmetic",
                          f"the step before is {_show(a)}; this one is {_show(b)}, "
                          f"{_show(gap)} apart where rounding allows {_show(tol)}")
    return Judgement(WRONG, f"Not equal: the step before is {_show(a)} but this step is {_show(b)} "
                            f"(rounding allows {_show(tol)}).",
                     {"expected": _show(a), "answer": _show(b)}, diagnosis)


def _order(before: Reading, after: Reading, relation: str) -> Judgement:
    if not (before.constant and after.constant):
        return Judgement(UNCHECKED, f"an inequality ({relation}) between expressions is not judged")
    a, b = _value(before), _value(after)
    if a is None or b is None:
        return Judgement(UNCHECKED, "a number that could not be evaluated")
    if ORDERS[relation](sp.nsimplify(a, rational=True), sp.nsimplify(b, rational=True)) \
            or ORDERS[relation](before.value, after.value) is sp.true:
        return Judgement(PROVED, f"{_show(a)} {relation} {_show(b)}")
    return Judgement(WRONG, f"Not true: {_show(a)} {relation} {_show(b)} fails.",
                     {"expected": _show(a), "answer": _show(b)}, Diagnosis("order", f"{relation} does not hold"))


def _show(x) -> str:
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return str(x)
